"""The institution's config, ``data/config.yaml``, with the registry (``data/people.yaml``,
``data/projects.yaml``).

This is the one place the config is validated: every section (organization, currency, tags,
review rules, sources, journal, email) is checked against ``SCHEMA`` and its own rules, every
problem reported with its key path (an unknown key names the closest known one), then loading
stops once. So ``check`` — the pull-request gate — sees a broken email section as well as a
broken journal. What the stages use is the checked result (``Config``), never the raw YAML.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal
from email.utils import parseaddr
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import yaml

from generator.common.addresses import is_plain_address
from generator.common.errors import DataError, Problem
from generator.common.files import shown, symlinks
from generator.common.money import Currency, amount_problem
from generator.common.shipped import PACKAGE
from generator.common.sql import Scripts
from generator.read.registry import (
    FundOrg,
    Person,
    Project,
    load_fund_orgs,
    load_people,
    load_projects,
)
from generator.read.yamlfile import NUMBER, STR_OR_LIST, as_tuple, check_schema, get, load_yaml

if TYPE_CHECKING:
    import duckdb

SQL = Scripts.beside(__file__)
TAG_FIELDS = (
    "pi_email",
    "project_id",
    "fund_org",
    "cost_center",
    "reference_1",
    "reference_2",
    "account_code",
)

# What a source's rows may be recognized by, besides a pattern on any column.
MATCH_COLUMNS = ("ProviderName", "InvoiceIssuerName", "BillingAccountId")

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
    "sources": {"*": {
        "name": str, "credit_fund_org": str, "account": str,
        "match": {**dict.fromkeys(MATCH_COLUMNS, STR_OR_LIST), "column": str, "pattern": str},
    }},
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
    "budget_alerts": {"thresholds": [NUMBER], "runs_out": bool, "subject": str},
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


SOURCE_KEY = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")  # it names the files periods/*/KEY.csv


@dataclass(frozen=True)
class Match:
    """``sources.KEY.match``: how a row of a mixed export is recognized as this source's. A
    row matches when every rule given does: each column's value is one of ``values``
    (ignoring case and surrounding spaces) and ``pattern`` is found in ``column``'s."""

    values: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (column, accepted values)
    column: str | None = None
    pattern: re.Pattern[str] | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.values) + ((self.column,) if self.column else ())

    def matches(self, row: dict[str, str | None]) -> bool:
        for column, accepted in self.values:
            value = (row.get(column) or "").strip().lower()
            if value not in (a.strip().lower() for a in accepted):
                return False
        if self.column and self.pattern:
            return self.pattern.search(row.get(self.column) or "") is not None
        return True


@dataclass(frozen=True)
class Source:
    key: str
    name: str
    credit_fund_org: str | None = None
    account: str | None = None
    match: Match | None = None


@dataclass(frozen=True)
class Journal:
    """The ``journal`` section: the GL layout and how fund/orgs and accounts are read."""

    template: str = "journal_gl.csv.j2"
    default_account: str | None = None
    account_pattern: str | None = None
    fund_org_key: str = "review.fund_org_patterns"  # where the regexes come from, for messages
    fund_org_regexes: tuple[re.Pattern[str], ...] = ()
    part_names: tuple[str, ...] = ()  # the regexes' named groups: fund, orgn, ...
    description: str = "{{ source_name }} {{ period }} {{ project_id }}"
    credit_description: str = "{{ source_name }} {{ period }} recovery"


@dataclass(frozen=True)
class Smtp:
    """``email.smtp``: the server statements are handed to. The login comes from the
    environment variables named here, never from the repository."""

    host: str
    port: int
    security: str = "starttls"
    user_env: str | None = None
    password_env: str | None = None
    timeout_seconds: float = 30.0
    ca_file: Path | None = None

    def __str__(self) -> str:
        return f"{self.host}:{self.port} ({self.security})"


@dataclass(frozen=True)
class Email:
    """The ``email`` section: who statements come from and how they are sent."""

    sender: str  # the From header, e.g. "Research Computing Billing <billing@uni.edu>"
    reply_to: str | None = None
    bcc: tuple[str, ...] = ()
    subject: str = "{{ organization.name }} statement for {{ period | period_name }}"
    site_url: str | None = None
    smtp: Smtp | None = None

    @property
    def envelope_sender(self) -> str:
        return parseaddr(self.sender)[1]


