"""A content-addressed cache of finalized months' statements, in ``.cache/`` (git-ignored).

A finalized month's statements (Markdown, PDF, CSV) are determined by its frozen record, the
trailing months its trend chart shows, the statement templates, the presentation settings
(organization, currency, logo, source and registry names) and the code. ``key`` hashes all of
them; a build that finds the key reuses the statements as they were rendered, and renders
(and stores) them only when one of those changed. A fresh clone has no cache: it renders
once, the same bytes. The shipped workflows keep ``.cache/`` between runs.

An entry is ``.cache/statements/<key>/``: ``files/`` (the period's statement folder as
written) and ``statements.json`` (what the site and email stages need of each statement).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from generator.common.files import link_or_copy, replace_dir, staging_dir
from generator.common.shipped import PACKAGE
from generator.read.config import Config

FOLDER = ".cache"
VERSION = "statements-1"
CODE = ("*.py", "*.sql", "*.sql.j2")


def entry(cfg: Config, key: str) -> Path:
    return cfg.root / FOLDER / "statements" / key


def key(parts: Iterable[object]) -> str:
    """The SHA-256 of the parts (their text, each closed by a separator), with the code's."""
    digest = hashlib.sha256(f"{VERSION}\x1e{code()}\x1e".encode())
    for part in parts:
        digest.update(str(part).encode("utf-8", "surrogatepass") + b"\x1e")
    return digest.hexdigest()


@cache
def code() -> str:
    """The SHA-256 of the generator's code and SQL (a new version renders again)."""
    digest = hashlib.sha256()
    for pattern in CODE:
        for path in sorted(PACKAGE.rglob(pattern)):
            digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def files(dirs: tuple[Path, ...]) -> str:
    """The SHA-256 of the statement templates as they are used: each file directly in the
    template folders, the first folder's copy of a name winning (as Jinja loads them)."""
    chosen: dict[str, Path] = {}
    for folder in dirs:
        for path in sorted(folder.iterdir()) if folder.is_dir() else ():
            if path.is_file():
                chosen.setdefault(path.name, path)
    digest = hashlib.sha256()
    for name, path in sorted(chosen.items()):
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def restore(cfg: Config, digest: str, target: Path) -> list[dict[str, Any]] | None:
    """The cached statements of ``digest`` linked into ``target`` (replaced whole; hard
    links, as the files are only ever replaced, never edited), and their manifest; None
    when the cache does not have them."""
    found = entry(cfg, digest)
    manifest = found / "statements.json"
    if not manifest.is_file():
        return None
    staged = staging_dir(target)
    try:
        shutil.copytree(found / "files", staged, dirs_exist_ok=True, copy_function=link_or_copy)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    replace_dir(staged, target)
    return list(json.loads(manifest.read_text(encoding="utf-8")))


def store(cfg: Config, digest: str, source: Path, manifest: list[dict[str, Any]]) -> None:
    """Keep a period's statement folder and its manifest under ``digest`` (a whole entry or
    none: written aside, then moved into place)."""
    final = entry(cfg, digest)
    staged = staging_dir(final)
    try:
        shutil.copytree(source, staged / "files", copy_function=link_or_copy)
        (staged / "statements.json").write_text(json.dumps(manifest, indent=1),
                                                encoding="utf-8")
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    replace_dir(staged, final)
