"""Budget alerts (deliver/alerts.py): each PI told once per threshold crossed, across reruns
and months, against a real SMTP server on 127.0.0.1 (test_delivery.py's ``Mailbox``); the
dry run's .eml files; what ``check`` lists; the budget section and its burn-down chart in a
statement's PDF, read back; text from the registry escaped in every place it lands."""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from pathlib import Path
from typing import Any

import pypdf
import yaml
from conftest import CONFIG, csv_file, row, tags
from test_delivery import Mailbox, smtp_server  # noqa: F401  (the fixture)

from generator.commands import check
from generator.commands import send as sending
from generator.deliver import email
from generator.read.config import load_config
from generator.render.statements import write_statements
from generator.warehouse import load as loader

PEOPLE = "ada@test.edu: {name: Ada Lovelace}\nbob@test.edu: {name: Bob Noyce}\n"
# p1: 100.00 for August 2026 to July 2027, 30.00 billed a month: 60 % by September, and at
# 30.00 a month the 40.00 left lasts two months of the ten that remain.
PROJECTS = """
p1:
  name: Ada's <b>project</b>
  pi_email: ada@test.edu
  budgets:
    - {amount: 100.00, start: 2026-08-01, end: 2027-07-31}
"""


def config(port: int | None, extra: str = "") -> str:
    section: dict[str, Any] = {"from": "Billing <billing@test.edu>", "bcc": "archive@test.edu"}
    if port is not None:
        section["smtp"] = {"host": "127.0.0.1", "port": port, "security": "none", "timeout": 5}
    return CONFIG + yaml.safe_dump({"email": section, "site": {
        "access": "open", "staff": ["staff@test.edu"]}}) + extra


def month(period: str, cost: str) -> str:
    return csv_file(row(period, cost=cost, tag=tags("ada@test.edu", "p1")),
                    row(period, cost="1.00", resource="i-9", tag=tags("bob@test.edu", "p9")))


def send(root: Path, period: str, **options: Any) -> email.Report:
    options.setdefault("retry_seconds", (0, 0))
    return sending.run(load_config(root), period, allow_pending=True, **options)


def alerts_in(box: Mailbox) -> list[tuple[list[str], EmailMessage]]:
    """Each alert the server accepted: (envelope recipients, message)."""
    return [(rcpts, BytesParser(policy=default).parsebytes(content))  # type: ignore[misc]
            for _, rcpts, content in box.messages if b"budget alert" in content]


def logged(root: Path, period: str) -> dict[str, Any]:
    return yaml.safe_load((root / "periods" / period / "deliveries.yaml").read_text())


def test_each_threshold_is_told_once_across_reruns_and_months(
        smtp_server: Callable[..., tuple[Mailbox, int]],  # noqa: F811
        make_repo: Callable[..., Path]) -> None:
    box, port = smtp_server()
    root = make_repo({"periods/2026-08/aws.csv": month("2026-08", "30.00"),
                      "periods/2026-09/aws.csv": month("2026-09", "30.00"),
                      "data/people.yaml": PEOPLE, "data/projects.yaml": PROJECTS},
                     config=config(port))
    report = send(root, "2026-09")
    assert report.ok and [d.alerts for d in report.alerts.sent] == [["50%", "runs out"]]
    ((rcpts, msg),) = alerts_in(box)
    assert rcpts == ["ada@test.edu", "staff@test.edu", "archive@test.edu"]  # staff in Bcc
    assert "Bcc" not in msg and msg["To"] == "Ada Lovelace <ada@test.edu>"
    text = msg.get_body(("plain",)).get_content()
    assert "The budget of project p1 has passed 50%: $60.00 of $100.00 (60.0%)" in text
    assert "At this rate the budget lasts until November 2026; the award ends July 2027." \
        in " ".join(text.split())
    log = logged(root, "2026-09")
    assert [d["recipient"] for d in log["deliveries"]] == ["ada@test.edu", "bob@test.edu"]
    assert [(a["recipient"], a["status"], a["alerts"]) for a in log["alerts"]] == [
        ("ada@test.edu", "sent", ["50%", "runs out"])]
    assert log["alerts"][0]["budget"] == "project:p1:award:2026-08:2027-07:100:"

    report = send(root, "2026-09")  # a rerun: nothing again, statements or alerts
    assert (report.alerts.sent, report.alerts.current) == ([], 1) and not report.sent
    assert len(alerts_in(box)) == 1

    (root / "periods/2026-10").mkdir()
    (root / "periods/2026-10/aws.csv").write_text(month("2026-10", "25.00"))
    report = send(root, "2026-10")  # 85 %: only 80 % is new
    assert [d.alerts for d in report.alerts.sent] == [["80%"]]
    assert "has passed 80%: $85.00 of $100.00 (85.0%)" in \
        alerts_in(box)[-1][1].get_body(("plain",)).get_content()
    for period in ("2026-09", "2026-10"):  # neither month tells anything again
        assert send(root, period).alerts.sent == []
    assert len(alerts_in(box)) == 2
    assert logged(root, "2026-09")["alerts"][0]["alerts"] == ["50%", "runs out"]


