"""Every flag, by its stable name, on real DuckDB."""

from __future__ import annotations

from conftest import CONFIG, HEADER, csv_file, row, tags

from generator.read.config import load_config
from generator.read.focus import KNOWN_COLUMNS
from generator.warehouse.load import load


def flags_by_resource(root) -> dict[str, list[str]]:
    wh = load(load_config(root))
    assert wh.problems == []
    rows = wh.con.execute("SELECT resource_id, flags, status FROM charges").fetchall()
    for _, flags, status in rows:
        assert status == ("pending" if flags else "billed")
    return {r[0]: r[1] for r in rows}


def test_attribution_flags(make_repo):
    text = "\n".join([
        HEADER,
        row(resource="ok"),
        row(resource="no-pi", tag=tags(pi=None)),
        row(resource="no-project", tag=tags(project=None)),
        row(resource="no-fund", tag=tags(fund=None)),
        row(resource="bad-fund", tag=tags(fund="ABC-12")),
        row(resource="blank-pi", tag=tags(pi="  ")),
        row(resource="bad-tags", tag="oops"),
    ])
    got = flags_by_resource(make_repo({"periods/2026-10/aws.csv": text}))
    assert got["ok"] == []
    assert got["no-pi"] == ["missing_pi_email"]
    assert got["no-project"] == ["missing_project_id"]
    assert got["no-fund"] == ["missing_fund_org"]
    assert got["bad-fund"] == ["invalid_fund_org"]
    assert got["blank-pi"] == ["missing_pi_email"]
    assert got["bad-tags"] == [
        "invalid_tags", "missing_fund_org", "missing_pi_email", "missing_project_id"
    ]


def test_tag_keys_with_provider_prefix_and_registry_fill(make_repo):
    aws_tags = '"{""user:pi_email"":""Ada@Test.edu"",""user:project_id"":""p9""}"'
    text = f"{HEADER}\n{row(resource='r', tag=aws_tags)}\n"
    projects = "p9: {name: Nine, fund_org: 654321-4321, pi_email: other@test.edu}\n"
    root = make_repo({"periods/2026-10/aws.csv": text, "data/projects.yaml": projects})
    wh = load(load_config(root))
    (r,) = wh.con.execute("SELECT pi_email, project_id, fund_org, flags FROM charges").fetchall()
    assert r == ("ada@test.edu", "p9", "654321-4321", [])


def test_pattern_period_currency_flags(make_repo):
    text = (
        "BillingPeriodStart,BilledCost,SkuId,BillingCurrency,ResourceId,Tags\n"
        f"2026-10-01,1,p4d.24xlarge,USD,gpu,{tags()}\n"
        f"2026-11-01,1,m5,usd,next-month,{tags()}\n"
        f"2026-10-01,1,m5,EUR,euro,{tags()}\n"
    )
    got = flags_by_resource(make_repo({"periods/2026-10/aws.csv": text}))
    assert got == {"gpu": ["pattern:gpu"], "next-month": ["period_mismatch"],
                   "euro": ["currency_mismatch"]}


def test_pattern_over_an_extra_column(make_repo):
    config = CONFIG.replace("columns: [SkuId]", "columns: [x_Team]")
    text = "BillingPeriodStart,BilledCost,x_Team,ResourceId,Tags\n"
    text += f"2026-10-01,1,p4d-team,a,{tags()}\n"
    got = flags_by_resource(make_repo({"periods/2026-10/aws.csv": text}, config=config))
    assert got == {"a": ["pattern:gpu"]}


def test_duplicate_across_files_of_a_period(make_repo):
    same = row(resource="twin")
    root = make_repo({
        "periods/2026-10/aws.csv": f"{HEADER}\n{same}\n{row(resource='solo')}\n",
        "periods/2026-10/hpc.csv": f"{HEADER}\n{same}\n",
        "periods/2026-09/hpc.csv": f"{HEADER}\n{row(period='2026-09', resource='twin')}\n",
    })
    wh = load(load_config(root))
    rows = wh.con.execute(
        "SELECT period, source, resource_id, flags FROM charges ORDER BY ALL"
    ).fetchall()
    assert rows == [
        ("2026-09", "hpc", "twin", []),
        ("2026-10", "aws", "solo", []),
        ("2026-10", "aws", "twin", ["duplicate"]),
        ("2026-10", "hpc", "twin", ["duplicate"]),
    ]


