"""Stage 1: load the institution's reference data from ``data/``.

``data/config.yaml`` is checked against ``SCHEMA``; every problem is reported with its key
path (an unknown key names the closest known one), then loading stops once.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from generator.common.errors import DataError, Problem
from generator.common.money import Currency

TAG_FIELDS = (
    "pi_email",
    "project_id",
    "fund_org",
    "cost_center",
    "reference_1",
    "reference_2",
    "account_code",
)

# A schema is a dict of allowed keys; a value is a type, a nested schema, ``[schema]`` for a
# list of them, ``{"*": schema}`` for a mapping with free keys, or ``STR_OR_LIST``.
STR_OR_LIST = "str_or_list"
NUMBER = "number"

SCHEMA: dict[str, Any] = {
    "organization": {"name": str, "contact": str, "address": str, "logo": str},
    "currency": {"code": str, "symbol": str, "minor_units": int},
    "cost_basis": str,
    "tags": {name: STR_OR_LIST for name in TAG_FIELDS},
    "review": {
        "patterns": [{"name": str, "columns": STR_OR_LIST, "pattern": str}],
        "fund_org_patterns": STR_OR_LIST,
        "cost_spike": {"factor": NUMBER, "min_amount": NUMBER},
    },
    "sources": {"*": {"name": str, "credit_fund_org": str, "account": str}},
    "journal": {
        "template": str,
        "default_account": str,
        "account_pattern": str,
        "fund_org_regex": str,
        "description": str,
        "credit_description": str,
    },
    "email": {
        "smtp": {
            "host": str,
            "port": int,
            "security": str,
            "user_env": str,
            "password_env": str,
            "timeout": NUMBER,
            "ca_file": str,
        },
        "from": str,
        "reply_to": str,
        "bcc": STR_OR_LIST,
        "subject": str,
        "site_url": str,
    },
    "site": {
        "access": str,
        "secret_env": str,
        "staff": STR_OR_LIST,
        "department_heads": {"*": STR_OR_LIST},
    },
}

REQUIRED = ("organization.name", "currency.code")


@dataclass(frozen=True)
class PatternRule:
    name: str
    columns: tuple[str, ...]
    pattern: str


@dataclass(frozen=True)
class Source:
    key: str
    name: str
    credit_fund_org: str | None = None
    account: str | None = None


@dataclass(frozen=True)
class Person:
    email: str
    name: str
    department: str | None = None


@dataclass(frozen=True)
class Project:
    id: str
    name: str | None = None
    pi_email: str | None = None
    fund_org: str | None = None
    end_date: date | None = None


ACCESS_MODES = ("open", "links", "sso")


@dataclass(frozen=True)
class Site:
    """Who may see which billing pages of the site (docs/admin/site-access.md)."""

    access: str = "links"  # open | links | sso
    secret_env: str = "CHARGEBACK_SITE_SECRET"  # the environment variable with the secret
    staff: tuple[str, ...] = ()  # emails, lower case
    department_heads: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    root: Path
    organization: dict[str, str]
    currency: Currency = Currency()
    cost_basis: str = "BilledCost"
    tags: dict[str, tuple[str, ...]] = field(default_factory=dict)
    patterns: tuple[PatternRule, ...] = ()
    fund_org_patterns: tuple[str, ...] = ()
    spike_factor: Decimal = Decimal(3)
    spike_min_amount: Decimal = Decimal(100)
    sources: dict[str, Source] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    projects: dict[str, Project] = field(default_factory=dict)
    site: Site = Site()
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def periods_dir(self) -> Path:
        return self.root / "periods"

    @property
    def reviews_dir(self) -> Path:
        return self.root / "reviews"

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    def find_source(self, key: str) -> Source | None:
        """The configured source for a file stem; ``AWS.csv`` finds ``aws`` too."""
        if key in self.sources:
            return self.sources[key]
        return next(
            (s for k, s in sorted(self.sources.items()) if k.lower() == key.lower()), None
        )

    def source(self, key: str) -> Source:
        return self.find_source(key) or Source(key=key, name=key)

    def person_name(self, email: str | None) -> str:
        if not email:
            return "(no PI)"
        person = self.people.get(email.lower())
        return person.name if person else email


def load_yaml(path: Path) -> Any:
    """Safe-load one YAML file; a syntax error names the file and line."""
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark else 0
        raise DataError([Problem(f"{path}:{line}", f"not valid YAML: {exc.problem}")]) from exc
    except UnicodeDecodeError as exc:
        raise DataError([Problem(str(path), "not UTF-8 text; save it as UTF-8")]) from exc


def check_schema(node: Any, schema: Any, path: str, problems: list[Problem], where: str) -> None:
    """Check ``node`` against ``schema``, adding a problem per mismatch."""

    def say(message: str) -> None:
        problems.append(Problem(where, f"{path or '(top)'}: {message}"))

    if node is None:
        return
    if schema is STR_OR_LIST:
        items = node if isinstance(node, list) else [node]
        if not items or not all(isinstance(item, str) and item for item in items):
            say("expected a text value or a list of text values")
    elif schema is NUMBER:
        if isinstance(node, bool) or not isinstance(node, int | float | str):
            say(f"expected a number, got {node!r}")
        else:
            try:
                Decimal(str(node))
            except InvalidOperation:
                say(f"expected a number, got {node!r}")
    elif isinstance(schema, type):
        if schema is str and isinstance(node, int | float) and not isinstance(node, bool):
            return  # an account code written as 7100 is still a code
        if not isinstance(node, schema) or isinstance(node, bool) and schema is not bool:
            say(f"expected {schema.__name__}, got {type(node).__name__} {node!r}")
    elif isinstance(schema, list):
        if not isinstance(node, list):
            say("expected a list")
            return
        for i, item in enumerate(node):
            check_schema(item, schema[0], f"{path}[{i}]", problems, where)
    elif isinstance(schema, dict):
        if not isinstance(node, dict):
            say("expected a mapping of keys to values")
            return
        for key, value in node.items():
            sub = f"{path}.{key}" if path else str(key)
            if "*" in schema:
                check_schema(value, schema["*"], sub, problems, where)
            elif key in schema:
                check_schema(value, schema[key], sub, problems, where)
            else:
                close = difflib.get_close_matches(str(key), list(schema), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                known = ", ".join(schema)
                problems.append(
                    Problem(where, f"{sub}: unknown key {key!r}{hint} (known: {known})")
                )


def _get(node: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def as_tuple(value: Any) -> tuple[str, ...]:
    """A setting that takes one value or a list of them (``STR_OR_LIST``), as a tuple."""
    if value is None:
        return ()
    return tuple(value) if isinstance(value, list) else (value,)


def load_config(root: Path, config_file: Path | None = None) -> Config:
    """Load and check ``data/config.yaml``, ``people.yaml`` and ``projects.yaml``."""
    root = root.resolve()
    path = config_file or root / "data" / "config.yaml"
    if not path.is_file():
        raise DataError(
            [Problem(str(path), "no config file; run `openchargeback init DIR` or pass -c FILE")]
        )
    raw = load_yaml(path) or {}
    problems: list[Problem] = []
    check_schema(raw, SCHEMA, "", problems, str(path))
    if not isinstance(raw, dict):
        raise DataError(problems)
    for key in REQUIRED:
        if _get(raw, key) in (None, ""):
            problems.append(Problem(str(path), f"{key}: required"))

    currency = Currency(**(raw.get("currency") or {}))
    if not re.fullmatch(r"[A-Z]{3}", str(currency.code)):
        problems.append(Problem(str(path), f"currency.code: {currency.code!r} is not ISO 4217"))
    if not isinstance(currency.minor_units, int) or not 0 <= currency.minor_units <= 4:
        problems.append(Problem(str(path), "currency.minor_units: expected 0 to 4"))
    cost_basis = raw.get("cost_basis", "BilledCost")
    if cost_basis not in ("BilledCost", "EffectiveCost"):
        problems.append(
            Problem(str(path), f"cost_basis: {cost_basis!r}; use BilledCost or EffectiveCost")
        )

    review = raw.get("review") or {}
    patterns = []
    for i, rule in enumerate(review.get("patterns") or []):
        if not isinstance(rule, dict):
            continue
        for key in ("name", "columns", "pattern"):
            if not rule.get(key):
                problems.append(Problem(str(path), f"review.patterns[{i}].{key}: required"))
        if rule.get("name") and not re.fullmatch(r"[a-z0-9_]+", str(rule["name"])):
            problems.append(
                Problem(str(path), f"review.patterns[{i}].name: use lowercase letters, digits, _")
            )
        _check_regex(rule.get("pattern"), f"review.patterns[{i}].pattern", path, problems)
        patterns.append(
            PatternRule(str(rule.get("name")), as_tuple(rule.get("columns")), str(rule["pattern"]))
        )
    fund_org_patterns = as_tuple(review.get("fund_org_patterns"))
    for i, pattern in enumerate(fund_org_patterns):
        _check_regex(pattern, f"review.fund_org_patterns[{i}]", path, problems)
    spike = review.get("cost_spike") or {}
    journal = raw.get("journal")
    for key in ("account_pattern", "fund_org_regex"):
        if isinstance(journal, dict):
            _check_regex(journal.get(key), f"journal.{key}", path, problems)

    sources = {
        str(key): Source(
            key=str(key),
            name=str(value.get("name") or key),
            credit_fund_org=_opt_str(value.get("credit_fund_org")),
            account=_opt_str(value.get("account")),
        )
        for key, value in (raw.get("sources") or {}).items()
        if isinstance(value, dict)
    }
    people = _load_people(root / "data" / "people.yaml", problems)
    projects = _load_projects(root / "data" / "projects.yaml", problems)
    site = _site(raw.get("site"), people, path, problems)
    if problems:
        raise DataError(problems)
    return Config(
        root=root,
        organization={k: str(v) for k, v in (raw.get("organization") or {}).items()},
        currency=currency,
        cost_basis=cost_basis,
        tags={name: as_tuple((raw.get("tags") or {}).get(name)) or (name,) for name in TAG_FIELDS},
        patterns=tuple(patterns),
        fund_org_patterns=fund_org_patterns,
        spike_factor=Decimal(str(spike.get("factor", 3))),
        spike_min_amount=Decimal(str(spike.get("min_amount", 100))),
        sources=sources,
        people=people,
        projects=projects,
        site=site,
        raw=raw,
    )


def _site(raw: Any, people: dict[str, Person], path: Path, problems: list[Problem]) -> Site:
    """The ``site`` section: the access mode, its secret's variable, staff and heads (of
    departments that ``people.yaml`` names, once it names any)."""
    raw = raw if isinstance(raw, dict) else {}
    site = Site()
    access = raw.get("access", site.access)
    if access not in ACCESS_MODES:
        problems.append(Problem(str(path), f"site.access: {access!r}; use one of "
                                f"{', '.join(ACCESS_MODES)}"))
    secret_env = str(raw.get("secret_env") or site.secret_env)
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", secret_env):
        problems.append(Problem(str(path), f"site.secret_env: {secret_env!r} is not the name "
                                "of an environment variable (the secret itself never goes here)"))
    departments = {p.department for p in people.values() if p.department}
    heads = raw.get("department_heads") or {}
    for name in heads if isinstance(heads, dict) and departments else ():
        if name not in departments:
            close = difflib.get_close_matches(str(name), sorted(departments), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(Problem(str(path), f"site.department_heads.{name}: no one in "
                                    f"data/people.yaml has this department{hint}"))
    return Site(
        access=str(access),
        secret_env=secret_env,
        staff=tuple(str(e).lower() for e in as_tuple(raw.get("staff"))),
        department_heads={str(k): tuple(str(e).lower() for e in as_tuple(v))
                          for k, v in (heads.items() if isinstance(heads, dict) else ())},
    )


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _check_regex(pattern: Any, key: str, path: Path, problems: list[Problem]) -> None:
    if pattern is None:
        return
    try:
        re.compile(str(pattern))
    except re.error as exc:
        problems.append(Problem(str(path), f"{key}: not a valid regular expression ({exc})"))


PEOPLE_SCHEMA = {"*": {"name": str, "department": str}}
PROJECTS_SCHEMA = {
    "*": {"name": str, "pi_email": str, "fund_org": str, "end_date": date, "department": str}
}


def _load_people(path: Path, problems: list[Problem]) -> dict[str, Person]:
    if not path.is_file():
        return {}
    raw = load_yaml(path) or {}
    check_schema(raw, PEOPLE_SCHEMA, "", problems, str(path))
    if not isinstance(raw, dict):
        return {}
    return {
        str(email).lower(): Person(
            str(email).lower(), str(v.get("name") or email), v.get("department")
        )
        for email, v in raw.items()
        if isinstance(v, dict)
    }


def _load_projects(path: Path, problems: list[Problem]) -> dict[str, Project]:
    if not path.is_file():
        return {}
    raw = load_yaml(path) or {}
    check_schema(raw, PROJECTS_SCHEMA, "", problems, str(path))
    if not isinstance(raw, dict):
        return {}
    return {
        str(pid): Project(
            id=str(pid),
            name=_opt_str(v.get("name")),
            pi_email=_opt_str(v.get("pi_email")),
            fund_org=_opt_str(v.get("fund_org")),
            end_date=v.get("end_date") if isinstance(v.get("end_date"), date) else None,
        )
        for pid, v in raw.items()
        if isinstance(v, dict)
    }
