"""Slurm: a ``sacct --parsable2 --allocations`` dump, priced by ``data/rates/slurm.yaml``,
to FOCUS rows per Slurm account, partition, priced resource and rate in effect."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any

from generator.common import files
from generator.common.errors import DataError, Problem, at
from generator.common.months import bounds
from generator.read.config import Config
from generator.read.convert.rates import Attribution, SlurmRates, load_accounts
from generator.read.convert.shared import (
    FOCUS_COLUMNS,
    ConvertResult,
    Report,
    base_row,
    iso,
    not_utf8,
    priced_row,
    result,
    write_csv,
)

SACCT_FIELDS = (
    "JobID",
    "User",
    "Account",
    "Partition",
    "AllocTRES",
    "ElapsedRaw",
    "State",
    "Start",
    "End",
)
SACCT_COMMAND = "sacct --format=" + ",".join(SACCT_FIELDS) + " (see docs/sources/slurm.md)"
NO_TIME = frozenset({"Unknown", "None", ""})  # sacct's Start or End when there is none
_DAY = 86400
SLURM_COLUMNS = (*FOCUS_COLUMNS, "x_JobCount", "x_SubsidyPercent")


def convert_slurm(
    config: Config,
    rates: SlurmRates,
    file: Path,
    period: str,
    out: Path,
    skip_bad: bool = False,
) -> ConvertResult:
    """Price the jobs of a ``sacct`` dump for ``period`` (``YYYY-MM``) and write them as
    FOCUS to ``out``."""
    start, end = bounds(period)
    accounts = load_accounts(config)
    shown = files.shown(config.root, file)
    usage, report = _read_sacct(file, shown, rates, _seconds(start), _seconds(end))
    if report.problems and not skip_bad:
        raise DataError(report.shown_problems(shown))

    rows: list[dict[str, str]] = []
    base = base_row(config, rates.source, rates.provider, start, end)
    unmapped: set[str] = set()
    charges = [
        (account, part_key, index, acc[0], acc[1], acc[2])
        for (part_key, index), by_account in usage.items()
        for account, acc in by_account.items()
    ]
    for account, part_key, index, cpu_seconds, gpu_seconds, jobs in sorted(charges):
        partition = rates.partitions[part_key]
        rate = partition.rates[index]
        charge_start = max(start, rate.effective) if rate.effective else start
        following = (
            partition.rates[index + 1].effective if index + 1 < len(partition.rates) else None
        )
        charge_end = min(end, following) if following else end
        who = accounts.get(account)
        if who is None:
            unmapped.add(account)
        for unit, label, price, seconds in (
            ("Core-Hours", "core-hours", rate.cpu_hour, cpu_seconds),
            ("GPU-Hours", "GPU-hours", rate.gpu_hour, gpu_seconds),
        ):
            if price is None or not seconds:
                continue
            resource = "cpu" if unit == "Core-Hours" else "gpu"
            since = f", rate from {rate.effective:%Y-%m-%d}" if rate.effective else ""
            plural = "" if jobs == 1 else "s"
            row = priced_row(base, seconds, 3600, price, rate.subsidy_percent)
            row.update(
                ChargePeriodStart=iso(charge_start),
                ChargePeriodEnd=iso(charge_end),
                ChargeDescription=(
                    f"{partition.name} {label} for Slurm account {account} "
                    f"({jobs} job{plural}{since})"
                ),
                ServiceCategory=rates.service_category,
                ServiceSubcategory=rates.service_subcategory,
                ServiceName=partition.name,
                SubAccountId=account,
                SubAccountName=account,
                ResourceId=part_key,
                ResourceType="Slurm partition",
                SkuId=f"{part_key}-{resource}",
                SkuPriceId=f"{part_key}-{resource}-"
                + (f"{rate.effective:%Y-%m-%d}" if rate.effective else "base"),
                PricingUnit=unit,
                ConsumedUnit=unit,
                Tags=(who or Attribution()).tags(),
                x_JobCount=str(jobs),
            )
            rows.append(row)
    write_csv(out, SLURM_COLUMNS, rows)
    return result(out, rows, unmapped, report, skip_bad, shown)


_Usage = dict[tuple[str, int], dict[str, list[int]]]  # (partition, rate index) → by account


def _read_sacct(
    file: Path, shown: str, rates: SlurmRates, period_start: int, period_end: int
) -> tuple[_Usage, Report]:
    """Sum core-seconds and GPU-seconds per (account, partition, rate) within the period.

    A job's time is ``[Start, Start + ElapsedRaw)`` in the cluster's local time; the part of
    it inside the period (and inside each rate's validity) is what is charged. Time comes
    from ``ElapsedRaw`` rather than ``End`` so that a month's share never depends on clock
    changes, and a job's months add up to its elapsed time exactly.
    """
    report = Report()
    # Per partition, the rate segments that overlap the period: (from, to, usage by account)
    # where usage is [core-seconds, GPU-seconds, jobs].
    segments: dict[str, list[tuple[int, int, dict[str, list[int]]]]] = {}
    usage: _Usage = {}
    for key, partition in rates.partitions.items():
        starts = [_seconds(r.effective) if r.effective else period_start for r in partition.rates]
        ends = [*starts[1:], period_end]
        segments[key] = []
        for i, (lo, hi) in enumerate(zip(starts, ends, strict=True)):
            if max(lo, period_start) < min(hi, period_end):
                by_account: dict[str, list[int]] = {}
                segments[key].append((max(lo, period_start), min(hi, period_end), by_account))
                usage[(key, i)] = by_account

    billable = {s.upper() for s in rates.billable_states}
    excluded = rates.excluded_accounts
    states: dict[str, bool] = {}
    tres_cache: dict[str, tuple[int, int]] = {}
    fromiso = datetime.fromisoformat
    lines_read = charged = 0

    def bad(lineno: int, message: str) -> None:
        report.add(at(shown, lineno), message)

    try:
        fh = file.open(encoding="utf-8", newline=None)
    except OSError as exc:
        raise DataError([Problem(shown, f"cannot be read ({exc.strerror})")]) from exc
    with fh:
        try:
            first = fh.readline()
        except UnicodeDecodeError as exc:
            raise not_utf8(shown, exc) from exc
        header = [h.strip() for h in first.rstrip("\r\n").removeprefix("\ufeff").split("|")]
        lines: Iterable[str]
        if "Account" in header and "JobID" in header:
            pick, elapsed_name = _sacct_columns(header, shown)
            names, lines, skip = "|".join(header), fh, 1
        else:  # --noheader: the documented field order
            pick, elapsed_name = itemgetter(*range(len(SACCT_FIELDS))), "ElapsedRaw"
            names, lines, skip = "|".join(SACCT_FIELDS), chain([first], fh), 0
        nfields = names.count("|") + 1
        try:
            for lineno, raw in enumerate(lines, skip + 1):
                line = raw.rstrip("\r\n")
                if not line:
                    continue
                lines_read += 1
                parts = line.split("|")
                if len(parts) != nfields:
                    bad(
                        lineno,
                        f"has {len(parts)} fields, expected {nfields} ({names}); "
                        f"export with --parsable2 and the --format in docs/sources/slurm.md",
                    )
                    continue
                _job, _user, account, part_key, tres, elapsed_text, state, start_text, end_text = (
                    pick(parts)
                )
                ok = states.get(state)
                if ok is None:
                    ok = states[state] = state.split(" ", 1)[0].rstrip("+").upper() in billable
                if not ok or account in excluded:
                    continue
                try:
                    elapsed = int(elapsed_text)
                except ValueError:
                    elapsed = _elapsed_seconds(elapsed_text)
                if elapsed < 0:
                    bad(
                        lineno,
                        f'{elapsed_name} "{elapsed_text}" is not an elapsed time; export '
                        "ElapsedRaw (seconds) or Elapsed ([D-]HH:MM:SS)",
                    )
                    continue
                if elapsed == 0:
                    continue
                if not account:
                    bad(lineno, 'Account "" is empty; every charged job needs a Slurm account')
                    continue
                job_segments = segments.get(part_key)
                if job_segments is None:
                    bad(
                        lineno,
                        f'Partition "{part_key}" has no rates; add it to '
                        "data/rates/slurm.yaml (or exclude its account there)",
                    )
                    continue
                counts = tres_cache.get(tres)
                if counts is None:
                    parsed = _parse_tres(tres)
                    if parsed is None:
                        bad(
                            lineno,
                            f'AllocTRES "{tres}" is not a TRES list like '
                            "cpu=4,gres/gpu=1,mem=16G; export AllocTRES with --allocations",
                        )
                        continue
                    counts = tres_cache[tres] = parsed
                # Start and End are parsed inline: this loop runs once per job.
                begin = -1
                if len(start_text) == 19 and start_text[10] == "T":
                    try:
                        t = fromiso(start_text)
                        begin = t.toordinal() * _DAY + t.hour * 3600 + t.minute * 60 + t.second
                    except ValueError:
                        pass
                if end_text not in NO_TIME:
                    try:
                        if len(end_text) != 19 or end_text[10] != "T":
                            raise ValueError(end_text)
                        fromiso(end_text)
                    except ValueError:
                        bad(
                            lineno,
                            f'End "{end_text}" is not a date-time like 2026-10-01T13:45:00; '
                            "export End as sacct prints it (Unknown while a job runs)",
                        )
                        continue
                    if begin < 0 and start_text in NO_TIME:  # started, but sacct lost when
                        begin = _seconds(fromiso(end_text)) - elapsed
                if begin < 0:
                    bad(
                        lineno,
                        f'Start "{start_text}" is not a date-time like '
                        "2026-10-01T13:45:00; a job that ran needs its start time",
                    )
                    continue
                finish = begin + elapsed
                if finish <= period_start or begin >= period_end:
                    continue
                cpus, gpus = counts
                charged += 1
                for lo, hi, by_account in job_segments:
                    seconds = (hi if finish > hi else finish) - (lo if begin < lo else begin)
                    if seconds <= 0:
                        continue
                    acc = by_account.get(account)
                    if acc is None:
                        by_account[account] = [cpus * seconds, gpus * seconds, 1]
                    else:
                        acc[0] += cpus * seconds
                        acc[1] += gpus * seconds
                        acc[2] += 1
        except UnicodeDecodeError as exc:
            raise not_utf8(shown, exc) from exc
    report.lines, report.charged = lines_read, charged
    return usage, report


def _sacct_columns(header: list[str], shown: str) -> tuple[Callable[[list[str]], Any], str]:
    """An item getter for the needed fields of a dump with a header line."""
    wanted = list(SACCT_FIELDS)
    elapsed_name = "ElapsedRaw"
    if "ElapsedRaw" not in header and "Elapsed" in header:
        wanted[SACCT_FIELDS.index("ElapsedRaw")] = elapsed_name = "Elapsed"
    missing = [name for name in wanted if name not in header]
    if missing:
        raise DataError(
            [
                Problem(
                    at(shown, 1),
                    f"the header has no {', '.join(missing)}; export with {SACCT_COMMAND}",
                )
            ]
        )
    return itemgetter(*(header.index(name) for name in wanted)), elapsed_name


def _parse_tres(text: str) -> tuple[int, int] | None:
    """CPUs and GPUs of an AllocTRES value, or None when it cannot be read."""
    cpus: int | None = None
    gpus: int | None = None
    typed = 0
    for item in text.split(","):
        name, sep, value = item.partition("=")
        if not sep or not name:
            return None
        if name == "cpu" or name == "gres/gpu" or name.startswith("gres/gpu:"):
            if not value.isdigit():
                return None
            if name == "cpu":
                cpus = int(value)
            elif name == "gres/gpu":
                gpus = int(value)
            else:
                typed += int(value)
    if not cpus:
        return None
    return cpus, gpus if gpus is not None else typed


_ELAPSED = re.compile(r"(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)")


def _elapsed_seconds(text: str) -> int:
    """Seconds of ``[D-][HH:]MM:SS`` (sacct's Elapsed), or -1."""
    m = _ELAPSED.fullmatch(text.strip())
    if not m:
        return -1
    d, h, mi, s = (int(g) if g else 0 for g in m.groups())
    if mi >= 60 or s >= 60:
        return -1
    return ((d * 24 + h) * 60 + mi) * 60 + s


def _seconds(moment: datetime) -> int:
    return moment.toordinal() * _DAY + moment.hour * 3600 + moment.minute * 60 + moment.second