def test_identical_rows_in_one_file_are_not_duplicates_but_distinct_charges(make_repo):
    root = make_repo({"periods/2026-10/aws.csv": f"{HEADER}\n{row()}\n{row()}\n"})
    wh = load(load_config(root))
    rows = wh.con.execute("SELECT charge_id, flags FROM charges").fetchall()
    assert len({r[0] for r in rows}) == 2
    assert all(r[1] == [] for r in rows)


def test_project_ended(make_repo):
    text = (
        "BillingPeriodStart,ChargePeriodStart,BilledCost,ResourceId,Tags\n"
        f"2026-10-01,2026-10-14,1,last-day,{tags()}\n"
        f"2026-10-01,2026-10-15,1,after,{tags()}\n"
        f"2026-10-01,2026-10-20,1,other,{tags(project='p2')}\n"
    )
    projects = "p1: {end_date: 2026-10-14}\n"
    got = flags_by_resource(make_repo({"periods/2026-10/aws.csv": text,
                                       "data/projects.yaml": projects}))
    assert got == {"last-day": [], "after": ["project_ended"], "other": []}


def test_cost_spike_against_trailing_three_periods(make_repo):
    def month(period, cost, project="p1"):
        return csv_file(row(period=period, cost=cost, resource=project, tag=tags(project=project)))

    root = make_repo({
        "periods/2026-06/aws.csv": month("2026-06", "1000"),  # outside the window
        "periods/2026-07/aws.csv": month("2026-07", "50"),
        "periods/2026-08/aws.csv": month("2026-08", "50"),
        "periods/2026-09/aws.csv": month("2026-09", "50"),
        # p1: 301 > 3 x 50 and >= min 100 → spike. p2 has no history → no spike.
        "periods/2026-10/aws.csv": csv_file(
            row(period="2026-10", cost="301", resource="p1", tag=tags(project="p1")),
            row(period="2026-10", cost="5000", resource="p2", tag=tags(project="p2")),
        ),
        "periods/2026-10/hpc.csv": csv_file(
            row(period="2026-10", cost="-1", resource="p1-credit", tag=tags(project="p1")),
        ),
    })
    wh = load(load_config(root))
    rows = dict(wh.con.execute(
        "SELECT period || ' ' || resource_id, flags FROM charges"
    ).fetchall())
    assert rows["2026-10 p1"] == ["cost_spike"]
    assert rows["2026-10 p1-credit"] == ["cost_spike"]  # the project's whole period is held
    assert rows["2026-10 p2"] == []
    assert rows["2026-07 p1"] == []  # 50 vs 1000: a drop is not a spike


def test_cost_spike_threshold_is_not_met_at_exactly_factor(make_repo):
    root = make_repo({
        "periods/2026-09/aws.csv": csv_file(row(period="2026-09", cost="100")),
        "periods/2026-10/aws.csv": csv_file(row(period="2026-10", cost="300")),
    })
    wh = load(load_config(root))
    assert wh.con.execute("SELECT list(flags) FROM charges").fetchone()[0] == [[], []]


def test_a_pattern_rule_reads_every_column_it_names(make_repo):
    """One row per FOCUS column (and an extra), each matching the rule in that column only;
    numbers and dates are matched as DuckDB writes them."""
    decimal = {"BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "ListUnitPrice",
               "ContractedUnitPrice", "PricingQuantity", "ConsumedQuantity"}
    dates = {"BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd"}
    columns = sorted(KNOWN_COLUMNS) + ["x_Note"]
    plain = {c: "1" if c in decimal else "2026-10-01" if c in dates else "" for c in columns}
    plain["Tags"] = tags()
    hits = {c: "7.25" if c in decimal else "2026-10-07" if c in dates else "hit" for c in columns}
    hits["Tags"] = tags().replace('""}', '"",""note"":""hit""}')
    lines = [",".join(columns), ",".join(plain[c] for c in columns)]
    lines += [",".join(hits[c] if c == hit else plain[c] for c in columns) for hit in columns]
    config = CONFIG.replace(
        "columns: [SkuId]", f"columns: [{', '.join(columns)}]"
    ).replace('pattern: "^p4d"', r'pattern: "hit|^7\\.25|^2026-10-07"')
    root = make_repo({"periods/2026-10/aws.csv": "\n".join(lines) + "\n"}, config=config)
    wh = load(load_config(root))
    assert wh.problems == []
    flagged = wh.con.execute(
        "SELECT row_number FROM charges WHERE list_contains(flags, 'pattern:gpu')"
    ).fetchall()
    # Row 1 matches nowhere; row 2 + i matches in columns[i] only.
    assert sorted(columns[n - 2] if n > 1 else "none" for (n,) in flagged) == columns
