"""Terminal tables: an ID or an amount is never cut, at 60, 80 or 120 columns; text wraps,
extra columns are left out (and named), narrow terminals get one block per row."""

from __future__ import annotations

import re

import pytest
from conftest import csv_file, row, tags

from generator.commands import periods, review, show
from generator.read.config import load_config
from generator.render.terminal import Table, table_text

IDS = ["ba9c0d1e4b5a6c7d", "ba9f00112233aabb", "0123456789abcdef"]
AMOUNTS = ["$2,294.11", "-$1,061.43", "$35,758.25", "$0.00", "$1,234,567.89"]


def review_like() -> Table:
    """As wide as `review list` with long emails, services and resources."""
    return Table(
        ["charge_id", "period", "source", "pi_email", "project_id", "fund_org", "service",
         "resource", "charged", "list_price", "flags", "status"],
        [[IDS[n % 3], "2026-10", "aws", f"marcus.lindqvist{n}@northfield.edu",
          "genomics-pipeline", "305118-4210", "Amazon Elastic Compute Cloud",
          "arn:aws:ec2:us-east-1:418273650921:instance/i-052f29eeb87518504",
          AMOUNTS[n % 5], AMOUNTS[(n + 2) % 5], "missing_fund_org pattern:big-gpu", "pending"]
         for n in range(6)],
        {"charge_id": "id", "charged": "amount", "list_price": "amount", "source": "extra",
         "fund_org": "extra", "resource": "extra"},
    )


def whole(table: Table) -> list[str]:
    return [cell for r in table.rows for name, cell in zip(table.columns, r, strict=True)
            if table.kind(name) in ("id", "amount")]


@pytest.mark.parametrize("width", [60, 80, 120])
def test_no_id_or_amount_is_cut_and_nothing_else_lost(width: int) -> None:
    table = review_like()
    text = table_text(table, width)
    lines = text.splitlines()
    assert "…" not in text
    for value in whole(table):  # each on one line, whole, as a word of its own
        assert any(re.search(rf"(?<!\S){re.escape(value)}(?!\S)", line) for line in lines), \
            (value, text)
    assert all(len(line) <= width for line in lines), text
    # Text wraps but is all there, but for the extra columns a table leaves out and names.
    read = read_back(text)
    shown = [n for n in table.columns if n in read[0]]
    note = lines[-1] if "left out at this width" in lines[-1] else ""
    assert all(n in shown or n in note for n in table.columns)
    for r, got in zip(table.rows, read, strict=True):
        for name, cell in zip(table.columns, r, strict=True):
            if name in shown:
                assert re.sub(r"\s", "", got[name]) == re.sub(r"\s", "", cell), (name, text)


def read_back(text: str) -> list[dict[str, str]]:
    """The rows of a drawn table or of blocks, as {column: text} (wrapped lines joined)."""
    lines = [line for line in text.splitlines() if "left out at this width" not in line]
    rule = next((n for n, line in enumerate(lines) if line.startswith("─")), None)
    if rule is None:  # blocks: "column: value" lines, continuation lines indented
        rows = []
        for block in "\n".join(lines).split("\n\n"):
            cells: dict[str, str] = {}
            last = ""
            for line in block.splitlines():
                if line.startswith(" "):
                    cells[last] += line.strip()
                else:
                    last, _, value = line.partition(":")
                    cells[last] = value.strip()
            rows.append(cells)
        return rows
    spans = [m.span() for m in re.finditer("─+", lines[rule])]

    def cut(group: list[str]) -> list[str]:
        return [" ".join(line[a:b].strip() for line in group).strip() for a, b in spans]

    names = [n.replace(" ", "") for n in cut(lines[:rule])]
    body, groups = lines[rule + 1:], []
    spaced = "" in body
    for line in body:
        if spaced and line == "":
            continue
        if spaced and groups and not line[:spans[0][1]].strip():
            groups[-1].append(line)
        else:
            groups.append([line])
    return [dict(zip(names, cut(g), strict=True)) for g in groups]


def test_the_three_widths_take_the_three_forms() -> None:
    table = review_like()
    narrow, middle, wide = (table_text(table, w) for w in (60, 80, 120))
    # 60 and 80: one block per row, every column named on its line.
    for text in (narrow, middle):
        assert text.count("charge_id: ") == 6 and text.count("resource: ") == 6
    # 120: columns; the extra columns are left out from the last, and named.
    head = wide.splitlines()[0].split()
    assert head[:3] == ["charge_id", "period", "pi_email"]
    assert "resource" not in head and "fund_org" not in head
    assert wide.splitlines()[-1] == ("(source, fund_org, resource left out at this width: "
                                     "see a wider terminal, -f csv or -f json)")


