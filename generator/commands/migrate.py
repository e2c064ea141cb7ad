"""``migrate OLD_CONFIG.yaml``: from the earlier OpenChargeback web application.

Its config becomes ``data/config.yaml`` (and its GL template, if it had its own,
``site_templates/journal_migrated.csv.j2``); what has no equivalent here is reported, each
with what takes its place, and so is every value the old tool allowed empty that this one
needs (an empty credit fund/org): the written config marks each with ``# EDIT``, and
``check`` fails until they are filled in. Nothing is overwritten without ``--force``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import jinja2.nodes
import yaml

from generator.commands.output import Output, count
from generator.common.errors import DataError, Problem, UsageError
from generator.common.files import atomic_write, shown
from generator.read.config import SOURCE_KEY, load_config
from generator.read.yamlfile import load_yaml
from generator.render.filters import FILTERS
from generator.render.journal import Entry, GLContext

MIGRATED_TEMPLATE = "journal_migrated.csv.j2"
CURRENCIES = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "CHF": "CHF",
              "C$": "CAD", "A$": "AUD", "kr": "SEK", "₹": "INR"}
# The old tool's `flag_patterns` named no column: each is searched in these.
FLAG_COLUMNS = ["ServiceName", "ChargeDescription", "ResourceId", "SkuId"]
NO_EQUIVALENT = {
    "dev_mode": "no equivalent: every command works on the repository it is given",
    "database": "no database: the billing repository (git) holds every month's FOCUS files "
                "and review decisions; bring in old months with `openchargeback ingest`",
    "output": "no equivalent: outputs go to build/ (statements, journals, emails, site)",
    "logging": "no equivalent: commands print what they did; CI keeps the logs",
    "web": "no web application, so no users, roles or password policy: who may change "
           "billing is who may merge a pull request (CODEOWNERS, branch protection); who sees "
           "which pages of the site is site.access (docs/admin/site-access.md)",
}


@dataclass
class Migration:
    config: dict[str, Any]
    sources: list[tuple[str, dict[str, Any], str | None]]  # (key, entry, why it needs EDIT)
    template: str | None = None  # the old GL template's text, if it had its own
    no_equivalent: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was assumed
    to_fill: dict[str, list[str]] = field(default_factory=dict)  # key name -> where
    template_changes: list[str] = field(default_factory=list)


def migrate(old: Path) -> Migration:
    """Read the old config and say what each key becomes."""
    if not old.is_file():
        raise UsageError(f"{old}: no such file")
    raw = load_yaml(old, str(old)) or {}
    if not isinstance(raw, dict):
        raise DataError([Problem(str(old), "not a mapping of keys; is it the old config.yaml?")])
    m = Migration(config={}, sources=[])
    for key in raw:
        if key in NO_EQUIVALENT:
            m.no_equivalent.append(f"{key}: {NO_EQUIVALENT[key]}")
        elif key not in ("currency", "smtp", "email", "tag_mapping", "review", "imports",
                         "journal"):
            m.no_equivalent.append(f"{key}: not a key of the earlier application's config "
                                   "that this one knows; left out")
    email = _section(raw, "email")
    name = str(email.get("from_name") or "").strip()
    address = str(email.get("from_address") or "").strip()
    m.config["organization"] = {"name": name or "EDIT", "contact": address or "EDIT"}
    if name:
        m.notes.append(f"organization.name: {name!r}, from email.from_name; it heads every "
                       "statement, so give the group's full name if that is not it")
    else:
        m.to_fill.setdefault("organization", []).append("organization.name")
    m.config["currency"] = _currency(raw.get("currency"), m)
    m.config["cost_basis"] = "BilledCost"
    tags = _section(raw, "tag_mapping")
    m.config["tags"] = {k: str(v) for k, v in tags.items() if v}
    m.config["review"] = _review(_section(raw, "review"), m)
    m.sources = _sources(_section(raw, "imports"), m)
    m.config["journal"] = _journal(_section(raw, "journal"), old, m)
    m.config["email"] = _email(email, _section(raw, "smtp"), m)
    if m.template is not None:
        groups = tuple(re.compile(m.config["journal"].get("fund_org_regex") or "").groupindex)
        m.template, done = optional_parts(m.template, groups)
        m.notes += done
        m.template_changes = template_changes(m.template, groups)
    return m


def _section(raw: dict[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key)
    return value if isinstance(value, dict) else {}


def _currency(symbol: Any, m: Migration) -> dict[str, Any]:
    symbol = str(symbol or "$").strip()
    code = CURRENCIES.get(symbol, symbol.upper() if re.fullmatch(r"[A-Za-z]{3}", symbol)
                          else "USD")
    m.notes.append(f"currency.code: {code}, from the symbol {symbol!r}; set the ISO 4217 "
                   "code of your ledger if it is another")
    return {"code": code, "symbol": symbol, "minor_units": 0 if code == "JPY" else 2}


def _review(review: dict[str, Any], m: Migration) -> dict[str, Any]:
    out: dict[str, Any] = {}
    patterns = []
    for i, rule in enumerate(review.get("flag_patterns") or [], start=1):
        if isinstance(rule, dict):
            pattern = rule.get("pattern") or rule.get("regex")
            columns = rule.get("columns") or rule.get("column") or rule.get("field") or FLAG_COLUMNS
            rule_name = re.sub(r"[^a-z0-9_]+", "_", str(rule.get("name") or f"flag_{i}").lower())
        else:
            pattern, columns, rule_name = rule, FLAG_COLUMNS, f"flag_{i}"
        if pattern:
            patterns.append({"name": rule_name, "columns": columns, "pattern": str(pattern)})
    if patterns:
        out["patterns"] = patterns
        if any(p["columns"] is FLAG_COLUMNS for p in patterns):
            m.notes.append("review.patterns: the old flag_patterns named no column; each is "
                           f"searched in {', '.join(FLAG_COLUMNS)}: narrow its columns")
    fund_org = [str(p) for p in review.get("fund_org_patterns") or [] if p]
    if fund_org:
        out["fund_org_patterns"] = fund_org
    return out


def _sources(imports: dict[str, Any], m: Migration) -> list[tuple[str, dict[str, Any],
                                                                  str | None]]:
    sources = []
    keys: set[str] = set()
    for i, s in enumerate(imports.get("known_sources") or []):
        if not isinstance(s, dict):
            continue
        name = str(s.get("name") or f"source {i + 1}")
        stem = re.match(r"[A-Za-z0-9]+", str(s.get("pattern") or "")) or re.match(
            r"[A-Za-z0-9]+", name)
        key = base = (stem.group(0).lower() if stem else f"source{i + 1}")[:40]
        n = 2
        while key in keys or not SOURCE_KEY.fullmatch(key):
            key, n = f"{base[:36]}-{n}", n + 1
        keys.add(key)
        entry: dict[str, Any] = {"name": name}
        fund_org = str(s.get("fund_org") or "").strip()
        if fund_org:
            entry["credit_fund_org"] = fund_org
        else:
            entry["credit_fund_org"] = ""
            m.to_fill.setdefault("credit_fund_org", []).append(f"sources.{key}")
        if s.get("account_code"):
            entry["account"] = str(s["account_code"])
        why = None if fund_org else ("the fund/org that receives this source's recoveries "
                                     "(empty in the old config)")
        sources.append((key, entry, why))
        if s.get("pattern"):
            m.notes.append(f"sources.{key}: the old file-name pattern {s['pattern']!r} has no "
                           f"equivalent: files are placed with `ingest FILE -s {key}`, or "
                           f"routed by sources.{key}.match (docs/admin/configuration.md)")
    return sources


def _journal(journal: dict[str, Any], old: Path, m: Migration) -> dict[str, Any]:
    out: dict[str, Any] = {"template": "journal_gl.csv.j2"}
    if journal.get("default_account"):
        out["default_account"] = str(journal["default_account"])
    if journal.get("account_code_regex"):
        pattern = str(journal["account_code_regex"])
        out["account_pattern"] = pattern
        groups = list(re.compile(pattern).groupindex)
        if groups:
            m.notes.append(f"journal.account_pattern: its named groups ({', '.join(groups)}) "
                           "are not read here: an account is checked against it whole")
    if journal.get("fund_org_regex"):
        out["fund_org_regex"] = str(journal["fund_org_regex"])
    for old_key, new_key in (("debit_description", "description"),
                             ("credit_description", "credit_description")):
        if journal.get(old_key):
            out[new_key] = _placeholders(str(journal[old_key]), f"journal.{old_key}", m,
                                         {"source": "source_name", "period": "period"})
    template = journal.get("template")
    if template:
        text = str(template)
        if "{{" not in text and "{%" not in text:
            path = Path(text) if Path(text).is_absolute() else old.parent / text
            if not path.is_file():
                m.no_equivalent.append(f"journal.template: {text!r} is not found beside "
                                       f"{old.name}; journal_gl.csv.j2 is used: copy yours to "
                                       f"site_templates/{MIGRATED_TEMPLATE}")
                return out
            text = path.read_text(encoding="utf-8")
        m.template = text
        out["template"] = MIGRATED_TEMPLATE
    return out


def _placeholders(text: str, key: str, m: Migration, names: dict[str, str]) -> str:
    """``{source}``-style fields as Jinja2 (``{{ source_name }}``); the rest reported."""
    def field_of(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in names:
            return "{{ " + names[name] + " }}"
        m.notes.append(f"{key}: {{{name}}} has no equivalent; it is left as text")
        return "{{ '{" + name + "}' }}"

    return re.sub(r"\{(\w+)\}", field_of, text.replace("{{", "{").replace("}}", "}"))


def _email(email: dict[str, Any], smtp: dict[str, Any], m: Migration) -> dict[str, Any]:
    out: dict[str, Any] = {}
    name, address = email.get("from_name"), email.get("from_address")
    if address:
        out["from"] = f"{name} <{address}>" if name else str(address)
    if email.get("subject_template"):
        out["subject"] = _placeholders(str(email["subject_template"]), "email.subject_template",
                                       m, {"billing_period": "period | period_name"})
    if smtp.get("host"):
        port = int(smtp.get("port") or 587)
        security = ("ssl" if port == 465 else "starttls") if smtp.get("use_tls", True) else "none"
        server: dict[str, Any] = {"host": str(smtp["host"]), "port": port, "security": security}
        for old_key, new_key in (("username", "user_env"), ("password", "password_env")):
            value = str(smtp.get(old_key) or "")
            variable = re.fullmatch(r"\$\{(\w+)\}|\$(\w+)", value.strip())
            if variable:
                server[new_key] = variable.group(1) or variable.group(2)
            elif value:
                m.no_equivalent.append(
                    f"smtp.{old_key}: written in the old config itself, so it is not copied "
                    f"(secrets never go in the repository): put it in an environment variable "
                    f"and name that variable in email.smtp.{new_key}")
        out["smtp"] = server
    return out


# Banner's optional FOAPAL parts: a GL template may print them whether or not the fund/org has
# them, as the shipped journal_banner.csv.j2 does.
OPTIONAL_PARTS = ("program", "activity", "location")


def optional_parts(text: str, groups: tuple[str, ...]) -> tuple[str, list[str]]:
    """``entry.program`` (activity, location) as ``entry.parts.program | default("")``: the
    fund/org regex's group of that name, or empty; and what was changed."""
    try:
        ast = jinja2.Environment().parse(text)
    except jinja2.TemplateSyntaxError:
        return text, []
    loops = {n.target.name for n in ast.find_all(jinja2.nodes.For)
             if isinstance(n.target, jinja2.nodes.Name)}
    done = []
    for var in sorted(loops):
        for part in OPTIONAL_PARTS:
            if part in groups:
                continue
            pattern = re.compile(rf"\b{re.escape(var)}\.{part}\b")
            if pattern.search(text):
                text = pattern.sub(f'{var}.parts.{part} | default("")', text)
                done.append(f"site_templates/{MIGRATED_TEMPLATE}: {var}.{part} is printed "
                            f"empty (the fund/org regex has no group {part!r}); add "
                            f"(?P<{part}>...) to journal.fund_org_regex if your fund/orgs carry it")
    return text, done


