"""``init DIR``: a new billing repository that is a git repository and checks and builds."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import yaml
from conftest import ROOT, git
from typer.testing import CliRunner

from generator.cli import app
from generator.commands import init as scaffold
from generator.common import shipped


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_init_makes_a_committed_repo_that_checks_and_builds(tmp_path: Path) -> None:
    target = tmp_path / "billing"
    code, output = run("init", str(target))
    assert code == 0, output
    assert "created" in output
    assert git(target, "log", "--format=%s") == scaffold.COMMIT_MESSAGE
    assert git(target, "branch", "--show-current") == "main"
    for name in ("data/config.yaml", "data/people.yaml", "data/projects.yaml", ".gitignore",
                 "periods/.gitkeep", "reviews/.gitkeep", "README.md", "requirements.txt",
                 ".github/CODEOWNERS", ".github/workflows/check.yml",
                 ".github/workflows/publish.yml"):
        assert (target / name).is_file(), name
    for name in shipped.SHIPPED:
        if (ROOT / name).exists():
            assert (target / name).exists(), name
    assert not (target / "gitignore").exists()
    assert "openchargeback" in (target / "requirements.txt").read_text()
    assert "#" in (target / "data/config.yaml").read_text()  # the template is commented

    # check fails while the values init marked EDIT are its examples (see below)
    code, output = run("check", "--repo", str(target))
    assert code == 1
    assert "organization.name: still the example `openchargeback init` wrote" in output
    fill_in(target)
    git(target, "commit", "-qam", "Our institution")
    code, output = run("check", "--repo", str(target))
    assert code == 0, output
    assert "check passed" in output
    code, output = run("build", "--repo", str(target))
    assert code == 0, output
    assert git(target, "status", "--porcelain") == ""  # outputs are git-ignored
    code, output = run("check", "--repo", str(target), "--base", "HEAD")
    assert code == 0, output
    assert "No billing changes." in output


def fill_in(root: Path) -> None:
    """Set every value init marked EDIT, as an institution would; one example value (the
    fund/org form) is theirs too, so they only delete its mark."""
    config = root / "data/config.yaml"
    text = config.read_text()
    for old, new in (("Example University Research Computing", "Ridge College HPC"),
                     ("example.edu", "ridge.edu"), ("100100-9100", "200100-9100"),
                     ("100200-9200", "200200-9200"), ('"7410"', '"5410"'),
                     ('"7420"', '"5420"'), ('"7400"', '"5400"'),
                     ("account_pattern: '\\d{4}'", "account_pattern: '5\\d{3}'"),
                     ("   # EDIT: your ledger's fund/orgs", "")):
        assert old in text, old
        text = text.replace(old, new)
    config.write_text(text)


def test_init_refuses_a_folder_with_something_in_it(tmp_path: Path) -> None:
    (tmp_path / "billing").mkdir()
    (tmp_path / "billing" / "notes.txt").write_text("mine")
    code, output = run("init", str(tmp_path / "billing"))
    assert code == 2
    assert "exists and is not empty" in output
    assert (tmp_path / "billing" / "notes.txt").read_text() == "mine"
    assert [p.name for p in tmp_path.iterdir()] == ["billing"]  # no staging folder left


def test_init_works_from_a_wheel(tmp_path: Path) -> None:
    """The skeleton and shipped files are in the wheel; init from it builds a repo."""
    source = tmp_path / "source"
    for name in ("generator", "pyproject.toml", "setup.py", "MANIFEST.in", "README.md",
                 *shipped.SHIPPED):
        if (ROOT / name).exists():
            shipped.copy_tree(ROOT / name, source / name)
    if not (source / "README.md").exists():
        (source / "README.md").write_text("# OpenChargeback\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path / "dist"), str(source)],
        check=True, capture_output=True, cwd=tmp_path,
    )
    (wheel,) = (tmp_path / "dist").glob("openchargeback-*.whl")
    assert not (source / "build").exists()  # setuptools keeps out of the outputs folder
    installed = tmp_path / "installed"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        zf.extractall(installed)
    for name in ("generator/skeleton/gitignore", "generator/skeleton/.github/CODEOWNERS",
                 "generator/skeleton/periods/.gitkeep", "generator/skeleton/data/config.yaml",
                 "generator/shipped/.github/workflows/check.yml",
                 "generator/warehouse/sql/charges.sql"):
        assert name in names, name
    assert not any(n.startswith("generator/shipped/docs/billing/") for n in names)

    env = {**os.environ, "PYTHONPATH": str(installed)}
    shutil.rmtree(source)  # nothing may come from the source tree
    script = (
        "import generator.common.shipped as s, sys; "
        "assert s.shipped_root() == s.PACKAGE / 'shipped', s.shipped_root(); "
        "from generator.cli import app; sys.argv = ['openchargeback', *sys.argv[1:]]; app()"
    )
    for args in (["init", "billing"], ["check", "--repo", "billing"],
                 ["build", "--repo", "billing"]):
        if args[0] == "check":
            fill_in(tmp_path / "billing")  # check fails until the EDIT values are set
        result = subprocess.run([sys.executable, "-c", script, *args], cwd=tmp_path, env=env,
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
    # Installed from a package index (a wheel's metadata, no direct_url.json): pinned by version
    assert "openchargeback==0.1.0" in (tmp_path / "billing/requirements.txt").read_text()
    assert (tmp_path / "billing/.github/workflows/publish.yml").is_file()
    check = yaml.safe_load((tmp_path / "billing/.github/workflows/check.yml").read_text())
    assert "check" in check["jobs"]


def test_init_pins_an_installable_openchargeback_and_its_docs_are_true(tmp_path: Path) -> None:
    """From a local checkout (this test's editable install), no index serves the version:
    its wheel is committed in vendor/ and requirements.txt installs that. The docs a new
    repository gets speak of it, not of the demo."""
    target = tmp_path / "billing"
    assert run("init", str(target))[0] == 0
    requirements = (target / "requirements.txt").read_text().splitlines()
    line = requirements[-1]
    assert line.startswith("./vendor/openchargeback-") and line.endswith(".whl"), line
    assert (target / line).is_file()
    assert git(target, "ls-files", "vendor") == line.removeprefix("./")
    with zipfile.ZipFile(target / line) as zf:
        assert "generator/cli.py" in zf.namelist()
    docs = target / "docs"
    for page in docs.rglob("*.md"):
        text = page.read_text()
        for word in ("demo", "pip install -e", "Marcus Lindqvist", "<!-- new repo"):
            assert word.lower() not in text.lower(), (page, word)
    started = (docs / "admin/getting-started.md").read_text()
    assert "pip install -r requirements.txt" in started
    assert "A new repository has no months yet" in started
    code, output = run("build", "--repo", str(target))  # the site builds with these docs
    assert code == 0, output


def test_check_fails_on_init_examples_then_hints_at_a_month_flagged_for_one_reason(
        tmp_path: Path) -> None:
    """A new institution's first day: fund/orgs like NSF-ATM-2024 against init's pattern."""
    target = tmp_path / "billing"
    assert run("init", str(target))[0] == 0
    fill_in(target)
    header = "BillingPeriodStart,BilledCost,ProviderName,ServiceName,ResourceId,Tags"
    rows = [f'2026-10-01,{n}.00,AWS,EC2,i-{n},"{{""pi_email"":""pi{n}@ridge.edu"",'
            f'""project_id"":""p{n}"",""fund_org"":""NSF-ATM-2024""}}"' for n in range(1, 6)]
    export = tmp_path / "aws.csv"
    export.write_text("\n".join([header, *rows]) + "\n")
    code, output = run("ingest", str(export), "--repo", str(target))  # routed by match
    assert code == 0, output
    assert "flagged invalid_fund_org: 5" in output
    code, output = run("check", "--repo", str(target))
    hint = ("hint: most of 2026-10 is flagged invalid_fund_org (5 of 5 charges, $15.00): their "
            "fund/orgs (such as 'NSF-ATM-2024') match none of review.fund_org_patterns: write "
            "patterns for your ledger's fund/orgs in data/config.yaml "
            "(docs/admin/configuration.md, review)")
    assert hint in output
    code, output = run("check", "--repo", str(target), "--format", "markdown")
    assert "> **Hint:** most of 2026-10 is flagged invalid&#95;fund&#95;org" in output
