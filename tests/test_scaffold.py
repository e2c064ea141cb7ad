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

    code, output = run("check", "--repo", str(target))
    assert code == 0, output
    assert "check passed" in output
    code, output = run("build", "--repo", str(target))
    assert code == 0, output
    assert git(target, "status", "--porcelain") == ""  # outputs are git-ignored
    code, output = run("check", "--repo", str(target), "--base", "HEAD")
    assert code == 0, output
    assert "No billing changes." in output


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
        result = subprocess.run([sys.executable, "-c", script, *args], cwd=tmp_path, env=env,
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "billing/.github/workflows/publish.yml").is_file()
    check = yaml.safe_load((tmp_path / "billing/.github/workflows/check.yml").read_text())
    assert "check" in check["jobs"]
