"""The registry: people (``data/people.yaml``) and projects (``data/projects.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from generator.common.addresses import is_plain_address
from generator.common.errors import Problem
from generator.common.text import escape_controls, has_control
from generator.read.yamlfile import check_schema, load_yaml


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


PEOPLE_SCHEMA = {"*": {"name": str, "department": str}}
PROJECTS_SCHEMA = {
    "*": {"name": str, "pi_email": str, "fund_org": str, "end_date": date, "department": str}
}


def load_people(root: Path, problems: list[Problem]) -> dict[str, Person]:
    path = root / "data" / "people.yaml"
    if not path.is_file():
        return {}
    raw = load_yaml(path, "data/people.yaml") or {}
    raw = check_schema(raw, PEOPLE_SCHEMA, "", problems, "data/people.yaml")
    if not isinstance(raw, dict):
        return {}
    for email, v in raw.items():
        if not is_plain_address(str(email)):
            problems.append(Problem("data/people.yaml", f"{str(email)!r}: not a plain email "
                                    "address (like ada@example.edu); fix the key"))
        _refuse_controls("data/people.yaml", str(email), v, problems)
    return {
        str(email).lower(): Person(
            str(email).lower(), str(v.get("name") or email), _opt_str(v.get("department"))
        )
        for email, v in raw.items()
        if isinstance(v, dict)
    }


def load_projects(root: Path, problems: list[Problem]) -> dict[str, Project]:
    path = root / "data" / "projects.yaml"
    if not path.is_file():
        return {}
    raw = load_yaml(path, "data/projects.yaml") or {}
    raw = check_schema(raw, PROJECTS_SCHEMA, "", problems, "data/projects.yaml")
    if not isinstance(raw, dict):
        return {}
    for pid, v in raw.items():
        pi = v.get("pi_email") if isinstance(v, dict) else None
        if isinstance(pi, str) and not is_plain_address(pi):
            problems.append(Problem("data/projects.yaml", f"{pid}.pi_email: {pi!r} is not a "
                                    "plain email address (like ada@example.edu)"))
        _refuse_controls("data/projects.yaml", str(pid), v, problems)
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
