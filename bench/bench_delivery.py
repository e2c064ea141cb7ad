"""Benchmark the delivery stage: one email per PI, 300 PIs, 800 statements.

    python bench/bench_delivery.py [--rows 20000] [--pis 300] [--projects 800]

Builds a repo from ``make_focus.py`` (seeded) and loads it (not timed). Each statement gets
a copy of one real PDF (about 15 KB, made once by WeasyPrint) and its own CSV, so only the
delivery stage is measured, not statement rendering. Then times, with aiosmtpd on
127.0.0.1 as the server:

1. ``--dry-run``: plan, render every message, write the .eml files;
2. a real send over SMTP: every message handed over and the log written after each;
3. the rerun: nothing is due, nothing is sent.

The recorded figures are in bench/README.md.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from make_focus import generate  # noqa: E402

from generator.deliver import email as delivery  # noqa: E402
from generator.read.config import load_config  # noqa: E402
from generator.warehouse import load as loader  # noqa: E402

PERIOD = "2026-10"


@dataclass
class Statement:
    period: str
    pi_email: str
    project_id: str
    fund_org: str
    number: str
    total_due: Decimal
    list_cost: Decimal
    discount: Decimal
    subsidy: Decimal
    pdf_path: Path
    csv_path: Path


class Count:
    def __init__(self) -> None:
        self.messages = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages += 1
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--pis", type=int, default=300)
    parser.add_argument("--projects", type=int, default=800)
    args = parser.parse_args()

    from weasyprint import HTML

    work = Path(tempfile.mkdtemp(prefix="ocb-bench-delivery-"))
    try:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        repo = work / "repo"
        (repo / "data").mkdir(parents=True)
        config = (ROOT / "data/config.yaml").read_text()
        (repo / "data/config.yaml").write_text(
            config + f"  smtp: {{host: 127.0.0.1, port: {port}, security: none}}\n")
        csv = repo / "periods" / PERIOD / "aws.csv"
        csv.parent.mkdir(parents=True)
        generate(csv, args.rows, args.pis, args.projects, PERIOD, 1, 0.0)
        wh = loader.load(load_config(repo))
        pdf = HTML(string="<h1>Statement</h1>" + "<p>line</p>" * 40).write_pdf()
        statements = []
        rows = wh.con.execute(
            "SELECT pi_email, project_id, any_value(fund_org), sum(charged), sum(list_cost),"
            " sum(list_cost - contracted_cost), sum(contracted_cost - charged)"
            " FROM statement_lines WHERE period = ? GROUP BY ALL ORDER BY ALL",
            [PERIOD]).fetchall()
        for i, (pi, project, fund_org, total, list_cost, discount, subsidy) in enumerate(rows):
            base = repo / "build/statements" / PERIOD / pi / project
            base.parent.mkdir(parents=True, exist_ok=True)
            base.with_suffix(".pdf").write_bytes(pdf)
            base.with_suffix(".csv").write_text(f"{pi},{project},{total}\n")
            statements.append(Statement(PERIOD, pi, project, fund_org, f"{PERIOD}-{i}",
                                        total, list_cost, discount, subsidy,
                                        base.with_suffix(".pdf"), base.with_suffix(".csv")))
        pis = len({st.pi_email for st in statements})
        print(f"{pis} PIs, {len(statements)} statements, PDF {len(pdf) / 1000:.0f} KB each")

        def timed(label: str, **options: Any) -> delivery.Report:
            start = time.perf_counter()
            report = delivery.send(wh, PERIOD, statements, allow_pending=True, **options)
            elapsed = time.perf_counter() - start
            print(f"{label:<28} {elapsed:6.2f} s  ({len(report.due)} messages, "
                  f"{len(report.sent)} sent, {len(report.current)} already sent)")
            return report

        timed("dry run (.eml files)", dry_run=True)
        count = Count()
        controller = Controller(count, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            report = timed("send over SMTP")
            assert report.ok and count.messages == pis, (count.messages, pis)
            timed("rerun (nothing due)")
        finally:
            controller.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
