"""Invariants under random data (hypothesis): money is conserved, charge IDs are stable."""

from __future__ import annotations

import random
import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
from conftest import CONFIG
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.read.config import load_config
from generator.warehouse.load import load

HEADER = "BillingPeriodStart,BilledCost,ListCost,ServiceName,ResourceId,Tags"

amounts = st.decimals(
    min_value=Decimal("-100000"), max_value=Decimal("100000"), places=11, allow_nan=False
)
charge_rows = st.lists(
    st.tuples(
        st.sampled_from(["2026-09", "2026-10"]),  # the row's own billing month
        amounts,
        st.sampled_from(["EC2", "S3", "HPC"]),
        st.sampled_from(["r1", "r2", "r3"]),
        st.sampled_from(["ada@x.edu", "bob@x.edu", None]),
        st.sampled_from(["p1", "p2", None]),
        st.sampled_from(["123456-1234", "bad", None]),
    ),
    min_size=1,
    max_size=40,
)

SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def csv_line(r) -> str:
    month, cost, service, resource, pi, project, fund = r
    tag = {"pi_email": pi, "project_id": project, "fund_org": fund}
    body = ",".join(f'""{k}"":""{v}""' for k, v in tag.items() if v is not None)
    return f'{month}-01,{cost},{abs(cost)},{service},{resource},"{{{body}}}"'


def write_repo(root: Path, files: dict[str, list]) -> Path:
    if root.exists():
        shutil.rmtree(root)
    (root / "data").mkdir(parents=True)
    (root / "data/config.yaml").write_text(CONFIG)
    for name, rows in files.items():
        path = root / "periods" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join([HEADER] + [csv_line(r) for r in rows]) + "\n")
    return root


@SETTINGS
@given(aws=charge_rows, hpc=charge_rows, seed=st.integers(0, 2**32), data=st.data())
def test_money_is_conserved_per_period(tmp_path, aws, hpc, seed, data):
    root = write_repo(tmp_path / "repo", {"2026-10/aws.csv": aws, "2026-10/hpc.csv": hpc})
    cfg = load_config(root)
    wh = load(cfg)
    assert wh.problems == []
    # Random decisions on random charges: reject some, approve some, reassign some.
    # Only a flagged charge can be approved (an unflagged one is billed without a decision).
    flagged = dict(wh.con.execute(
        "SELECT charge_id, len(flags) > 0 FROM charges ORDER BY 1").fetchall())
    ids = sorted(flagged)
    rng = random.Random(seed)
    picked = rng.sample(ids, k=min(len(ids), data.draw(st.integers(0, 6))))
    lines = []
    for i, charge_id in enumerate(picked):
        action = ("approve", "reject", "reassign")[i % 3]
        if action == "approve" and not flagged[charge_id]:
            action = "reject"
        extra = "  set: {pi_email: kim@x.edu}\n" if action == "reassign" else ""
        lines.append(f"- ids: [{charge_id}]\n  action: {action}\n{extra}  reason: test\n")
    (root / "reviews").mkdir(exist_ok=True)
    (root / "reviews/2026-10.yaml").write_text("".join(lines))
    wh = load(cfg)
    assert wh.problems == []

    expected = sum((r[1] for r in aws + hpc), Decimal(0))
    (r,) = wh.reconciliation()
    assert r["input_total"] == expected
    assert r["input_total"] == r["billed"] + r["pending"] + r["rejected"]
    assert r["input_rows"] == r["billed_rows"] + r["pending_rows"] + r["rejected_rows"]

    # Statement lines: each is its exact sum rounded half away from zero; totals are sums
    # of the rounded lines.
    exact = wh.con.execute(
        "SELECT pi_email, project_id, fund_org, source, service, sum(cost) FROM charges "
        "WHERE status = 'billed' GROUP BY ALL"
    ).fetchall()
    lines_ = {
        row[:5]: row[5]
        for row in wh.con.execute(
            "SELECT pi_email, project_id, fund_org, source, service, charged "
            "FROM statement_lines"
        ).fetchall()
    }
    assert {e[:5]: e[5].quantize(Decimal("0.01"), ROUND_HALF_UP) for e in exact} == lines_
    assert r["billed_rounded"] == sum(lines_.values(), Decimal(0))


@SETTINGS
@given(rows=charge_rows, seed=st.integers(0, 2**32))
def test_charge_ids_stable_under_reordering_renaming_and_format(tmp_path, rows, seed):
    a = write_repo(tmp_path / "a", {"2026-10/aws.csv": rows})
    shuffled = list(rows)
    random.Random(seed).shuffle(shuffled)
    b = write_repo(tmp_path / "b", {"2026-10/aws.csv": shuffled})
    # Same rows in Parquet, with the columns in another order.
    c = write_repo(tmp_path / "c", {})
    (c / "periods/2026-10").mkdir(parents=True)
    src = a / "periods/2026-10/aws.csv"
    duckdb.sql(
        f"COPY (SELECT Tags, ResourceId, ServiceName, ListCost, BilledCost, BillingPeriodStart "
        f"FROM read_csv('{src}', all_varchar=true)) "
        f"TO '{c}/periods/2026-10/aws.parquet' (FORMAT parquet)"
    )

    def ids(root: Path) -> list[tuple]:
        wh = load(load_config(root))
        assert wh.problems == []
        return sorted(wh.con.execute("SELECT charge_id, cost, flags FROM charges").fetchall())

    first = ids(a)
    assert len({i[0] for i in first}) == len(rows)  # unique, even for identical rows
    assert ids(b) == first
    assert ids(c) == first
