"""The one way git is run: its output, or None when git or the repository is missing."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git(root: Path, *args: str) -> str | None:
    """A git command's standard output (stripped) in ``root``; None when it fails or git is
    not installed."""
    done = run(root, *args)
    return done.stdout.decode("utf-8", "replace").strip() if done and done.returncode == 0 \
        else None


def run(root: Path, *args: str) -> subprocess.CompletedProcess[bytes] | None:
    """A git command in ``root`` with its exit code, output and errors as bytes (None when
    git is not installed), for callers that need git's message or binary output."""
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False)
    except OSError:
        return None


def user_name(root: Path) -> str:
    """Who acts, for the audit trail: git's user.name, else the login name."""
    import getpass
    import os

    return git(root, "config", "user.name") or os.environ.get("USER") or getpass.getuser()