def template_changes(text: str, groups: tuple[str, ...]) -> list[str]:
    """What the old GL template uses that the journal here does not give it, with what to
    write instead. Empty when it renders as it is."""
    env = jinja2.Environment()
    try:
        ast = env.parse(text)
    except jinja2.TemplateSyntaxError as exc:
        return [f"line {exc.lineno}: not a valid template ({exc.message})"]
    top = set(GLContext.__annotations__)
    fields = ({f for f in Entry.__dataclass_fields__} | {"is_credit", "signed_amount"}
              | set(groups))
    filters = set(env.filters) | set(FILTERS)
    loops = {n.target.name for n in ast.find_all(jinja2.nodes.For)
             if isinstance(n.target, jinja2.nodes.Name)}
    assigned = loops | {n.name for n in ast.find_all(jinja2.nodes.Name) if n.ctx == "store"}
    changes: dict[str, str] = {}
    for node in ast.find_all(jinja2.nodes.Name):
        if node.ctx == "load" and node.name not in assigned | top | {"loop"}:
            changes.setdefault(node.name, f"line {node.lineno}: {node.name} is not given to "
                               f"journal templates here; they get {', '.join(sorted(top))}")
    for got in ast.find_all(jinja2.nodes.Getattr):
        if (isinstance(got.node, jinja2.nodes.Name) and got.node.name in loops
                and got.attr not in fields):
            where = f"{got.node.name}.{got.attr}"
            changes.setdefault(where, (
                f"line {got.lineno}: {where} is not a field of a journal entry here: if the "
                f"fund/org carries it, add a named group (?P<{got.attr}>...) to "
                "journal.fund_org_regex; else write the fixed value your ledger wants "
                f"(e.g. '' for an empty column). Entries have {', '.join(sorted(fields))}"))
    for used in ast.find_all(jinja2.nodes.Filter):
        if used.name not in filters:
            changes.setdefault(f"|{used.name}", f"line {used.lineno}: the filter {used.name} "
                               "does not exist here; see docs/admin/templates.md")
    return list(changes.values())


