"""Hostile text for escaping tests, and what "inert" means for an HTML page."""

from __future__ import annotations

from collections.abc import Mapping
from html.parser import HTMLParser

PAYLOAD = "东风村\"<b>'><img src=x onerror=1><script>alert(1)</script>"


def hostile(label: str) -> str:
    """``label`` then the payload (labels are Chinese and none of them occurs in the payload)."""
    return label + PAYLOAD


class Parsed(HTMLParser):
    """Tags, attributes and text of a page, character references decoded."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str]] = []
        self.texts: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend((tag, name, value or "") for name, value in attrs)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self.texts.append(data)


def assert_inert(html: str, shown: Mapping[str, str]) -> None:
    """No script element, no ``on…`` attribute, and each value of ``shown`` appears, and only whole: wherever its
    label is in the page's text or attribute values, the full value follows it."""
    page = Parsed(html)
    assert "script" not in page.tags
    assert [a for a in page.attrs if a[1].startswith("on")] == []
    pieces = page.texts + [value for _tag, _name, value in page.attrs]
    for what, value in shown.items():
        label = value[: -len(PAYLOAD)]
        starts = [(p, i) for p in pieces for i in _find_all(p, label)]
        assert starts, f"{what} is not on the page"
        broken = [p[i : i + len(value)] for p, i in starts if p[i : i + len(value)] != value]
        assert broken == [], f"{what} was cut by markup: {broken}"


def _find_all(text: str, needle: str) -> list[int]:
    out, at = [], text.find(needle)
    while at >= 0:
        out.append(at)
        at = text.find(needle, at + 1)
    return out
