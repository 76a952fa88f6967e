"""Markdown from users, rendered safely: markdown-it-py with raw HTML off, then nh3 (Ammonia) as the
second line. Scripts, event handlers, style and ``javascript:`` links never reach a page."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

# "js-default": CommonMark with raw HTML off and links validated (no javascript:, vbscript:, data:).
_markdown = MarkdownIt("js-default").enable("table").enable("strikethrough")
ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}


def render_markdown(source: str) -> str:
    """Safe HTML for ``source``; links open as plain http(s) or mailto links with rel="nofollow noopener"."""
    html = _markdown.render(source or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )
