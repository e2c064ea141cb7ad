"""The lock of the outputs: one command at a time writes build/ (and the site's pages)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from generator.common.files import exclusive, remove_staging
from generator.read.config import Config
from generator.render.site import docs_dir


@contextmanager
def writing_outputs(cfg: Config) -> Iterator[None]:
    """Hold ``build/.lock`` while a command writes build/ (and the site's docs/billing/): a
    second one at the same time stops at once, saying why. What a killed run left there
    half-written (staging folders, temporary files) is removed first. A command that writes
    nothing (a problem stopped it) leaves no build/ that was not there."""
    lock = cfg.build_dir / ".lock"
    made = not cfg.build_dir.exists()
    with exclusive(lock, "another build, generate, export-journal or send is writing build/ "
                   "now; wait for it to finish, then run this again"):
        try:
            remove_staging(cfg.build_dir)
            remove_staging(docs_dir(cfg), ".billing.*.tmp")
            yield
        finally:
            if made and list(cfg.build_dir.iterdir()) == [lock]:
                lock.unlink()
                cfg.build_dir.rmdir()