def render_config(m: Migration) -> str:
    """``data/config.yaml`` as text: each section dumped, the sources with their EDIT marks."""
    head = ("# OpenChargeback configuration, migrated from the earlier web application's "
            "config\n# (`openchargeback migrate`). Every key: docs/admin/configuration.md. "
            "Fill in each value\n# marked EDIT, then run `openchargeback check`.\n")
    parts = [head]
    for key, value in m.config.items():
        if key == "journal":
            parts.append(_sources_text(m))
        if value or key == "tags":
            parts.append(yaml.safe_dump({key: value}, sort_keys=False, allow_unicode=True,
                                        width=100))
    return "\n".join(parts)


def _sources_text(m: Migration) -> str:
    if not m.sources:
        return "sources: {}  # EDIT: one entry per source (docs/admin/configuration.md)\n"
    lines = ["sources:"]
    for key, entry, why in m.sources:
        lines.append(f"  {key}:")
        for name, value in entry.items():
            text = yaml.safe_dump(value, default_style='"' if isinstance(value, str) else None,
                                  allow_unicode=True).strip().removesuffix("...").strip()
            mark = f"  # EDIT: {why}" if name == "credit_fund_org" and why else ""
            lines.append(f"    {name}: {text}{mark}")
    return "\n".join(lines) + "\n"


