"""Generate a large synthetic FOCUS CSV file for benchmarks.

    python bench/make_focus.py OUT.csv --rows 1000000 --pis 300 --projects 800 \\
        --period 2026-10 --seed 1 [--anomalies 0.001]

Writes ``--rows`` charge rows for billing period ``--period`` (``YYYY-MM``), spread over
``--projects`` projects owned by ``--pis`` PIs (``pi0001@example.edu`` ...), each with a
fixed fund/org and a subsidy. A handful of services (EC2, S3, data transfer, Azure VMs,
Compute Engine, BigQuery) and a few resources per project; about 0.5 % of rows are credits
with negative costs. Columns: the FOCUS billing, charge-period, service, resource and SKU
columns, ConsumedQuantity/Unit, ListCost, ContractedCost, BilledCost (no EffectiveCost;
use the default cost basis) and Tags, a flat JSON object with ``pi_email``, ``project_id`` and
``fund_org``. A fraction ``--anomalies`` of rows get a deliberate problem, in turn: no
``pi_email``, an invalid fund/org, or Tags that is not JSON.

Money is exact: every cost is an integer number of micro-cents (1e-8 dollars) drawn with
``random`` and formatted as a decimal string with 8 decimals; ContractedCost and BilledCost
are derived from ListCost with integer arithmetic, so no float ever touches a cost. The same
arguments produce the same bytes. ``OUT`` ending in ``.gz`` is gzip-compressed. At the end
the script prints the row count, file size, elapsed time and the exact BilledCost total (the
number a correct pipeline must reproduce) to stderr.

About 285 bytes per row: 1,000,000 rows make a 285 MB file in about 4 seconds (2-core VM).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
import time
from datetime import date, timedelta
from pathlib import Path

COLUMNS = [
    "BillingAccountId",
    "BillingCurrency",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
    "ProviderName",
    "ServiceName",
    "ServiceCategory",
    "ResourceId",
    "SkuId",
    "ConsumedQuantity",
    "ConsumedUnit",
    "ListCost",
    "ContractedCost",
    "BilledCost",
    "Tags",
]

# (provider, account, service, category, sku, unit, resource prefix, max list cost in
# micro-cents, negotiated discount %, weight)
SERVICES = [
    ("AWS", "418273650921", "Amazon Elastic Compute Cloud", "Compute", "c6i.8xlarge", "Hours",
     "i-0", 3_300_000_000, 10, 30),
    ("AWS", "418273650921", "Amazon Simple Storage Service", "Storage", "S3-Standard", "GB-Mo",
     "s3-", 9_000_000_000, 5, 15),
    ("AWS", "418273650921", "AWS Data Transfer", "Networking", "DataTransfer-Out", "GB",
     "dt-", 1_000_000_000, 8, 5),
    ("Microsoft", "84217590", "Virtual Machines", "Compute", "DZH318Z0BQ4L/00GD", "1 Hour",
     "vm-", 1_900_000_000, 15, 20),
    ("Google Cloud", "01A7C3-5E92B4-D8F061", "Compute Engine", "Compute", "BB77-5FDA-69D9",
     "hour", "gce-", 1_900_000_000, 12, 20),
    ("Google Cloud", "01A7C3-5E92B4-D8F061", "BigQuery", "Analytics", "3362-E469-6BEF",
     "tebibyte", "bq-", 6_000_000_000, 10, 10),
]  # fmt: skip
RESOURCES_PER_PROJECT = 4
SUBSIDIES = (0, 0, 0, 0, 0, 10, 25, 50, 100)
CREDIT_SHARE = 200  # one row in 200 is a credit
MICRO = 100_000_000  # micro-cents per dollar


def money(units: int) -> str:
    """Integer micro-cents -> exact decimal string with 8 decimals."""
    if units < 0:
        return "-" + money(-units)
    return f"{units // MICRO}.{units % MICRO:08d}"


def quote(text: str) -> str:
    """One RFC 4180 quoted CSV field."""
    return '"' + text.replace('"', '""') + '"'


def month_days(period: str) -> tuple[date, date]:
    year, month = map(int, period.split("-"))
    start = date(year, month, 1)
    end = date(year + month // 12, month % 12 + 1, 1)
    return start, end


def generate(
    out: Path,
    rows: int,
    pis: int,
    projects: int,
    period: str,
    seed: int,
    anomalies: float,
) -> int:
    """Write the file; return the BilledCost total in micro-cents."""
    rng = random.Random(seed)
    bits = rng.getrandbits
    start, end = month_days(period)
    n_days = (end - start).days
    days = [
        f"{(start + timedelta(d)).isoformat()},{(start + timedelta(d + 1)).isoformat()}"
        for d in range(n_days)
    ]

    emails = [f"pi{i + 1:04d}@example.edu" for i in range(pis)]
    project_info = []  # (tags cell variants, subsidy %, resource ids per service)
    for j in range(projects):
        pid = f"proj-{j + 1:05d}"
        pi = emails[j % pis] if j < pis else emails[rng.randrange(pis)]
        fund = f"{rng.randrange(100000, 1000000)}-{rng.randrange(1000, 10000)}"
        good = {"pi_email": pi, "project_id": pid, "fund_org": fund}
        no_pi = {"project_id": pid, "fund_org": fund}
        bad_fund = {"pi_email": pi, "project_id": pid, "fund_org": fund.replace("-", "")}
        variants = tuple(
            quote(json.dumps(tags, separators=(",", ":"))) for tags in (good, no_pi, bad_fund)
        ) + ("not json",)
        resources = [
            [f"{svc[6]}{j + 1:05d}{k:02d}{bits(24):06x}" for k in range(RESOURCES_PER_PROJECT)]
            for svc in SERVICES
        ]
        project_info.append((variants, rng.choice(SUBSIDIES), resources))

    # Weighted service choice via a lookup table; the constant text of each service's rows
    # is built once. Every generated field is free of commas, quotes and newlines, so only
    # the Tags cell needs RFC 4180 quoting, and that is done once per project.
    service_table = [i for i, svc in enumerate(SERVICES) for _ in range(svc[9])]
    n_table = len(service_table)
    heads = [f"{svc[1]},USD,{start.isoformat()},{end.isoformat()}," for svc in SERVICES]
    mids = [f"{svc[0]},{svc[2]},{svc[3]}," for svc in SERVICES]
    anomaly_every = int(round(1 / anomalies)) if anomalies > 0 else 0

    total = 0
    opener = gzip.open if out.suffix == ".gz" else open
    with opener(out, "wt", encoding="utf-8", newline="") as fh:
        fh.write(",".join(COLUMNS) + "\n")
        lines: list[str] = []
        for i in range(rows):
            variants, subsidy, resources = project_info[bits(32) % projects]
            s = service_table[bits(16) % n_table]
            _, _, _, _, sku, unit, _, max_cost, disc, _ = SERVICES[s]
            day = days[bits(16) % n_days]
            resource = resources[s][bits(8) % RESOURCES_PER_PROJECT]
            tags = variants[0]
            if anomaly_every and i % anomaly_every == anomaly_every // 2:
                tags = variants[1 + (i // anomaly_every) % 3]
            list_cost = bits(40) % max_cost + 1
            if i % CREDIT_SHARE == CREDIT_SHARE - 1:
                credit = money(-(list_cost // 10))
                total -= list_cost // 10
                lines.append(
                    f"{heads[s]}{day},Credit,{mids[s]}{resource},{sku},,,"
                    f"{credit},{credit},{credit},{tags}\n"
                )
                continue
            contracted = list_cost - list_cost * disc // 100
            billed = contracted - contracted * subsidy // 100
            total += billed
            q = bits(20) % 240000 + 1
            lines.append(
                f"{heads[s]}{day},Usage,{mids[s]}{resource},{sku},"
                f"{q // 10000}.{q % 10000:04d},{unit},"
                f"{list_cost // MICRO}.{list_cost % MICRO:08d},"
                f"{contracted // MICRO}.{contracted % MICRO:08d},"
                f"{billed // MICRO}.{billed % MICRO:08d},{tags}\n"
            )
            if len(lines) >= 20_000:
                fh.write("".join(lines))
                lines.clear()
        fh.write("".join(lines))
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Generate a synthetic FOCUS CSV file for benchmarks (seeded, exact money)."
    )
    parser.add_argument("out", type=Path, help="output file (.csv, or .csv.gz to compress)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="charge rows (1000000)")
    parser.add_argument("--pis", type=int, default=300, help="number of PIs (300)")
    parser.add_argument("--projects", type=int, default=800, help="number of projects (800)")
    parser.add_argument("--period", default="2026-10", help="billing period YYYY-MM (2026-10)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
    parser.add_argument(
        "--anomalies",
        type=float,
        default=0.001,
        help="fraction of rows with a tag problem (0.001; 0 for none)",
    )
    args = parser.parse_args(argv)
    if args.rows < 0 or args.pis < 1 or args.projects < 1:
        parser.error("--rows must be >= 0, --pis and --projects >= 1")
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", args.period):
        parser.error(f"--period: expected YYYY-MM, got {args.period!r}")
    if not 0 <= args.anomalies <= 1:
        parser.error("--anomalies must be between 0 and 1")

    started = time.perf_counter()
    total = generate(
        args.out, args.rows, args.pis, args.projects, args.period, args.seed, args.anomalies
    )
    elapsed = time.perf_counter() - started
    size = args.out.stat().st_size
    print(
        f"{args.out}: {args.rows} rows, {size:,} bytes ({size / max(args.rows, 1):.0f} B/row), "
        f"{elapsed:.1f} s; BilledCost total {money(total)}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
