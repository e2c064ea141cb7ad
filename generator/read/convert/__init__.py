"""Stage 0, before ingest: on-premises usage to FOCUS, priced with rate tables.

A Slurm cluster and a campus storage system export no FOCUS, so these converters write it:

* ``convert_slurm``: a ``sacct --parsable2 --allocations`` dump, priced by
  ``data/rates/slurm.yaml`` (per partition: a CPU-hour and a GPU-hour price, a subsidy, rate
  changes with effective dates) → ``periods/YYYY-MM/hpc.csv``, one row per Slurm account,
  partition, priced resource (core-hours, GPU-hours) and rate in effect. A job is charged in
  each month for its seconds in that month.
* ``convert_storage``: a usage report (CSV: share, project, bytes used, tier), priced by
  ``data/rates/storage.yaml`` (per tier: a TB-month price, a free allowance per project, a
  subsidy) → ``periods/YYYY-MM/storage.csv``, one row per project, share and tier.

``ListCost`` is the unsubsidized price (quantity × rate) and ``BilledCost`` what the PI pays
after the subsidy, so a statement shows the true value of subsidized service. Attribution
(``pi_email``, ``project_id``, ``fund_org`` in ``Tags``) comes from ``data/accounts.yaml``,
completed from the project registry ``data/projects.yaml``; an account with no mapping still
produces rows, with empty attribution, so the core flags them.

Every bad input line is reported as ``file:line: field "value" is ...; what to do``, and the
output is written (to a temporary file, then moved into place) only when the whole input is
good, unless ``skip_bad`` is set. Money is ``Decimal``; core-seconds and bytes are integers.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any

from generator.common import files
from generator.common.errors import DataError, Problem, at
from generator.common.months import bounds
from generator.read.config import NUMBER, Config, check_schema, load_yaml

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
DEFAULT_BILLABLE_STATES = (
    "COMPLETED",
    "FAILED",
    "TIMEOUT",
    "CANCELLED",
    "OUT_OF_MEMORY",
    "NODE_FAIL",
    "PREEMPTED",
    "RUNNING",
)
STORAGE_COLUMNS = {
    "share": ("share", "path"),
    "project": ("project", "project_id"),
    "bytes_used": ("bytes_used", "bytes", "used_bytes"),
    "tier": ("tier",),
}
NO_TIME = frozenset({"Unknown", "None", ""})  # sacct's Start or End when there is none
TAG_KEYS = ("pi_email", "project_id", "fund_org")
MONEY = Decimal("1e-10")  # costs keep 10 decimal places; statements round lines to cents
QUANTITY = Decimal("1e-12")
MAX_PROBLEMS = 200  # bad lines shown; the rest are counted
_DAY = 86400

ACCOUNTS_SCHEMA = {"*": {"pi_email": str, "project_id": str, "fund_org": str}}
_SLURM_PRICES = {"cpu_hour": NUMBER, "gpu_hour": NUMBER, "subsidy_percent": NUMBER}
SLURM_RATES_SCHEMA: dict[str, Any] = {
    "source": str,
    "provider": str,
    "service_category": str,
    "service_subcategory": str,
    "billable_states": [str],
    "excluded_accounts": [str],
    "partitions": {
        "*": {
            "name": str,
            **_SLURM_PRICES,
            "changes": [{"effective": date, "note": str, **_SLURM_PRICES}],
        }
    },
}
STORAGE_RATES_SCHEMA: dict[str, Any] = {
    "source": str,
    "provider": str,
    "service_category": str,
    "service_subcategory": str,
    "bytes_per_tb": int,
    "subsidy_percent": NUMBER,
    "tiers": {"*": {"name": str, "tb_month": NUMBER, "free_tb": NUMBER, "subsidy_percent": NUMBER}},
}

FOCUS_COLUMNS = (
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
    "ChargeClass",
    "ChargeFrequency",
    "ChargeDescription",
    "InvoiceIssuerName",
    "ProviderName",
    "PublisherName",
    "ServiceCategory",
    "ServiceSubcategory",
    "ServiceName",
    "SubAccountId",
    "SubAccountName",
    "ResourceId",
    "ResourceType",
    "SkuId",
    "SkuPriceId",
    "PricingCategory",
    "PricingQuantity",
    "PricingUnit",
    "ListUnitPrice",
    "ContractedUnitPrice",
    "ConsumedQuantity",
    "ConsumedUnit",
    "ListCost",
    "ContractedCost",
    "BilledCost",
    "EffectiveCost",
    "Tags",
)
SLURM_COLUMNS = (*FOCUS_COLUMNS, "x_JobCount", "x_SubsidyPercent")
STORAGE_OUTPUT_COLUMNS = (*FOCUS_COLUMNS, "x_FreeAllowanceTB", "x_SubsidyPercent")


@dataclass
class ConvertResult:
    """What a conversion wrote: the CLI prints it."""

    output: Path
    rows: int
    list_total: Decimal
    billed_total: Decimal
    unmapped: list[str] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)  # bad lines left out (skip_bad)
    skipped_count: int = 0  # every bad line left out; ``skipped`` shows the first ones
    lines: int = 0  # data lines read
    charged: int = 0  # jobs or usage lines with a charge in the period


@dataclass(frozen=True)
class Attribution:
    pi_email: str | None = None
    project_id: str | None = None
    fund_org: str | None = None

    def tags(self) -> str:
        values = {k: getattr(self, k) for k in TAG_KEYS if getattr(self, k)}
        return json.dumps(values, sort_keys=True, ensure_ascii=False)


@dataclass(frozen=True)
class Rate:
    """Prices in effect from ``effective`` (``None``: from the start)."""

    effective: datetime | None
    cpu_hour: Decimal | None
    gpu_hour: Decimal | None
    subsidy_percent: Decimal


@dataclass(frozen=True)
class Partition:
    key: str
    name: str
    rates: tuple[Rate, ...]  # the base rate first, then changes by effective date


@dataclass(frozen=True)
class SlurmRates:
    source: str
    provider: str | None
    service_category: str
    service_subcategory: str
    billable_states: frozenset[str]
    excluded_accounts: frozenset[str]
    partitions: dict[str, Partition]


@dataclass(frozen=True)
class Tier:
    key: str
    name: str
    tb_month: Decimal
    free_tb: Decimal
    subsidy_percent: Decimal


@dataclass(frozen=True)
class StorageRates:
    source: str
    provider: str | None
    service_category: str
    service_subcategory: str
    bytes_per_tb: int
    tiers: dict[str, Tier]


# --- Slurm -------------------------------------------------------------------------------


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
    base = _base_row(config, rates.source, rates.provider, start, end)
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
            row = _priced_row(base, seconds, 3600, price, rate.subsidy_percent)
            row.update(
                ChargePeriodStart=_iso(charge_start),
                ChargePeriodEnd=_iso(charge_end),
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
    _write_csv(out, SLURM_COLUMNS, rows)
    return _result(out, rows, unmapped, report, skip_bad, shown)


@dataclass
class _Report:
    """Bad lines found while reading, and counts of what was read."""

    problems: list[Problem] = field(default_factory=list)
    bad: int = 0
    lines: int = 0
    charged: int = 0

    def add(self, where: str, message: str) -> None:
        self.bad += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(where, message))

    def shown_problems(self, shown: str) -> list[Problem]:
        more = self.bad - len(self.problems)
        if more <= 0:
            return list(self.problems)
        return [*self.problems, Problem(shown, f"{more} more bad lines not shown")]


_Usage = dict[tuple[str, int], dict[str, list[int]]]  # (partition, rate index) → by account


def _read_sacct(
    file: Path, shown: str, rates: SlurmRates, period_start: int, period_end: int
) -> tuple[_Usage, _Report]:
    """Sum core-seconds and GPU-seconds per (account, partition, rate) within the period.

    A job's time is ``[Start, Start + ElapsedRaw)`` in the cluster's local time; the part of
    it inside the period (and inside each rate's validity) is what is charged. Time comes
    from ``ElapsedRaw`` rather than ``End`` so that a month's share never depends on clock
    changes, and a job's months add up to its elapsed time exactly.
    """
    report = _Report()
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
            raise _not_utf8(shown, exc) from exc
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
            raise _not_utf8(shown, exc) from exc
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


# --- storage -----------------------------------------------------------------------------


def convert_storage(
    config: Config,
    rates: StorageRates,
    file: Path,
    period: str,
    out: Path,
    skip_bad: bool = False,
) -> ConvertResult:
    """Price a storage usage report for ``period`` (``YYYY-MM``) and write it as FOCUS to
    ``out``."""
    start, end = bounds(period)
    accounts = load_accounts(config)
    shown = files.shown(config.root, file)
    usage, report = _read_storage(file, shown, rates)
    if report.problems and not skip_bad:
        raise DataError(report.shown_problems(shown))

    base = _base_row(config, rates.source, rates.provider, start, end)
    rows: list[dict[str, str]] = []
    unmapped: set[str] = set()
    free_left: dict[tuple[str, str], Decimal] = {}
    with localcontext() as ctx:
        ctx.prec = 50
        for (project, share, tier_key), used in sorted(usage.items()):
            tier = rates.tiers[tier_key]
            who = accounts.get(project) if project else None
            if who is None:
                unmapped.add(project or "(no project)")
                who = Attribution(project_id=project or None)
            tb = Decimal(used) / rates.bytes_per_tb
            # A project's free allowance in a tier covers its shares there in name order.
            free = Decimal(0)
            if project:
                left = free_left.setdefault((project, tier_key), tier.free_tb)
                free = min(tb, left)
                free_left[(project, tier_key)] = left - free
            row = _priced_row(
                base, used, rates.bytes_per_tb, tier.tb_month, tier.subsidy_percent, free
            )
            shown_free = _number(free.quantize(Decimal("0.001"), ROUND_HALF_UP))
            note = f"; {shown_free} TB free allowance applied" if free else ""
            row.update(
                ChargeDescription=f"{tier.name}: {share}{note}",
                ServiceCategory=rates.service_category,
                ServiceSubcategory=rates.service_subcategory,
                ServiceName=tier.name,
                SubAccountId=project,
                SubAccountName=project,
                ResourceId=share,
                ResourceType="Storage share",
                SkuId=f"storage-{tier_key}",
                SkuPriceId=f"storage-{tier_key}",
                PricingUnit="TB-Months",
                ConsumedUnit="TB-Months",
                Tags=who.tags(),
                x_FreeAllowanceTB=_number(free.quantize(QUANTITY, ROUND_HALF_UP)),
            )
            rows.append(row)
    _write_csv(out, STORAGE_OUTPUT_COLUMNS, rows)
    return _result(out, rows, unmapped, report, skip_bad, shown)


def _read_storage(
    file: Path, shown: str, rates: StorageRates
) -> tuple[dict[tuple[str, str, str], int], _Report]:
    """Bytes used per (project, share, tier)."""
    report = _Report()
    usage: dict[tuple[str, str, str], int] = {}
    first_seen: dict[tuple[str, str], int] = {}
    try:
        fh = file.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise DataError([Problem(shown, f"cannot be read ({exc.strerror})")]) from exc
    with fh:
        reader = csv.reader(fh)
        try:
            header = next(reader, None)
            if header is None:
                raise DataError([Problem(shown, "the file is empty; export the usage report")])
            names = [h.strip().lower() for h in header]
            index: dict[str, int] = {}
            for column, aliases in STORAGE_COLUMNS.items():
                found = next((names.index(a) for a in aliases if a in names), None)
                if found is not None:
                    index[column] = found
            missing = [c for c in STORAGE_COLUMNS if c not in index]
            if missing:
                raise DataError(
                    [
                        Problem(
                            at(shown, 1),
                            f"the header has no {', '.join(missing)} column; the report "
                            "needs a header row share,project,bytes_used,tier",
                        )
                    ]
                )
            width = len(header)
            pick = itemgetter(index["share"], index["project"], index["bytes_used"], index["tier"])
            end_of_previous = reader.line_num
            for row in reader:  # a quoted field may span lines: report where a row starts
                lineno, end_of_previous = end_of_previous + 1, reader.line_num
                if not row or not any(cell.strip() for cell in row):
                    continue
                report.lines += 1
                if len(row) != width:
                    report.add(
                        at(shown, lineno),
                        f"has {len(row)} fields, expected {width} like the header "
                        f"({','.join(header)}); quote values that contain commas",
                    )
                    continue
                share, project, used_text, tier = (v.strip() for v in pick(row))
                if not share:
                    report.add(at(shown, lineno), 'share "" is empty; every line names a share')
                    continue
                if not (used_text.isascii() and used_text.isdigit()):
                    report.add(
                        at(shown, lineno),
                        f'bytes_used "{used_text}" is not a whole number of bytes; '
                        "export bytes without units or separators",
                    )
                    continue
                if tier not in rates.tiers:
                    known = ", ".join(rates.tiers)
                    report.add(
                        at(shown, lineno),
                        f'tier "{tier}" has no rates; add it to data/rates/storage.yaml '
                        f"(known: {known})",
                    )
                    continue
                seen = first_seen.get((share, tier))
                if seen is not None:
                    report.add(
                        at(shown, lineno),
                        f'share "{share}" in tier {tier} appears twice (first on line {seen}); '
                        "a report has one line per share and tier",
                    )
                    continue
                first_seen[(share, tier)] = lineno
                usage[(project, share, tier)] = int(used_text)
                report.charged += 1
        except UnicodeDecodeError as exc:
            raise _not_utf8(shown, exc) from exc
        except csv.Error as exc:
            raise DataError(
                [Problem(at(shown, reader.line_num), f"cannot be parsed as CSV ({exc})")]
            ) from exc
    return usage, report


# --- rate files and account mapping ------------------------------------------------------


def load_slurm_rates(path: Path) -> SlurmRates:
    """Read and check ``data/rates/slurm.yaml``; every problem is reported at once."""
    raw, problems = _load_checked(path, SLURM_RATES_SCHEMA)
    where = str(path)
    partitions: dict[str, Partition] = {}
    for key, spec in (raw.get("partitions") or {}).items():
        prefix = f"partitions.{key}"
        if not isinstance(spec, dict):
            if spec is None:
                problems.append(Problem(where, f"{prefix}: give name, cpu_hour and/or gpu_hour"))
            continue
        base = _slurm_rate(spec, None, None, prefix, where, problems)
        if base.cpu_hour is None and base.gpu_hour is None:
            problems.append(Problem(where, f"{prefix}: give cpu_hour, gpu_hour or both"))
        rates = [base]
        changes = [c for c in spec.get("changes") or [] if isinstance(c, dict)]
        for i, change in enumerate(changes):
            when = change.get("effective")
            if not isinstance(when, date):
                if when is None:  # a value of another type is reported by check_schema
                    problems.append(
                        Problem(where, f"{prefix}.changes[{i}].effective: required, a date")
                    )
                continue
            moment = (
                when if isinstance(when, datetime) else datetime(when.year, when.month, when.day)
            )
            previous = rates[-1]
            if previous.effective and moment <= previous.effective:
                problems.append(
                    Problem(
                        where,
                        f"{prefix}.changes[{i}].effective: {when} is not after the change "
                        "before it; list changes oldest first",
                    )
                )
                continue
            rates.append(
                _slurm_rate(change, previous, moment, f"{prefix}.changes[{i}]", where, problems)
            )
        partitions[str(key)] = Partition(str(key), str(spec.get("name") or key), tuple(rates))
    if not partitions:
        problems.append(Problem(where, "partitions: required, one entry per Slurm partition"))
    if problems:
        raise DataError(problems)
    states = raw.get("billable_states")
    return SlurmRates(
        source=str(raw.get("source") or "hpc"),
        provider=_opt(raw.get("provider")),
        service_category=str(raw.get("service_category") or "Compute"),
        service_subcategory=str(raw.get("service_subcategory") or "Other (Compute)"),
        billable_states=frozenset(
            str(s).upper() for s in (DEFAULT_BILLABLE_STATES if states is None else states)
        ),
        excluded_accounts=frozenset(str(a) for a in raw.get("excluded_accounts") or []),
        partitions=partitions,
    )


def _slurm_rate(
    spec: dict[str, Any],
    previous: Rate | None,
    effective: datetime | None,
    prefix: str,
    where: str,
    problems: list[Problem],
) -> Rate:
    def price(key: str, old: Decimal | None) -> Decimal | None:
        return _decimal(spec, key, old, f"{prefix}.{key}", where, problems)

    subsidy = _decimal(
        spec,
        "subsidy_percent",
        previous.subsidy_percent if previous else Decimal(0),
        f"{prefix}.subsidy_percent",
        where,
        problems,
        upper=Decimal(100),
    )
    return Rate(
        effective=effective,
        cpu_hour=price("cpu_hour", previous.cpu_hour if previous else None),
        gpu_hour=price("gpu_hour", previous.gpu_hour if previous else None),
        subsidy_percent=subsidy or Decimal(0),
    )


def load_storage_rates(path: Path) -> StorageRates:
    """Read and check ``data/rates/storage.yaml``."""
    raw, problems = _load_checked(path, STORAGE_RATES_SCHEMA)
    where = str(path)
    default_subsidy = _decimal(
        raw, "subsidy_percent", Decimal(0), "subsidy_percent", where, problems, Decimal(100)
    )
    tiers: dict[str, Tier] = {}
    for key, spec in (raw.get("tiers") or {}).items():
        prefix = f"tiers.{key}"
        if not isinstance(spec, dict):
            if spec is None:
                problems.append(Problem(where, f"{prefix}: give name and tb_month"))
            continue
        price = _decimal(spec, "tb_month", None, f"{prefix}.tb_month", where, problems)
        if price is None and "tb_month" not in spec:
            problems.append(Problem(where, f"{prefix}.tb_month: required, the price per TB-month"))
        free = _decimal(spec, "free_tb", Decimal(0), f"{prefix}.free_tb", where, problems)
        subsidy = _decimal(
            spec,
            "subsidy_percent",
            default_subsidy,
            f"{prefix}.subsidy_percent",
            where,
            problems,
            Decimal(100),
        )
        tiers[str(key)] = Tier(
            key=str(key),
            name=str(spec.get("name") or key),
            tb_month=price or Decimal(0),
            free_tb=free or Decimal(0),
            subsidy_percent=subsidy or Decimal(0),
        )
    if not tiers:
        problems.append(Problem(where, "tiers: required, one entry per storage tier"))
    per_tb = raw.get("bytes_per_tb", 10**12)
    if not isinstance(per_tb, int) or isinstance(per_tb, bool) or per_tb <= 0:
        problems.append(Problem(where, "bytes_per_tb: a positive whole number, e.g. 1000000000000"))
        per_tb = 10**12
    if problems:
        raise DataError(problems)
    return StorageRates(
        source=str(raw.get("source") or "storage"),
        provider=_opt(raw.get("provider")),
        service_category=str(raw.get("service_category") or "Storage"),
        service_subcategory=str(raw.get("service_subcategory") or "File Storage"),
        bytes_per_tb=per_tb,
        tiers=tiers,
    )


def load_accounts(config: Config) -> dict[str, Attribution]:
    """``data/accounts.yaml``: local account or project → PI, project, fund/org.

    What an entry leaves out is taken from the project registry (``data/projects.yaml``) by
    its ``project_id``; a name that is not in ``accounts.yaml`` but is a registry project
    (a storage report may name projects directly) maps to that project.
    """
    path = config.root / "data" / "accounts.yaml"
    mapping: dict[str, Attribution] = {}
    if path.is_file():
        raw = load_yaml(path) or {}
        problems: list[Problem] = []
        check_schema(raw, ACCOUNTS_SCHEMA, "", problems, str(path))
        if problems:
            raise DataError(problems)
        for name, entry in raw.items():
            if not isinstance(entry, dict):
                raise DataError(
                    [Problem(str(path), f"{name}: expected pi_email, project_id and fund_org")]
                )
            project_id = _opt(entry.get("project_id"))
            project = config.projects.get(project_id) if project_id else None
            mapping[str(name)] = Attribution(
                pi_email=_opt(entry.get("pi_email")) or (project.pi_email if project else None),
                project_id=project_id,
                fund_org=_opt(entry.get("fund_org")) or (project.fund_org if project else None),
            )
    for pid, project in config.projects.items():
        mapping.setdefault(pid, Attribution(project.pi_email, pid, project.fund_org))
    return mapping


def _load_checked(path: Path, schema: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    if not path.is_file():
        raise DataError(
            [Problem(str(path), "no rate file; write one (see docs/sources/) before converting")]
        )
    raw = load_yaml(path) or {}
    problems: list[Problem] = []
    check_schema(raw, schema, "", problems, str(path))
    if not isinstance(raw, dict):
        raise DataError(problems or [Problem(str(path), "expected a mapping of keys to values")])
    return raw, problems


def _decimal(
    spec: dict[str, Any],
    key: str,
    default: Decimal | None,
    name: str,
    where: str,
    problems: list[Problem],
    upper: Decimal | None = None,
) -> Decimal | None:
    if spec.get(key) is None:
        return default
    value = spec[key]
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return default  # check_schema has reported it
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError:
        return default  # reported by check_schema
    if not number.is_finite() or number < 0 or (upper is not None and number > upper):
        limit = f"0 to {upper}" if upper is not None else "0 or more"
        problems.append(Problem(where, f"{name}: {value!r} is out of range; use {limit}"))
        return default
    return number


# --- output ------------------------------------------------------------------------------


def _base_row(
    config: Config, source: str, provider: str | None, start: datetime, end: datetime
) -> dict[str, str]:
    issuer = provider or config.organization.get("name") or source
    return {
        "BillingAccountId": source,
        "BillingAccountName": config.source(source).name,
        "BillingCurrency": config.currency.code,
        "BillingPeriodStart": _iso(start),
        "BillingPeriodEnd": _iso(end),
        "ChargePeriodStart": _iso(start),
        "ChargePeriodEnd": _iso(end),
        "ChargeCategory": "Usage",
        "ChargeClass": "",
        "ChargeFrequency": "Usage-Based",
        "InvoiceIssuerName": issuer,
        "ProviderName": issuer,
        "PublisherName": issuer,
        "PricingCategory": "Standard",
    }


def _priced_row(
    base: dict[str, str],
    amount: int,
    per_unit: int,
    price: Decimal,
    subsidy_percent: Decimal,
    free_quantity: Decimal = Decimal(0),
) -> dict[str, str]:
    """Costs of ``amount / per_unit`` units (core-seconds / 3600, bytes / bytes per TB) at
    ``price``: list is unsubsidized, billed is after the subsidy (and after a free allowance
    of ``free_quantity`` units), each rounded once from exact values."""
    with localcontext() as ctx:
        ctx.prec = 60
        quantity = Decimal(amount) / per_unit
        list_cost = quantity * price
        billed = (quantity - free_quantity) * price * (100 - subsidy_percent) / 100
        list_text = _money(list_cost)
        billed_text = _money(billed)
        qty = _number(quantity.quantize(QUANTITY, ROUND_HALF_UP))
    row = dict(base)
    row.update(
        PricingQuantity=qty,
        ConsumedQuantity=qty,
        ListUnitPrice=_number(price),
        ContractedUnitPrice=_number(price),
        ListCost=list_text,
        ContractedCost=list_text,
        BilledCost=billed_text,
        EffectiveCost=billed_text,
        x_SubsidyPercent=_number(subsidy_percent),
    )
    return row


def _money(value: Decimal) -> str:
    return _number(value.quantize(MONEY, ROUND_HALF_UP))


def _number(value: Decimal) -> str:
    """A plain decimal without exponent or trailing zeros."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _write_csv(out: Path, columns: Sequence[str], rows: list[dict[str, str]]) -> None:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    files.atomic_write(out, text.getvalue().encode("utf-8"))


def _result(
    out: Path,
    rows: list[dict[str, str]],
    unmapped: set[str],
    report: _Report,
    skip_bad: bool,
    shown: str,
) -> ConvertResult:
    return ConvertResult(
        output=out,
        rows=len(rows),
        list_total=sum((Decimal(r["ListCost"]) for r in rows), Decimal(0)),
        billed_total=sum((Decimal(r["BilledCost"]) for r in rows), Decimal(0)),
        unmapped=sorted(unmapped),
        skipped=report.shown_problems(shown) if skip_bad else [],
        skipped_count=report.bad if skip_bad else 0,
        lines=report.lines,
        charged=report.charged,
    )


def _not_utf8(where: str, exc: UnicodeDecodeError) -> DataError:
    return DataError([Problem(where, f"not UTF-8 text ({exc.reason}); export it as UTF-8")])


def _opt(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


__all__ = [
    "ConvertResult",
    "convert_slurm",
    "convert_storage",
    "load_accounts",
    "load_slurm_rates",
    "load_storage_rates",
]