def test_a_failed_alert_is_told_by_the_next_run_and_a_dry_run_writes_eml(
        smtp_server: Callable[..., tuple[Mailbox, int]],  # noqa: F811
        make_repo: Callable[..., Path]) -> None:
    box, port = smtp_server(Mailbox(refuse={"ada@test.edu": "550 no such user"}))
    root = make_repo({"periods/2026-09/aws.csv": month("2026-09", "60.00"),
                      "data/people.yaml": PEOPLE, "data/projects.yaml": PROJECTS},
                     config=config(port, "budget_alerts: {runs_out: false}\n"))
    report = sending.run(load_config(root), "2026-09", dry_run=True, allow_pending=True)
    folder = root / "build/emails/2026-09/alerts"
    assert [p.parent for p in report.alerts.written] == [folder] and box.messages == []
    (eml,) = folder.iterdir()
    msg = BytesParser(policy=default).parsebytes(eml.read_bytes())
    assert msg["Subject"] == "Test University Research Computing: budget alert for project p1"
    assert not (root / "periods/2026-09/deliveries.yaml").exists()

    report = send(root, "2026-09")
    assert not report.ok and [d.error for d in report.alerts.failed] == [
        "RCPT TO ada@test.edu: 550 no such user"]
    assert logged(root, "2026-09")["alerts"][0]["status"] == "failed"
    box.refuse.clear()
    report = send(root, "2026-09")
    assert [d.alerts for d in report.alerts.sent] == [["50%"]]
    assert [a["status"] for a in logged(root, "2026-09")["alerts"]] == ["failed", "sent"]


def test_a_monthly_budget_is_told_again_in_each_month_it_crosses(
        smtp_server: Callable[..., tuple[Mailbox, int]],  # noqa: F811
        make_repo: Callable[..., Path]) -> None:
    box, port = smtp_server()
    root = make_repo({
        "periods/2026-09/aws.csv": month("2026-09", "45.00"),
        "periods/2026-10/aws.csv": month("2026-10", "45.00"),
        "data/people.yaml": PEOPLE,
        "data/fund_orgs.yaml": "123456-1234:\n  name: A <grant>\n  budgets: [{monthly: 50}]\n",
    }, config=config(port, "budget_alerts: {thresholds: [80], runs_out: false}\n"))
    for period in ("2026-09", "2026-10", "2026-10"):
        send(root, period)
    # Every charge of the fund/org counts: ada's 45.00 and bob's 1.00, 92 % of each month.
    assert sorted((rcpts[0], msg["Subject"]) for rcpts, msg in alerts_in(box)) == [
        (pi, "Test University Research Computing: budget alert for fund/org 123456-1234 "
             "(A <grant>)") for pi in ("ada@test.edu", "ada@test.edu", "bob@test.edu",
                                       "bob@test.edu")]
    html = alerts_in(box)[0][1].get_body(("html",)).get_content()
    assert "fund/org 123456-1234 (A &lt;grant&gt;)" in html and "<grant>" not in html


