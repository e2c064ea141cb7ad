"""On-premises converters: sacct and storage usage → FOCUS, priced with rate tables.

Charges below are computed by hand in the comments next to each expected value.
"""

from __future__ import annotations

import csv
import json
import random
import shutil
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import ROOT

from generator.commands.convert import convert_file
from generator.common.errors import DataError, UsageError
from generator.read.config import load_config
from generator.read.convert import ConvertResult, load_slurm_rates, load_storage_rates

CONFIG = """\
organization: {name: Test University Research Computing}
currency: {code: USD, symbol: "$", minor_units: 2}
tags:
  pi_email: pi_email
  project_id: project_id
  fund_org: fund_org
review:
  fund_org_patterns: ['^(?P<fund>\\d{6})-(?P<orgn>\\d{4})$']
sources:
  hpc: {name: Test HPC, credit_fund_org: 100200-9200, account: "7420"}
  storage: {name: Test Storage, credit_fund_org: 100200-9200, account: "7430"}
"""

PROJECTS = """\
p2: {name: Bio project, pi_email: bea@test.edu, fund_org: 654321-4321}
"""

ACCOUNTS = """\
chem: {pi_email: ada@test.edu, project_id: p1, fund_org: 123456-1234}
bio: {project_id: p2}
"""

SLURM_RATES = """\
billable_states: [COMPLETED, FAILED, TIMEOUT, CANCELLED, RUNNING]
excluded_accounts: [root]
partitions:
  cpu:
    name: Standard
    cpu_hour: 0.02
    subsidy_percent: 25
  gpu:
    name: GPU
    cpu_hour: 0.01
    gpu_hour: 1.50
    subsidy_percent: 50
    changes:
      - effective: 2026-10-16
        gpu_hour: 2.00
  free:
    name: Free tier
    cpu_hour: 0.02
    subsidy_percent: 100
"""

STORAGE_RATES = """\
subsidy_percent: 25
tiers:
  standard: {name: Standard storage, tb_month: 9.00, free_tb: 1}
  archive: {name: Archive, tb_month: 2.50, subsidy_percent: 40}
"""

HEADER = "JobID|User|Account|Partition|AllocTRES|ElapsedRaw|State|Start|End"

MANDATORY = (  # FOCUS 1.2 columns whose requirement level is Mandatory
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "ContractedCost",
    "EffectiveCost",
    "InvoiceIssuerName",
    "ListCost",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "ServiceCategory",
    "ServiceName",
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for name, text in {
        "data/config.yaml": CONFIG,
        "data/projects.yaml": PROJECTS,
        "data/accounts.yaml": ACCOUNTS,
        "data/rates/slurm.yaml": SLURM_RATES,
        "data/rates/storage.yaml": STORAGE_RATES,
    }.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "periods").mkdir()
    return root


def slurm(
    root: Path, text: str, period: str = "2026-10", header: bool = True, **kw: object
) -> tuple[ConvertResult, list[dict[str, str]]]:
    """Convert an inline sacct dump (one job per line) and read the FOCUS rows back."""
    body = textwrap.dedent(text).strip("\n")
    dump = root / "sacct.txt"
    dump.write_text((HEADER + "\n" if header else "") + body + "\n", encoding="utf-8")
    result = convert_file("slurm", root, dump, period, **kw)  # type: ignore[arg-type]
    return result, read(result.output)


def storage(
    root: Path, text: str, period: str = "2026-10", **kw: object
) -> tuple[ConvertResult, list[dict[str, str]]]:
    report = root / "usage.csv"
    report.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    result = convert_file("storage", root, report, period, **kw)  # type: ignore[arg-type]
    return result, read(result.output)


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def money(row: dict[str, str]) -> tuple[Decimal, Decimal, Decimal]:
    return Decimal(row["PricingQuantity"]), Decimal(row["ListCost"]), Decimal(row["BilledCost"])


def by_unit(rows: list[dict[str, str]]) -> dict[tuple[str, str, str], dict[str, str]]:
    return {(r["SubAccountId"], r["ResourceId"], r["PricingUnit"]): r for r in rows}


# --- hand-computed charges -----------------------------------------------------------------


