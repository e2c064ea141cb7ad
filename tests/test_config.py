"""The journal's part of the config: checked when it is loaded."""

from __future__ import annotations

import pytest
from conftest import CONFIG

from generator.config import load_config
from generator.errors import DataError


def test_a_source_is_found_whatever_the_case_of_its_file(make_repo) -> None:
    cfg = load_config(make_repo())
    assert cfg.source("AWS").name == "Amazon Web Services"
    assert cfg.find_source("Hpc") is cfg.sources["hpc"]
    assert cfg.find_source("gcp") is None
    assert cfg.source("gcp").name == "gcp"


def test_journal_keys_are_checked(make_repo) -> None:
    config = CONFIG + "journal: {templte: x.csv.j2, account_pattern: '[0-9'}\n"
    with pytest.raises(DataError) as info:
        load_config(make_repo(config=config))
    messages = [p.message for p in info.value.problems]
    assert any("journal.templte: unknown key" in m and "'template'" in m for m in messages)
    assert any(m.startswith("journal.account_pattern: not a valid regular expression")
               for m in messages)


def test_an_account_written_as_a_number_is_a_code(make_repo) -> None:
    cfg = load_config(make_repo(config=CONFIG + "journal: {default_account: 7999}\n"))
    assert cfg.raw["journal"]["default_account"] == 7999
