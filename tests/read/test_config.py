"""Configuration: every problem reported with its key path, in one run."""

from __future__ import annotations

import pytest
from conftest import CONFIG, ROOT

from generator.common.errors import DataError
from generator.read.config import Site, load_config


def problems(make_repo, config: str, **files: str) -> list[str]:
    root = make_repo({f"data/{k}.yaml": v for k, v in files.items()}, config=config)
    with pytest.raises(DataError) as exc:
        load_config(root)
    return [p.message for p in exc.value.problems]


def test_demo_config_loads():
    cfg = load_config(ROOT)
    assert cfg.currency.code == "USD"
    assert cfg.tags["pi_email"][:2] == ("pi_email", "user:pi_email")
    assert cfg.sources["aws"].credit_fund_org == "100100-9100"
    assert cfg.sources["aws"].account == "7410"


def test_every_problem_with_key_path_in_one_run(make_repo):
    # CONFIG's own review section is replaced (a second review: key would be refused).
    head, _, tail = CONFIG.partition("review:\n")
    config = head + tail[tail.index("sources:"):] + """\
curency: {code: USD}
review:
  patterns:
    - {name: Bad Name, columns: [SkuId], pattern: "("}
  fund_org_patterns: ["[unclosed"]
  cost_spike: {factor: lots}
cost_basis: ListCost
"""
    config = config.replace("currency: {code: USD,", "currency: {code: usd,")
    joined = "\n".join(problems(make_repo, config))
    for expected in (
        "curency: unknown key 'curency'; did you mean 'currency'? (known: organization, ",
        "review.patterns[0].name: use lowercase letters",
        "review.patterns[0].pattern: not a valid regular expression",
        "review.fund_org_patterns[0]: not a valid regular expression",
        "review.cost_spike.factor: expected a number, got 'lots'",
        "cost_basis: 'ListCost'; use BilledCost or EffectiveCost",
        "currency.code: 'usd' is not ISO 4217",
    ):
        assert expected in joined, joined


def test_wrong_types_and_required(make_repo):
    found = problems(make_repo, "currency: {minor_units: two}\ntags: {pi_email: [1]}\n")
    assert "currency.minor_units: expected int, got str 'two'" in found
    assert "tags.pi_email: expected a text value or a list of text values" in found
    assert "organization.name: required" in found
    assert "currency.code: required" in found


def test_people_and_projects_are_checked(make_repo):
    found = problems(
        make_repo, CONFIG,
        people="ada@test.edu: {nme: Ada}\n",
        projects="p1: {end_date: someday}\n",
    )
    assert "ada@test.edu.nme: unknown key 'nme'; did you mean 'name'? (known: name, department)" \
        in found
    assert "p1.end_date: expected date, got str 'someday'" in found


def test_yaml_syntax_error_names_line(make_repo):
    found = problems(make_repo, "organization:\n  name: [x\n")
    assert found[0].startswith("not valid YAML")


def test_missing_config(tmp_path):
    with pytest.raises(DataError, match="no config file"):
        load_config(tmp_path)


def test_a_source_is_found_whatever_the_case_of_its_file(make_repo) -> None:
    cfg = load_config(make_repo())
    assert cfg.source("AWS").name == "Amazon Web Services"
    assert cfg.find_source("Hpc") is cfg.sources["hpc"]
    assert cfg.find_source("gcp") is None
    assert cfg.source("gcp").name == "gcp"


def test_journal_keys_are_checked(make_repo) -> None:
    config = CONFIG + "journal: {templte: x.csv.j2, account_pattern: '[0-9'}\n"
    messages = problems(make_repo, config)
    assert any("journal.templte: unknown key" in m and "'template'" in m for m in messages)
    assert any(m.startswith("journal.account_pattern: not a valid regular expression")
               for m in messages)


def test_an_account_written_as_a_number_is_a_code(make_repo) -> None:
    cfg = load_config(make_repo(config=CONFIG + "journal: {default_account: 7999}\n"))
    assert cfg.raw["journal"]["default_account"] == 7999


@pytest.mark.parametrize("name", ["config", "people", "projects"])
def test_a_key_given_twice_is_refused_not_last_wins(make_repo, name):
    text = {
        "config": CONFIG + "cost_basis: BilledCost\ncost_basis: EffectiveCost\n",
        "people": "ada@test.edu: {name: Ada}\nbob@test.edu: {name: Bob, name: Robert}\n",
        "projects": "p1: {name: One}\np1: {name: Uno}\n",
    }[name]
    root = make_repo({} if name == "config" else {f"data/{name}.yaml": text},
                     config=text if name == "config" else CONFIG)
    with pytest.raises(DataError) as exc:
        load_config(root)
    (problem,) = exc.value.problems
    line = {"config": CONFIG.count("\n") + 2, "people": 2, "projects": 2}[name]
    assert problem.where == f"data/{name}.yaml:{line}"
    assert "appears twice in one mapping (first on line" in problem.message
    assert problem.message.endswith("keep one")


def test_the_site_section(make_repo) -> None:
    config = CONFIG + """\
site:
  access: public
  secret_env: "my secret value"
  staff: Billing@Test.edu
  department_heads: {Physcs: head@test.edu, Maths: [a@test.edu]}
  secret: abc
"""
    people = "ada@test.edu: {name: Ada, department: Physics}\n"
    assert problems(make_repo, config, people=people) == [
        "site.secret: unknown key 'secret'; did you mean 'secret_env'? (known: access, "
        "secret_env, staff, department_heads)",
        "site.access: 'public'; use one of open, links, sso",
        "site.secret_env: 'my secret value' is not the name of an environment variable (the "
        "secret itself never goes here)",
        "site.department_heads.Physcs: no one in data/people.yaml has this department; did "
        "you mean 'Physics'?",
        "site.department_heads.Maths: no one in data/people.yaml has this department",
    ]
    cfg = load_config(make_repo(config=CONFIG + "site: {staff: Billing@Test.edu}\n"))
    assert cfg.site == Site(access="links", secret_env="CHARGEBACK_SITE_SECRET",
                            staff=("billing@test.edu",))
    assert load_config(ROOT).site.department_heads["Physics"] == ("physics-chair@northfield.edu",)