def test_cpu_job(repo: Path) -> None:
    result, rows = slurm(
        repo,
        "101|ada|chem|cpu|billing=4,cpu=4,mem=16G,node=1|9000|COMPLETED|"
        "2026-10-05T10:00:00|2026-10-05T12:30:00",
    )
    (row,) = rows
    # 4 CPUs x 2.5 h = 10 core-hours; list 10 x 0.02 = 0.20; billed 0.20 x (1 - 25%) = 0.15
    assert money(row) == (Decimal(10), Decimal("0.2"), Decimal("0.15"))
    assert row["PricingUnit"] == row["ConsumedUnit"] == "Core-Hours"
    assert row["ConsumedQuantity"] == "10"
    assert row["ListUnitPrice"] == row["ContractedUnitPrice"] == "0.02"
    assert row["ContractedCost"] == row["ListCost"]
    assert row["EffectiveCost"] == row["BilledCost"]
    assert row["ServiceName"] == "Standard"
    assert row["x_JobCount"] == "1"
    assert json.loads(row["Tags"]) == {
        "pi_email": "ada@test.edu",
        "project_id": "p1",
        "fund_org": "123456-1234",
    }
    assert result.output == repo / "periods" / "2026-10" / "hpc.csv"
    assert (result.rows, result.list_total, result.billed_total) == (
        1,
        Decimal("0.2"),
        Decimal("0.15"),
    )
    assert result.unmapped == [] and result.skipped == []


def test_gpu_job_charges_core_hours_and_gpu_hours(repo: Path) -> None:
    _, rows = slurm(
        repo,
        """
        102|bea|bio|gpu|billing=38,cpu=8,gres/gpu:a100=2,gres/gpu=2,mem=240G,node=1|10800|COMPLETED|2026-10-02T00:00:00|2026-10-02T03:00:00
        103|bea|bio|gpu|cpu=2,gres/gpu:a100=1,mem=8G|3600|FAILED|2026-10-03T00:00:00|2026-10-03T01:00:00
        """,
    )
    rows_by = by_unit(rows)
    assert len(rows) == 2
    cpu = rows_by[("bio", "gpu", "Core-Hours")]
    gpu = rows_by[("bio", "gpu", "GPU-Hours")]
    # 8 x 3 h + 2 x 1 h = 26 core-hours x 0.01 = 0.26 list, 0.13 after 50%
    assert money(cpu) == (Decimal(26), Decimal("0.26"), Decimal("0.13"))
    # gres/gpu=2 x 3 h + gres/gpu:a100=1 (typed only) x 1 h = 7 GPU-hours x 1.50 = 10.50
    assert money(gpu) == (Decimal(7), Decimal("10.5"), Decimal("5.25"))
    assert gpu["ListUnitPrice"] == "1.5"
    assert gpu["x_JobCount"] == "2"
    # p2's PI and fund/org come from the project registry.
    assert json.loads(gpu["Tags"]) == {
        "pi_email": "bea@test.edu",
        "project_id": "p2",
        "fund_org": "654321-4321",
    }


def test_free_tier_shows_its_value_and_bills_nothing(repo: Path) -> None:
    _, rows = slurm(
        repo,
        "104|ada|chem|free|cpu=16,mem=64G|7200|COMPLETED|2026-10-07T08:00:00|2026-10-07T10:00:00",
    )
    (row,) = rows
    # 16 x 2 h = 32 core-hours; list 0.64; subsidy 100%
    assert money(row) == (Decimal(32), Decimal("0.64"), Decimal(0))
    assert row["x_SubsidyPercent"] == "100"


def test_job_crossing_a_month_is_charged_in_each_month_for_its_time_there(repo: Path) -> None:
    job = "105|ada|chem|cpu|cpu=2|14400|COMPLETED|2026-09-30T22:00:00|2026-10-01T02:00:00"
    september, sep_rows = slurm(repo, job, period="2026-09")
    october, oct_rows = slurm(repo, job, period="2026-10")
    # 2 h in each month x 2 CPUs = 4 core-hours; list 0.08, billed 0.06
    assert money(sep_rows[0]) == (Decimal(4), Decimal("0.08"), Decimal("0.06"))
    assert money(oct_rows[0]) == (Decimal(4), Decimal("0.08"), Decimal("0.06"))
    assert sep_rows[0]["BillingPeriodStart"] == "2026-09-01T00:00:00Z"
    assert sep_rows[0]["BillingPeriodEnd"] == "2026-10-01T00:00:00Z"
    assert oct_rows[0]["BillingPeriodStart"] == "2026-10-01T00:00:00Z"
    assert oct_rows[0]["BillingPeriodEnd"] == "2026-11-01T00:00:00Z"
    assert september.output.parent.name == "2026-09"
    assert october.charged == september.charged == 1
    # A month with none of the job's time has no charge.
    november, _ = slurm(repo, job, period="2026-11")
    assert november.rows == 0


