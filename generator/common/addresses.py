"""What counts as a PI's email address: a plain ``local@domain`` address and nothing else.

A PI email from a tag names statement files, lands in journals and becomes an envelope
recipient, so anything that is not a plain address — a comment (``a(@b)@evil.com``), a quoted
local part, a path (``../../etc/passwd``), a bare word, a control character — is refused, and
the charge that carries it is flagged ``invalid_pi_email``. The same pattern is used in SQL
(``flags.sql``, with DuckDB's RE2) and in Python.
"""

from __future__ import annotations

import re

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# local-part (dot-atoms only) @ domain (two or more labels, a letter top-level label).
PLAIN_ADDRESS = rf"{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}"
MAX_LENGTH = 254  # RFC 5321's limit on a forward path, less the angle brackets
_COMPILED = re.compile(PLAIN_ADDRESS)


def is_plain_address(text: str) -> bool:
    """``ada@northfield.edu`` is; ``Ada <ada@x.edu>``, ``a(@b)@evil.com``, ``..``, ``5`` are
    not."""
    return len(text) <= MAX_LENGTH and _COMPILED.fullmatch(text) is not None
