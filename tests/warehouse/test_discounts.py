"""Discount and subsidy on real data: a missing or zero list or contracted cost is unknown
for its row (never a negative discount or subsidy); a charge above its contracted cost is a
surcharge; credits, tax and adjustments are shown as such on the statement."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import tags, warehouse

from generator.render.statements import write_statements

HEADER = ("BillingPeriodStart,BilledCost,ListCost,ContractedCost,ChargeCategory,ServiceName,"
          "ResourceId,Tags")


def line(cost: str, list_cost: str, contracted: str, category: str = "Usage",
         resource: str = "r1") -> str:
    return f"2026-10-01,{cost},{list_cost},{contracted},{category},EC2,{resource},{tags()}"


@pytest.mark.parametrize(("cost", "list_cost", "contracted", "expected"), [
    # (list, contracted) as normalized
    ("10", "12", "11", ("12", "11")),  # both known
    ("10", "12", "0", ("12", "10")),  # AWS: ContractedCost 0 -> unknown -> charged
    ("10", "12", "", ("12", "10")),  # Oracle: no ContractedCost
    ("0.272", "0", "", ("0.272", "0.272")),  # Oracle adjustment: ListCost 0
    ("10", "", "11", ("11", "11")),  # no list price: the contracted cost
    ("10", "0", "0", ("10", "10")),  # nothing known
    ("0", "5", "0", ("5", "0")),  # free: the whole list price is a discount
    ("-5", "0", "0", ("-5", "-5")),  # a credit with zero list and contracted costs
    ("-5", "-6", "-5", ("-6", "-5")),  # a credit as the provider wrote it
])
def test_unknown_list_and_contracted_costs(
    make_repo: Callable[..., Path], cost: str, list_cost: str, contracted: str,
    expected: tuple[str, str],
) -> None:
    root = make_repo({"periods/2026-10/aws.csv":
                      f"{HEADER}\n{line(cost, list_cost, contracted)}\n"})
    ((list_out, contracted_out),) = warehouse(root).con.execute(
        "SELECT list_cost, contracted_cost FROM charges").fetchall()
    assert (list_out, contracted_out) == tuple(Decimal(v) for v in expected)


def test_real_rows_give_no_negative_subsidy(make_repo: Callable[..., Path]) -> None:
    """The rows of the report: AWS ContractedCost 0, Oracle without ContractedCost, an
    Oracle adjustment with ListCost 0 and BilledCost 0.272."""
    rows = [line("11.11", "12.34", "0", resource="aws"),
            line("4.00", "4.00", "", resource="oracle"),
            line("0.272", "0", "", "Adjustment", resource="oracle-adj")]
    root = make_repo({"periods/2026-10/mixed.csv": "\n".join([HEADER, *rows]) + "\n"})
    (s,) = write_statements(warehouse(root))
    text = s.md_path.read_text()
    assert s.subsidy == 0 and s.discount == Decimal("1.23")
    assert "Institution subsidy (0.0% of list) | $0.00" in text
    assert "Surcharge" not in text
    assert "| Adjustment | mixed | EC2 | 1 | $0.27 |" in text


def test_a_charge_above_its_contracted_cost_is_a_surcharge(
        make_repo: Callable[..., Path]) -> None:
    root = make_repo({"periods/2026-10/aws.csv":
                      f"{HEADER}\n{line('110.00', '120.00', '100.00')}\n"})
    (s,) = write_statements(warehouse(root))
    text = s.md_path.read_text()
    assert s.subsidy == Decimal("-10.00")
    assert "| Surcharge (8.3% of list) | $10.00 |" in text
    assert "Institution subsidy" not in text
    assert "| Subsidy (+ surcharge) |" in text


def test_credits_tax_and_refunds_are_shown_as_such(make_repo: Callable[..., Path]) -> None:
    rows = [line("100.00", "100.00", "100.00"),
            line("-25.00", "-25.00", "-25.00", "Credit", resource="promo"),
            line("7.00", "7.00", "7.00", "Tax", resource="tax"),
            line("-3.00", "-3.00", "-3.00", "Purchase", resource="ri")]
    root = make_repo({"periods/2026-10/aws.csv": "\n".join([HEADER, *rows]) + "\n"})
    (s,) = write_statements(warehouse(root))
    text = s.md_path.read_text()
    assert "## Credits, refunds, tax and adjustments" in text
    for kind, amount in (("Credit", "-$25.00"), ("Tax", "$7.00"), ("Refund", "-$3.00")):
        assert f"| {kind} | Amazon Web Services | EC2 | 1 | {amount} |" in text
    assert s.total_due == Decimal("79.00")


def test_no_such_section_for_usage_only(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"periods/2026-10/aws.csv": f"{HEADER}\n{line('1', '1', '1')}\n"})
    (s,) = write_statements(warehouse(root))
    assert "Credits, refunds" not in s.md_path.read_text()
