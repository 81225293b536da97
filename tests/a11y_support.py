"""Accessibility checks of a page's HTML as served (PRODUCT.md: keyboard, labels, contrast).

A language, a title and one h1 per page; every form control, button and link has an
accessible name; ids are unique (a label's ``for`` finds one control); images have alt text;
data tables have header cells; nothing forces its way into the tab order.  Contrast and the
visible focus need computed styles: tests/web/test_browser_accessibility.py.
"""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

_UNNAMED_INPUTS = {"hidden", "submit", "reset", "button", "image"}


class _Page(HTMLParser):
    """Collects what the checks need in one pass."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lang = ""
        self.title = ""
        self.h1 = 0
        self.ids: Counter[str] = Counter()
        self.label_for: set[str] = set()
        self.controls: list[dict[str, str | None]] = []  # with "labelled" when inside a label
        self.named: list[tuple[str, dict[str, str | None], str]] = []  # a, button + their text
        self.images: list[dict[str, str | None]] = []
        self.tables: list[int] = []  # header cells per table
        self.tabindex: list[str] = []
        self._stack: list[str] = []
        self._label_depth = 0
        self._texts: list[list[str]] = []  # open a/button elements' text
        self._open: list[tuple[str, dict[str, str | None]]] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = dict(attrs_list)
        if attrs.get("id"):
            self.ids[str(attrs["id"])] += 1
        if (ti := attrs.get("tabindex")) and ti.lstrip("-").isdigit() and int(ti) > 0:
            self.tabindex.append(f"<{tag} tabindex={ti}>")
        if tag == "html":
            self.lang = attrs.get("lang") or ""
        elif tag == "title":
            self._in_title = True
        elif tag == "h1":
            self.h1 += 1
        elif tag == "label":
            self._label_depth += 1
            if attrs.get("for"):
                self.label_for.add(str(attrs["for"]))
        elif tag in ("input", "select", "textarea"):
            kind = (attrs.get("type") or "text").lower() if tag == "input" else tag
            if kind not in _UNNAMED_INPUTS:
                self.controls.append({**attrs, "tag": tag, "in_label": str(self._label_depth)})
        elif tag == "img":
            self.images.append(attrs)
        elif tag == "table":
            self.tables.append(0)
        elif tag == "th" and self.tables:
            self.tables[-1] += 1
        if tag in ("a", "button"):
            self._open.append((tag, attrs))
            self._texts.append([])
        if tag == "img" and self._texts and attrs.get("alt"):
            self._texts[-1].append(str(attrs["alt"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "label":
            self._label_depth = max(0, self._label_depth - 1)
        elif tag in ("a", "button") and self._open and self._open[-1][0] == tag:
            _, attrs = self._open.pop()
            self.named.append((tag, attrs, " ".join(self._texts.pop()).strip()))

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        for texts in self._texts:
            texts.append(data.strip())


def problems(html: str) -> list[str]:
    page = _Page()
    page.feed(html)
    found = []
    if not page.lang:
        found.append("<html> has no lang")
    if not page.title.strip():
        found.append("no <title>")
    if page.h1 != 1:
        found.append(f"{page.h1} <h1> elements (one expected)")
    found += [f"id {i!r} used {n} times" for i, n in page.ids.items() if n > 1]
    for c in page.controls:
        labelled = (
            c["in_label"] != "0"
            or (c.get("id") and c["id"] in page.label_for)
            or c.get("aria-label")
            or c.get("aria-labelledby")
            or c.get("title")
        )
        if not labelled:
            found.append(f"<{c['tag']} name={c.get('name')!r}> has no label")
    for tag, attrs, text in page.named:
        if not (text or attrs.get("aria-label") or attrs.get("aria-labelledby")):
            found.append(f"<{tag} {attrs}> has no accessible name")
    found += [f"<img src={i.get('src')!r}> has no alt" for i in page.images if "alt" not in i]
    found += [
        f"a table without header cells (table {n + 1})"
        for n, th in enumerate(page.tables)
        if th == 0
    ]
    found += [f"{t} forces the tab order" for t in page.tabindex]
    return found
