"""YAML files as the tool reads them: safely, checked against a schema, every problem with
its file and key path (an unknown key names the closest known one)."""

from __future__ import annotations

import difflib
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from generator.common.errors import DataError, Problem

# A schema is a dict of allowed keys; a value is a type, a nested schema, ``[schema]`` for a
# list of them, ``{"*": schema}`` for a mapping with free keys, or ``STR_OR_LIST``.
STR_OR_LIST = "str_or_list"
NUMBER = "number"


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


def get(node: Any, dotted: str) -> Any:
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
