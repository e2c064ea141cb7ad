"""Slurm: a ``sacct --parsable2 --allocations`` dump, priced by ``data/rates/slurm.yaml``,
to FOCUS rows per Slurm account, partition, priced resource and rate in effect."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from generator.common import files
from generator.common.errors import DataError, Problem, at
from generator.common.months import bounds
from generator.read.config import Config
from generator.read.convert.rates import Attribution, SlurmRates, load_accounts
from generator.read.convert.shared import (
    FOCUS_COLUMNS,
    BadLine,
    ConvertResult,
    Report,
    base_row,
    iso,
    not_utf8,
    open_input,
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

# What a partition's rate segments hold while a dump is read: [core-seconds, GPU-seconds,
# jobs] by account. A segment is (from, to, that): the seconds (counted from 0001-01-01) of
# the period in which the rate is in effect.
_ByAccount = dict[str, list[int]]
_Segment = tuple[int, int, _ByAccount]
_Usage = dict[tuple[str, int], _ByAccount]  # (partition, index of the rate) → by account
# A job to charge: account, partition, CPUs, GPUs, its first second and the second after it.
_Job = tuple[str, str, int, int, int, int]


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

    base = base_row(config, rates.source, rates.provider, start, end)
    rows: list[dict[str, str]] = []
    unmapped: set[str] = set()
    for charge in _charges(usage):
        who = accounts.get(charge.account)
        if who is None:
            unmapped.add(charge.account)
        rows += _rows(base, rates, charge, who or Attribution(), start, end)
    write_csv(out, SLURM_COLUMNS, rows, shown)
    return result(out, rows, unmapped, report, skip_bad, shown)


class _Charge(NamedTuple):
    """What one account's jobs used in one partition at one of its rates."""

    account: str
    partition: str
    rate: int  # index in the partition's rates
    cpu_seconds: int  # core-seconds
    gpu_seconds: int
    jobs: int


def _charges(usage: _Usage) -> list[_Charge]:
    """Every account's usage per partition and rate, sorted by account, partition and rate."""
    return sorted(
        _Charge(account, partition, rate, *used)
        for (partition, rate), by_account in usage.items()
        for account, used in by_account.items()
    )


def _rows(
    base: dict[str, str],
    rates: SlurmRates,
    charge: _Charge,
    who: Attribution,
    start: datetime,
    end: datetime,
) -> list[dict[str, str]]:
    """A charge's FOCUS rows: core-hours and GPU-hours, each where the rate has a price and
    the jobs used some, over the part of the period (``start`` to ``end``) the rate is in
    effect."""
    partition = rates.partitions[charge.partition]
    rate = partition.rates[charge.rate]
    later = partition.rates[charge.rate + 1 :]
    charge_start = max(start, rate.effective) if rate.effective else start
    charge_end = min(end, later[0].effective) if later and later[0].effective else end
    since = f", rate from {rate.effective:%Y-%m-%d}" if rate.effective else ""
    plural = "" if charge.jobs == 1 else "s"
    rows = []
    for resource, unit, label, price, seconds in (
        ("cpu", "Core-Hours", "core-hours", rate.cpu_hour, charge.cpu_seconds),
        ("gpu", "GPU-Hours", "GPU-hours", rate.gpu_hour, charge.gpu_seconds),
    ):
        if price is None or not seconds:
            continue
        row = priced_row(base, seconds, 3600, price, rate.subsidy_percent)
        row.update(
            ChargePeriodStart=iso(charge_start),
            ChargePeriodEnd=iso(charge_end),
            ChargeDescription=(
                f"{partition.name} {label} for Slurm account {charge.account} "
                f"({charge.jobs} job{plural}{since})"
            ),
            ServiceCategory=rates.service_category,
            ServiceSubcategory=rates.service_subcategory,
            ServiceName=partition.name,
            SubAccountId=charge.account,
            SubAccountName=charge.account,
            ResourceId=partition.key,
            ResourceType="Slurm partition",
            SkuId=f"{partition.key}-{resource}",
            SkuPriceId=f"{partition.key}-{resource}-"
            + (f"{rate.effective:%Y-%m-%d}" if rate.effective else "base"),
            PricingUnit=unit,
            ConsumedUnit=unit,
            Tags=who.tags(),
            x_JobCount=str(charge.jobs),
        )
        rows.append(row)
    return rows


