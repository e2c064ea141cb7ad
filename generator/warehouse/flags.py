"""Stage 4: flag charges that need a person's decision before they are billed."""

from __future__ import annotations

import re

import duckdb

from generator.common.addresses import MAX_LENGTH, PLAIN_ADDRESS
from generator.common.sql import Scripts, json_path
from generator.read.config import Config
from generator.read.focus import KNOWN_COLUMNS

SQL = Scripts.beside(__file__)


def flag(con: duckdb.DuckDBPyConnection, cfg: Config) -> None:
    """Create ``flags`` (charge_id, flag) from ``normalized``."""
    SQL.run(
        con,
        "flags",
        fund_org_regex=any_of(cfg.fund_org_patterns),
        plain_address=PLAIN_ADDRESS,
        max_address=MAX_LENGTH,
        currency=cfg.currency.code,
        spike_min_amount=cfg.spike_min_amount,
        spike_factor=cfg.spike_factor,
    )
    for rule in cfg.patterns:
        SQL.run(
            con,
            "flag_pattern",
            rule=rule.name,
            pattern=rule.pattern,
            columns=[c for c in rule.columns if c in KNOWN_COLUMNS],
            paths=[json_path(c) for c in rule.columns if c not in KNOWN_COLUMNS],
        )


def any_of(patterns: tuple[str, ...]) -> str | None:
    """One regex matching what any of ``patterns`` matches (group names dropped)."""
    if not patterns:
        return None
    return "|".join("(?:" + re.sub(r"\(\?P<\w+>", "(", p) + ")" for p in patterns)
