"""Shared fixtures: small billing repos written inline, in a temporary folder."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from generator.cli import app
from generator.common.money import format_money
from generator.read.config import Currency, load_config
from generator.warehouse import load as loader

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
DATA = TESTS / "data"  # test files: FOCUS dialects, real-world exports, the old web app's config
USD = Currency()  # the default currency, the same as CONFIG's and the demo repo's


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true",
        help="Rewrite the golden files in tests/golden/ from this build.",
    )

CONFIG = """\
organization:
  name: Test University Research Computing
  contact: billing@test.edu
currency: {code: USD, symbol: "$", minor_units: 2}
tags:
  pi_email: [pi_email, "user:pi_email"]
  project_id: [project_id, "user:project_id"]
  fund_org: [fund_org, "user:fund_org"]
  account_code: account_code
review:
  patterns:
    - name: gpu
      columns: [SkuId]
      pattern: "^p4d"
  fund_org_patterns: ['^(?P<fund>\\d{6})-(?P<orgn>\\d{4})$']
  cost_spike: {factor: 3, min_amount: 100}
sources:
  aws: {name: Amazon Web Services, credit_fund_org: 100100-9100, account: "7410"}
  hpc: {name: HPC, credit_fund_org: 100200-9200, account: "7420"}
"""

HEADER = (
    "BillingPeriodStart,BillingPeriodEnd,BilledCost,ListCost,ContractedCost,"
    "ServiceName,ResourceId,Tags"
)


def tags(pi: str | None = "ada@test.edu", project: str | None = "p1",
         fund: str | None = "123456-1234") -> str:
    """A Tags cell (CSV-quoted flat JSON) for ``row``."""
    parts = []
    for key, value in (("pi_email", pi), ("project_id", project), ("fund_org", fund)):
        if value is not None:
            parts.append(f'""{key}"":""{value}""')
    return '"{' + ",".join(parts) + '}"'


def row(period: str = "2026-10", cost: str = "10.00", list_cost: str = "12.00",
        contracted: str = "11.00", service: str = "EC2", resource: str = "i-1",
        tag: str | None = None) -> str:
    """One CSV line in ``HEADER`` order."""
    year, month = map(int, period.split("-"))
    end = f"{year + month // 12}-{month % 12 + 1:02d}-01"
    return (f"{period}-01,{end},{cost},{list_cost},{contracted},{service},{resource},"
            f"{tag if tag is not None else tags()}")


def csv_file(*rows: str) -> str:
    """A FOCUS file's text: ``HEADER`` and ``rows`` (from ``row``), one a line."""
    return "\n".join([HEADER, *rows]) + "\n"


def copy_demo(root: Path, names: tuple[str, ...]) -> None:
    """Copy these files and folders of the demo repo into ``root`` (no generated pages)."""
    for name in names:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, root / name, ignore=shutil.ignore_patterns("billing"),
                            dirs_exist_ok=True)
        elif src.is_file():
            shutil.copy(src, root / name)


def site_files(root: Path) -> None:
    """The site's config, hand-written pages and templates, as the demo repo ships them."""
    copy_demo(root, ("mkdocs.yml", "docs", "site_templates"))


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Path]:
    """``make_repo({"periods/2026-10/aws.csv": text, ...}, config=...)`` → repo root."""

    def make(files: dict[str, str] | None = None, config: str = CONFIG) -> Path:
        root = tmp_path / "repo"
        (root / "data").mkdir(parents=True, exist_ok=True)
        (root / "periods").mkdir(exist_ok=True)
        (root / "reviews").mkdir(exist_ok=True)
        (root / "data" / "config.yaml").write_text(config)
        for name, text in (files or {}).items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return root

    return make


def demo_files(root: Path) -> Path:
    """The committed demo billing repo (data, periods, reviews, templates, docs), copied to root."""
    root.mkdir(parents=True, exist_ok=True)
    copy_demo(root, ("data", "periods", "reviews"))
    site_files(root)
    return root


@pytest.fixture
def demo_repo(tmp_path: Path) -> Path:
    """A copy of the committed demo billing repo (data, periods, reviews, templates, docs)."""
    return demo_files(tmp_path / "demo")


def git(root: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run git in ``root`` with a fixed identity (and ``env``, e.g. fixed dates); return its
    output."""
    import os
    import subprocess

    result = subprocess.run(
        ["git", "-c", "user.name=Test Admin", "-c", "user.email=admin@test.edu",
         "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false",
         "-c", "core.autocrlf=false", "-c", "core.hooksPath=/dev/null", *args],
        cwd=root, capture_output=True, text=True, check=True,
        env={**os.environ, **(env or {})},
    )
    return result.stdout.strip()


def commit_all(root: Path, message: str) -> str:
    """Stage everything in ``root`` (a git repository, made if needed) and commit it."""
    if not (root / ".git").exists():
        git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message)
    return git(root, "rev-parse", "HEAD")


def run(root: Path, *args: str) -> tuple[int, str]:
    """``openchargeback ARGS --repo ROOT`` in-process: (exit code, output)."""
    result = CliRunner().invoke(app, [*args, "--repo", str(root)])
    return result.exit_code, result.output


def warehouse(root: Path) -> loader.Warehouse:
    """The repo loaded, asserting it has no problems."""
    wh = loader.load(load_config(root))
    assert not wh.problems, wh.problems
    return wh


def ids(root: Path) -> dict[str, str]:
    """Charge IDs by resource ID, as loaded from the repo."""
    wh = loader.load(load_config(root))
    return dict(wh.con.execute("SELECT resource_id, charge_id FROM every_charge").fetchall())


def money(amount: Decimal) -> str:
    """``amount`` as the statements and pages print it."""
    return format_money(amount, USD)


# --- in a browser ----------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.is_file(), reason="needs Debian's chromium at /usr/bin/chromium "
    "(apt-get install -y chromium; .ci/run installs it)")


@contextmanager
def http_server(directory: Path) -> Iterator[str]:
    """``directory`` on a local HTTP server: its base URL."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Headless Chromium (Playwright), one per test module."""
    if not CHROMIUM.is_file():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
