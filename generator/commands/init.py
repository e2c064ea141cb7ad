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
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from generator.commands.output import Output
from generator.common.errors import UsageError
from generator.common.git import git, run
from generator.common.shipped import PACKAGE, copy_shipped, copy_tree, shipped_root

SKELETON = PACKAGE / "skeleton"
RENAMED = {"gitignore": ".gitignore"}
COMMIT_MESSAGE = "Start a billing repository (openchargeback init)"


def requirement() -> str:
    try:
        return f"openchargeback=={version('openchargeback')}"
    except PackageNotFoundError:
        return "openchargeback"


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
    """git, which must succeed while ``init`` runs: its own message otherwise."""
    result = run(root, *args)
    if result is None or result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip() if result else "not installed"
        raise UsageError(f"git {' '.join(args)} failed: {message}")
    return result.stdout.decode().strip()


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


def main(directory: Path) -> Output:
    commit_id = init(directory)
    output = Output()
    output.say(f"created {directory} (git commit {commit_id[:10]}); next: edit "
               "data/config.yaml, then `openchargeback check`")
    return output
