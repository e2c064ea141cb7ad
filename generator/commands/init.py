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
written to install exactly the OpenChargeback that ran ``init`` (``requirement``).
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

from generator.commands.output import Output
from generator.common.errors import UsageError
from generator.common.git import git, run
from generator.common.shipped import PACKAGE, copy_shipped, copy_tree, shipped_root

SKELETON = PACKAGE / "skeleton"
RENAMED = {"gitignore": ".gitignore"}
# The hand-written docs are the demo repository's: what is true only there is marked, and
# what a new repository says instead is kept in a comment.
DEMO_ONLY = re.compile(r"<!-- demo -->.*?<!-- /demo -->\n?", re.S)
NEW_REPO = re.compile(r"<!-- new repo:\s?(.*?)\s?-->", re.S)

COMMIT_MESSAGE = "Start a billing repository (openchargeback init)"


def requirement(target: Path) -> str:
    """The line of ``requirements.txt`` that installs this very OpenChargeback in the new
    repository's CI (docs/admin/getting-started.md, "Which version CI installs").

    Run from a source checkout (an editable install), or installed from a local file, it is
    out of CI's reach: its wheel goes into the repository (``vendor/``) and is installed
    from there. Otherwise its ``direct_url.json`` (PEP 610) says where it came from: none, a
    package index, which serves it again by version; a git URL, pinned to its commit; any
    other URL, as it is.
    """
    if (PACKAGE.parent / "pyproject.toml").is_file():
        return _vendored(PACKAGE.parent, target)
    found = sorted(PACKAGE.parent.glob("openchargeback-*.dist-info"))
    if not found:
        return "openchargeback"
    version = found[-1].name.removeprefix("openchargeback-").removesuffix(".dist-info")
    direct_url = found[-1] / "direct_url.json"
    if not direct_url.is_file():
        return f"openchargeback=={version}"
    direct = json.loads(direct_url.read_text(encoding="utf-8"))
    url = direct["url"]
    if "vcs_info" in direct:
        vcs = direct["vcs_info"]
        return f"openchargeback @ {vcs['vcs']}+{url}@{vcs['commit_id']}"
    if url.startswith("file:"):
        return _vendored(Path(url2pathname(urlparse(url).path)), target)
    return f"openchargeback @ {url}"


def _vendored(local: Path, target: Path) -> str:
    """A local wheel, or the wheel built from a local source tree, in ``target/vendor/``."""
    vendor = target / "vendor"
    vendor.mkdir(parents=True, exist_ok=True)
    if local.is_file():
        shutil.copy2(local, vendor / local.name)
        return f"./vendor/{local.name}"
    isolation = [] if importlib.util.find_spec("setuptools") is None else ["--no-build-isolation"]
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", *isolation, "-w", str(vendor),
         str(local)], capture_output=True, text=True, check=False)
    wheels = sorted(vendor.glob("openchargeback-*.whl"))
    if result.returncode != 0 or not wheels:
        raise UsageError(f"cannot build the wheel of {local} for the new repository's CI: "
                         f"{result.stderr.strip()[-300:]}")
    return f"./vendor/{wheels[-1].name}"


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
        for page in (staged / "docs").rglob("*.md"):
            text = page.read_text(encoding="utf-8")
            page.write_text(NEW_REPO.sub(r"\1", DEMO_ONLY.sub("", text)), encoding="utf-8")
        copy_tree(SKELETON, staged)
        for old, new in RENAMED.items():
            (staged / old).rename(staged / new)
        (staged / "requirements.txt").write_text(
            "# What the billing workflows (.github/workflows/) install: this OpenChargeback,\n"
            "# pinned. To move to another version, see docs/admin/getting-started.md.\n"
            f"{requirement(staged)}\n",
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
