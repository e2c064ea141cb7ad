"""ingest: a file spanning months is split by BillingPeriodStart, a file mixing providers is
routed by the sources' match rules; closed months are refused by name; -p takes one month."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from conftest import CONFIG, ids, run, tags

from generator.common.errors import DataError
from generator.read.config import load_config

HEADER = ("BillingPeriodStart,BilledCost,ProviderName,InvoiceIssuerName,BillingAccountId,"
          "ResourceId,Tags")

ROUTED = CONFIG.replace(
    """sources:
  aws: {name: Amazon Web Services, credit_fund_org: 100100-9100, account: "7410"}
""",
    """sources:
  aws:
    name: Amazon Web Services
    credit_fund_org: 100100-9100
    account: "7410"
    match: {ProviderName: [AWS, Amazon Web Services]}
  azure:
    name: Microsoft Azure
    credit_fund_org: 100100-9100
    match: {ProviderName: Microsoft, InvoiceIssuerName: Microsoft}
  oracle:
    name: Oracle Cloud
    credit_fund_org: 100100-9100
    match: {column: x_Tenancy, pattern: "^ocid1\\\\.tenancy"}
""")


def line(month: str, cost: str, provider: str, resource: str, issuer: str = "",
         account: str = "1") -> str:
    return f"{month}-01,{cost},{provider},{issuer or provider},{account},{resource},{tags()}"


def export(tmp_path: Path, *rows: str, header: str = HEADER, name: str = "export.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


MIXED = [
    line("2026-09", "1.00", "AWS", "a"),
    line("2026-10", "2.00", "AWS", "b"),
    line("2026-10", "3.00", "Microsoft", "c"),
    line("2026-10", "4.00", "Amazon Web Services", "d"),
]


def test_mixed_file_routes_each_row_and_splits_by_month(make_repo, tmp_path):
    root = make_repo(config=ROUTED)
    code, out = run(root, "ingest", str(export(tmp_path, *MIXED)))
    assert code == 0, out
    assert "split export.csv by month and source (4 rows) into 3 files:" in out
    assert "placed periods/2026-09/aws.csv: 1 row, total $1.00" in out
    assert "placed periods/2026-10/aws.csv: 2 rows, total $6.00" in out
    assert "placed periods/2026-10/azure.csv: 1 row, total $3.00" in out
    assert "period_mismatch" not in out
    text = (root / "periods/2026-10/aws.csv").read_text()
    assert text == "\n".join([HEADER, MIXED[1], MIXED[3]]) + "\n"


def test_split_keeps_charge_ids(make_repo, tmp_path):
    """A part's IDs are those of the same rows exported alone."""
    root = make_repo(config=ROUTED)
    assert run(root, "ingest", str(export(tmp_path, *MIXED)))[0] == 0
    split = ids(root)
    alone = make_repo(config=ROUTED)
    for rows, (month, source) in (([MIXED[0]], ("2026-09", "aws")),
                                  ([MIXED[1], MIXED[3]], ("2026-10", "aws")),
                                  ([MIXED[2]], ("2026-10", "azure"))):
        path = alone / "periods" / month / f"{source}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join([HEADER, *rows]) + "\n")
    assert ids(alone) == split


def test_a_row_that_routes_nowhere_is_an_error_with_line_and_value(make_repo, tmp_path):
    root = make_repo(config=ROUTED)
    path = export(tmp_path, *MIXED, line("2026-10", "5.00", "Oracle", "e"))
    code, out = run(root, "ingest", str(path))
    assert code == 1
    assert (f'{path}:6: BillingAccountId "1", InvoiceIssuerName "Oracle", ProviderName '
            '"Oracle" matches no source') in out
    assert not (root / "periods/2026-10").exists()


def test_a_column_pattern_routes_extra_columns(make_repo, tmp_path):
    root = make_repo(config=ROUTED)
    header = HEADER + ",x_Tenancy"
    path = export(tmp_path, line("2026-10", "0.272", "Oracle", "o") + ",ocid1.tenancy.oc1..aaa",
                  line("2026-10", "2.00", "AWS", "b") + ",", header=header)
    code, out = run(root, "ingest", str(path))
    assert code == 0, out
    assert "placed periods/2026-10/oracle.csv: 1 row, total $0.27" in out
    assert "placed periods/2026-10/aws.csv: 1 row" in out


def test_rules_that_overlap_are_an_error(make_repo, tmp_path):
    config = ROUTED.replace("match: {ProviderName: Microsoft, InvoiceIssuerName: Microsoft}",
                            "match: {InvoiceIssuerName: AWS}")
    root = make_repo(config=config)
    code, out = run(root, "ingest", str(export(tmp_path, MIXED[1])))
    assert code == 1
    assert "matches the match rules of aws and azure" in out


def test_without_s_or_rules_ingest_asks_for_a_source(make_repo, tmp_path):
    root = make_repo()
    code, out = run(root, "ingest", str(export(tmp_path, *MIXED)))
    assert code == 2
    assert "give the source with -s SOURCE" in out


def test_s_sends_every_row_to_one_source(make_repo, tmp_path):
    root = make_repo(config=ROUTED)
    code, out = run(root, "ingest", str(export(tmp_path, *MIXED)), "-s", "aws")
    assert code == 0, out
    assert "placed periods/2026-10/aws.csv: 3 rows, total $9.00" in out


def test_closed_and_finalized_months_are_refused_by_name(make_repo, tmp_path):
    root = make_repo({"periods/2026-09/period.yaml": "status: closed\n"}, config=ROUTED)
    code, out = run(root, "ingest", str(export(tmp_path, *MIXED)))
    assert code == 1
    assert "periods/2026-09: is closed; cannot ingest new data" in out
    assert not (root / "periods/2026-10").exists()


def test_p_takes_only_that_month(make_repo, tmp_path):
    root = make_repo(config=ROUTED)
    code, out = run(root, "ingest", str(export(tmp_path, *MIXED)), "-p", "2026-10")
    assert code == 0, out
    assert "left out 1 row of 2026-09 ($1.00): not asked for with -p" in out
    assert not (root / "periods/2026-09").exists()
    code, out = run(root, "ingest", str(export(tmp_path, MIXED[0])), "-p", "2026-11")
    assert code == 1
    assert "no row is in 2026-11 (BillingPeriodStart); its rows are in 2026-09" in out


def test_p_lets_a_closed_month_be_left_out(make_repo, tmp_path):
    root = make_repo({"periods/2026-09/period.yaml": "status: closed\n"}, config=ROUTED)
    code, out = run(root, "ingest", str(export(tmp_path, *MIXED)), "-p", "2026-10")
    assert code == 0, out


def test_gzip_and_parquet_files_split_too(make_repo, tmp_path):
    root = make_repo(config=ROUTED)
    plain = export(tmp_path, *MIXED)
    gz = tmp_path / "export.csv.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    assert run(root, "ingest", str(gz))[0] == 0
    from_gz = ids(root)
    parquet = tmp_path / "export.parquet"
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{plain}', all_varchar=true)) TO '{parquet}'")
    for old in root.glob("periods/*/*.csv.gz"):
        old.unlink()
    code, out = run(root, "ingest", str(parquet))
    assert code == 0, out
    assert "placed periods/2026-10/aws.parquet: 2 rows" in out
    assert sorted(p.name for p in (root / "periods/2026-10").iterdir()) == [
        "aws.parquet", "azure.parquet"]
    assert len(ids(root)) == len(from_gz) == 4


@pytest.mark.parametrize(("match", "message"), [
    ("{}", "sources.aws.match: give ProviderName, InvoiceIssuerName, BillingAccountId, or "
     "column and pattern"),
    ("{column: ServiceName}", "sources.aws.match: give column and pattern together"),
    ("{column: ServiceName, pattern: '('}", "sources.aws.match.pattern: not a valid regular"),
    ("{ProviderName: 7}", "sources.aws.match.ProviderName: expected a text value"),
    ("{Provider: AWS}", "sources.aws.match.Provider: unknown key 'Provider'; did you mean "
     "'ProviderName'?"),
])
def test_match_rules_are_checked_with_key_paths(make_repo: Callable[..., Path], match: str,
                                                message: str) -> None:
    config = CONFIG.replace('aws: {name: Amazon Web Services, credit_fund_org: 100100-9100, '
                            'account: "7410"}', f"aws: {{name: AWS, match: {match}}}")
    root = make_repo(config=config)
    with pytest.raises(DataError) as exc:
        load_config(root)
    assert message in str(exc.value), exc.value
