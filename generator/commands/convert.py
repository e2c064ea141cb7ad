"""``convert slurm|storage FILE -p YYYY-MM``: on-premises usage to FOCUS, written into the
period (which must be open) or to ``-o FILE``."""

from __future__ import annotations

from pathlib import Path

from generator.commands.output import Output, count
from generator.common.money import exact
from generator.read import convert as converters


def convert(kind: str, repo: Path, file: Path, period: str, output: Path | None,
            skip_bad: bool) -> Output:
    run = converters.convert_slurm if kind == "slurm" else converters.convert_storage
    r = run(repo.resolve(), file, period, output, skip_bad)
    said = Output()
    for problem in r.skipped:
        said.warn(f"skipped: {problem}")
    if r.skipped_count > len(r.skipped):
        said.warn(f"skipped {count(r.skipped_count - len(r.skipped), 'more bad line')}")
    said.say(f"wrote {r.output}: {count(r.rows, 'row')} from {count(r.lines, 'line')}, list "
             f"{exact(r.list_total)}, billed {exact(r.billed_total)}")
    if r.unmapped:
        said.say("no mapping in data/accounts.yaml: " + ", ".join(r.unmapped))
    return said
