"""Fuzzing (hypothesis) the FOCUS reader and every YAML loader with random bytes, random
mutations of the demo repository's files and random documents of the right shape.

The only outcomes allowed: success, or problems that each say where (``DataError``, or the
reader's list). Never a traceback, never a partial write: a rejected FOCUS file leaves no
row behind, and no loader changes a file.
"""

from __future__ import annotations

import csv
import gzip
import io
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from conftest import ROOT, demo_files
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.commands.check import check
from generator.common.errors import DataError, Problem
from generator.read.config import Config, load_config
from generator.read.convert import load_accounts, load_slurm_rates, load_storage_rates
from generator.read.deliveries import read_log
from generator.read.focus import FocusFile, read_focus_file
from generator.read.layout import period_files
from generator.warehouse import load as loader
from generator.warehouse import periods, reviews


def fuzz(examples: int) -> settings:
    """Settings for a fuzz test: ``examples`` tries, no time limit on one."""
    return settings(max_examples=examples, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


PERIOD = "2026-10"
FINALIZED = "2026-08"

# Text that breaks parsers: separators, quotes, YAML and JSON syntax, NUL, a BOM, numbers
# past the money range, dates that are not.
PIECES = [",", '"', "\n", "\r\n", "\x00", "\ufeff", "{", "}", "[", "]", ":", "- ", "#", "&a",
          "*a", "!!python/object:os.system", "|", ">", "%", "@", "`", "'", "\\", "\t", "NULL",
          "NaN", "-Infinity", "1e400", "9" * 25, "-0.0000000000000000001", "999999999999999.5",
          "2026-13-45", "0000-00-00T25:61:61Z", "é", "\u202e", "<script>", "{{ x }}", "~",
          "null", "true", "yes", "0x1F", "1_000", "?", "<<: *a"]


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    """``text`` with a few random edits: cut, insert, replace, repeat or swap lines."""
    for _ in range(draw(st.integers(1, 4))):
        lines = text.splitlines(keepends=True) or [""]
        kind = draw(st.sampled_from(["insert", "delete", "replace", "line", "swap"]))
        at = draw(st.integers(0, len(text)))
        piece = draw(st.one_of(st.sampled_from(PIECES), st.text(max_size=12)))
        if kind == "insert":
            text = text[:at] + piece + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)):]
        elif kind == "replace":
            text = text[:at] + piece + text[at + len(piece):]
        else:
            i, j = (draw(st.integers(0, len(lines) - 1)) for _ in range(2))
            if kind == "line":
                lines.insert(i, lines[j])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            text = "".join(lines)
    return text


def allowed(problems: list[Problem]) -> None:
    assert problems and all(isinstance(p, Problem) and p.where for p in problems), problems


def files_in(root: Path) -> dict[str, tuple[int, int]]:
    """The repository's input files (data/, periods/, reviews/): size and time of each."""
    return {p.relative_to(root).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
            for folder in ("data", "periods", "reviews") for p in (root / folder).rglob("*")
            if p.is_file()}


# --- the FOCUS reader ------------------------------------------------------------------------

SAMPLE = (ROOT / "periods" / PERIOD / "aws.csv").read_text(encoding="utf-8").splitlines(
    keepends=True)[:8]
CELLS = st.one_of(st.sampled_from(PIECES), st.text(max_size=20),
                  st.decimals(allow_nan=True).map(str), st.just(""))


@st.composite
def cell_edits(draw: st.DrawFn) -> str:
    """The sample with random cells replaced: values of the wrong kind in every column."""
    rows = list(csv.reader(io.StringIO("".join(SAMPLE))))
    for _ in range(draw(st.integers(1, 6))):
        r = draw(st.integers(0, len(rows) - 1))
        c = draw(st.integers(0, len(rows[r]) - 1))
        rows[r][c] = draw(CELLS)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[bytes, str], None]]:
    """Read bytes as a FOCUS file; assert success or problems, and no row left if rejected."""
    folder = tmp_path_factory.mktemp("focus")
    con = duckdb.connect()
    loader.create_tables(con, Config(root=folder, organization={"name": "Fuzz"}))

    def read(data: bytes, suffix: str) -> None:
        path = folder / f"aws{suffix}"
        path.write_bytes(data)
        f = FocusFile(path, "aws", PERIOD, f"periods/{PERIOD}/aws{suffix}")
        problems = read_focus_file(con, f)
        (rows,) = con.execute("SELECT count(*) FROM raw_charges").fetchone() or (0,)
        if problems:
            allowed(problems)
            assert all(p.where.startswith(f.shown) for p in problems), problems
            assert rows == 0, "a rejected file left rows behind"
        con.execute("DELETE FROM raw_charges")
        path.unlink()

    yield read
    con.close()


@fuzz(600)
@given(data=st.binary(max_size=2000), suffix=st.sampled_from([".csv", ".csv.gz", ".parquet"]))
def test_random_bytes_are_read_or_refused(reader: Callable[[bytes, str], None], data: bytes,
                                          suffix: str) -> None:
    reader(data, suffix)


