"""A progress bar on standard error for long work, quiet when it is not a terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

T = TypeVar("T")


def progress(
    items: Iterable[T], description: str, label: Callable[[T], str] | None = None
) -> Iterator[T]:
    items = list(items)
    if not sys.stderr.isatty() or len(items) < 2:
        yield from items
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[item]}"),
    )
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task(description, total=len(items), item="")
        for item in items:
            bar.update(task, item=label(item) if label else "")
            yield item
            bar.advance(task)
