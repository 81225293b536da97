"""The little Markdown an analyst's text may use, turned into escaped HTML.

Paragraphs (separated by a blank line), ``*emphasis*``, ``**strong**`` and links
``[text](https://...)`` (``http``, ``https`` or a path on the hub, ``/...``); everything else
is text, escaped.  Placeholders are replaced by the caller's fragments after escaping, so a
value can never inject markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence

_STRONG = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_EM = re.compile(r"\*(?=\S)(.+?)(?<=\S)\*")
_LINK = re.compile(r"\[([^\]\n]+)\]\(((?:https?://|/)[^\s()<>\"']*)\)")
# A private-use character cannot be typed into the hub's forms by accident; a text that
# holds one anyway has it removed before rendering.
_MARK = "\ue000"
_SLOT = re.compile(_MARK + r"(\d+)" + _MARK)


def paragraphs(text: str) -> list[str]:
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip())
    return [" ".join(line.strip() for line in b.splitlines()) for b in blocks if b.strip()]


def _inline(text: str) -> str:
    out = html.escape(text, quote=True)
    # Links first: a URL's asterisks are not emphasis.
    links: list[str] = []

    def link(m: re.Match[str]) -> str:
        links.append(f'<a href="{m.group(2)}">{m.group(1)}</a>')
        return f"{_MARK}L{len(links) - 1}{_MARK}"

    out = _LINK.sub(link, out)
    out = _STRONG.sub(r"<strong>\1</strong>", out)
    out = _EM.sub(r"<em>\1</em>", out)
    return re.sub(_MARK + r"L(\d+)" + _MARK, lambda m: links[int(m.group(1))], out)


def render(
    text: str,
    spans: Sequence[tuple[int, int]],
    fill_html: Callable[[int], str],
    fill_text: Callable[[int], str],
) -> tuple[str, str]:
    """(HTML, Markdown) of ``text`` whose ``spans`` (placeholders, in order) are replaced by
    ``fill_html(i)`` (already escaped markup) and ``fill_text(i)`` (plain text)."""
    clean = text.replace(_MARK, "")
    slotted: list[str] = []
    plain: list[str] = []
    last = 0
    shift = 0
    for i, (start, end) in enumerate(spans):
        # spans index the original text; removed marks before a span shift it
        shift = text.count(_MARK, 0, start)
        a, b = start - shift, end - shift
        slotted.append(clean[last:a] + f"{_MARK}{i}{_MARK}")
        plain.append(clean[last:a] + fill_text(i))
        last = b
    slotted.append(clean[last:])
    plain.append(clean[last:])
    body = "".join(slotted)
    parts = []
    for para in paragraphs(body):
        inner = _SLOT.sub(lambda m: fill_html(int(m.group(1))), _inline(para))
        parts.append(f"<p>{inner}</p>")
    markdown = "\n\n".join(paragraphs("".join(plain)))
    return "\n".join(parts), markdown


def plain(markdown: str) -> str:
    """The text of the Markdown :func:`render` makes, without its marks, for renderers that
    set text only (the PDF): ``**a**`` and ``*a*`` become ``a``, a link ``a (url)``."""
    out = _LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", markdown)
    out = _STRONG.sub(r"\1", out)
    return _EM.sub(r"\1", out)
