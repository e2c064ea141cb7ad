"""``convert slurm|storage FILE -p YYYY-MM``: on-premises usage to FOCUS, written into the
period (which must be open) or to ``-o FILE``."""

from __future__ import annotations

from pathlib import Path

from generator.commands.output import Output, count
from generator.common.errors import UsageError
from generator.common.money import exact
from generator.common.months import is_period
from generator.read.config import Config, load_config
from generator.read.convert import (
    ConvertResult,
    convert_slurm,
    convert_storage,
    load_slurm_rates,
    load_storage_rates,
)
from generator.warehouse import periods


def convert(
    kind: str, repo: Path, file: Path, period: str, output: Path | None, skip_bad: bool
) -> Output:
    r = convert_file(kind, repo.resolve(), file, period, output, skip_bad)
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


def convert_file(
    kind: str, root: Path, file: Path, period: str, out: Path | None = None, skip_bad: bool = False
) -> ConvertResult:
    """Convert ``file`` (``kind``: slurm or storage) for ``period``, priced by
    ``data/rates/<kind>.yaml``, into ``out`` or else ``periods/YYYY-MM/<source>.csv``."""
    if not is_period(period):
        raise UsageError(f"period {period!r} is not YYYY-MM, e.g. 2026-10")
    config = load_config(root)
    rate_file = config.root / "data" / "rates" / f"{kind}.yaml"
    if kind == "slurm":
        slurm = load_slurm_rates(rate_file)
        out = out or _into_period(config, period, slurm.source)
        return convert_slurm(config, slurm, file, period, out, skip_bad)
    storage = load_storage_rates(rate_file)
    out = out or _into_period(config, period, storage.source)
    return convert_storage(config, storage, file, period, out, skip_bad)


def _into_period(config: Config, period: str, source: str) -> Path:
    """``periods/YYYY-MM/<source>.csv``, when the period is open."""
    periods.require_open(config, period, f"write {source}.csv")
    return config.periods_dir / period / f"{source}.csv"
