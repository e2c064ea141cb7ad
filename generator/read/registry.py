"""The registry: people (``data/people.yaml``) and projects (``data/projects.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from generator.common.errors import Problem
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


def load_people(path: Path, problems: list[Problem]) -> dict[str, Person]:
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


def load_projects(path: Path, problems: list[Problem]) -> dict[str, Project]:
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


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)