def test_rate_change_mid_month_splits_the_job(repo: Path) -> None:
    _, rows = slurm(
        repo,
        "106|bea|bio|gpu|cpu=4,gres/gpu=1|43200|COMPLETED|2026-10-15T18:00:00|2026-10-16T06:00:00",
    )
    # 6 h before 2026-10-16 at 1.50/GPU-hour and 6 h after at 2.00.
    gpu = sorted(
        (r for r in rows if r["PricingUnit"] == "GPU-Hours"), key=lambda r: r["SkuPriceId"]
    )
    assert [r["SkuPriceId"] for r in gpu] == ["gpu-gpu-2026-10-16", "gpu-gpu-base"]
    new, old = gpu
    assert money(old) == (Decimal(6), Decimal("9"), Decimal("4.5"))
    assert money(new) == (Decimal(6), Decimal("12"), Decimal("6"))
    assert (old["ChargePeriodStart"], old["ChargePeriodEnd"]) == (
        "2026-10-01T00:00:00Z",
        "2026-10-16T00:00:00Z",
    )
    assert (new["ChargePeriodStart"], new["ChargePeriodEnd"]) == (
        "2026-10-16T00:00:00Z",
        "2026-11-01T00:00:00Z",
    )
    assert "rate from 2026-10-16" in new["ChargeDescription"]
    # Core-hours keep their price but follow the same split: 4 x 6 h = 24 at 0.01 on each side.
    cpu = [r for r in rows if r["PricingUnit"] == "Core-Hours"]
    assert sorted(money(r) for r in cpu) == [(Decimal(24), Decimal("0.24"), Decimal("0.12"))] * 2


def test_jobs_of_an_account_and_partition_make_one_row(repo: Path) -> None:
    _, rows = slurm(
        repo,
        """
        1|ada|chem|cpu|cpu=1|3600|COMPLETED|2026-10-01T00:00:00|2026-10-01T01:00:00
        2|ada|chem|cpu|cpu=2|1800|TIMEOUT|2026-10-02T00:00:00|2026-10-02T00:30:00
        3_7|ada|chem|cpu|cpu=3|1200|CANCELLED by 123|2026-10-03T00:00:00|2026-10-03T00:20:00
        4|ada|chem|free|cpu=1|3600|COMPLETED|2026-10-04T00:00:00|2026-10-04T01:00:00
        5|bea|bio|cpu|cpu=1|3600|COMPLETED|2026-10-05T00:00:00|2026-10-05T01:00:00
        """,
    )
    assert [(r["SubAccountId"], r["ResourceId"], r["x_JobCount"]) for r in rows] == [
        ("bio", "cpu", "1"),
        ("chem", "cpu", "3"),
        ("chem", "free", "1"),
    ]
    # 1 x 1 h + 2 x 0.5 h + 3 x 1/3 h = 3 core-hours -> 0.06 list, 0.045 billed
    assert money(rows[1]) == (Decimal(3), Decimal("0.06"), Decimal("0.045"))


def test_states_excluded_accounts_and_jobs_that_never_ran_are_not_charged(repo: Path) -> None:
    result, rows = slurm(
        repo,
        """
        1|ada|chem|cpu||0|PENDING|Unknown|Unknown
        2|ada|chem|cpu||0|CANCELLED by 501|None|2026-10-02T00:00:00
        3|ada|chem|cpu|cpu=8|3600|OUT_OF_MEMORY|2026-10-03T00:00:00|2026-10-03T01:00:00
        4|admin|root|cpu|cpu=64|3600|COMPLETED|2026-10-03T00:00:00|2026-10-03T01:00:00
        5|ada|chem|nowhere|cpu=8|3600|REQUEUED|2026-10-03T00:00:00|2026-10-03T01:00:00
        6|ada|chem|cpu|cpu=1|3600|COMPLETED|2026-10-04T00:00:00|2026-10-04T01:00:00
        """,
    )
    assert [r["x_JobCount"] for r in rows] == ["1"]
    assert result.lines == 6 and result.charged == 1


def test_running_job_is_charged_for_its_time_so_far_in_the_period(repo: Path) -> None:
    # sacct ran 2026-11-02T12:00, when the job had run 3.5 days (302400 s).
    _, rows = slurm(
        repo,
        "7|ada|chem|cpu|cpu=1|302400|RUNNING|2026-10-30T00:00:00|Unknown",
    )
    # 2026-10-30 00:00 to 2026-11-01 00:00 is 48 h x 1 CPU; the other 36 h are November's.
    assert money(rows[0])[0] == Decimal(48)
    _, nov = slurm(
        repo, "7|ada|chem|cpu|cpu=1|302400|RUNNING|2026-10-30T00:00:00|Unknown", period="2026-11"
    )
    assert money(nov[0])[0] == Decimal(36)


def test_elapsed_as_days_hours_minutes_and_a_start_taken_from_end(repo: Path) -> None:
    dump = repo / "elapsed.txt"
    dump.write_text(
        "JobName|JobID|Account|User|Partition|State|AllocTRES|Elapsed|Start|End\n"
        "sim|1|chem|ada|cpu|COMPLETED|cpu=1|1-02:00:00|2026-10-01T00:00:00|2026-10-02T02:00:00\n"
        "sim|2|chem|ada|cpu|COMPLETED|cpu=1|30:00|Unknown|2026-10-03T00:30:00\n",
        encoding="utf-8",
    )
    result = convert_file("slurm", repo, dump, "2026-10")
    (row,) = read(result.output)
    assert money(row)[0] == Decimal("26.5")  # 26 h + 0.5 h


