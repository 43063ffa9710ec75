"""``GET /runbook``: docs/runbook.md as one HTML page, so the alerts' ``runbook_url`` links work with no internet.

The text ships inside the package (``camfleet/web_assets/runbook.md`` is a link to docs/runbook.md, copied into the
wheel). Headings get GitHub's anchors (``## CamfleetCameraOffline`` → ``#camfleetcameraoffline``), so one link
fragment works here and in a repository browser. Raw HTML in the Markdown is not passed through.
"""

from __future__ import annotations

import functools
import html
import itertools
import re
from importlib import resources

from markdown_it import MarkdownIt

TITLE = "camfleet 告警处置手册 Runbook"
_STYLE = (
    "body{font-family:sans-serif;max-width:60em;margin:1em auto;padding:0 1em;line-height:1.5}"
    "h2{border-top:1px solid #ccc;padding-top:.6em}code{background:#f3f3f3;padding:0 .2em}"
    "h2:target{background:#fff3c4}"
)


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def runbook_markdown() -> str:
    """The runbook's Markdown as packaged."""
    return resources.files("camfleet").joinpath("web_assets", "runbook.md").read_text(encoding="utf-8")


@functools.cache
def runbook_html() -> str:
    """The whole page (rendered once per process: the text only changes with an upgrade)."""
    md = MarkdownIt("commonmark", {"html": False})
    tokens = md.parse(runbook_markdown())
    for opening, inline in itertools.pairwise(tokens):
        if opening.type == "heading_open":
            opening.attrSet("id", anchor(inline.content))
    body = md.renderer.render(tokens, md.options, {})
    return (
        f"<!doctype html><html lang=zh><meta charset=utf-8><title>{html.escape(TITLE)}</title>"
        f"<style>{_STYLE}</style><body>{body}</body></html>"
    )