def test_check_lists_the_budgets_past_a_threshold(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"periods/2026-08/aws.csv": month("2026-08", "30.00"),
                      "periods/2026-09/aws.csv": month("2026-09", "55.00"),
                      "data/projects.yaml": PROJECTS + """
p9:
  budgets: [{amount: 1000, start: 2026-01, end: 2026-12}]
"""}, config=CONFIG + "budget_alerts: {thresholds: [50, 80]}\n")
    report = check.run(load_config(root))
    shown = "\n".join(str(item) for _, item in check.text(report).items)
    assert ("2026-09 budget of project p1: spent $85.00 of $100.00 (85.0%), past 80%; runs "
            "out before the award ends: at this rate it lasts until 2026-10, the award ends "
            "2027-07") in shown
    assert "project p9" not in shown  # 0.2 %: past no threshold
    assert "> **Budget:** 2026-09 budget of project p1: spent $85.00" in check.markdown(report)


def test_the_budget_section_and_its_chart_in_the_pdf(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"periods/2026-08/aws.csv": month("2026-08", "30.00"),
                      "periods/2026-09/aws.csv": month("2026-09", "30.00"),
                      "data/people.yaml": PEOPLE, "data/projects.yaml": PROJECTS.replace(
                          "{amount: 100.00", "{spent_before: 5.00, amount: 100.00").replace(
                          "start: 2026-08-01", "start: 2026-07-01")})
    wh = loader.load(load_config(root))
    (st,) = [s for s in write_statements(wh, ["2026-09"]) if s.project_id == "p1"]
    text = " ".join(pypdf.PdfReader(st.pdf_path).pages[0].extract_text().split())
    for shown in ("Budget of project p1: the award from July 2026 to July 2027.",
                  "Spent to date, through September 2026 (65.0%) $65.00",
                  "of which before August 2026 $5.00", "Remaining $35.00",
                  "Burn rate (Aug 2026 to Sep 2026) $30.00 a month",
                  "At this rate the budget lasts until November 2026; the award ends July 2027.",
                  # the chart: its budget line, month labels and legend
                  "$100.00", "Jul 2026", "Jul 2027", "spent to date", "forecast", "budget"):
        assert shown in text, shown
    md = st.md_path.read_text()
    svg = md[md.index('<svg class="budget-chart"'):]
    svg = svg[:svg.index("</svg>")]
    # Bars: before the records (July), spent to date (August, September: the current one),
    # the forecast (October, November) until the money runs out.
    assert svg.count('fill="#c9d3de"') == 1 and svg.count('fill="#1f4e79"') == 1
    assert svg.count("(forecast)</title>") == 2
    assert "Oct 2026: $95.00 (forecast)" in svg and "Nov 2026: $125.00 (forecast)" in svg
    # The project's name, from the registry, is escaped in the header above the section.
    assert "<b>project</b>" not in md


def test_registry_text_is_escaped_in_the_budget_section(make_repo: Callable[..., Path]) -> None:
    root = make_repo({
        "periods/2026-09/aws.csv": csv_file(row("2026-09", cost="10.00", tag=tags(
            "ada@test.edu", "p<1>", "123456-1234"))),
        "data/fund_orgs.yaml": "123456-1234:\n  name: <script>x</script> & *co*\n"
                               "  budgets: [{amount: 50, start: 2026-09, end: 2026-12}]\n",
    })
    wh = loader.load(load_config(root))
    (st,) = write_statements(wh, ["2026-09"])
    md = st.md_path.read_text()
    assert "fund/org 123456-1234 (&lt;script&gt;x&lt;/script&gt; &amp; &#42;co&#42;)" in md
    assert "<script>" not in md
    text = " ".join(pypdf.PdfReader(st.pdf_path).pages[0].extract_text().split())
    assert "fund/org 123456-1234 (<script>x</script> & *co*)" in text  # shown as written