# --- reading the dump --------------------------------------------------------------------


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
    usage, segments = _rate_segments(rates, period_start, period_end)
    lines_read = charged = 0
    with open_input(file, shown, "utf-8", None) as fh:
        try:
            lines, columns = _read_header(fh, shown)
            parse = _line_parser(rates, columns)
            for lineno, raw in lines:
                line = raw.rstrip("\r\n")
                if not line:
                    continue
                lines_read += 1
                try:
                    job = parse(line)
                except BadLine as bad:
                    report.add(at(shown, lineno), str(bad))
                    continue
                if job is None or job[5] <= period_start or job[4] >= period_end:
                    continue  # not charged, or not in the period
                charged += 1
                _add_job(segments[job[1]], job)
        except UnicodeDecodeError as exc:
            raise not_utf8(shown, exc) from exc
    report.lines, report.charged = lines_read, charged
    return usage, report


def _rate_segments(
    rates: SlurmRates, period_start: int, period_end: int
) -> tuple[_Usage, dict[str, list[_Segment]]]:
    """Per partition, the segments of the period that each rate covers, every one with its
    (empty) usage by account; and the same usage by (partition, rate index)."""
    usage: _Usage = {}
    segments: dict[str, list[_Segment]] = {}
    for key, partition in rates.partitions.items():
        starts = [_seconds(r.effective) if r.effective else period_start for r in partition.rates]
        ends = [*starts[1:], period_end]
        segments[key] = []
        for i, (lo, hi) in enumerate(zip(starts, ends, strict=True)):
            if max(lo, period_start) < min(hi, period_end):
                by_account: _ByAccount = {}
                segments[key].append((max(lo, period_start), min(hi, period_end), by_account))
                usage[(key, i)] = by_account
    return usage, segments


def _add_job(segments: list[_Segment], job: _Job) -> None:
    """Split a job's time at the period's and the rates' boundaries and add each part, times
    its CPUs and GPUs, to its account's usage in that segment."""
    account, _partition, cpus, gpus, begin, finish = job
    for lo, hi, by_account in segments:
        seconds = (hi if finish > hi else finish) - (lo if begin < lo else begin)
        if seconds <= 0:
            continue
        used = by_account.get(account)
        if used is None:
            by_account[account] = [cpus * seconds, gpus * seconds, 1]
        else:
            used[0] += cpus * seconds
            used[1] += gpus * seconds
            used[2] += 1


@dataclass(frozen=True)
class _Columns:
    """Where a dump's lines keep the fields: ``pick`` takes SACCT_FIELDS, in that order,
    from a line's fields; None when the line has just those, in that order (the documented
    export), so that nothing needs picking."""

    pick: Callable[[list[str]], Any] | None
    names: Sequence[str]  # every field of a line, as the header names them
    elapsed: str  # ElapsedRaw, or Elapsed in a dump that has only that


def _read_header(fh: TextIO, shown: str) -> tuple[Iterable[tuple[int, str]], _Columns]:
    """The dump's data lines, numbered, and where their fields are: as its header line
    says, or in the documented order of a dump written with ``--noheader``."""
    first = fh.readline()
    header = [h.strip() for h in first.rstrip("\r\n").removeprefix("\ufeff").split("|")]
    if "Account" in header and "JobID" in header:
        return enumerate(fh, 2), _sacct_columns(header, shown)
    return enumerate(chain([first], fh), 1), _Columns(None, SACCT_FIELDS, "ElapsedRaw")