def test_dump_without_header_uses_the_documented_field_order(repo: Path) -> None:
    _, rows = slurm(
        repo,
        "1|ada|chem|cpu|cpu=4|3600|COMPLETED|2026-10-01T00:00:00|2026-10-01T01:00:00",
        header=False,
    )
    assert money(rows[0])[0] == Decimal(4)


# --- attribution ---------------------------------------------------------------------------


def test_unmapped_account_still_charged_with_empty_attribution_and_listed(repo: Path) -> None:
    result, rows = slurm(
        repo,
        """
        1|zed|newlab|cpu|cpu=1|3600|COMPLETED|2026-10-01T00:00:00|2026-10-01T01:00:00
        2|ada|chem|cpu|cpu=1|3600|COMPLETED|2026-10-01T00:00:00|2026-10-01T01:00:00
        3|zed|another|gpu|cpu=1,gres/gpu=1|3600|COMPLETED|2026-10-01T00:00:00|2026-10-01T01:00:00
        """,
    )
    new = next(r for r in rows if r["SubAccountId"] == "newlab")
    assert new["Tags"] == "{}"
    assert Decimal(new["BilledCost"]) == Decimal("0.015")
    assert result.unmapped == ["another", "newlab"]


def test_rows_have_every_mandatory_focus_column(repo: Path) -> None:
    _, rows = slurm(
        repo,
        "1|ada|chem|cpu|cpu=1|3600|COMPLETED|2026-10-01T00:00:00|2026-10-01T01:00:00",
    )
    _, storage_rows = storage(repo, "share,project,bytes_used,tier\n/a,p2,5000000000000,standard\n")
    for row in (rows[0], storage_rows[0]):
        for column in MANDATORY:
            assert column in row
            if column != "ChargeClass":  # null unless the row is a correction
                assert row[column], column
        assert row["ChargeCategory"] == "Usage"
        assert row["BillingCurrency"] == "USD"
        assert row["ProviderName"] == row["PublisherName"] == "Test University Research Computing"
        assert row["ConsumedQuantity"] and row["ConsumedUnit"]
    assert rows[0]["ServiceCategory"] == "Compute"
    assert rows[0]["BillingAccountId"] == "hpc" and rows[0]["BillingAccountName"] == "Test HPC"
    assert storage_rows[0]["ServiceCategory"] == "Storage"
    assert storage_rows[0]["PricingUnit"] == "TB-Months"


# --- conservation and read-back ------------------------------------------------------------


def test_totals_are_conserved_from_sacct_to_focus(repo: Path) -> None:
    """Core- and GPU-seconds of every job equal the FOCUS quantities summed over months,
    and each month's ListCost is its quantity times the rate."""
    rng = random.Random(7)
    lines, cpu_seconds, gpu_seconds = [], 0, 0
    for i in range(2000):
        partition = rng.choice(("cpu", "gpu", "free"))
        cpus = rng.randint(1, 64)
        gpus = rng.randint(1, 4) if partition == "gpu" else 0
        elapsed = rng.randint(1, 5 * 86400)
        day, second = rng.randint(1, 30), rng.randrange(86400)
        start = f"2026-09-{day:02d}T{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}"
        tres = f"cpu={cpus}" + (f",gres/gpu={gpus}" if gpus else "")
        account = rng.choice(("chem", "bio", "newlab"))
        lines.append(f"{i}|u|{account}|{partition}|{tres}|{elapsed}|COMPLETED|{start}|Unknown")
        cpu_seconds += cpus * elapsed
        gpu_seconds += gpus * elapsed
    text = "\n".join(lines)
    seen_cpu = seen_gpu = Decimal(0)
    list_from_rates = list_written = Decimal(0)
    for period in ("2026-08", "2026-09", "2026-10", "2026-11"):
        result, rows = slurm(repo, text, period=period)
        for row in rows:
            quantity = Decimal(row["PricingQuantity"])
            if row["PricingUnit"] == "Core-Hours":
                seen_cpu += quantity
            else:
                seen_gpu += quantity
            list_from_rates += quantity * Decimal(row["ListUnitPrice"])
            list_written += Decimal(row["ListCost"])
        assert result.list_total == sum((Decimal(r["ListCost"]) for r in rows), Decimal(0))
    assert abs(seen_cpu * 3600 - cpu_seconds) < Decimal("1e-6")
    assert abs(seen_gpu * 3600 - gpu_seconds) < Decimal("1e-6")
    assert abs(list_from_rates - list_written) < Decimal("1e-6")


