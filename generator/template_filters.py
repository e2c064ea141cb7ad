"""Every Jinja filter, in one module; also used directly where text is built in Python.

Text from a FOCUS file, a review file or git (names, tags, reasons, file names) is
untrusted: it is escaped for the format it lands in.
"""

from __future__ import annotations

import re

MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~#])")
MENTION = re.compile(r"(^|\s)@")


def markdown_escape(value: object) -> str:
    """Text safe in a Markdown paragraph or table cell: no markup, HTML, mentions or breaks."""
    text = " ".join(str(value).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return MENTION.sub(r"\1&#64;", text)
