"""The CI files: every ``openchargeback`` command they run exists and takes those options.

Covers this repository's GitHub workflows, the skeleton's (``init``) and the GitLab CI
example in docs/admin/workflow.md. Commands are parsed by the real click command tree, so a
renamed command, option or choice fails here, not in a billing team's CI.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

import pytest
import typer
import yaml
from conftest import ROOT

try:  # recent Typer carries its own copy of click
    from typer._click.exceptions import ClickException, UsageError
except ImportError:  # pragma: no cover
    from click.exceptions import ClickException, UsageError

from generator.cli import app
from generator.common import shipped

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
GITLAB_DOC = ROOT / "docs" / "admin" / "workflow.md"


def gitlab_ci() -> dict:
    """The ```yaml block of docs/admin/workflow.md that follows the .gitlab-ci.yml mention."""
    text = GITLAB_DOC.read_text(encoding="utf-8")
    match = re.search(r"`\.gitlab-ci\.yml`.*?```yaml\n(.*?)```", text, re.S)
    assert match, "docs/admin/workflow.md has no .gitlab-ci.yml example"
    return yaml.safe_load(match.group(1))


def scripts(node: object) -> list[str]:
    """Every shell line under a ``run:``, ``script:`` or ``before_script:`` key."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("run", "script", "before_script") and isinstance(value, str | list):
                lines = value if isinstance(value, list) else [value]
                for item in lines:
                    found += str(item).replace("\\\n", " ").splitlines()
            else:
                found += scripts(value)
    elif isinstance(node, list):
        for item in node:
            found += scripts(item)
    return found


def commands(lines: list[str]) -> list[list[str]]:
    """The argument lists of the openchargeback commands in shell lines."""
    found = []
    for line in lines:
        lexer = shlex.shlex(re.sub(r"\$\{\{[^}]*\}\}", "X", line), posix=True,
                            punctuation_chars=True)
        lexer.whitespace_split = True
        current: list[str] = []
        groups = [current]
        redirect = False
        for token in lexer:
            if redirect:
                redirect = False
            elif token in (">", ">>", "<"):
                redirect = True
            elif set(token) <= set("|&;()"):
                current = []
                groups.append(current)
            else:
                current.append(token)
        for words in groups:
            if words and words[0] == "openchargeback":
                found.append([re.sub(r"^\$\w+$", "abc1234", w) for w in words[1:]])
    return found


def parse(args: list[str]) -> Any:
    """Resolve and parse ``args`` as the CLI would, without running the command."""
    command = typer.main.get_command(app)
    words = list(args)
    while hasattr(command, "get_command"):  # a group: resolve the subcommand
        ctx = command.make_context("openchargeback", [*words], resilient_parsing=True)
        name = words.pop(0)
        sub = command.get_command(ctx, name)
        assert sub is not None, f"no command {name!r} in: openchargeback {' '.join(args)}"
        command = sub
    command.make_context(command.name or "", words)  # raises on unknown options or choices
    return command


def all_sources() -> list[tuple[str, object]]:
    sources: list[tuple[str, object]] = [
        (str(p.relative_to(ROOT)), yaml.safe_load(p.read_text())) for p in WORKFLOWS
    ]
    sources.append(("docs/admin/workflow.md (GitLab CI)", gitlab_ci()))
    return sources


def test_the_workflows_are_shipped_and_there_are_two() -> None:
    names = {p.name for p in WORKFLOWS}
    assert {"check.yml", "publish.yml"} <= names
    for name in names:
        assert f".github/workflows/{name}" in shipped.SHIPPED


@pytest.mark.parametrize(("where", "document"), all_sources(), ids=lambda v: str(v)[:40])
def test_every_command_exists_and_accepts_its_options(where: str, document: object) -> None:
    found = commands(scripts(document))
    assert found, f"{where} runs no openchargeback command"
    for args in found:
        try:
            parse(args)
        except ClickException as exc:
            pytest.fail(f"{where}: openchargeback {' '.join(args)}: {exc.format_message()}")


def test_the_pull_request_check_posts_the_markdown_diff() -> None:
    check = yaml.safe_load((ROOT / ".github/workflows/check.yml").read_text())
    found = commands(scripts(check))
    assert ["check", "--base", "abc1234", "--format", "markdown"] in found
    assert "GITHUB_STEP_SUMMARY" in "\n".join(scripts(check))
    gitlab = commands(scripts(gitlab_ci()))
    assert ["check", "--base", "abc1234", "--format", "markdown"] in gitlab
    assert ["build"] in gitlab


def test_the_parser_refuses_what_the_cli_refuses() -> None:
    with pytest.raises(UsageError):
        parse(["check", "--format", "html"])
    with pytest.raises(UsageError):
        parse(["check", "--no-such-option"])
    with pytest.raises(AssertionError):
        parse(["no-such-command"])
    assert parse(["periods", "reopen", "2026-10", "--reason", "late data"]).name == "reopen"


def test_codeowners_routes_each_department_to_its_review_files() -> None:
    people = yaml.safe_load((ROOT / "data/people.yaml").read_text())
    departments = {v["department"] for v in people.values() if v.get("department")}
    routes = (ROOT / ".github/CODEOWNERS").read_text()
    from generator.warehouse.reviews import department_key

    for department in departments:
        assert f"/reviews/*/{department_key(department)}.yaml" in routes, department


def test_a_workflow_file_is_valid_for_github() -> None:
    for path in WORKFLOWS:
        workflow = yaml.safe_load(path.read_text())
        assert set(workflow) >= {"name", True, "jobs"}, path  # YAML reads `on:` as True
        for job in workflow["jobs"].values():
            assert "runs-on" in job and "steps" in job