def test_output_reads_back_through_ingest_with_no_errors(repo: Path) -> None:
    from generator.commands.ingest import ingest

    result, _ = slurm(
        repo,
        """
        1|ada|chem|cpu|cpu=4|9000|COMPLETED|2026-10-05T10:00:00|2026-10-05T12:30:00
        2|bea|bio|gpu|cpu=8,gres/gpu=2|10800|COMPLETED|2026-10-15T18:00:00|2026-10-15T21:00:00
        3|ada|chem|free|cpu=16|7200|COMPLETED|2026-10-07T08:00:00|2026-10-07T10:00:00
        4|zed|newlab|cpu|cpu=1|3600|COMPLETED|2026-10-01T00:00:00|2026-10-01T01:00:00
        """,
        out=repo / "hpc.csv",
    )
    cfg = load_config(repo)
    ingested = ingest(cfg, result.output, "hpc", "2026-10", dry_run=True)
    assert ingested.rows == result.rows == 5
    assert ingested.total == result.billed_total
    assert ingested.flags["missing_pi_email"] == 1  # newlab, flagged by the core
    assert ingested.warnings == []

    stored, _ = storage(
        repo,
        """
        share,project,bytes_used,tier
        /a,p2,2500000000000,standard
        /b,orphan,1000000000000,archive
        """,
        out=repo / "storage.csv",
    )
    ingested = ingest(cfg, stored.output, "storage", "2026-10", dry_run=True)
    assert ingested.rows == 2
    assert ingested.total == stored.billed_total
    assert ingested.flags["missing_pi_email"] == 1


def test_same_input_writes_the_same_bytes(repo: Path) -> None:
    job = "1|ada|chem|cpu|cpu=4|9000|COMPLETED|2026-10-05T10:00:00|2026-10-05T12:30:00"
    first, _ = slurm(repo, job)
    before = first.output.read_bytes()
    second, _ = slurm(repo, job)
    assert second.output.read_bytes() == before
    assert not [p for p in first.output.parent.iterdir() if p.name.startswith(".")]


# --- bad input -----------------------------------------------------------------------------

GOOD = "1|ada|chem|cpu|cpu=1|3600|COMPLETED|2026-10-01T00:00:00|2026-10-01T01:00:00"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("2|ada|chem|cpu|cpu=1|3600|COMPLETED|2026-10-01T00:00:00", "has 8 fields, expected 9"),
        (GOOD + "|extra", "has 10 fields, expected 9"),
        (
            "2|ada|chem|cpu|cpu=x,mem=1G|3600|COMPLETED|2026-10-01T00:00:00|Unknown",
            'AllocTRES "cpu=x,mem=1G" is not a TRES list',
        ),
        (
            "2|ada|chem|cpu|mem=16G,node=1|3600|COMPLETED|2026-10-01T00:00:00|Unknown",
            'AllocTRES "mem=16G,node=1" is not a TRES list',
        ),
        (
            "2|ada|chem|gpu|cpu=1,gres/gpu=two|3600|COMPLETED|2026-10-01T00:00:00|Unknown",
            'AllocTRES "cpu=1,gres/gpu=two" is not a TRES list',
        ),
        (
            "2|ada|chem|cpu|cpu4|3600|COMPLETED|2026-10-01T00:00:00|Unknown",
            'AllocTRES "cpu4" is not a TRES list',
        ),
        (
            "2|ada|chem|cpu|cpu=1|1h|COMPLETED|2026-10-01T00:00:00|Unknown",
            'ElapsedRaw "1h" is not an elapsed time',
        ),
        (
            "2|ada|chem|cpu|cpu=1|-60|COMPLETED|2026-10-01T00:00:00|Unknown",
            'ElapsedRaw "-60" is not an elapsed time',
        ),
        (
            "2|ada|chem|cpu|cpu=1|10:75|COMPLETED|2026-10-01T00:00:00|Unknown",
            'ElapsedRaw "10:75" is not an elapsed time',
        ),
        (
            "2|ada|chem|bigmem|cpu=1|3600|COMPLETED|2026-10-01T00:00:00|Unknown",
            'Partition "bigmem" has no rates; add it to data/rates/slurm.yaml',
        ),
        (
            "2|ada|chem|cpu|cpu=1|3600|COMPLETED|10/01/2026 00:00|Unknown",
            'Start "10/01/2026 00:00" is not a date-time',
        ),
        (
            "2|ada|chem|cpu|cpu=1|3600|COMPLETED|2026-10-01T25:00:00|Unknown",
            'Start "2026-10-01T25:00:00" is not a date-time',
        ),
        (
            "2|ada|chem|cpu|cpu=1|3600|COMPLETED|Unknown|Unknown",
            'Start "Unknown" is not a date-time',
        ),
        (
            "2|ada|chem|cpu|cpu=1|3600|COMPLETED|2026-10-01T00:00:00|2026-13-01T00:00:00",
            'End "2026-13-01T00:00:00" is not a date-time',
        ),
        (
            "2|ada||cpu|cpu=1|3600|COMPLETED|2026-10-01T00:00:00|Unknown",
            'Account "" is empty',
        ),
    ],
)
def test_bad_line_is_reported_with_its_line_number_and_nothing_is_written(
    repo: Path, line: str, message: str
) -> None:
    with pytest.raises(DataError) as err:
        slurm(repo, f"{GOOD}\n{line}\n{GOOD}")
    (problem,) = err.value.problems
    assert problem.where == "sacct.txt:3"  # the header is line 1
    assert message in problem.message
    assert "; " in problem.message  # ... and says what to do
    assert not (repo / "periods" / "2026-10" / "hpc.csv").exists()