def _line_parser(rates: SlurmRates, columns: _Columns) -> Callable[[str], _Job | None]:
    """A function from a dump line to the job it charges, or None for a job that is not
    charged (its state, an excluded account, no time); it raises BadLine for a line that
    cannot be read. It keeps what it learns of states and AllocTRES values: it runs once
    per line of dumps a million lines long."""
    pick, elapsed_name, nfields = columns.pick, columns.elapsed, len(columns.names)
    names = "|".join(columns.names)
    billable = {s.upper() for s in rates.billable_states}
    excluded = rates.excluded_accounts
    partitions = rates.partitions
    states: dict[str, bool] = {}
    tres_counts: dict[str, tuple[int, int]] = {}

    def job(line: str) -> _Job | None:
        parts = line.split("|")
        if len(parts) != nfields:
            raise BadLine(
                f"has {len(parts)} fields, expected {nfields} ({names}); "
                f"export with --parsable2 and the --format in docs/sources/slurm.md"
            )
        _id, _user, account, partition, tres, elapsed_text, state, start_text, end_text = (
            parts if pick is None else pick(parts)
        )
        billed = states.get(state)
        if billed is None:
            billed = states[state] = state.split(" ", 1)[0].rstrip("+").upper() in billable
        if not billed or account in excluded:
            return None
        try:
            elapsed = int(elapsed_text)
        except ValueError:
            elapsed = _elapsed_seconds(elapsed_text)
        if elapsed < 0:
            raise BadLine(
                f'{elapsed_name} "{elapsed_text}" is not an elapsed time; export '
                "ElapsedRaw (seconds) or Elapsed ([D-]HH:MM:SS)"
            )
        if elapsed == 0:
            return None
        if not account:
            raise BadLine('Account "" is empty; every charged job needs a Slurm account')
        if partition not in partitions:
            raise BadLine(
                f'Partition "{partition}" has no rates; add it to '
                "data/rates/slurm.yaml (or exclude its account there)"
            )
        counts = tres_counts.get(tres)
        if counts is None:
            counts = _parse_tres(tres)
            if counts is None:
                raise BadLine(
                    f'AllocTRES "{tres}" is not a TRES list like '
                    "cpu=4,gres/gpu=1,mem=16G; export AllocTRES with --allocations"
                )
            tres_counts[tres] = counts
        begin = _first_second(start_text, end_text, elapsed)
        return account, partition, counts[0], counts[1], begin, begin + elapsed

    return job


_fromiso = datetime.fromisoformat


def _first_second(start_text: str, end_text: str, elapsed: int) -> int:
    """A job's first second (counted from 0001-01-01): its Start, or its End less its
    elapsed time when sacct lost the start. A bad End is a bad line even when Start is
    good. Inlined arithmetic: this runs once per job."""
    begin = -1
    if len(start_text) == 19 and start_text[10] == "T":
        try:
            t = _fromiso(start_text)
            begin = t.toordinal() * _DAY + t.hour * 3600 + t.minute * 60 + t.second
        except ValueError:
            pass
    if end_text not in NO_TIME:
        try:
            if len(end_text) != 19 or end_text[10] != "T":
                raise ValueError(end_text)
            finish = _fromiso(end_text)
        except ValueError:
            raise BadLine(
                f'End "{end_text}" is not a date-time like 2026-10-01T13:45:00; '
                "export End as sacct prints it (Unknown while a job runs)"
            ) from None
        if begin < 0 and start_text in NO_TIME:  # started, but sacct lost when
            begin = _seconds(finish) - elapsed
    if begin < 0:
        raise BadLine(
            f'Start "{start_text}" is not a date-time like '
            "2026-10-01T13:45:00; a job that ran needs its start time"
        )
    return begin


def _sacct_columns(header: list[str], shown: str) -> _Columns:
    """Where the fields are in a dump with a header line."""
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
    if header == wanted:
        return _Columns(None, header, elapsed_name)
    return _Columns(itemgetter(*(header.index(name) for name in wanted)), header, elapsed_name)


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
