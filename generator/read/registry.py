"""The registry: people (``data/people.yaml``), projects (``data/projects.yaml``) and fund/orgs
(``data/fund_orgs.yaml``, for the budget of a grant that funds several projects). Each
problem names the file and the line of its entry."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from generator.common.addresses import is_plain_address
from generator.common.errors import Problem, at
from generator.common.text import escape_controls, has_control
from generator.read.budgets import Budget, parse_budgets
from generator.read.yamlfile import check_schema, compose_file, construct


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
    budgets: tuple[Budget, ...] = ()


@dataclass(frozen=True)
class FundOrg:
    """A fund/org with a budget: a grant whose charges may come from several projects."""

    fund_org: str
    name: str | None = None
    budgets: tuple[Budget, ...] = ()


PEOPLE_SCHEMA = {"name": str, "department": str}
PROJECT_SCHEMA = {"name": str, "pi_email": str, "fund_org": str, "end_date": date,
                  "department": str, "budgets": None}
FUND_ORG_SCHEMA = {"name": str, "budgets": None}


def load_people(root: Path, problems: list[Problem]) -> dict[str, Person]:
    where = "data/people.yaml"
    people = {}
    for email, v, line, _ in entries(root / where, where, PEOPLE_SCHEMA, problems):
        if not is_plain_address(email):
            problems.append(Problem(at(where, line), f"{email!r}: not a plain email address "
                                    "(like ada@example.edu); fix the key"))
        people[email.lower()] = Person(email.lower(), str(v.get("name") or email),
                                       _opt_str(v.get("department")))
    return people


def load_projects(root: Path, sources: Collection[str], decimals: int,
                  problems: list[Problem]) -> dict[str, Project]:
    """The projects, each with its budgets (``sources``: the config's source keys;
    ``decimals``: the currency's minor units)."""
    where = "data/projects.yaml"
    projects = {}
    for pid, v, line, node in entries(root / where, where, PROJECT_SCHEMA, problems):
        pi = v.get("pi_email")
        if isinstance(pi, str) and not is_plain_address(pi):
            problems.append(Problem(at(where, line), f"{pid}.pi_email: {pi!r} is not a plain "
                                    "email address (like ada@example.edu)"))
        projects[pid] = Project(
            id=pid,
            name=_opt_str(v.get("name")),
            pi_email=_opt_str(v.get("pi_email")),
            fund_org=_opt_str(v.get("fund_org")),
            end_date=v.get("end_date") if isinstance(v.get("end_date"), date) else None,
            budgets=_budgets("project", pid, node, where, sources, decimals, problems),
        )
    return projects


def load_fund_orgs(root: Path, sources: Collection[str], decimals: int,
                   patterns: Collection[str], problems: list[Problem]) -> dict[str, FundOrg]:
    """The fund/orgs with budgets, by fund/org; each must match one of ``patterns`` (the
    config's ``review.fund_org_patterns``), when there are any."""
    where = "data/fund_orgs.yaml"
    found = {}
    for key, v, line, node in entries(root / where, where, FUND_ORG_SCHEMA, problems):
        if patterns and not any(_fullmatch(p, key) for p in patterns):
            problems.append(Problem(at(where, line), f"{key}: matches none of "
                                    "review.fund_org_patterns in data/config.yaml"))
        found[key] = FundOrg(key, _opt_str(v.get("name")),
                             _budgets("fund_org", key, node, where, sources, decimals,
                                      problems))
    return found


def entries(path: Path, where: str, schema: dict[str, Any], problems: list[Problem]
            ) -> Iterator[tuple[str, dict[str, Any], int, yaml.Node]]:
    """Each entry of a registry file (a mapping of keys to mappings), checked against
    ``schema``: (key, value, line, value node), the value without the fields that do not
    fit (each reported). A key that is not text (a number is read as its text), and a key or
    text with a control character, are refused."""
    root = compose_file(path, where) if path.is_file() else None
    if root is None:
        return
    if not isinstance(root, yaml.MappingNode):
        problems.append(Problem(at(where, root.start_mark.line + 1),
                                "expected a mapping of keys to entries"))
        return
    for key_node, node in root.value:
        line = key_node.start_mark.line + 1
        try:
            key, value = construct(key_node, where), construct(node, where)
        except ValueError as exc:  # a date that is no date, such as 2027-13-01
            problems.append(Problem(at(where, line), f"{key_node.value}: {exc}; fix the date"))
            continue
        if isinstance(key, int) and not isinstance(key, bool):
            key = str(key)
        if not isinstance(key, str):
            problems.append(Problem(at(where, line), f"a key must be text, not "
                                    f"{type(key).__name__} {key!r}"))
            continue
        if value is None:
            value = {}
        if isinstance(node, yaml.MappingNode) and isinstance(value, dict):
            fitting: dict[str, Any] = {}
            for field_node, _ in node.value:  # each field at its line; budgets: parse_budgets
                name = field_node.value
                if name == "budgets" or name not in value:
                    continue
                fitting.update(check_schema({name: value[name]}, schema, key, problems,
                                            at(where, field_node.start_mark.line + 1)) or {})
            value = {**fitting, **({"budgets": value["budgets"]} if "budgets" in value else {})}
        else:
            check_schema(value, schema, key, problems, at(where, line))
        _refuse_controls(at(where, line), key, value, problems)
        if isinstance(value, dict):
            yield key, value, line, node


def _budgets(owner: str, name: str, node: yaml.Node, where: str, sources: Collection[str],
             decimals: int, problems: list[Problem]) -> tuple[Budget, ...]:
    found = [v for k, v in node.value if k.value == "budgets"] if isinstance(
        node, yaml.MappingNode) else []
    return parse_budgets(owner, name, found[0], where, sources, decimals,
                         problems) if found else ()


def _fullmatch(pattern: str, text: str) -> bool:
    try:
        return re.fullmatch(pattern, text) is not None
    except re.error:
        return True  # the pattern itself is reported with the config's review section


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)


def _refuse_controls(where: str, key: str, entry: object, problems: list[Problem]) -> None:
    """A key or text value with a control character (NUL, CR, LF, ...) is refused."""
    values = entry.items() if isinstance(entry, dict) else []
    for field_name, value in [("", key), *values]:
        if isinstance(value, str) and has_control(value):
            shown = f"{key!r}" + (f".{field_name}" if field_name else "")
            problems.append(Problem(where, f"{escape_controls(shown)}: contains a control "
                                    "character (a line break, NUL, ...); remove it"))