def test_every_bad_line_is_reported_at_once_and_old_output_kept(repo: Path) -> None:
    target = repo / "periods" / "2026-10" / "hpc.csv"
    target.parent.mkdir(parents=True)
    target.write_text("previous\n")
    with pytest.raises(DataError) as err:
        slurm(
            repo,
            f"""
            {GOOD}
            2|ada|chem|cpu|cpu=1|abc|COMPLETED|2026-10-01T00:00:00|Unknown
            {GOOD}
            3|ada|chem|nope|cpu=1|60|COMPLETED|2026-10-01T00:00:00|Unknown
            4|only|three
            """,
        )
    assert [p.where for p in err.value.problems] == ["sacct.txt:3", "sacct.txt:5", "sacct.txt:6"]
    assert "sacct.txt:3: ElapsedRaw" in str(err.value)
    assert target.read_text() == "previous\n"
    assert [p.name for p in target.parent.iterdir()] == ["hpc.csv"]  # no temporary file left


def test_skip_bad_writes_the_good_lines_and_reports_what_it_skipped(repo: Path) -> None:
    result, rows = slurm(
        repo,
        f"""
        {GOOD}
        2|ada|chem|cpu|cpu=1|abc|COMPLETED|2026-10-01T00:00:00|Unknown
        3|ada|chem|nope|cpu=1|60|COMPLETED|2026-10-01T00:00:00|Unknown
        """,
        skip_bad=True,
    )
    assert [p.where for p in result.skipped] == ["sacct.txt:3", "sacct.txt:4"]
    assert result.skipped_count == 2
    assert money(rows[0])[0] == Decimal(1)


def test_many_bad_lines_are_capped_with_a_count(repo: Path) -> None:
    bad = "\n".join("x|y" for _ in range(250))
    with pytest.raises(DataError) as err:
        slurm(repo, bad)
    assert len(err.value.problems) == 201
    assert err.value.problems[-1].message == "50 more bad lines not shown"


def test_missing_or_unreadable_input(repo: Path) -> None:
    with pytest.raises(DataError, match="cannot be read"):
        convert_file("slurm", repo, repo / "missing.txt", "2026-10")
    latin = repo / "latin1.txt"
    latin.write_bytes(HEADER.encode() + b"\n1|jos\xe9|chem|cpu|cpu=1|1|COMPLETED|x|y\n")
    with pytest.raises(DataError, match="not UTF-8"):
        convert_file("slurm", repo, latin, "2026-10")
    dump = repo / "short.txt"
    dump.write_text("JobID|Account|Partition\n1|chem|cpu\n")
    with pytest.raises(DataError, match="the header has no User, AllocTRES"):
        convert_file("slurm", repo, dump, "2026-10")


def test_bad_period_and_closed_period(repo: Path) -> None:
    with pytest.raises(UsageError, match="not YYYY-MM"):
        slurm(repo, GOOD, period="2026-13")
    status = repo / "periods" / "2026-10" / "period.yaml"
    status.parent.mkdir(parents=True)
    status.write_text("status: closed\n")
    with pytest.raises(DataError, match="is closed"):
        slurm(repo, GOOD)
    result, _ = slurm(repo, GOOD, out=repo / "elsewhere.csv")  # -o FILE is still allowed
    assert result.rows == 1


# --- rate files ----------------------------------------------------------------------------


