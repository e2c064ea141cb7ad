"""KnownHashes: a file's hash is remembered by its stat, and any change to the file is seen."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from generator.common import files
from generator.common.files import KnownHashes


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every file KnownHashes actually reads."""
    read: list[Path] = []
    real = files.sha256

    def sha256(path: Path) -> str:
        read.append(path)
        return real(path)

    monkeypatch.setattr(files, "sha256", sha256)
    monkeypatch.setattr(KnownHashes, "RACY", 0.0)
    return read


def test_an_unchanged_file_is_not_read_again(tmp_path: Path, counted: list[Path]) -> None:
    data = tmp_path / "aws.csv"
    data.write_bytes(b"a,b\n1,2\n")
    store = tmp_path / ".cache" / "hashes.json"
    first = KnownHashes(store)
    assert first.sha256(data) == hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    first.save()
    again = KnownHashes(store)
    assert again.sha256(data) == hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    assert counted == [data]  # the second run took the remembered hash


def test_a_change_of_the_same_size_and_times_is_seen(tmp_path: Path, counted: list[Path]
                                                     ) -> None:
    data = tmp_path / "aws.csv"
    data.write_bytes(b"a,b\n1,2\n")
    store = tmp_path / "hashes.json"
    hashes = KnownHashes(store)
    hashes.sha256(data)
    hashes.save()
    before = data.stat()
    data.write_bytes(b"a,b\n9,2\n")  # the same size
    os.utime(data, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the old times
    assert KnownHashes(store).sha256(data) == hashlib.sha256(b"a,b\n9,2\n").hexdigest()
    assert counted == [data, data]


def test_a_file_changed_just_now_is_not_remembered(tmp_path: Path) -> None:
    data = tmp_path / "aws.csv"
    data.write_bytes(b"x")
    hashes = KnownHashes(tmp_path / "hashes.json")  # RACY as shipped: 2 s
    hashes.sha256(data)
    hashes.save()
    assert not (tmp_path / "hashes.json").exists()


@pytest.mark.parametrize("stored", [b"not json", b"[1, 2]", b'{"x": 5}'])
def test_a_broken_store_is_an_empty_one(tmp_path: Path, counted: list[Path], stored: bytes
                                        ) -> None:
    data = tmp_path / "x"
    data.write_bytes(b"x")
    store = tmp_path / "hashes.json"
    store.write_bytes(stored.replace(b'"x"', repr(str(data)).replace("'", '"').encode()))
    assert KnownHashes(store).sha256(data) == hashlib.sha256(b"x").hexdigest()
    assert counted == [data]


def test_link_or_copy_links_and_replaces(tmp_path: Path) -> None:
    source, target = tmp_path / "a.pdf", tmp_path / "out" / "a.pdf"
    source.write_bytes(b"%PDF")
    target.parent.mkdir()
    target.write_bytes(b"old")
    files.link_or_copy(source, target)
    assert target.read_bytes() == b"%PDF"
    assert target.stat().st_ino == source.stat().st_ino  # no byte copied


def test_link_or_copy_copies_where_no_link_can_be_made(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def cross_device(*_: object) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", cross_device)
    source, target = tmp_path / "a.csv", tmp_path / "b.csv"
    source.write_bytes(b"x,y\n")
    files.link_or_copy(source, target)
    assert target.read_bytes() == b"x,y\n"
    assert target.stat().st_ino != source.stat().st_ino
