"""Files: whole files or nothing, names that stay in their folder, file hashes, and paths as
messages show them."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, BinaryIO

from generator.common.errors import UsageError


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then move it into place, with
    the rights any new file of the user gets (mkstemp makes the temporary file private)."""
    with _replacing(path) as fh:
        fh.write(data)


def atomic_copy(source: Path, path: Path) -> None:
    """Copy ``source`` to ``path`` as ``atomic_write`` writes: whole or not at all."""
    with _replacing(path) as fh, source.open("rb") as src:
        shutil.copyfileobj(src, fh)


@contextmanager
def _replacing(path: Path) -> Iterator[BinaryIO]:
    """A new file to write, moved into place of ``path`` once written, removed if not. An
    OSError names ``path``, not the temporary file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
        os.chmod(tmp, 0o666 & ~umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def link_or_copy(source: str | Path, target: str | Path) -> None:
    """``target`` as the same file as ``source``: a hard link, so no byte is copied, or a
    copy where no link can be made (another file system). For outputs only, which every
    writer here replaces whole (a new file moved into place), never edits in place."""
    Path(target).unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def replace_dir(staged: Path, final: Path) -> None:
    """Swap a completely written folder into place of ``final``."""
    final.parent.mkdir(parents=True, exist_ok=True)
    old = final.with_name(f".{final.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if final.exists():
        final.rename(old)
    staged.rename(final)
    if old.exists():
        shutil.rmtree(old)


def staging_dir(final: Path) -> Path:
    """A fresh temporary folder beside ``final`` (same file system, so rename works)."""
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        staged = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}.", suffix=".tmp"))
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(final)) from exc
    staged.chmod(0o777 & ~umask())  # mkdtemp makes it private; the folder it replaces was not
    return staged


def symlinks(root: Path, folders: Iterable[str]) -> list[Path]:
    """Every symbolic link at or under ``root/FOLDER`` for each of ``folders`` (links to
    folders are not followed)."""

    def under(folder: str) -> Iterator[Path]:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_symlink():
                    yield Path(entry.path)
                elif entry.is_dir():
                    yield from under(entry.path)

    found: list[Path] = []
    for name in folders:
        top = root / name
        if top.is_symlink():
            found.append(top)
        elif top.is_dir():
            found += under(str(top))
    return sorted(found)


def remove_staging(folder: Path, pattern: str = "**/.*.tmp") -> None:
    """Remove what a killed run left half-written in ``folder``: staging folders and
    temporary files (named ``.NAME.*.tmp`` by ``staging_dir`` and ``atomic_write``) that
    match ``pattern``. Only under a lock that keeps every other writer out."""
    for path in sorted(folder.glob(pattern)):  # a folder before what is in it
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:  # a file, or gone with its folder
            path.unlink(missing_ok=True)


@contextmanager
def exclusive(path: Path, busy: str) -> Iterator[None]:
    """Hold an exclusive lock on the file ``path`` (made if missing) while the block runs;
    when another process holds it, raise UsageError(``busy``) at once. The system releases
    the lock when the process ends, however it ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(busy) from None
        yield


def umask() -> int:
    """The process's umask (reading it means setting it, so it is set back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class KnownHashes:
    """SHA-256 of files, remembered in ``store`` (a JSON file) by each file's size, inode,
    modification and change times, as git's index remembers them: a file is hashed again
    when any of them differs. Any write to a file, and any change of its times, moves its
    change time, which no user can set; a file changed less than ``RACY`` seconds before it
    was hashed is not remembered (it could change again within the same tick). ``save``
    keeps the files asked about since loading, so files gone are forgotten. A store that
    cannot be read is an empty one; one that cannot be written is left as it was."""

    RACY = 2.0

    def __init__(self, store: Path) -> None:
        self.store = store
        try:
            known = json.loads(store.read_text(encoding="utf-8"))
            self.known: dict[str, list[Any]] = known if isinstance(known, dict) else {}
        except (OSError, ValueError):
            self.known = {}
        self.loaded = dict(self.known)
        self.asked: set[str] = set()

    def sha256(self, path: Path) -> str:
        st = path.stat()
        stamp = [st.st_size, st.st_ino, st.st_mtime_ns, st.st_ctime_ns]
        name = str(path.absolute())
        self.asked.add(name)
        entry = self.known.get(name)
        if isinstance(entry, list) and entry[:4] == stamp and isinstance(entry[-1], str):
            return entry[-1]
        digest = sha256(path)
        if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > self.RACY * 1e9:
            self.known[name] = [*stamp, digest]
        else:
            self.known.pop(name, None)
        return digest

    def save(self) -> None:
        keep = {name: self.known[name] for name in self.asked if name in self.known}
        if keep != self.loaded:
            with suppress(OSError):  # a read-only checkout: hashed again next time
                atomic_write(self.store, json.dumps(keep, sort_keys=True).encode())


def shown(root: Path, path: Path) -> str:
    """``path`` as messages and logs print it: relative to ``root`` when inside it."""
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()



def slug(value: str | None, fallback: str = "unassigned") -> str:
    """A file-name-safe form of an ID: cannot contain separators or start with a dot."""
    text = unicodedata.normalize("NFKD", value or "").encode("ascii", "ignore").decode()
    text = re.sub(r"[^A-Za-z0-9@._+-]+", "-", text).strip("-.")
    return text[:120] or fallback