def test_rate_file_problems_are_reported_together(tmp_path: Path) -> None:
    path = tmp_path / "slurm.yaml"
    path.write_text(
        textwrap.dedent(
            """
            partitions:
              a: {name: A, cpu_hour: -1, subsidy_percent: 150}
              b: {name: B}
              c:
                cpu_hour: 0.1
                changes:
                  - {effective: 2026-10-10, cpu_hour: 0.2}
                  - {effective: 2026-10-01, cpu_hour: 0.3}
                  - {cpu_hour: 0.4}
              d: {cpu_hours: 1}
              e:
            """
        )
    )
    with pytest.raises(DataError) as err:
        load_slurm_rates(path)
    text = str(err.value)
    assert "partitions.a.cpu_hour: -1 is out of range" in text
    assert "partitions.a.subsidy_percent: 150 is out of range; use 0 to 100" in text
    assert "partitions.b: give cpu_hour, gpu_hour or both" in text
    assert "partitions.c.changes[1].effective: 2026-10-01 is not after" in text
    assert "partitions.c.changes[2].effective: required" in text
    assert "partitions.d.cpu_hours: unknown key 'cpu_hours'; did you mean 'cpu_hour'?" in text
    assert "partitions.e: give name, cpu_hour and/or gpu_hour" in text
    with pytest.raises(DataError, match="no rate file"):
        load_slurm_rates(tmp_path / "none.yaml")
    storage_path = tmp_path / "storage.yaml"
    storage_path.write_text("bytes_per_tb: 0\ntiers: {a: {free_tb: -1}, b: , c: {tb_month: x}}\n")
    with pytest.raises(DataError) as err:
        load_storage_rates(storage_path)
    text = str(err.value)
    assert "bytes_per_tb: a positive whole number" in text
    assert "tiers.a.tb_month: required" in text
    assert "tiers.a.free_tb: -1 is out of range; use 0 or more" in text
    assert "tiers.b: give name and tb_month" in text
    assert "tiers.c.tb_month: expected a number, got 'x'" in text


def test_demo_rate_files_load() -> None:
    slurm_rates = load_slurm_rates(ROOT / "data" / "rates" / "slurm.yaml")
    assert {"standard", "highmem", "gpu", "free"} <= set(slurm_rates.partitions)
    assert slurm_rates.partitions["free"].rates[0].subsidy_percent == 100
    assert len(slurm_rates.partitions["gpu"].rates) == 2  # the mid-September change
    storage_rates = load_storage_rates(ROOT / "data" / "rates" / "storage.yaml")
    assert storage_rates.tiers["standard"].free_tb == 1


# --- storage -------------------------------------------------------------------------------


def test_storage_charges_with_free_allowance_and_subsidy(repo: Path) -> None:
    result, rows = storage(
        repo,
        """
        share,project,bytes_used,tier
        /research/b,p2,2400000000000,standard
        /research/a,p2,600000000000,standard
        /research/c,p2,10000000000000,archive
        """,
    )
    by_share = {r["ResourceId"]: r for r in rows}
    # p2's 1 TB free on standard covers /research/a (0.6 TB) first, then 0.4 TB of /b.
    a, b, c = by_share["/research/a"], by_share["/research/b"], by_share["/research/c"]
    assert money(a) == (Decimal("0.6"), Decimal("5.4"), Decimal(0))  # 0.6 x 9.00
    assert a["x_FreeAllowanceTB"] == "0.6"
    # 2.4 x 9.00 = 21.60 list; (2.4 - 0.4) x 9.00 x 75% = 13.50 billed
    assert money(b) == (Decimal("2.4"), Decimal("21.6"), Decimal("13.5"))
    assert "0.4 TB free allowance applied" in b["ChargeDescription"]
    # 10 x 2.50 = 25.00 list; 40% subsidy on archive -> 15.00
    assert money(c) == (Decimal(10), Decimal(25), Decimal(15))
    assert c["ServiceName"] == "Archive" and c["SkuId"] == "storage-archive"
    assert json.loads(c["Tags"]) == {
        "pi_email": "bea@test.edu",
        "project_id": "p2",
        "fund_org": "654321-4321",
    }
    assert result.output == repo / "periods" / "2026-10" / "storage.csv"
    assert result.billed_total == Decimal("28.5")
    assert result.list_total == Decimal("52")


def test_storage_projects_map_through_accounts_and_unmapped_ones_are_listed(repo: Path) -> None:
    result, rows = storage(
        repo,
        """
        path,project,bytes,tier,files
        /x,chem,1000000000000,archive,12
        /y,ghost,1000000000000,archive,3
        /z,,1000000000000,archive,5
        """,
    )
    tags = {r["ResourceId"]: json.loads(r["Tags"]) for r in rows}
    assert tags["/x"]["project_id"] == "p1"  # accounts.yaml maps the group chem to p1
    assert tags["/y"] == {"project_id": "ghost"}
    assert tags["/z"] == {}
    assert result.unmapped == ["(no project)", "ghost"]


def test_storage_bytes_per_tb_can_bill_tebibytes(repo: Path) -> None:
    (repo / "data" / "rates" / "storage.yaml").write_text(
        "bytes_per_tb: 1099511627776\ntiers: {archive: {tb_month: 2}}\n"
    )
    _, rows = storage(repo, "share,project,bytes_used,tier\n/x,p2,3298534883328,archive\n")
    assert money(rows[0]) == (Decimal(3), Decimal(6), Decimal(6))  # 3 TiB x 2.00, no subsidy