def main(repo: Path, old_config: Path, force: bool) -> Output:
    m = migrate(old_config)
    root = repo.resolve()
    target = root / "data" / "config.yaml"
    template = root / "site_templates" / MIGRATED_TEMPLATE
    written = [target] + ([template] if m.template is not None else [])
    existing = [p for p in written if p.exists()]
    if existing and not force:
        raise UsageError(f"{shown(root, existing[0])} exists; move it away, or give --force "
                         "to replace it")
    text = render_config(m)
    yaml.safe_load(text)  # what is written must read back
    if m.template is not None:
        atomic_write(template, m.template.encode("utf-8"))
    atomic_write(target, text.encode("utf-8"))
    output = Output()
    for path in written:
        output.say(f"wrote {shown(root, path)}")
    if m.to_fill:
        output.say(f"left to fill in ({count(len(m.to_fill), 'value')}, marked EDIT in "
                   "data/config.yaml):")
        for key, places in m.to_fill.items():
            output.say(f"  {key} of {', '.join(places)}: empty in the old config, needed here"
                       + (" (the journal credits each source's recoveries to it)"
                          if key == "credit_fund_org" else ""))
    if m.template_changes:
        output.say(f"site_templates/{MIGRATED_TEMPLATE}: change before the first journal:")
        for change in m.template_changes:
            output.say(f"  {change}")
    for title, items in (("assumed", m.notes), ("no equivalent here", m.no_equivalent)):
        if items:
            output.say(f"{title}:")
            for item in items:
                output.say(f"  {item}")
    try:
        load_config(root, target)
    except DataError as exc:
        output.say("data/config.yaml does not load yet:")
        for problem in exc.problems:
            output.say(f"  {problem}")
    return output
