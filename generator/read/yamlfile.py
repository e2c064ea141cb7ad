"""YAML files as the tool reads them: safely, checked against a schema, every problem with
its file and key path (an unknown key names the closest known one)."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml

from generator.common.errors import DataError, Problem
from generator.common.money import as_number

# A schema is a dict of allowed keys; a value is a type, a nested schema, ``[schema]`` for a
# list of them, ``{"*": schema}`` for a mapping with free keys, or ``STR_OR_LIST``.
STR_OR_LIST = "str_or_list"
NUMBER = "number"


def load_yaml(path: Path, where: str | None = None) -> Any:
    """Safe-load one YAML file (``where``: the file as messages name it). A syntax error, a
    key given twice in one mapping, or a document that expands too far is a problem naming
    the file and line, never last-wins."""
    where = where or str(path)
    return construct(compose_file(path, where), where)


def compose_file(path: Path, where: str) -> yaml.Node | None:
    """The YAML node tree of a file (``compose``), whose nodes carry their lines."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError([Problem(where, "not UTF-8 text; save it as UTF-8")]) from exc
    return compose(text, where)


def compose(text: str, where: str) -> yaml.Node | None:
    """The YAML node tree of ``text``, refused with every duplicate key found."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        raise DataError([_syntax_problem(exc, where)]) from exc
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow
        line = text.count("\n", 0, exc.position) + 1
        raise DataError([Problem(f"{where}:{line}", f"character U+{exc.character:04X} is not "
                                 "allowed in YAML; remove it")]) from exc
    except RecursionError as exc:
        raise DataError([Problem(where, "nested too deeply to be a settings file")]) from exc
    if node is None:
        return None
    problems = [
        Problem(f"{where}:{line}", f"key {key!r} appears twice in one mapping (first on line "
                                   f"{first}); keep one")
        for key, line, first in duplicate_keys(node)
    ]
    if _expanded_size(node) > MAX_NODES:
        problems.append(Problem(where, f"expands to more than {MAX_NODES:,} values through "
                                       "anchors and aliases; write it out plainly"))
    if problems:
        raise DataError(problems)
    return node


def construct(node: yaml.Node | None, where: str) -> Any:
    """The Python value of a composed node (safe types only)."""
    if node is None:
        return None
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise DataError([_syntax_problem(exc, where)]) from exc
    except RecursionError as exc:
        raise DataError([Problem(where, "nested too deeply to be a settings file")]) from exc
    finally:
        loader.dispose()


MAX_NODES = 1_000_000


def duplicate_keys(root: yaml.Node) -> list[tuple[str, int, int]]:
    """(key, line, line of its first use) for every key given twice in one mapping."""
    found: list[tuple[str, int, int]] = []
    seen_nodes: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[tuple[str, str], int] = {}
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    key = (key_node.tag, key_node.value)
                    line = key_node.start_mark.line + 1
                    if key in first:
                        found.append((key_node.value, line, first[key]))
                    else:
                        first[key] = line
                stack += [key_node, value_node]
        elif isinstance(node, yaml.SequenceNode):
            stack += node.value
    return sorted(found, key=lambda f: f[1])


def _expanded_size(root: yaml.Node) -> int:
    """How many values the document holds once aliases are expanded (capped)."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        sizes[id(node)] = MAX_NODES + 1  # a cycle counts as too big
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = node.value
        total = 1
        for child in children:
            total = min(total + size(child), MAX_NODES + 1)
        sizes[id(node)] = total
        return total

    try:
        return size(root)
    except RecursionError:
        return MAX_NODES + 1


def _syntax_problem(exc: yaml.MarkedYAMLError, where: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else 0
    return Problem(f"{where}:{line}" if line else where, f"not valid YAML: {exc.problem}")


def check_schema(node: Any, schema: Any, path: str, problems: list[Problem], where: str) -> Any:
    """Check ``node`` against ``schema``, adding a problem per mismatch. Returns ``node`` with
    every value that does not fit left out (its key dropped from a mapping, None in a list or
    at the top) and every key as text, so the code that reads the result can rely on its
    types."""

    def misfit(message: str) -> None:
        problems.append(Problem(where, f"{path or '(top)'}: {message}"))

    if node is None:
        return None
    if schema is STR_OR_LIST:
        items = node if isinstance(node, list) else [node]
        if not items or not all(isinstance(item, str) and item for item in items):
            return misfit("expected a text value or a list of text values")
    elif schema is NUMBER:
        if (isinstance(node, bool) or not isinstance(node, int | float | str)
                or as_number(str(node)) is None):
            return misfit(f"expected a number, got {node!r}")
    elif isinstance(schema, type):
        if schema is str and isinstance(node, int | float) and not isinstance(node, bool):
            return node  # an account code written as 7100 is still a code
        if not isinstance(node, schema) or isinstance(node, bool) and schema is not bool:
            return misfit(f"expected {schema.__name__}, got {type(node).__name__} {node!r}")
    elif isinstance(schema, list):
        if not isinstance(node, list):
            return misfit("expected a list")
        return [check_schema(item, schema[0], f"{path}[{i}]", problems, where)
                for i, item in enumerate(node)]
    elif isinstance(schema, dict):
        if not isinstance(node, dict):
            return misfit("expected a mapping of keys to values")
        fitting = {}
        for key, value in node.items():
            sub = f"{path}.{key}" if path else str(key)
            if isinstance(key, int) and not isinstance(key, bool):
                key = str(key)  # an account number as a key is still a name
            if not isinstance(key, str):
                problems.append(Problem(where, f"{sub}: a key must be text, not "
                                        f"{type(key).__name__} {key!r}"))
            elif "*" in schema or key in schema:
                fit = check_schema(value, schema.get("*", schema.get(key)), sub, problems, where)
                if fit is not None or value is None:  # an empty value stays, as None
                    fitting[key] = fit
            else:
                close = difflib.get_close_matches(str(key), list(schema), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                known = ", ".join(schema)
                problems.append(
                    Problem(where, f"{sub}: unknown key {key!r}{hint} (known: {known})")
                )
        return fitting
    return node


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
