"""A Markdown extension for the site: HTML the generator wrote passes through untouched.

Lines between ``<!-- raw html -->`` and ``<!-- /raw html -->`` (each on a line of its own)
go to the output as they are, without Markdown's inline processing or HTML re-parsing. The
per-project pages carry thousands of statement tables; rendered by Jinja (every value
escaped) and passed through here, they cost MkDocs almost nothing. Use it only for HTML
without links to other pages: MkDocs neither checks nor rewrites links inside it.

``mkdocs.yml`` enables it as ``generator.render.markdown_raw``.
"""

from __future__ import annotations

from typing import Any

from markdown import Extension, Markdown
from markdown.preprocessors import Preprocessor

START = "<!-- raw html -->"
END = "<!-- /raw html -->"


class RawHtmlBlocks(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        block: list[str] | None = None
        for line in lines:
            if block is None:
                if line.strip() == START:
                    block = []
                else:
                    out.append(line)
            elif line.strip() == END:
                out += ["", self.md.htmlStash.store("\n".join(block)), ""]
                block = None
            else:
                block.append(line)
        if block is not None:  # no end marker: leave the lines to Markdown
            out += [START, *block]
        return out


class RawHtmlExtension(Extension):
    def extendMarkdown(self, md: Markdown) -> None:
        # Before MkDocs' raw-HTML scan (21) and Python-Markdown's HTML blocks (20).
        md.preprocessors.register(RawHtmlBlocks(md), "openchargeback_raw_html", 30)


def makeExtension(**kwargs: Any) -> RawHtmlExtension:  # noqa: N802 (Markdown's API name)
    return RawHtmlExtension(**kwargs)
