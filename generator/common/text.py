"""Control characters in text from data: found, or shown escaped.

NUL, CR, LF and the other C0/C1 controls have no place in a name, a tag or an ID: they can
end a header line, hide text on a terminal or break a file format. Data that carries them is
refused (names in the registry) or flagged (tags); text printed to a terminal shows them
escaped (``\\x1b``).
"""

from __future__ import annotations

import re

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SHOWN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # tab and line feed print as they are


def has_control(text: str) -> bool:
    return CONTROL.search(text) is not None


def escape_controls(text: str) -> str:
    """``text`` with every control character but tab and line feed escaped (``\\x1b``)."""
    return _SHOWN.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