@dataclass(frozen=True)
class BudgetAlerts:
    """The ``budget_alerts`` section: when `send` tells a PI (and the staff) about a budget."""

    thresholds: tuple[Decimal, ...] = (Decimal(50), Decimal(80), Decimal(100))  # % spent
    runs_out: bool = True  # at this rate, the budget runs out before the award ends
    subject: str = "{{ organization.name }}: budget alert for {{ budget.label }}"


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
    fund_orgs: dict[str, FundOrg] = field(default_factory=dict)  # with budgets
    journal: Journal = Journal()
    email: Email = Email(sender="")
    site: Site = Site()
    budget_alerts: BudgetAlerts = BudgetAlerts()
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


def load_config(root: Path, config_file: Path | None = None) -> Config:
    """Load and check ``data/config.yaml``, ``people.yaml`` and ``projects.yaml``."""
    root = root.resolve()
    path = config_file or root / "data" / "config.yaml"
    if not path.is_file():
        raise DataError(
            [Problem(str(path), "no config file; run `openchargeback init DIR` or pass -c FILE")]
        )
    refuse_symlinks(root, config_file)
    where = shown(root, path)
    raw = load_yaml(path, where) or {}
    problems: list[Problem] = []
    checked = check_schema(raw, SCHEMA, "", problems, where)
    if not isinstance(raw, dict):
        raise DataError(problems)
    for key in REQUIRED:
        if get(raw, key) in (None, ""):
            problems.append(Problem(where, f"{key}: required"))
    raw = checked  # what does not fit the schema is reported and left out

    currency = Currency(**(raw.get("currency") or {}))
    if not re.fullmatch(r"[A-Z]{3}", str(currency.code)):
        problems.append(Problem(where, f"currency.code: {currency.code!r} is not ISO 4217"))
    if not isinstance(currency.minor_units, int) or not 0 <= currency.minor_units <= 4:
        problems.append(Problem(where, "currency.minor_units: expected 0 to 4"))
    cost_basis = raw.get("cost_basis", "BilledCost")
    if cost_basis not in ("BilledCost", "EffectiveCost"):
        problems.append(
            Problem(where, f"cost_basis: {cost_basis!r}; use BilledCost or EffectiveCost")
        )

    review = raw.get("review") or {}
    patterns = []
    for i, rule in enumerate(review.get("patterns") or []):
        if not isinstance(rule, dict):
            continue
        for key in ("name", "columns", "pattern"):
            if not rule.get(key):
                problems.append(Problem(where, f"review.patterns[{i}].{key}: required"))
        if rule.get("name") and not re.fullmatch(r"[a-z0-9_]+", str(rule["name"])):
            problems.append(
                Problem(where, f"review.patterns[{i}].name: use lowercase letters, digits, _")
            )
        _check_regex(rule.get("pattern"), f"review.patterns[{i}].pattern", where, problems,
                     sql=True)
        patterns.append(
            PatternRule(str(rule.get("name")), as_tuple(rule.get("columns")),
                        str(rule.get("pattern")))
        )
    fund_org_patterns = as_tuple(review.get("fund_org_patterns"))
    for i, pattern in enumerate(fund_org_patterns):
        _check_regex(pattern, f"review.fund_org_patterns[{i}]", where, problems, sql=True)
    spike = review.get("cost_spike") or {}
    for key, value in spike.items():
        why = amount_problem(str(value))
        if key == "factor" and not why and Decimal(str(value)) <= 0:
            why = "is not above 0: a spike is a total this many times the average"
        if why:
            problems.append(Problem(where, f"review.cost_spike.{key}: {value!r} {why}"))

    sources = {
        str(key): Source(
            key=str(key),
            name=str(value.get("name") or key),
            credit_fund_org=_opt_str(value.get("credit_fund_org")) or None,  # "": missing
            account=_opt_str(value.get("account")),
            match=_match(str(key), value.get("match"), where, problems),
        )
        for key, value in (raw.get("sources") or {}).items()
        if isinstance(value, dict)
    }
    organization = {k: str(v) for k, v in (raw.get("organization") or {}).items()}
    journal_section = _journal(raw.get("journal"), fund_org_patterns, sources, where, problems)
    email = _email(raw.get("email"), organization, root, where, problems)
    people = load_people(root, problems)
    decimals = currency.minor_units if isinstance(currency.minor_units, int) else 2
    projects = load_projects(root, sources, decimals, problems)
    fund_orgs = load_fund_orgs(root, sources, decimals, fund_org_patterns, problems)
    budget_alerts = _budget_alerts(raw.get("budget_alerts"), where, problems)
    site = _site(raw.get("site"), people, where, problems)
    if problems:
        raise DataError(problems)
    return Config(
        root=root,
        organization=organization,
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
        fund_orgs=fund_orgs,
        journal=journal_section,
        email=email,
        site=site,
        budget_alerts=budget_alerts,
        raw=raw,
    )


