"""docs/dev/cli.md, the command-line reference, is generated from the Typer app and up to date,
and every command, argument and option has help text."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "cli_reference.py"


def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cli_reference", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["cli_reference"] = module
    spec.loader.exec_module(module)
    return module


def test_the_committed_cli_reference_is_up_to_date() -> None:
    ref = script()
    assert ref.PAGE.read_text(encoding="utf-8") == ref.reference(), (
        "docs/dev/cli.md is out of date: run `.venv/bin/python scripts/cli_reference.py` "
        "to refresh it"
    )


def test_every_command_argument_and_option_has_help() -> None:
    ref = script()
    missing = []
    for command, ctx in ref.commands():
        if not (command.help or "").strip():
            missing.append(ctx.command_path)
        missing += [f"{ctx.command_path} {p.name}" for p in ref.params(command, ctx)
                    if not (p.help or "").strip()]
    assert not missing, f"no help text: {missing}"


def test_the_reference_lists_every_command_and_option() -> None:
    page = script().reference()
    for heading in ("## openchargeback export-journal", "### openchargeback review reassign",
                    "### openchargeback convert storage"):
        assert f"\n{heading}\n" in page
    assert "`--fund-org" in page and "New fund/org." in page
    assert "Record it in reviews/YYYY-MM/&lt;department&gt;.yaml" in page  # not an HTML tag
