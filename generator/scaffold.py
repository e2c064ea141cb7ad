"""``init DIR``: a new, empty billing repository, committed to git, that checks and builds.

A new repo is made of two parts:

* the skeleton, ``generator/skeleton/``: what a new repo has and this (demo) repo does not
  in the same form: a commented config, empty people and projects, empty ``periods/`` and
  ``reviews/``, a README, a commented CODEOWNERS example and ``gitignore`` (renamed
  ``.gitignore``, so git does not read it as this repo's own);
* the shipped files, ``SHIPPED``: the product's site templates, site config, hand-written
  docs and billing workflows, kept once, at the top of this repository, where the demo
  repo uses them.

Both must be there in a wheel. ``setup.py`` copies them into the package at build time
(``generator/skeleton/`` and ``generator/shipped/``); in a source checkout or an editable
install they are read where they are. ``requirements.txt`` (what the workflows install) is
written with the installed version pinned.
"""

from __future__ import annotations

import shutil
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from .errors import UsageError
from .files import git

PACKAGE = Path(__file__).resolve().parent
SKELETON = PACKAGE / "skeleton"
SHIPPED = (
    "site_templates",
    "mkdocs.yml",
    "docs",
    ".github/workflows/check.yml",
    ".github/workflows/publish.yml",
)
NOT_SHIPPED = ("billing", "__pycache__")  # generated pages, caches
RENAMED = {"gitignore": ".gitignore"}
COMMIT_MESSAGE = "Start a billing repository (openchargeback init)"


def shipped_root() -> Path:
    """Where the shipped files are: inside the package (a wheel), or the source checkout."""
    packaged = PACKAGE / "shipped"
    return packaged if packaged.is_dir() else PACKAGE.parent


def requirement() -> str:
    try:
        return f"openchargeback=={version('openchargeback')}"
    except PackageNotFoundError:
        return "openchargeback"


def copy_tree(source: Path, target: Path) -> None:
    ignore = shutil.ignore_patterns(*NOT_SHIPPED)
    if source.is_dir():
        shutil.copytree(source, target, ignore=ignore, dirs_exist_ok=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def copy_shipped(root: Path, target: Path) -> None:
    """Each of ``SHIPPED`` that ``root`` has, copied to the same place under ``target``."""
    for name in SHIPPED:
        if (root / name).exists():
            copy_tree(root / name, target / name)


def init(target: Path) -> str:
    """Create the billing repo at ``target`` and commit it; returns the commit."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(f"{target} exists and is not empty; give a new folder")
    if shutil.which("git") is None:
        raise UsageError("git is not installed; a billing repository is a git repository")
    staged = target.with_name(f".{target.name}.init")
    if staged.exists():
        shutil.rmtree(staged)
    try:
        copy_shipped(shipped_root(), staged)
        copy_tree(SKELETON, staged)
        for old, new in RENAMED.items():
            (staged / old).rename(staged / new)
        (staged / "requirements.txt").write_text(
            "# What the billing workflows (.github/workflows/) install.\n"
            f"{requirement()}\n",
            encoding="utf-8",
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            target.rmdir()
        staged.rename(target)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return commit(target)


def _git(root: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    if result.returncode != 0:
        raise UsageError(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout.strip()


def commit(root: Path) -> str:
    """``git init`` on main and a first commit; a local identity only if git has none."""
    _git(root, "init", "-q")
    _git(root, "symbolic-ref", "HEAD", "refs/heads/main")
    for key, default in (("user.name", "OpenChargeback"), ("user.email", "billing@localhost")):
        if not git(root, "config", key):  # None or "": git has none
            _git(root, "config", key, default)
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", COMMIT_MESSAGE)
    return _git(root, "rev-parse", "HEAD")
