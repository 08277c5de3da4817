"""Safe rendering of untrusted model output: markdown → HTML → sanitised by nh3.

markdown-it-py runs with raw HTML disabled (``html=False``) so tags in an answer are escaped
as text; nh3 (ammonia) then allow-lists the tags markdown produces and drops every attribute
that could run script (``on*``, ``javascript:`` URLs, ``style``). Both layers must agree for an
XSS payload to get through, and the browser test checks that none does.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "del",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "code": {"class"}, "th": {"align"}, "td": {"align"}, "ol": {"start"}}


def render_markdown(text: str) -> str:
    """Untrusted markdown → safe HTML fragment."""
    html = _md.render(text or "")
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                     link_rel="noopener noreferrer nofollow")