def test_a_table_that_fits_is_drawn_as_it_is() -> None:
    table = Table(["charge_id", "amount", "note"],
                  [["ba9c0d1e4b5a6c7d", "$2,294.11", "ok"], ["0123456789abcdef", "-$5.00", ""]],
                  {"charge_id": "id", "amount": "amount"})
    assert table_text(table, 60).splitlines() == [
        "charge_id            amount  note",
        "────────────────  ─────────  ────",
        "ba9c0d1e4b5a6c7d  $2,294.11  ok",
        "0123456789abcdef     -$5.00",
    ]


def test_text_wraps_at_words_before_an_id_or_amount_would_be_cut() -> None:
    table = Table(["charge_id", "description", "amount"],
                  [["ba9c0d1e4b5a6c7d", "Refund: duplicate S3 PUT request charges billed in "
                    "September 2026 (support case 170234)", "-$18.42"]],
                  {"charge_id": "id", "amount": "amount"})
    lines = table_text(table, 60).splitlines()
    assert lines[2] == "ba9c0d1e4b5a6c7d  Refund: duplicate S3 PUT request   -$18.42"
    assert [line.strip() for line in lines[3:]] == ["charges billed in September 2026",
                                                    "(support case 170234)"]


def test_control_characters_from_data_are_escaped_in_tables_and_blocks() -> None:
    table = Table(["charge_id", "name"], [["ba9c0d1e4b5a6c7d", "evil\x1b]0;title\x07"]],
                  {"charge_id": "id"})
    for width in (20, 80):
        text = table_text(table, width)
        assert "\x1b" not in text and "\x07" not in text
        assert "\\x1b" in text


@pytest.fixture
def repo(make_repo):
    long_pi = "marcus.lindqvist.the.third@northfield-university.edu"
    return make_repo({"periods/2026-10/aws.csv": csv_file(
        row(resource="vm-1", cost="2294.114", list_cost="4059.55", contracted="4001.27",
            service="Amazon Elastic Compute Cloud",
            tag=tags(pi=long_pi, project="quantum-materials-simulation")),
        row(resource="vm-2", cost="1234567.891", list_cost="1300000",
            tag=tags(pi=long_pi, project="astro-sim")),
        row(resource="vm-3", cost="35.5", tag=tags(pi=None)),
    )})


@pytest.mark.parametrize("width", [60, 80, 120])
def test_commands_never_cut_ids_or_amounts(repo, width: int) -> None:
    cfg = load_config(repo)
    listed = review.list_main(cfg, None, None, "all", "table")
    shown = show.show(cfg, "marcus.lindqvist.the.third@northfield-university.edu")
    lifecycle = periods.list_periods(cfg)
    for output in (listed, shown, lifecycle):
        tables = [item for _, item in output.items if isinstance(item, Table)]
        text = "\n".join(line for _, line in output.lines(width))
        assert tables and "…" not in text
        for table in tables:
            for value in whole(table):
                assert re.search(rf"(?<!\S){re.escape(value)}(?!\S)", text), (value, text)
    listed_text = "\n".join(line for _, line in listed.lines(width))
    for charge_id in re.findall(r"\b[0-9a-f]{16}\b", listed_text):  # approvable as shown
        assert len(charge_id) == 16
    assert len(re.findall(r"\b[0-9a-f]{16}\b", listed_text)) == 3
    assert "$1,234,567.89" in "\n".join(line for _, line in shown.lines(width))


def test_a_below_column_goes_under_its_row_in_a_table_and_in_the_block() -> None:
    table = Table(["charge_id", "charged", "tags"],
                  [["ba9c0d1e4b5a6c7d", "$1.00", "team=astro user:grant=NSF-1"],
                   ["0123456789abcdef", "$2.00", ""]],
                  {"charge_id": "id", "charged": "amount", "tags": "below"})
    assert table_text(table, 40).splitlines() == [
        "charge_id         charged",
        "────────────────  ───────",
        "ba9c0d1e4b5a6c7d    $1.00",
        "    tags: team=astro user:grant=NSF-1",
        "",
        "0123456789abcdef    $2.00",
    ]
    table.rows[0][2] = "a=1 b=2 c=3"
    assert table_text(table, 20).splitlines()[:4] == [
        "charge_id: ba9c0d1e4b5a6c7d", "charged:   $1.00", "tags:      a=1 b=2",
        "           c=3"]
