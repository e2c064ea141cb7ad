"""FOCUS versions and provider dialects: each file in tests/data/dialect-*.csv (made from the
published column definitions, /work/shared/focus-columns.md, and the providers' export
shapes) ingests with every row read, its tags mapped and its discount rule applied; a file
with earlier FOCUS names or other casing reads as the same columns, with the same IDs."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import CONFIG, DATA, ids, run

from generator.commands.ingest import ingest
from generator.read.columns import read_as
from generator.read.config import load_config
from generator.read.focus import KNOWN_COLUMNS

CONFIG_TAGS = CONFIG.replace(
    'pi_email: [pi_email, "user:pi_email"]', 'pi_email: [pi_email, "user:pi_email", PIEmail]'
).replace(
    'project_id: [project_id, "user:project_id"]',
    'project_id: [project_id, "user:project_id", ProjectId]',
).replace('fund_org: [fund_org, "user:fund_org"]', 'fund_org: [fund_org, "user:fund_org", FundOrg]')

# file -> (FOCUS version or provider shape, columns the file has that are read as extras)
DIALECTS = {
    "dialect-focus-1.0.csv": ["AvailabilityZone", "CommitmentDiscountCategory"],
    "dialect-focus-1.1.csv": ["CapacityReservationId", "ServiceSubcategory", "SkuMeter"],
    "dialect-focus-1.2.csv": ["BillingAccountType", "InvoiceId", "PricingCurrency"],
    "dialect-focus-0.5-names.csv": [],
    "dialect-aws-data-exports-focus-1.0.csv": ["x_Discounts", "x_Operation", "x_UsageType"],
    "dialect-aws-athena-lowercase.csv": ["x_discounts", "x_operation", "x_usagetype"],
    "dialect-azure-focus-1.0.csv": ["x_BilledCostInUsd", "x_ResourceGroupName"],
    "dialect-gcp-focus-1.0.csv": ["x_Credits", "x_Project"],
}


@pytest.mark.parametrize("name", sorted(DIALECTS))
def test_each_dialect_reads_whole(make_repo, tmp_path, name):
    root = make_repo(config=CONFIG_TAGS)
    export = tmp_path / name
    shutil.copy(DATA / name, export)
    result = ingest(load_config(root), export, "cloud")
    assert result.warnings == []
    assert result.rows == 5
    assert result.total == Decimal("17.882")
    # Every row has its PI, project and fund/org from the provider's tag keys, but the one
    # whose PI tag is empty.
    assert result.flags == {"missing_pi_email": 1}
    wh_rows = _charges(root)
    assert {r[0] for r in wh_rows} == {"2026-10"}
    # The discount rule: ContractedCost 0 and ListCost 0 are unknown.
    assert ("res-2", Decimal("12.34"), Decimal("11.11")) in [r[1:] for r in wh_rows]
    assert ("res-4", Decimal("0.272"), Decimal("0.272")) in [r[1:] for r in wh_rows]
    extras = _extras(root)
    for column in DIALECTS[name]:
        assert column in extras, column


def _charges(root: Path) -> list[tuple[str, str, Decimal, Decimal]]:
    from generator.warehouse.load import load

    wh = load(load_config(root))
    return wh.con.execute("SELECT period, resource_id, list_cost, contracted_cost FROM charges"
                          " ORDER BY resource_id").fetchall()


def _extras(root: Path) -> set[str]:
    from generator.warehouse.load import load

    wh = load(load_config(root))
    (keys,) = wh.con.execute("SELECT list_distinct(flatten(list(json_keys(extra)))) "
                             "FROM charges").fetchone()
    return set(keys or [])


def test_renamed_columns_keep_the_ids_of_current_names(make_repo):
    old = make_repo({"periods/2026-10/cloud.csv": (DATA / "dialect-focus-0.5-names.csv")
                     .read_text()}, config=CONFIG_TAGS)
    old_ids = ids(old)
    shutil.rmtree(old)
    new = make_repo({"periods/2026-10/cloud.csv": (DATA / "dialect-focus-0.5-names.current.csv")
                     .read_text()}, config=CONFIG_TAGS)
    assert ids(new) == old_ids


def test_lowercase_columns_keep_the_ids_of_focus_names(make_repo):
    lower = make_repo({"periods/2026-10/aws.csv": (DATA / "dialect-aws-athena-lowercase.csv")
                       .read_text()}, config=CONFIG_TAGS)
    lower_ids = ids(lower)
    shutil.rmtree(lower)
    exact = make_repo({"periods/2026-10/aws.csv": (DATA / "dialect-aws-data-exports-focus-1.0.csv")
                       .read_text().replace("x_CostCategories,x_Discounts,x_Operation,"
                                            "x_ServiceCode,x_UsageType", "x_costcategories,"
                                            "x_discounts,x_operation,x_servicecode,x_usagetype")},
                      config=CONFIG_TAGS)
    assert ids(exact) == lower_ids


def test_read_as():
    assert read_as(["AmortizedCost", "ChargeType", "billed_cost", "Region", "x_Foo"],
                   KNOWN_COLUMNS) == ["EffectiveCost", "ChargeCategory", "BilledCost",
                                      "RegionId", "x_Foo"]
    # A FOCUS name written as such wins; the other stays an extra under its own name.
    assert read_as(["billedcost", "BilledCost", "AmortizedCost", "EffectiveCost"],
                   KNOWN_COLUMNS) == ["billedcost", "BilledCost", "AmortizedCost",
                                      "EffectiveCost"]


def test_explain_says_how_columns_and_tags_were_read_and_why_rows_are_flagged(
        make_repo, tmp_path):
    root = make_repo()  # tags without Azure's keys
    export = tmp_path / "azure.csv"
    text = (DATA / "dialect-azure-focus-1.0.csv").read_text()
    export.write_text(text.replace("AmortizedCost", "x").replace("BilledCost,", "billedcost,", 1))
    code, out = run(root, "ingest", str(export), "-s", "azure", "--explain")
    assert code == 0, out
    assert "  billedcost: read as BilledCost (the FOCUS name written in another case)" in out
    assert "  x_ResourceGroupName: the provider's own column, kept as an extra" in out
    assert "  AvailabilityZone: FOCUS 1.0 column, kept as an extra (not used for billing)" in out
    assert "  pi_email: no row has a tag of tags.pi_email (pi_email, user:pi_email)" in out
    assert ("  PIEmail (4 rows): not read; it looks like pi_email: add 'PIEmail' to "
            "tags.pi_email in data/config.yaml") in out
    assert "flagged rows, held for review: 5" in out
    assert ("  line 2: missing_fund_org (no tag of tags.fund_org (fund_org, user:fund_org) has "
            "a value, and data/projects.yaml gives none for its project)") in out
    assert not (root / "periods/2026-10").exists()  # --explain writes nothing


def test_explain_names_lines_of_the_export_after_a_split(make_repo, tmp_path):
    root = make_repo()
    export = tmp_path / "two.csv"
    header = "BillingPeriodStart,BilledCost,BillingCurrency,Tags"
    good = '"{""pi_email"":""ada@test.edu"",""project_id"":""p1"",""fund_org"":""123456-1234""}"'
    export.write_text("\n".join([header, f"2026-09-01,1,USD,{good}", f"2026-10-01,1,EUR,{good}",
                                 f"2026-09-01,2,EUR,{good}"]) + "\n")
    code, out = run(root, "ingest", str(export), "-s", "aws", "--explain")
    assert code == 0, out
    assert "  line 3: currency_mismatch (BillingCurrency 'EUR' is not currency.code USD)" in out
    assert "  line 4: currency_mismatch" in out
    assert "line 2:" not in out
