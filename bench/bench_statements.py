"""Statements per second: 500 one-page statements against WeasyPrint alone.

    python bench/bench_statements.py [--statements 500] [--baseline 30] [--keep DIR]

Writes a seeded billing repo of three months (so each statement has a trend) with
``--statements`` (PI, project) pairs in the last month: 250 PIs with two projects each, four
services and ten resources per project, a few credits. Then it times, for that month:

1. ``write_statements`` as ``build`` runs it: the queries in this process, the statements
   rendered (Markdown, PDF, CSV) across every core;
2. the same render in this one process, for a sample of the statements;
3. WeasyPrint alone, in one process, printing a comparable one-page HTML table (as many
   table cells as a typical statement has, under a plain stylesheet), and printing the
   statement's own HTML (what WeasyPrint costs for this very page).

The target is (1) ≥ 1.5 × the statements per second of (3). Every figure is wall-clock;
the CPU time of this process is shown beside it (the workers' CPU is not in it).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.read.config import load_config  # noqa: E402
from generator.render.filters import environment, template_dirs  # noqa: E402
from generator.render.statements import Job, prepare, render, write_statements  # noqa: E402
from generator.warehouse import load as loader  # noqa: E402

CONFIG = """\
organization:
  name: Northfield University Research Computing
  contact: rc-billing@northfield.edu
  address: 200 Science Hall, Northfield, MN 55057
  logo: data/logo.svg
currency: {code: USD, symbol: "$", minor_units: 2}
sources:
  aws: {name: Amazon Web Services, credit_fund_org: 100100-9100, account: "7410"}
  hpc: {name: Northfield HPC (Slurm), credit_fund_org: 100200-9200, account: "7420"}
