"""Where things live in a billing repository, and the input files found there.

::

    data/config.yaml, people.yaml, projects.yaml, accounts.yaml, rates/
    periods/YYYY-MM/<source>.csv|.csv.gz|.parquet   a period's FOCUS files (stem = source)
    periods/YYYY-MM/corrections/<source>.csv        rows written by `correct`
    periods/YYYY-MM/period.yaml                     status and finalization record
    periods/YYYY-MM/deliveries.yaml                 what `send` emailed
    reviews/YYYY-MM.yaml                            the billing team's decisions
    reviews/YYYY-MM/<department>.yaml               a department's decisions
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from generator.common.errors import Problem
from generator.common.files import slug
from generator.common.months import is_period
from generator.read.config import Config
from generator.read.focus import FocusFile, focus_suffix

IGNORED_SUFFIXES = (".yaml", ".yml", ".md", ".txt")
CORRECTIONS = "corrections"  # periods/YYYY-MM/corrections/SOURCE.csv: rows written by `correct`


def known_hashes(cfg: Config) -> Path:
    """``.cache/hashes.json`` (git-ignored): input files' SHA-256, remembered by their stat."""
    return cfg.root / ".cache" / "hashes.json"


def period_folder(cfg: Config, period: str) -> Path:
    return cfg.periods_dir / period


def period_record(cfg: Config, period: str) -> Path:
    """``periods/YYYY-MM/period.yaml``: the period's status and finalization record."""
    return cfg.periods_dir / period / "period.yaml"


def delivery_log(cfg: Config, period: str) -> Path:
    """``periods/YYYY-MM/deliveries.yaml``: what was emailed for the period."""
    return cfg.periods_dir / period / "deliveries.yaml"


def review_path(cfg: Config, period: str) -> Path:
    return cfg.reviews_dir / f"{period}.yaml"


def department_key(department: str) -> str:
    """A department's review file stem: ``Computer Science`` → ``computer-science``."""
    return slug(department, fallback="").lower()


def department_path(cfg: Config, period: str, department: str) -> Path:
    return cfg.reviews_dir / period / f"{department_key(department)}.yaml"


def review_files(cfg: Config, period: str) -> list[Path]:
    """The review files of a period that exist: reviews/P.yaml, then reviews/P/*.yaml."""
    main = review_path(cfg, period)
    folder = cfg.reviews_dir / period
    departments = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    return [main] * main.is_file() + departments


def review_keys(cfg: Config, period: str) -> dict[str, Path]:
    """The period's review files by their path from the repo root."""
    return {path.relative_to(cfg.root).as_posix(): path for path in review_files(cfg, period)}


def file_key(f: FocusFile) -> str:
    """A FOCUS file's name within its period folder: ``aws.csv``, ``corrections/aws.csv``."""
    return f.shown.removeprefix(f"periods/{f.period}/")


def period_files(cfg: Config, periods: Iterable[str] | None = None) -> tuple[
    list[str], list[FocusFile], list[Problem]
]:
    """Every period folder (or the ones asked for) and its FOCUS files."""
    problems: list[Problem] = []
    found: list[str] = []
    if cfg.periods_dir.is_dir():
        for folder in sorted(cfg.periods_dir.iterdir()):
            if folder.is_dir() and is_period(folder.name):
                found.append(folder.name)
            elif not folder.name.startswith("."):
                problems.append(
                    Problem(f"periods/{folder.name}", "not a period folder; name it YYYY-MM")
                )
    wanted = sorted(set(periods)) if periods else found
    for period in wanted:
        if not is_period(period):
            problems.append(Problem(period, "a period is written YYYY-MM"))
    files: list[FocusFile] = []
    for period in wanted:
        folder = cfg.periods_dir / period
        for place, correction in ((folder, False), (folder / CORRECTIONS, True)):
            if place.is_dir():
                found_files, found_problems = folder_files(place, period, correction)
                files += found_files
                problems += found_problems
    return [p for p in wanted if is_period(p)], files, problems


def folder_files(
    folder: Path, period: str, correction: bool
) -> tuple[list[FocusFile], list[Problem]]:
    """The FOCUS files of one folder, one per source (the file stem)."""
    files: list[FocusFile] = []
    problems: list[Problem] = []
    prefix = f"periods/{period}/" + (f"{CORRECTIONS}/" if correction else "")
    seen: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.is_dir():
            continue
        shown = prefix + path.name
        suffix = focus_suffix(path)
        if suffix is None:
            if correction or not path.name.lower().endswith(IGNORED_SUFFIXES):
                problems.append(Problem(shown, "not a FOCUS file; use .csv, .csv.gz or .parquet"))
            continue
        source = path.name[: -len(suffix)]
        if source in seen:
            problems.append(
                Problem(shown, f"source {source} has two files ({seen[source].name}); keep one")
            )
            continue
        seen[source] = path
        files.append(FocusFile(path, source, period, shown, correction))
    return files, problems
