"""Markdown for requirement texts and notes: CommonMark without raw HTML, safe links only."""

from __future__ import annotations

from markdown_it import MarkdownIt
from markupsafe import Markup

# html=False escapes any HTML in the source; markdown-it's validateLink refuses javascript:,
# vbscript:, file: and non-image data: links, so those stay plain text.
_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    "table"
)


def render_markdown(source: str | None) -> Markup:
    """Markdown to safe HTML (an empty string for None)."""
    if not source:
        return Markup("")
    return Markup(_md.render(source))  # noqa: S704 - raw HTML is disabled above
