"""Hostile input and faults, as an attacker or a careless admin would try them: amounts out of
range, wide headers, files in other encodings, a read-only repository, a killed build, two
builds at once, symbolic links. Each gets a one-line problem naming the file (and line and
value), never a traceback, and nothing is left half-written. (Random input: test_fuzz.py.)"""

from __future__ import annotations

import codecs
import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import CONFIG, HEADER, commit_all, csv_file, demo_files, row, tags
from typer.testing import CliRunner

from generator.cli import app
from generator.commands import periods
from generator.common.errors import SCREENFUL, DataError
from generator.common.money import MAX_AMOUNT, amount_problem
from generator.read.config import load_config
from generator.warehouse import load as loader

RANGE = "is out of range: amounts are below 10^15"


def invoke(root: Path, *args: str) -> tuple[int, str]:
    """The CLI in-process: (exit code, output), asserting it ended without a traceback."""
    result = CliRunner().invoke(app, [*args, "--repo", str(root)])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.output, result.exception)
    return result.exit_code, result.output


def problems(root: Path) -> list[str]:
    return [str(p) for p in loader.load(load_config(root)).problems]


def snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` by its path, with a hash of its bytes."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.parts}


# --- money out of range ----------------------------------------------------------------------


def test_the_money_range_is_one_rule() -> None:
    assert str(MAX_AMOUNT) == "1000000000000000"
    assert amount_problem("999999999999999.999999999999999999") is None  # 33 digits, exact
    assert amount_problem("-999999999999999.99") is None
    assert amount_problem("0.000000000000000001") is None
    assert amount_problem("1.500000000000000000000") is None  # trailing zeros are not places
    assert RANGE in f"{amount_problem('1000000000000000')}"
    assert RANGE in f"{amount_problem('-1e15')}"
    assert "more than 18 decimal places" in (amount_problem("0.0000000000000000001") or "")
    assert "not a number" in (amount_problem("Infinity") or "")


@pytest.mark.parametrize(("column", "value"), [
    ("BilledCost", "1000000000000000"),
    ("BilledCost", "-1e15"),
    ("BilledCost", "99999999999999999999"),  # what once crashed check and build
    ("BilledCost", "99999999999999999999999999"),  # past DECIMAL(38, 18)
    ("ListCost", "5e16"),
])
def test_an_amount_out_of_range_is_refused_with_file_line_column_and_value(
    make_repo: Callable[..., Path], column: str, value: str
) -> None:
    cost, list_cost = (value, "12.00") if column == "BilledCost" else ("10.00", value)
    root = make_repo({"periods/2026-10/aws.csv": csv_file(
        row(), row(cost=cost, list_cost=list_cost, resource="i-2"))})
    assert problems(root) == [f'periods/2026-10/aws.csv:3: {column} "{value}" {RANGE} '
                              "(1,000,000,000,000,000) either way, at most 18 decimal places"]
    for command in (["check"], ["build"]):
        code, output = invoke(root, *command)
        assert code == 1 and f'aws.csv:3: {column} "{value}" {RANGE}' in output


def test_amounts_just_inside_the_range_are_billed_exactly(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"periods/2026-10/aws.csv": csv_file(
        row(cost="999999999999999.999999999999999999", list_cost="999999999999999.99",
            contracted="999999999999999.99"))})
    wh = loader.load(load_config(root))
    assert not wh.problems
    (total,) = wh.con.execute("SELECT sum(cost) FROM charges").fetchone() or ()
    assert total == Decimal("999999999999999.999999999999999999")


def test_a_file_whose_amounts_add_up_past_the_range_is_refused(
    make_repo: Callable[..., Path]
) -> None:
    """Each amount fits; their sum would not (a sum past 10^20 once crashed every query)."""
    rows = [row(cost="600000000000000", list_cost="1", contracted="1", resource=f"i-{i}")
            for i in range(2)]
    root = make_repo({"periods/2026-10/aws.csv": csv_file(*rows)})
    assert problems(root) == [
        "periods/2026-10/aws.csv: BilledCost adds up to 1,200,000,000,000,000 or more, signs "
        "aside; a file's amounts add up to less than 10^15: is the file right?"]


def test_correct_refuses_an_amount_out_of_range_before_writing(
    make_repo: Callable[..., Path]
) -> None:
    root = make_repo({"periods/2026-09/aws.csv": csv_file(row("2026-09")),
                      "periods/2026-10/aws.csv": csv_file(row())})
    periods.close(load_config(root), "2026-09", "Jane")
    charge = loader.load(load_config(root)).con.execute(
        "SELECT charge_id FROM charges WHERE period = '2026-09'").fetchone()[0]  # type: ignore[index]
    before = snapshot(root)
    for amount in ("99999999999999999999", "1e15", "0.0000000000000000001", "NaN"):
        code, output = invoke(root, "correct", charge, "--amount", amount, "--reason", "x")
        assert code == 2 and f"--amount {amount!r} " in output, output
    assert snapshot(root) == before
    assert invoke(root, "check")[0] == 0


def test_ingest_refuses_an_amount_near_1e20_and_places_nothing(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_repo()
    incoming = tmp_path / "export.csv"
    incoming.write_text(csv_file(row(cost="99999999999999999999.5")))
    code, output = invoke(root, "ingest", str(incoming), "-s", "aws", "-p", "2026-10")
    assert code == 1 and f'export.csv:2: BilledCost "99999999999999999999.5" {RANGE}' in output
    assert not list((root / "periods").rglob("*.csv"))


def test_converters_refuse_an_amount_out_of_range_and_write_nothing(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_repo({"data/rates/storage.yaml": "tiers:\n  standard: {name: Standard, "
                      "tb_month: 900000}\n"})
    report = tmp_path / "usage.csv"
    report.write_text("share,project,bytes_used,tier\n/a,p1,2000000000000000000000,standard\n"
                      "/b,p1,2000000000000,standard\n")
    code, output = invoke(root, "convert", "storage", str(report), "-p", "2026-10")
    assert code == 1  # 2,000,000,000 TB at 900,000 a TB-month
    assert f"Standard: /a: ListCost 1800000000000000 {RANGE}" in output, output
    assert "Standard: /b" not in output and "ListUnitPrice" not in output
    assert not (root / "periods" / "2026-10").exists()

    (root / "data" / "rates" / "storage.yaml").write_text(
        "tiers:\n  standard: {name: Standard, tb_month: 1e16}\n")
    code, output = invoke(root, "convert", "storage", str(report), "-p", "2026-10")
    assert code == 1 and f"tiers.standard.tb_month: '1e16' {RANGE}" in output, output


def test_config_thresholds_are_amounts_too(make_repo: Callable[..., Path]) -> None:
    root = make_repo(config=CONFIG.replace("cost_spike: {factor: 3, min_amount: 100}",
                                           "cost_spike: {factor: -1, min_amount: 1.0e+30}"))
    code, output = invoke(root, "check")
    assert code == 1
    assert f"review.cost_spike.min_amount: 1e+30 {RANGE}" in output
    assert "review.cost_spike.factor: -1 is not above 0" in output


# --- wide headers and many problems ----------------------------------------------------------


def test_a_header_past_64_kb_is_read_whole(make_repo: Callable[..., Path]) -> None:
    """A duplicate name at the end of a 70 KB header is found (it was read cut at 64 KB,
    which blamed a name cut in two)."""
    names = [f"x_provider_extra_attribute_with_a_rather_long_name_like_some_have_{i:03d}"
             for i in range(990)]
    header = ",".join([HEADER, *names, names[0]])
    assert len(header) > 1 << 16
    text = header + "\n" + row() + "," * (len(names) + 1) + "\n"
    root = make_repo({"periods/2026-10/aws.csv": text})
    assert problems(root) == [f"periods/2026-10/aws.csv:1: column {names[0]} appears twice; "
                              "keep one of them"]


def test_a_header_with_too_many_columns_is_refused_at_once(
    make_repo: Callable[..., Path]
) -> None:
    """150,000 columns (1.6 MB) once took 2.8 GB and 40 s; now one problem, before DuckDB."""
    names = [f"x_{i}" for i in range(150_000)]
    root = make_repo({"periods/2026-10/aws.csv": ",".join([HEADER, *names]) + "\n"})
    started = time.monotonic()
    assert problems(root) == ["periods/2026-10/aws.csv:1: 150,008 columns; a FOCUS file has "
                              "at most 1,000 (FOCUS defines about 50): is the file really FOCUS?"]
    assert time.monotonic() - started < 10


def test_a_header_longer_than_a_row_may_be_is_refused_without_reading_the_file(
    make_repo: Callable[..., Path]
) -> None:
    root = make_repo()
    path = root / "periods" / "2026-10" / "aws.csv"
    path.parent.mkdir(parents=True)
    with path.open("w") as fh:  # 12 MB and no line break
        fh.write(HEADER + ",")
        fh.write("x" * 12_000_000)
    assert problems(root) == ["periods/2026-10/aws.csv:1: the header row is longer than "
                              "10,000,000 bytes; is the file really CSV?"]


def test_at_most_a_screenful_of_problems_per_file(make_repo: Callable[..., Path]) -> None:
    rows = [row(cost="oops", resource=f"i-{i}") for i in range(SCREENFUL + 13)]
    unnamed = ",".join([HEADER, *[""] * 40]) + "\n"
    root = make_repo({"periods/2026-10/aws.csv": csv_file(*rows),
                      "periods/2026-10/hpc.csv": unnamed + row() + "," * 40 + "\n"})
    found = problems(root)
    aws = [p for p in found if p.startswith("periods/2026-10/aws.csv")]
    hpc = [p for p in found if p.startswith("periods/2026-10/hpc.csv")]
    assert len(aws) == len(hpc) == SCREENFUL + 1
    assert aws[0] == ('periods/2026-10/aws.csv:2: BilledCost "oops" is not a number; write a '
                      "plain decimal such as 12.50 (at most 18 decimal places, no currency "
                      "signs, NaN or infinity)")
    assert aws[-1] == "periods/2026-10/aws.csv: … and 13 more like it"
    assert hpc[0] == "periods/2026-10/hpc.csv:1: column 9 has no name"
    assert hpc[-1] == "periods/2026-10/hpc.csv: … and 20 more like it"


# --- messages that say what to do ------------------------------------------------------------


def test_ingest_without_a_period_names_the_first_bad_date(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_repo()
    incoming = tmp_path / "export.csv"
    rows = [row().replace("2026-10-01,2026-11-01", "Oct 1 2026,Nov 1 2026") for _ in range(3)]
    incoming.write_text(csv_file(*rows))
    code, output = invoke(root, "ingest", str(incoming), "-s", "aws")
    assert code == 1
    assert (f'{incoming}:2: BillingPeriodStart "Oct 1 2026" is not a date; use YYYY-MM-DD, '
            "YYYY-MM-DD HH:MM:SS or YYYY-MM-DDTHH:MM:SSZ") in output


@pytest.mark.parametrize(("encoding", "named"), [
    ("utf-16", "UTF-16"), ("utf-16-le", "UTF-16LE"), ("utf-16-be", "UTF-16BE"),
    ("utf-32", "UTF-32"),
])
def test_a_file_in_another_unicode_encoding_is_named_with_how_to_convert_it(
    make_repo: Callable[..., Path], encoding: str, named: str
) -> None:
    root = make_repo()
    path = root / "periods" / "2026-10" / "aws.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(csv_file(row()).encode(encoding))
    if encoding == "utf-32":
        assert path.read_bytes().startswith(codecs.BOM_UTF32_LE)
    assert problems(root) == [
        f"periods/2026-10/aws.csv: {named} text, not UTF-8; export it as UTF-8, or convert "
        f"it with `iconv -f {named} -t UTF-8 FILE > NEW.csv`"]


def test_a_currency_written_as_a_symbol_is_a_problem_not_a_crash(
    make_repo: Callable[..., Path]
) -> None:
    root = make_repo(config=CONFIG.replace('currency: {code: USD, symbol: "$", minor_units: 2}',
                                           'currency: "$"'))
    code, output = invoke(root, "check")
    assert code == 1
    assert output.splitlines() == [
        "error: data/config.yaml: currency: expected a mapping of keys to values",
        "error: data/config.yaml: currency.code: required", "2 problems"]


def read_only_run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess with ``root`` read-only: bind-mounted read-only in a mount
    namespace of its own (as root, whom permissions do not stop), else without write bits."""
    command = [sys.executable, "-m", "generator", *args, "--repo", str(root)]
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in [root, *root.rglob("*")]}
        for p in modes:
            p.chmod(modes[p] & ~0o222)
        try:
            return subprocess.run(command, capture_output=True, text=True, check=False)
        finally:
            for p, mode in modes.items():
                p.chmod(mode)
    if not shutil.which("unshare"):
        pytest.skip("needs unshare (util-linux) to mount the repository read-only")
    result = subprocess.run(
        ["unshare", "-m", "sh", "-c", 'mount --bind -o ro "$0" "$0" && exec "$@"', str(root),
         *command], capture_output=True, text=True, check=False)
    if "mount:" in result.stderr or "unshare:" in result.stderr:
        pytest.skip(f"cannot mount read-only here: {result.stderr.strip()}")
    return result


def test_a_read_only_repository_gets_one_line_per_command_and_is_left_as_it_was(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_repo({"periods/2026-09/aws.csv": csv_file(row("2026-09")),
                      "periods/2026-10/aws.csv": csv_file(
                          row(), row(resource="i-2", tag=tags(project=None)))})
    commit_all(root, "two months")
    pending = loader.load(load_config(root)).con.execute(
        "SELECT charge_id FROM charges WHERE project_id IS NULL").fetchone()[0]  # type: ignore[index]
    incoming = tmp_path / "gcp.csv"
    incoming.write_text(csv_file(row()))
    before = snapshot(root)
    for args, path in [
        (["build", "-p", "2026-10"], "build"),
        (["ingest", str(incoming), "-s", "gcp", "-p", "2026-10"], "periods/2026-10/gcp.csv"),
        (["review", "reject", pending, "--reason", "not ours"], "reviews/2026-10.yaml"),
        (["send", "-p", "2026-10", "--dry-run", "--allow-pending"], "build"),
        (["periods", "close", "2026-09"], "periods/2026-09/period.yaml"),
    ]:
        result = read_only_run(root, *args)
        lines = result.stderr.splitlines()
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert lines[-1] == (f"error: {root / path}: read-only file system; make it writable, "
                             "or work in a writable copy of the repository"), (args, lines)
    assert snapshot(root) == before


# --- a killed build, two builds at once ------------------------------------------------------


def descendants(pid: int) -> set[int]:
    """Every living process below ``pid`` (read from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        children = {p for p, pp in parents.items() if pp == parent}
        todo += children - found
        found |= children
    return found


def alive(pid: int) -> bool:
    """Running (a zombie is not: it waits only to be reaped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists() or (os.cpu_count() or 1) < 2,
                    reason="needs Linux /proc and two cores (statements render in workers)")
def test_a_killed_build_leaves_no_process_and_the_next_build_cleans_up(tmp_path: Path) -> None:
    root = demo_files(tmp_path / "demo")
    commit_all(root, "demo")
    command = [sys.executable, "-m", "generator", "build", "--repo", str(root)]
    build = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        while len(workers) < 4 and time.monotonic() < deadline:  # tracker, server, 2 workers
            time.sleep(0.2)
            workers = descendants(build.pid)
        assert len(workers) >= 4, "the build never started its statement workers"
        assert list((root / "build" / "statements").glob(".*.tmp")), "nothing staged yet"

        second = subprocess.run(command, capture_output=True, text=True, check=False)
        assert second.returncode == 2
        assert second.stderr == ("error: another build, generate, export-journal or send is "
                                 "writing build/ now; wait for it to finish, then run this "
                                 "again\n")
        build.send_signal(signal.SIGKILL)
        build.wait()
        deadline = time.monotonic() + 10
        while any(alive(p) for p in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [p for p in workers if alive(p)], "processes outlived the killed build"
    finally:  # whatever the test found, it leaves nothing running
        build.kill()
        for pid in workers | descendants(build.pid):
            if alive(pid) and b"multiprocessing" in Path(f"/proc/{pid}/cmdline").read_bytes():
                os.kill(pid, signal.SIGKILL)

    staged = [*root.glob("build/**/.*.tmp"), *root.glob("docs/.billing.*.tmp")]
    assert staged, "the killed build left nothing to clean up"
    result = subprocess.run([*command, "-p", "2026-10"], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert not [*root.glob("build/**/.*.tmp"), *root.glob("docs/.billing.*.tmp")]


def test_a_command_writing_build_while_another_holds_the_lock_stops_at_once(
    make_repo: Callable[..., Path]
) -> None:
    root = make_repo({"periods/2026-10/aws.csv": csv_file(row())})
    stale = root / "build" / "statements" / ".2026-10.abc123.tmp"
    stale.mkdir(parents=True)
    lock = root / "build" / ".lock"
    with lock.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        for args in (["build"], ["generate", "-p", "2026-10"],
                     ["export-journal", "-p", "2026-10"], ["send", "-p", "2026-10", "--dry-run"]):
            code, output = invoke(root, *args)
            assert code == 2 and "another build, generate, export-journal or send" in output
        assert stale.is_dir()  # not another's to remove while it runs
    assert invoke(root, "generate", "-p", "2026-10")[0] == 0
    assert not stale.exists()


# --- symbolic links --------------------------------------------------------------------------


@pytest.mark.parametrize("link", ["periods/2026-10/aws.csv", "periods/2026-10",
                                  "reviews/2026-10.yaml", "data/people.yaml", "data",
                                  "data/config.yaml"])
def test_a_symbolic_link_in_the_repository_is_refused_before_it_is_read(
    make_repo: Callable[..., Path], tmp_path: Path, link: str
) -> None:
    root = make_repo({"periods/2026-10/aws.csv": csv_file(row()),
                      "reviews/2026-10.yaml": "[]\n", "data/people.yaml": "{}\n"})
    outside = tmp_path / "outside"
    shutil.move(root / link, outside)
    (root / link).symlink_to(outside)
    code, output = invoke(root, "check")
    assert code == 1
    assert output.splitlines() == [
        f"error: {link}: a symbolic link (to {outside}); links may lead outside the repository, "
        "so none is followed in data/, periods/ or reviews/: put the file or folder itself here"]


def test_a_config_file_given_with_c_may_be_a_link(make_repo: Callable[..., Path],
                                                  tmp_path: Path) -> None:
    root = make_repo({"periods/2026-10/aws.csv": csv_file(row())})
    outside = tmp_path / "config.yaml"
    shutil.move(root / "data" / "config.yaml", outside)
    (root / "data" / "config.yaml").symlink_to(outside)
    assert invoke(root, "check", "-c", str(root / "data" / "config.yaml"))[0] == 0


# --- what the fuzz tests found ---------------------------------------------------------------


@pytest.mark.parametrize(("name", "old", "new", "said"), [
    ("data/config.yaml", 'pattern: "^p4d"', 'pattern: "(?<=x)p4d"',
     "review.patterns[0].pattern: DuckDB cannot run this regular expression"),
    ("data/config.yaml", 'pattern: "^p4d"', 'pattern: "a{99999999999999999999}"',
     "review.patterns[0].pattern: not a valid regular expression"),
    ("data/config.yaml", '      pattern: "^p4d"\n', "", "review.patterns[0].pattern: required"),
    ("data/config.yaml", "organization:", "\x00organization:",
     "data/config.yaml:1: character U+0000 is not allowed in YAML; remove it"),
    ("data/people.yaml", "", "ada@test.edu: {name: Ada, department: 1}\n"
     "bob@test.edu: {name: Bob, department: Physics}\n", None),
])
def test_config_files_that_once_crashed_the_loader(
    make_repo: Callable[..., Path], name: str, old: str, new: str, said: str | None
) -> None:
    root = make_repo({"periods/2026-10/aws.csv": csv_file(row())})
    path = root / name
    text = path.read_text() if path.exists() else ""
    path.write_text(text.replace(old, new) if old else new)
    code, output = invoke(root, "check")
    if said is None:
        assert code == 0, output
    else:
        assert code == 1 and said in output, output


def test_an_empty_delivery_log_entry_is_a_problem(make_repo: Callable[..., Path]) -> None:
    from generator.read.deliveries import read_log

    root = make_repo({"periods/2026-10/deliveries.yaml": "deliveries:\n- null\n"})
    with pytest.raises(DataError, match=r"deliveries\[0\]: empty; remove it"):
        read_log(load_config(root), "2026-10")
