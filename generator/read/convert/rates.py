"""The rate tables and the account mapping the converters price and attribute with:
``data/rates/slurm.yaml``, ``data/rates/storage.yaml`` and ``data/accounts.yaml``, each
checked with every problem reported at once."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from generator.common.errors import DataError, Problem
from generator.common.money import amount_problem, as_number
from generator.read.config import Config
from generator.read.yamlfile import NUMBER, check_schema, load_yaml

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
TAG_KEYS = ("pi_email", "project_id", "fund_org")

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
        rates = _partition_rates(spec, prefix, where, problems)
        partitions[str(key)] = Partition(str(key), str(spec.get("name") or key), rates)
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


def _partition_rates(
    spec: dict[str, Any], prefix: str, where: str, problems: list[Problem]
) -> tuple[Rate, ...]:
    """A partition's base rate, then its changes by effective date; each change keeps what
    it does not say from the rate before it."""
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
        moment = when if isinstance(when, datetime) else datetime(when.year, when.month, when.day)
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
    return tuple(rates)


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
    checked = check_schema(raw, schema, "", problems, str(path))
    if not isinstance(raw, dict):
        raise DataError(problems or [Problem(str(path), "expected a mapping of keys to values")])
    return checked, problems


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
    number = as_number(str(value))
    if number is None:
        return default  # reported by check_schema
    why = amount_problem(str(value))
    if why:
        problems.append(Problem(where, f"{name}: {value!r} {why}"))
        return default
    if number < 0 or (upper is not None and number > upper):
        limit = f"0 to {upper}" if upper is not None else "0 or more"
        problems.append(Problem(where, f"{name}: {value!r} is out of range; use {limit}"))
        return default
    return number


def _opt(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)
