"""Write docs/dev/cli.md, the command-line reference, from the Typer app.

    .venv/bin/python scripts/cli_reference.py

Every command and subcommand of ``openchargeback`` with its usage, arguments and options and
their help, as ``--help`` shows them. tests/test_cli_reference.py fails when the committed
page differs from what this writes.
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer.main

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from generator.cli import app  # noqa: E402

PAGE = ROOT / "docs" / "dev" / "cli.md"
COMMAND = "openchargeback"


def commands() -> Iterator[tuple[Any, Any]]:
    """(command, context) for the app and every command and subcommand under it, in the
    order ``--help`` lists them."""

    def walk(command: Any, ctx: Any) -> Iterator[tuple[Any, Any]]:
        yield command, ctx
        for name in getattr(command, "list_commands", lambda _: [])(ctx):
            sub = command.get_command(ctx, name)
            yield from walk(sub, sub.make_context(name, [], parent=ctx, resilient_parsing=True))

    root = typer.main.get_command(app)
    yield from walk(root, root.make_context(COMMAND, [], resilient_parsing=True))


def params(command: Any, ctx: Any) -> list[Any]:
    """A command's arguments, then its options, without ``--help`` (as ``--help`` lists them)."""
    shown = [p for p in command.get_params(ctx) if p.name != "help" and not p.hidden]
    return sorted(shown, key=lambda p: p.param_type_name != "argument")


def text(help_text: str | None) -> str:
    """Help text as Markdown: one paragraph, what is not code escaped."""
    words = " ".join(inspect.cleandoc(help_text or "").split())
    parts = words.split("`")
    for n in range(0, len(parts), 2):  # outside `code`
        part = parts[n].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        parts[n] = re.sub(r"([\\*_\[\]])", r"\\\1", part)
    return "`".join(parts)


def reference() -> str:
    """The page's Markdown."""
    out = [
        "# Command-line reference",
        "",
        "Every command of `openchargeback` with its arguments and options, as `--help` shows",
        "them. This page is generated from the program: run",
        "`.venv/bin/python scripts/cli_reference.py` after changing a command.",
    ]
    for command, ctx in commands():
        usage = " ".join([ctx.command_path, *command.collect_usage_pieces(ctx)])
        depth = ctx.command_path.count(" ")
        if depth:
            out += ["", f"{'#' * (depth + 1)} {ctx.command_path}"]
        out += ["", text(command.help), "", f"    {usage}"]
        items = params(command, ctx)
        if items:
            out.append("")
        for p in items:
            names, _ = p.get_help_record(ctx)
            required = " (required)" if p.required else ""
            out.append(f"- `{names}`{required}: {text(p.help)}")
    return "\n".join(out) + "\n"


def main() -> None:
    PAGE.parent.mkdir(parents=True, exist_ok=True)
    PAGE.write_text(reference(), encoding="utf-8")
    print(f"wrote {PAGE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
