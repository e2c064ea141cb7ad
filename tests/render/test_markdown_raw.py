"""The raw-HTML Markdown extension: generated HTML passes through untouched."""

from __future__ import annotations

import markdown


def render(text: str) -> str:
    return markdown.markdown(
        text, extensions=["generator.render.markdown_raw", "tables", "md_in_html"])


def test_block_passes_through_without_inline_processing():
    html = render("Before *x*\n<!-- raw html -->\n<table><tr><td>a_b_ **c**</td></tr>\n"
                  "</table>\n<!-- /raw html -->\nAfter *y*\n")
    assert "<table><tr><td>a_b_ **c**</td></tr>\n</table>" in html
    assert "<p>Before <em>x</em></p>" in html and "<p>After <em>y</em></p>" in html
    assert "<p><table>" not in html


def test_without_an_end_marker_markdown_handles_the_lines():
    html = render("<!-- raw html -->\n*x*\n")
    assert "<em>x</em>" in html