EDIT_MARK = re.compile(r"#\s*EDIT\b")
SKELETON_CONFIG = PACKAGE / "skeleton" / "data" / "config.yaml"


def placeholders(root: Path, config_file: Path | None = None) -> list[Problem]:
    """Values still as ``init`` or ``migrate`` left them: a value on a line marked ``# EDIT``
    that is empty or is still the example ``init`` wrote. One problem per kind of key."""
    path = config_file or root / "data" / "config.yaml"
    where = shown(root, path)
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    example = yaml.safe_load(SKELETON_CONFIG.read_text(encoding="utf-8")) or {}
    found: dict[str, list[tuple[int, str, Any]]] = {}

    def walk(node: yaml.Node, keys: tuple[str, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                walk(value, (*keys, str(key.value)))
        elif keys and EDIT_MARK.search(lines[node.start_mark.line]):
            value = yaml.safe_load(yaml.serialize(node))
            if value in ("", None, []) or value == get(example, ".".join(keys)):
                found.setdefault(keys[-1], []).append(
                    (node.start_mark.line + 1, ".".join(keys), value))

    root_node = yaml.compose(text, Loader=yaml.SafeLoader)
    if root_node is not None:
        walk(root_node, ())
    problems = []
    for items in found.values():
        first, keys = items[0][0], ", ".join(k for _, k, _ in items)
        empty = all(v in ("", None, []) for _, _, v in items)
        what = "empty" if empty else "still the example `openchargeback init` wrote"
        one = len(items) == 1
        then = "it, then delete its # EDIT mark" if one else "each, then delete their # EDIT marks"
        problems.append(Problem(f"{where}:{first}", f"{keys}: {what}; set {then} "
                                "(docs/admin/configuration.md)"))
    return problems


def refuse_symlinks(root: Path, config_file: Path | None) -> None:
    """Refuse the repository, before anything in it is read, if data/, periods/ or reviews/
    hold a symbolic link (it may lead outside the repository); only a config file given with
    -c may be one."""
    given = config_file.absolute().parent.resolve() / config_file.name if config_file else None
    links = [p for p in symlinks(root, ("data", "periods", "reviews")) if p != given]
    if links:
        raise DataError([
            Problem(link.relative_to(root).as_posix(), f"a symbolic link (to {os.readlink(link)}); "
                    "links may lead outside the repository, so none is followed in data/, "
                    "periods/ or reviews/: put the file or folder itself here")
            for link in links
        ])


def _site(raw: Any, people: dict[str, Person], where: str, problems: list[Problem]) -> Site:
    """The ``site`` section: the access mode, its secret's variable, staff and heads (of
    departments that ``people.yaml`` names, once it names any)."""
    raw = raw if isinstance(raw, dict) else {}
    site = Site()
    access = raw.get("access", site.access)
    if access not in ACCESS_MODES:
        problems.append(Problem(where, f"site.access: {access!r}; use one of "
                                f"{', '.join(ACCESS_MODES)}"))
    secret_env = str(raw.get("secret_env") or site.secret_env)
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", secret_env):
        problems.append(Problem(where, f"site.secret_env: {secret_env!r} is not the name "
                                "of an environment variable (the secret itself never goes here)"))
    departments = {p.department for p in people.values() if p.department}
    heads = raw.get("department_heads") or {}
    for name in heads if isinstance(heads, dict) and departments else ():
        if name not in departments:
            close = difflib.get_close_matches(str(name), sorted(departments), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(Problem(where, f"site.department_heads.{name}: no one in "
                                    f"data/people.yaml has this department{hint}"))
    for key, emails in [("staff", raw.get("staff")),
                        *((f"department_heads.{k}", v) for k, v in
                          (heads.items() if isinstance(heads, dict) else ()))]:
        for email in as_tuple(emails):
            if not is_plain_address(str(email)):
                problems.append(Problem(where, f"site.{key}: {email!r} is not a plain email "
                                        "address (like ada@example.edu)"))
    return Site(
        access=str(access),
        secret_env=secret_env,
        staff=tuple(str(e).lower() for e in as_tuple(raw.get("staff"))),
        department_heads={str(k): tuple(str(e).lower() for e in as_tuple(v))
                          for k, v in (heads.items() if isinstance(heads, dict) else ())},
    )


def _budget_alerts(raw: Any, where: str, problems: list[Problem]) -> BudgetAlerts:
    """The ``budget_alerts`` section: percentages above zero, each once; the subject."""
    raw = raw if isinstance(raw, dict) else {}
    default = BudgetAlerts()
    thresholds = default.thresholds
    if isinstance(raw.get("thresholds"), list):
        try:
            thresholds = tuple(Decimal(str(t)) for t in raw["thresholds"])
        except ArithmeticError:
            thresholds = ()  # reported by the schema check
        if any(not t.is_finite() or t <= 0 for t in thresholds):
            problems.append(Problem(where, "budget_alerts.thresholds: give percentages above "
                                    "zero, e.g. [50, 80, 100]"))
        if len(set(thresholds)) != len(thresholds):
            problems.append(Problem(where, "budget_alerts.thresholds: a percentage is given "
                                    "twice; give each once"))
    subject = str(raw.get("subject") or default.subject)
    _check_template(subject, "budget_alerts.subject", where, problems)
    return BudgetAlerts(tuple(sorted(set(thresholds))), bool(raw.get("runs_out", True)),
                        subject)


def _match(key: str, raw: Any, where: str, problems: list[Problem]) -> Match | None:
    """``sources.KEY.match``, checked: at least one rule, column and pattern together."""
    if not isinstance(raw, dict):
        return None
    here = f"sources.{key}.match"
    if not SOURCE_KEY.fullmatch(key):
        problems.append(Problem(where, f"sources.{key}: a source whose rows are routed names "
                                "files; use lowercase letters, digits, - and _"))
    values = tuple((c, as_tuple(raw[c])) for c in MATCH_COLUMNS if raw.get(c))
    column, pattern = raw.get("column"), raw.get("pattern")
    if bool(column) != bool(pattern):
        problems.append(Problem(where, f"{here}: give column and pattern together "
                                "(pattern is a regular expression found in column's value)"))
    compiled = None
    if column and _check_regex(pattern, f"{here}.pattern", where, problems):
        compiled = re.compile(str(pattern))
    if not values and not column:
        problems.append(Problem(where, f"{here}: give ProviderName, InvoiceIssuerName, "
                                "BillingAccountId, or column and pattern"))
    return Match(values, str(column) if column else None, compiled)


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


@cache
def _regex_engine() -> duckdb.DuckDBPyConnection:
    """A DuckDB connection to try regular expressions in (one per process)."""
    import duckdb

    return duckdb.connect()


def _check_regex(pattern: Any, key: str, where: str, problems: list[Problem],
                 sql: bool = False) -> bool:
    """Whether ``pattern`` (if any) compiles, in Python and (``sql``: it also runs in the
    warehouse) in DuckDB; a problem naming ``key`` if not."""
    if pattern is None:
        return False
    try:
        re.compile(str(pattern))
    except (re.error, OverflowError, RecursionError) as exc:
        problems.append(Problem(where, f"{key}: not a valid regular expression ({exc})"))
        return False
    if sql:
        import duckdb

        try:
            SQL.query(_regex_engine(), "regex_check", pattern=str(pattern))
        except duckdb.Error as exc:
            detail = str(exc).split(": ", 1)[-1]
            problems.append(Problem(where, f"{key}: DuckDB cannot run this regular expression "
                                    f"({detail}); lookarounds and backreferences are not "
                                    "supported"))
            return False
    return True




TEMPLATE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
SECURITY = ("starttls", "ssl", "none")
SENDER_HINT = "set email.from, e.g. 'Research Computing Billing <billing@example.edu>'"
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


def _journal(raw: Any, fund_org_patterns: tuple[str, ...], sources: dict[str, Source],
             where: str, problems: list[Problem]) -> Journal:
    """The ``journal`` section, checked: template name, regexes, accounts, descriptions."""
    raw = raw if isinstance(raw, dict) else {}
    default = Journal()

    def say(key: str, message: str) -> None:
        problems.append(Problem(where, f"journal.{key}: {message}"))

    template = str(raw.get("template") or default.template)
    if not TEMPLATE_NAME.fullmatch(template):
        say("template", f"{template!r}: give a file name in site_templates/, not a path")
    default_account = _opt_str(raw.get("default_account"))
    account_pattern = _opt_str(raw.get("account_pattern"))
    key, patterns = default.fund_org_key, fund_org_patterns
    if raw.get("fund_org_regex"):
        key, patterns = "journal.fund_org_regex", (str(raw["fund_org_regex"]),)
    if not patterns:
        say("fund_org_regex", "not set, and review.fund_org_patterns is empty; give a "
            r"regex with named groups, e.g. '(?P<fund>\d{6})-(?P<orgn>\d{4})'")
    regexes = []
    for pattern in patterns:
        try:
            regexes.append(re.compile(pattern))
        except (re.error, OverflowError, RecursionError) as exc:
            if key == "journal.fund_org_regex":  # review.fund_org_patterns: reported above
                say("fund_org_regex", f"not a valid regular expression ({exc})")
    if account_pattern is not None and _check_regex(account_pattern, "journal.account_pattern",
                                                    where, problems):
        checked = [(f"sources.{s.key}.account", s.account) for s in sources.values()]
        for place, account in [("journal.default_account", default_account), *checked]:
            if account is not None and not re.fullmatch(account_pattern, account):
                problems.append(Problem(where, f"{place}: {account!r} does not match "
                                               f"journal.account_pattern {account_pattern!r}"))
    for s in sources.values():
        if s.credit_fund_org is not None and regexes and not any(
                r.fullmatch(s.credit_fund_org) for r in regexes):
            problems.append(Problem(where, f"sources.{s.key}.credit_fund_org: "
                                           f"{s.credit_fund_org!r} cannot be parsed by {key}"))
    descriptions = []
    for name in ("description", "credit_description"):
        text = str(raw.get(name) or getattr(default, name))
        _check_template(text, f"journal.{name}", where, problems)
        descriptions.append(text)
    return Journal(template, default_account, account_pattern, key, tuple(regexes),
                   tuple(dict.fromkeys(n for r in regexes for n in r.groupindex)),
                   *descriptions)


def _email(raw: Any, organization: dict[str, str], root: Path, where: str,
           problems: list[Problem]) -> Email:
    """The ``email`` section, checked: addresses, the subject template, the SMTP server."""
    raw = raw if isinstance(raw, dict) else {}

    def bad(key: str, message: str) -> None:
        problems.append(Problem(where, f"email.{key}: {message}"))

    sender = str(raw.get("from") or organization.get("contact") or "")
    if sender and "@" not in parseaddr(sender)[1]:  # none at all: `send` asks for one
        bad("from", f"{sender!r} is not an email address; {SENDER_HINT}")
    for key in ("reply_to", "bcc"):
        for value in as_tuple(raw.get(key)):
            if "@" not in parseaddr(str(value))[1]:
                bad(key, f"{value!r} is not an email address")
    subject = str(raw.get("subject") or Email(sender="").subject)
    _check_template(subject, "email.subject", where, problems)
    server = None
    conf = raw.get("smtp") if isinstance(raw.get("smtp"), dict) else {}
    if conf.get("host"):
        security = conf.get("security", "starttls")
        if security not in SECURITY:
            bad("smtp.security", f"{security!r}; use one of {', '.join(SECURITY)}")
            security = "starttls"
        if conf.get("password_env") and not conf.get("user_env"):
            bad("smtp.password_env", "needs email.smtp.user_env too")
        ca_file = conf.get("ca_file")
        server = Smtp(
            host=str(conf["host"]),
            port=int(conf.get("port") or DEFAULT_PORTS[security]),
            security=security,
            user_env=conf.get("user_env"),
            password_env=conf.get("password_env"),
            timeout_seconds=float(conf.get("timeout", 30)),
            ca_file=root / ca_file if ca_file else None,
        )
    reply_to = raw.get("reply_to")
    site_url = raw.get("site_url")
    return Email(sender=sender, reply_to=str(reply_to) if reply_to else None,
                 bcc=tuple(str(b) for b in as_tuple(raw.get("bcc"))), subject=subject,
                 site_url=str(site_url) if site_url else None, smtp=server)


def _check_template(text: str, key: str, where: str, problems: list[Problem]) -> None:
    """A Jinja2 template in the config must parse (its filters are checked when it renders)."""
    try:
        jinja2.Environment().parse(text)
    except jinja2.TemplateSyntaxError as exc:
        problems.append(Problem(where, f"{key}: not a valid template ({exc.message})"))