"""
HEADER = ("BillingPeriodStart,BillingPeriodEnd,ChargeCategory,BilledCost,ListCost,"
          "ContractedCost,ServiceName,ResourceId,ResourceName,Tags")
SERVICES = [("aws", "Amazon Elastic Compute Cloud", 0.10, 0.0),
            ("aws", "Amazon Simple Storage Service", 0.05, 0.0),
            ("hpc", "HPC Standard Compute", 0.0, 0.5),
            ("hpc", "HPC GPU Compute (NVIDIA A100)", 0.0, 0.5)]
PERIODS = ("2026-08", "2026-09", "2026-10")
T = TypeVar("T")


def make_repo(root: Path, statements: int, seed: int) -> None:
    """A billing repo with ``statements`` (PI, project) pairs in each of three months."""
    rnd = random.Random(seed)
    (root / "data").mkdir(parents=True)
    (root / "data/config.yaml").write_text(CONFIG)
    shutil.copy(ROOT / "data/logo.svg", root / "data/logo.svg")
    people = [f"pi{i:04d}@northfield.edu" for i in range(statements // 2 + statements % 2)]
    (root / "data/people.yaml").write_text(
        "".join(f"{p}: {{name: Dr. Person {i:04d}}}\n" for i, p in enumerate(people)))
    projects = [(people[i // 2], f"project-{i:04d}", f"{200000 + i:06d}-{3000 + i % 900:04d}")
                for i in range(statements)]
    (root / "data/projects.yaml").write_text("".join(
        f"{pid}: {{name: Research Project {pid[-4:]}, pi_email: {pi}, fund_org: {fund}}}\n"
        for pi, pid, fund in projects))
    for period in PERIODS:
        year, month = map(int, period.split("-"))
        end = f"{year + month // 12}-{month % 12 + 1:02d}-01"
        lines = {source: [HEADER] for source in ("aws", "hpc")}
        for pi, pid, fund in projects:
            tag = f'"{{""pi_email"":""{pi}"",""project_id"":""{pid}"",""fund_org"":""{fund}""}}"'
            for r in range(10):
                source, service, discount, subsidy = SERVICES[r % 4]
                cents = rnd.randint(100, 500_000)  # list price in 1/10000 dollars
                list_cost = cents / 10_000
                contracted = round(list_cost * (1 - discount), 4)
                billed = round(contracted * (1 - subsidy), 4)
                category = "Usage"
                if r == 9 and rnd.random() < 0.1:
                    category, list_cost, contracted, billed = "Credit", -5.0, -5.0, -5.0
                lines[source].append(
                    f"{period}-01,{end},{category},{billed:.4f},{list_cost:.4f},"
                    f"{contracted:.4f},{service},{pid}-r{r},{pid}-resource-{r},{tag}")
        for source, rows in lines.items():
            path = root / "periods" / period / f"{source}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(rows) + "\n")


def baseline_html(cells: int) -> str:
    """A one-page HTML table with ``cells`` cells in six columns and a plain stylesheet."""
    rows = []
    for i in range(cells // 6):
        rows.append(
            f"<tr><td>Amazon Elastic Compute Cloud</td><td>project-{i:04d}-resource</td>"
            f"<td class=n>{i}</td><td class=n>${i * 37:,}.25</td><td class=n>-${i}.10</td>"
            f"<td class=n>${i * 35:,}.15</td></tr>")
    return (
        "<html><head><style>@page { size: letter; margin: 15mm }"
        " html { font-family: 'Liberation Sans', sans-serif; font-size: 8.2pt }"
        " table { width: 100%; border-collapse: collapse }"
        " th, td { padding: 0.45mm 1.4mm } thead th { text-align: left;"
        " border-bottom: 0.6pt solid #5b6776 } tbody tr:nth-child(even) { background: #f2f5f8 }"
        " td.n { text-align: right }</style></head><body><h1>Statement</h1><table><thead><tr>"
        "<th>Service</th><th>Resource</th><th>Charges</th><th>List price</th><th>Discount</th>"
        "<th>Amount due</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table></body></html>"
    )


def loadavg() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def workers_cpu() -> float:
    """User CPU time of the finished render workers. They are children of the forkserver
    (``statements.render_all``), which reaps them, so their time is in the forkserver's
    ``cutime`` (/proc/PID/stat field 16), not in this process's RUSAGE_CHILDREN."""
    from multiprocessing import forkserver

    pid = forkserver._forkserver._forkserver_pid  # type: ignore[attr-defined]
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[16 - 3]) / os.sysconf("SC_CLK_TCK")


def statement_html(job: Job) -> str:
    """The HTML WeasyPrint prints for ``job``, stylesheet inline: a page as a plain
    WeasyPrint user would hand it over."""
    from markdown import markdown
    from markupsafe import Markup

    from generator.render.statements import MARKDOWN, MD_TEMPLATE, PDF_TEMPLATE, stylesheet

    env = environment(job.dirs, job.currency)
    body = markdown(env.get_template(MD_TEMPLATE).render(job.context), extensions=["tables"],
                    extension_configs=MARKDOWN)
    html = env.get_template(PDF_TEMPLATE).render(job.context, body=Markup(body))
    return html.replace("</head>", f"<style>{stylesheet(env)}</style></head>", 1)


def clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def timed(work: Callable[[T], object], items: Iterable[T]) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of ``work`` for each item."""
    walls, cpus = [], []
    for item in items:
        wall, cpu = clock()
        work(item)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return walls, cpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--statements", type=int, default=500)
    parser.add_argument("--baseline", type=int, default=30,
                        help="PDFs of WeasyPrint alone, and statements in one process")
    parser.add_argument("--sample", type=int, default=30,
                        help="distinct statements rendered in one process")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="build the repo here and keep it")
    args = parser.parse_args()

    import pypdf
    from markdown import markdown
    from weasyprint import HTML

    scratch = Path(tempfile.mkdtemp(prefix="bench-statements-"))
    root = args.keep or scratch / "repo"
    try:
        if not (root / "data/config.yaml").is_file():
            make_repo(root, args.statements, args.seed)
        cfg = load_config(root)
        wall, cpu = clock()
        wh = loader.load(cfg)
        assert not wh.problems, wh.problems
        print(f"load: {time.perf_counter() - wall:.2f} s ({len(wh.periods)} periods)")

        prepared = prepare(wh, [PERIODS[-1]], None)
        folder = scratch / "one-process"
        jobs = [Job(p.context, p.csv, folder, p.name, template_dirs(cfg), cfg.currency)
                for p in prepared[: args.sample]]
        render(jobs[0])  # warm-up: WeasyPrint, fonts, templates
        statement = markdown((folder / f"{jobs[0].name}.md").read_text(), extensions=["tables"])
        cells = statement.count("<td") + statement.count("<th>")
        page = baseline_html(cells)
        assert len(pypdf.PdfReader(io.BytesIO(HTML(string=page).write_pdf())).pages) == 1
        own_page = statement_html(jobs[0])

        # 2 and 3, half before and half after 1, alternating one PDF of each, so both see the
        # same machine (other jobs come and go).
        alone: tuple[list[float], list[float]] = ([], [])
        own: tuple[list[float], list[float]] = ([], [])
        one: tuple[list[float], list[float]] = ([], [])

        def print_table(html: str) -> bytes | None:
            return HTML(string=html).write_pdf()

        def alternate(count: int) -> None:
            for i in range(count):
                walls, cpus = timed(print_table, [page])
                alone[0].extend(walls)
                alone[1].extend(cpus)
                walls, cpus = timed(print_table, [own_page])
                own[0].extend(walls)
                own[1].extend(cpus)
                walls, cpus = timed(render, [jobs[i % len(jobs)]])
                one[0].extend(walls)
                one[1].extend(cpus)

        alternate(args.baseline // 2)

        # 1. write_statements, as build runs it.
        print(f"load average before: {loadavg()}")
        wall, cpu = clock()
        before = workers_cpu()
        statements = write_statements(wh, [PERIODS[-1]])
        ours_wall, ours_cpu = time.perf_counter() - wall, time.process_time() - cpu
        worker_seconds = workers_cpu() - before
        pages = [len(pypdf.PdfReader(s.pdf_path).pages) for s in statements]
        rate = len(statements) / ours_wall
        print(f"write_statements: {len(statements)} statements in {ours_wall:.2f} s wall "
              f"= {rate:.2f} statements/s; CPU {ours_cpu:.2f} s here + {worker_seconds:.2f} s in "
              f"{os.cpu_count()} workers; pages: {pages.count(1)} of one page, most {max(pages)}")
        print(f"load average after: {loadavg()}")

        alternate(args.baseline - args.baseline // 2)
        base_wall, base_cpu = statistics.median(alone[0]), statistics.median(alone[1])
        one_wall, one_cpu = statistics.median(one[0]), statistics.median(one[1])
        print(f"render in one process (statement as written): median {one_wall:.3f} s wall, "
              f"{one_cpu:.3f} s CPU = {1 / one_wall:.2f} statements/s")
        print(f"WeasyPrint alone, one-page table of {cells} cells, one process: median "
              f"{base_wall:.3f} s wall, {base_cpu:.3f} s CPU = {1 / base_wall:.2f} PDFs/s")
        own_wall, own_cpu = statistics.median(own[0]), statistics.median(own[1])
        print(f"WeasyPrint alone, this statement's own HTML, one process: median "
              f"{own_wall:.3f} s wall, {own_cpu:.3f} s CPU = {1 / own_wall:.2f} PDFs/s")
        cores = os.cpu_count() or 1
        for name, wall, cpu in (("the table", base_wall, base_cpu),
                                ("the statement's HTML", own_wall, own_cpu)):
            print(f"write_statements / WeasyPrint alone on {name}: {rate * wall:.2f}x "
                  f"(target 1.5x); from CPU time, what {cores} idle cores would give: "
                  f"{cores * cpu / one_cpu:.2f}x")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
