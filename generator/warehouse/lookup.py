"""Charges named on the command line: a full charge ID or any unique prefix of six hex
characters or more, as git takes commit hashes (``charges``, ``review approve|reject|
reassign`` and ``correct`` all take them this way)."""

from __future__ import annotations

import re

import duckdb

from generator.common.errors import DataError, Problem, UsageError
from generator.common.sql import Scripts

SQL = Scripts.beside(__file__)
PREFIX = re.compile(r"[0-9a-f]{6,16}")
SHOWN = 8  # candidates named for an ambiguous prefix


def charge_ids(con: duckdb.DuckDBPyConnection, given: list[str]) -> list[str]:
    """The full charge ID of each of ``given`` (IDs or prefixes), in order.

    A prefix shorter than six characters or not hex is a usage error; one that matches no
    charge, or several, is a problem naming it (and the charges it could be)."""
    prefixes = [g.strip().lower() for g in given]
    for text, prefix in zip(given, prefixes, strict=True):
        if not PREFIX.fullmatch(prefix):
            raise UsageError(f"{text!r} is not a charge ID: give the 16 hex characters of "
                             "one, or the first 6 or more")
    found = {r["prefix"]: r["ids"] for r in SQL.query(con, "charge_prefixes",
                                                      prefixes=sorted(set(prefixes)))}
    problems = []
    for prefix in dict.fromkeys(prefixes):
        ids = found[prefix]
        if not ids:
            problems.append(Problem(prefix, "no such charge; see `openchargeback charges`"))
        elif len(ids) > 1:
            more = f" and {len(ids) - SHOWN} more" if len(ids) > SHOWN else ""
            problems.append(Problem(prefix, f"matches {len(ids)} charges ("
                                    f"{', '.join(ids[:SHOWN])}{more}); give more characters"))
    if problems:
        raise DataError(problems)
    return [found[p][0] for p in prefixes]
