"""migrate: the earlier web application's config (every key it has) becomes data/config.yaml
and its GL template site_templates/journal_migrated.csv.j2; what has no equivalent is
reported, and an empty credit fund/org is the one thing left to fill in."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml
from conftest import DATA, run, tags

from generator.commands.migrate import template_changes
from generator.read.config import load_config

OLD = DATA / "webapp"


def migrated(tmp_path: Path) -> tuple[Path, str]:
    root = tmp_path / "repo"
    root.mkdir()
    code, out = run(root, "migrate", str(OLD / "config.yaml"))
    assert code == 0, out
    return root, out


def test_every_old_key_is_migrated_or_reported(tmp_path):
    root, out = migrated(tmp_path)
    assert "wrote data/config.yaml" in out
    assert "wrote site_templates/journal_migrated.csv.j2" in out
    assert "left to fill in (1 value, marked EDIT in data/config.yaml):" in out
    assert ("  credit_fund_org of sources.aws, sources.azure, sources.hpc: empty in the old "
            "config, needed here") in out
    for key in ("dev_mode", "database", "output", "logging", "web"):
        assert re.search(rf"^  {key}: no ", out, re.M), key
    assert "web: no web application, so no users, roles or password policy" in out
    assert "currency.code: USD, from the symbol '$'" in out
    assert "sources.aws: the old file-name pattern 'aws_*.csv' has no equivalent" in out
    assert "does not load yet" not in out

    cfg = load_config(root)
    assert cfg.organization == {"name": "Research Computing Billing",
                                "contact": "research-billing@example.edu"}
    assert cfg.currency.code == "USD" and cfg.currency.symbol == "$"
    assert cfg.tags["project_id"] == ("project",) and cfg.tags["reference_1"] == ("grant",)
    assert cfg.tags["reference_2"] == ("reference_2",)  # empty in the old config: the default
    assert cfg.patterns == () and cfg.fund_org_patterns == ()
    assert sorted(cfg.sources) == ["aws", "azure", "gcp", "hpc"]
    assert cfg.sources["gcp"].credit_fund_org == "RC001-FUND99"
    assert cfg.sources["aws"].credit_fund_org is None and cfg.sources["aws"].account == "54100"
    assert cfg.journal.template == "journal_migrated.csv.j2"
    assert cfg.journal.default_account == "54000" and cfg.journal.account_pattern == r"^\d{5}$"
    assert cfg.journal.part_names == ("orgn", "fund")
    assert cfg.journal.description == "{{ source_name }} charges {{ period }}"
    assert cfg.journal.credit_description == "{{ source_name }} recovery {{ period }}"
    assert cfg.email.sender == "Research Computing Billing <research-billing@example.edu>"
    assert cfg.email.subject == "Research computing charges for {{ period | period_name }}"
    smtp = cfg.email.smtp
    assert smtp is not None and (smtp.host, smtp.port, smtp.security) == (
        "smtp.example.edu", 587, "starttls")
    assert (smtp.user_env, smtp.password_env) == ("SMTP_USER", "SMTP_PASSWORD")
    text = (root / "data/config.yaml").read_text()
    assert "${" not in text and "secret_key" not in text


def test_the_old_gl_template_works_here(tmp_path):
    root, out = migrated(tmp_path)
    template = (root / "site_templates/journal_migrated.csv.j2").read_text()
    assert 'entry.parts.program | default("")' in template
    assert "entry.program" not in template and "truncate_desc" in template
    assert "entry.program is printed empty (the fund/org regex has no group 'program')" in out
    assert "change before the first journal" not in out  # nothing else to change


def test_check_names_the_empty_credit_fund_orgs_once_then_builds_the_journal(tmp_path):
    root, _ = migrated(tmp_path)
    header = "BillingPeriodStart,BilledCost,ServiceName,Tags"
    tag = tags(project="p1", fund="ORG1-FUND1").replace("project_id", "project")
    for month in ("2026-09", "2026-10"):
        for source in ("aws", "azure", "gcp", "hpc"):
            path = root / "periods" / month / f"{source}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"{header}\n{month}-01,10.00,Compute {source},{tag}\n")
    code, out = run(root, "check")
    assert code == 1
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: data/config.yaml:26: sources.aws.credit_fund_org, sources.azure.credit_fund_org"
        ", sources.hpc.credit_fund_org: empty; set each, then delete their # EDIT marks "
        "(docs/admin/configuration.md)"], out

    config = root / "data/config.yaml"
    text = re.sub(r'credit_fund_org: ""  # EDIT.*', 'credit_fund_org: "RC001-FUND99"',
                  config.read_text())
    config.write_text(text)
    code, out = run(root, "check")
    assert code == 0, out
    code, out = run(root, "export-journal", "-p", "2026-10")
    assert code == 0, out
    gl = (root / "build/journals/2026-10/gl.csv").read_text().splitlines()
    assert gl[0] == "COA,FUND,ORGN,ACCT,PROG,ACTV,LOCN,AMOUNT,DC,DESCRIPTION"
    assert "N,FUND1,ORG1,54100,,,,10.00,D,Amazon Web Services charges 2026-10" in gl
    # truncate_desc: 35 characters, as Banner's description takes
    assert "N,FUND99,RC001,54100,,,,10.00,C,Amazon Web Services recovery 2026-1" in gl


def test_migrate_refuses_to_overwrite_unless_forced(tmp_path):
    root, _ = migrated(tmp_path)
    (root / "data/config.yaml").write_text("organization: {name: Mine}\n")
    code, out = run(root, "migrate", str(OLD / "config.yaml"))
    assert code == 2
    assert "data/config.yaml exists; move it away, or give --force to replace it" in out
    assert (root / "data/config.yaml").read_text() == "organization: {name: Mine}\n"
    code, out = run(root, "migrate", str(OLD / "config.yaml"), "--force")
    assert code == 0, out
    assert "Research Computing Billing" in (root / "data/config.yaml").read_text()


def test_literal_secrets_are_not_copied(tmp_path):
    old = yaml.safe_load((OLD / "config.yaml").read_text())
    old["smtp"]["password"] = "hunter2"
    old["journal"]["template"] = None
    path = tmp_path / "old.yaml"
    path.write_text(yaml.safe_dump(old))
    root = tmp_path / "repo"
    root.mkdir()
    code, out = run(root, "migrate", str(path))
    assert code == 0, out
    assert "smtp.password: written in the old config itself, so it is not copied" in out
    assert "hunter2" not in (root / "data/config.yaml").read_text()
    assert load_config(root).email.smtp.password_env is None  # type: ignore[union-attr]


def test_what_a_template_needs_is_said_exactly():
    changes = template_changes(
        "{% for e in journal_entries %}{{ e.debit_amount }},{{ e.description | shorten }}"
        "{% endfor %}", ("fund", "orgn"))
    assert changes[0].startswith("line 1: journal_entries is not given to journal templates "
                                 "here; they get credits, debits, entries, organization")
    assert any("the filter shorten does not exist here" in c for c in changes)
    assert template_changes("{% for e in entries %}{{ e.fund }}{{ e.amount | amount }}"
                            "{% endfor %}", ("fund", "orgn")) == []


def test_copied_config_tree_stays_untouched(tmp_path):
    """migrate reads the old config where it is and writes only into the repository."""
    copy = tmp_path / "old"
    shutil.copytree(OLD, copy)
    root = tmp_path / "repo"
    root.mkdir()
    assert run(root, "migrate", str(copy / "config.yaml"))[0] == 0
    assert sorted(p.name for p in copy.iterdir()) == ["config.yaml", "gl_template.csv.j2"]