@fuzz(300)
@given(text=st.one_of(mutated("".join(SAMPLE)), cell_edits()), gz=st.booleans(),
       cut=st.integers(0, 400))
def test_mutated_focus_files_are_read_or_refused(reader: Callable[[bytes, str], None],
                                                 text: str, gz: bool, cut: int) -> None:
    data = text.encode("utf-8")
    if gz:
        data = gzip.compress(data)
        data = data[: len(data) - cut] if cut < 40 else data  # now and then a cut-off archive
    reader(data, ".csv.gz" if gz else ".csv")


@pytest.fixture(scope="module")
def small_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("small")
    for name in ("data/config.yaml", "data/people.yaml", "data/projects.yaml"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, root / name)
    return root


@fuzz(40)
@given(text=cell_edits())
def test_a_file_the_reader_accepts_goes_through_check(small_repo: Path, text: str) -> None:
    """What the reader lets through (odd dates, tags, signs) is flagged or billed by the
    rest of the pipeline, never a crash."""
    path = small_repo / "periods" / PERIOD / "aws.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    found = check(load_config(small_repo)).problems
    if found:
        allowed(found)


# --- every YAML loader -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = demo_files(tmp_path_factory.mktemp("fuzz") / "demo")
    yield root


@pytest.fixture(scope="module")
def warehouse(repo: Path) -> loader.Warehouse:
    """The demo warehouse, with its charges as reviews.apply finds them while loading (the
    charges table is then still named normalized)."""
    wh = loader.load(load_config(repo))
    assert not wh.problems
    wh.con.execute("CREATE VIEW normalized AS SELECT * FROM charges")
    return wh


def load_rates(kind: str) -> Callable[[Config], object]:
    return lambda cfg: (load_slurm_rates if kind == "slurm" else load_storage_rates)(
        cfg.root / "data" / "rates" / f"{kind}.yaml")


def verify_period(cfg: Config) -> object:
    """The finalized period's record, read and checked against its files."""
    _, files, _ = period_files(cfg, [FINALIZED])
    problems = periods.verify(cfg, [FINALIZED], files)
    if problems:
        raise DataError(problems)
    return periods.read_period(cfg, FINALIZED)


CONFIG_FILES = ("data/config.yaml", "data/people.yaml", "data/projects.yaml")
# file → what reads it, given the config (None: load_config reads it, or, for the review
# file, reviews.apply).
LOADERS: dict[str, Callable[[Config], object] | None] = {
    "data/config.yaml": None,
    "data/people.yaml": None,
    "data/projects.yaml": None,
    "data/accounts.yaml": load_accounts,
    "data/rates/slurm.yaml": load_rates("slurm"),
    "data/rates/storage.yaml": load_rates("storage"),
    f"periods/{FINALIZED}/period.yaml": verify_period,
    "periods/2026-09/deliveries.yaml": lambda cfg: read_log(cfg, "2026-09"),
    f"reviews/{PERIOD}.yaml": None,  # applied to the warehouse, below
}
SEEDS = {name: (ROOT / name).read_text(encoding="utf-8") for name in LOADERS}


def keys_of(value: Any) -> Iterator[str]:
    """Every mapping key in a YAML value, at any depth."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from keys_of(v)
    elif isinstance(value, list):
        for item in value:
            yield from keys_of(item)


PARSED = {name: yaml.safe_load(text) for name, text in SEEDS.items()}
VOCABULARY = sorted({k for value in PARSED.values() for k in keys_of(value)})
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
                    st.sampled_from(PIECES), st.text(max_size=15), st.dates(),
                    st.decimals(allow_nan=False).map(str))
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(VOCABULARY), SCALARS.filter(
            lambda k: isinstance(k, str | int | bool) or k is None)), inner, max_size=5)),
    max_leaves=25)


@st.composite
def shaped(draw: st.DrawFn, name: str) -> str:
    """The seed file with some of its values replaced by random ones, dumped as YAML."""
    value = PARSED[name]

    def walk(node: Any) -> Any:
        if draw(st.integers(0, 9)) == 0:
            return draw(VALUES)
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return yaml.safe_dump(walk(value), allow_unicode=True, sort_keys=False)


@pytest.mark.parametrize("name", list(LOADERS))
@fuzz(220)
@given(data=st.data())
def test_yaml_files_are_loaded_or_refused(repo: Path, warehouse: loader.Warehouse, name: str,
                                          data: st.DataObject) -> None:
    text = data.draw(st.one_of(st.binary(max_size=600), mutated(SEEDS[name]), shaped(name),
                               st.just(SEEDS[name])), label=name)
    path = repo / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    before = files_in(repo)
    try:
        cfg = load_config(repo) if name in CONFIG_FILES else warehouse.cfg
        read = LOADERS[name]
        if read is not None:
            read(cfg)
        elif name.startswith("reviews/"):
            found = reviews.apply(warehouse.con, cfg, [PERIOD])
            if found:
                raise DataError(found)
    except DataError as exc:
        allowed(exc.problems)
    finally:
        assert files_in(repo) == before, "a loader changed a file"
        shutil.copy(ROOT / name, path)