def test_storage_totals_are_conserved(repo: Path) -> None:
    rng = random.Random(3)
    lines = ["share,project,bytes_used,tier"]
    total = 0
    for i in range(300):
        used = rng.randrange(10**15)
        total += used
        lines.append(
            f"/s{i},{rng.choice(('p1', 'p2', 'chem', 'x'))},{used},"
            f"{rng.choice(('standard', 'archive'))}"
        )
    _, rows = storage(repo, "\n".join(lines) + "\n")
    assert sum(Decimal(r["PricingQuantity"]) for r in rows) * 10**12 == total


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("/b,p2,100", "has 3 fields, expected 4 like the header"),
        ("/b,p2,100,standard,extra", "has 5 fields, expected 4"),
        ("/b,p2,1.5TB,standard", 'bytes_used "1.5TB" is not a whole number of bytes'),
        ("/b,p2,-100,standard", 'bytes_used "-100" is not a whole number of bytes'),
        ("/b,p2,,standard", 'bytes_used "" is not a whole number of bytes'),
        ("/b,p2,100,gold", 'tier "gold" has no rates; add it to data/rates/storage.yaml'),
        (",p2,100,standard", 'share "" is empty'),
        ("/a,p2,100,standard", 'share "/a" in tier standard appears twice (first on line 2)'),
    ],
)
def test_storage_bad_line_is_reported_with_its_line_number(
    repo: Path, line: str, message: str
) -> None:
    text = f"share,project,bytes_used,tier\n/a,p2,100,standard\n{line}\n/c,p2,100,archive\n"
    with pytest.raises(DataError) as err:
        storage(repo, text)
    (problem,) = err.value.problems
    assert problem.where == "usage.csv:3"
    assert message in problem.message
    assert not (repo / "periods" / "2026-10" / "storage.csv").exists()
    result, rows = storage(repo, text, skip_bad=True)
    assert [p.where for p in result.skipped] == ["usage.csv:3"]
    assert {r["ResourceId"] for r in rows} == {"/a", "/c"}


def test_storage_report_needs_a_header(repo: Path) -> None:
    with pytest.raises(DataError, match="the header has no share, bytes_used column"):
        storage(repo, "volume,project,size,tier\n/a,p2,1,standard\n")
    with pytest.raises(DataError, match="the file is empty"):
        storage(repo, "")


# --- the demo ------------------------------------------------------------------------------


def test_demo_period_files_are_what_the_samples_convert_to(tmp_path: Path) -> None:
    """periods/*/hpc.csv and storage.csv are regenerated by sample_data/regenerate.sh."""
    sacct = ROOT / "sample_data" / "sacct-2026-07-25_2026-11-05.txt"
    assert len(sacct.read_text().splitlines()) > 5000
    for period in ("2026-08", "2026-09", "2026-10"):
        hpc = convert_file("slurm", ROOT, sacct, period, out=tmp_path / f"hpc-{period}.csv")
        assert hpc.skipped_count == 0 and hpc.rows > 20
        assert hpc.unmapped == ([] if period == "2026-08" else ["patel-newlab"])
        committed = ROOT / "periods" / period / "hpc.csv"
        assert committed.read_bytes() == hpc.output.read_bytes(), "run sample_data/regenerate.sh"
        report = ROOT / "sample_data" / f"storage-{period}.csv"
        store = convert_file(
            "storage", ROOT, report, period, out=tmp_path / f"storage-{period}.csv"
        )
        assert store.unmapped == ["patel-newlab"]
        committed = ROOT / "periods" / period / "storage.csv"
        assert committed.read_bytes() == store.output.read_bytes(), "run sample_data/regenerate.sh"


def test_demo_sample_has_the_cases_the_demo_shows(tmp_path: Path) -> None:
    sacct = ROOT / "sample_data" / "sacct-2026-07-25_2026-11-05.txt"
    shutil.copy(sacct, tmp_path / "dump.txt")
    text = sacct.read_text()
    for needle in (
        "|free|",
        "|gpu|",
        "gres/gpu=",
        "|highmem|",
        "RUNNING",
        "PENDING",
        "CANCELLED by",
        "|rc-staff|",
        "|patel-newlab|",
        "T21:15:04|",
    ):
        assert needle in text, needle
    september = convert_file(
        "slurm", ROOT, tmp_path / "dump.txt", "2026-09", out=tmp_path / "s.csv"
    )
    prices = {r["SkuPriceId"] for r in read(september.output)}
    assert {"gpu-gpu-base", "gpu-gpu-2026-09-16"} <= prices  # the rate change mid-month


def test_storage_quoted_fields_and_blank_lines_keep_line_numbers(repo: Path) -> None:
    text = 'share,project,bytes_used,tier\n"/research/a,b",p2,100,standard\n\n/c,p2,x,archive\n'
    with pytest.raises(DataError) as err:
        storage(repo, text)
    assert [p.where for p in err.value.problems] == ["usage.csv:4"]
    result, rows = storage(repo, text, skip_bad=True)
    assert [r["ResourceId"] for r in rows] == ["/research/a,b"]
    assert result.lines == 2 and result.charged == 1
