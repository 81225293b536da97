"""Renderers: a report as standalone HTML (inline CSS, charts as SVG), Markdown or PDF
(Typst: typst_pdf.py).

All three lay out the same :class:`~thbhub.reports.model.Report`; nothing here computes a
number.  The output depends only on the report (its edition's time, not the clock), so the
same data version and edition give the same bytes."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from thbhub.reports.charts import svg
from thbhub.reports.model import SYMBOLS, Figure, Items, Paragraph, Report, Table

FORMATS = ("html", "md", "pdf")
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "pdf": "application/pdf",
}


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(
        loader=PackageLoader("thbhub.reports", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def colophon(report: Report) -> list[str]:
    e = report.edition
    return [
        f"Edition {e.number} of this report, made on {e.made_at} (UTC) by THB Hub from data "
        f"version {e.data_version} of its evidence base; the same data version and edition "
        "give the same report.",
        "Sources: " + ("; ".join(report.sources) if report.sources else "none") + ".",
        "Disclosure: statistics are shown as their publishers released them (suppressed cells "
        "as the range they hide). Counts from case records come only from the public tables "
        "of published records, through the hub's disclosure gate. " + report.policy_note,
        "This report shows public data only, whoever makes it.",
    ]


def _blocks(report: Report) -> list[dict[str, Any]]:
    """The sections as plain dicts for the template, each chart drawn once."""
    out = []
    for s in report.sections:
        blocks: list[dict[str, Any]] = []
        for b in s.blocks:
            if isinstance(b, Paragraph):
                blocks.append({"kind": "paragraph", "text": b.text})
            elif isinstance(b, Items):
                blocks.append({"kind": "items", "items": b.items})
            elif isinstance(b, Figure):
                drawn = base64.b64encode(svg(b.spec).encode("utf-8")).decode("ascii")
                blocks.append(
                    {
                        "kind": "figure",
                        "svg": drawn,
                        "alt": b.alt,
                        "caption": b.caption,
                        "source": b.source,
                    }
                )
            elif isinstance(b, Table):
                blocks.append(
                    {
                        "kind": "table",
                        "caption": b.caption,
                        "columns": b.columns,
                        "rows": b.rows,
                        "source": b.source,
                        "row_headers": b.row_headers,
                    }
                )
        out.append({"id": s.id, "title": s.title, "blocks": blocks, "narrative": s.narrative})
    return out


def html(report: Report) -> str:
    template = _env().get_template("reports/report.html")
    view = {
        "language": report.language,
        "title": report.title,
        "subtitle": report.subtitle,
        "edition": report.edition,
        "sections": _blocks(report),
    }
    return template.render(r=view, symbols=SYMBOLS, colophon=colophon(report))


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(report: Report) -> str:
    e = report.edition
    lines = [f"# {report.title}", "", f"{report.subtitle} · edition {e.number}, {e.made_on}", ""]
    for s in report.sections:
        lines += [f"## {s.title}", ""]
        for n in s.narrative:
            lines += [n.markdown, ""]
            if n.stale:
                lines += [
                    f"*Numbers changed since this text was written: {', '.join(n.stale)}.*",
                    "",
                ]
        for b in s.blocks:
            if isinstance(b, Paragraph):
                lines += [b.text, ""]
            elif isinstance(b, Items):
                lines += [f"- {i}" for i in b.items] + [""]
            elif isinstance(b, Figure):
                lines += [
                    f"*Figure: {b.caption}.* {b.alt} Source: {b.source}; data version "
                    f"{e.data_version}.",
                    "",
                ]
            elif isinstance(b, Table):
                lines += [f"**{b.caption}**", ""]
                lines.append("| " + " | ".join(_md_cell(c) for c in b.columns) + " |")
                numeric = [
                    i > 0 and all(row[i].numeric for row in b.rows if i < len(row))
                    for i in range(len(b.columns))
                ]
                lines.append("|" + "|".join("---:" if n else "---" for n in numeric) + "|")
                for row in b.rows:
                    lines.append("| " + " | ".join(_md_cell(c.text) for c in row) + " |")
                lines += ["", f"Source: {b.source}; data version {e.data_version}.", ""]
    lines += ["## Symbols", ""] + [f"- `{sym}` {meaning}" for sym, meaning in SYMBOLS] + [""]
    lines += ["## Colophon", ""]
    for line in colophon(report):
        lines += [line, ""]
    return "\n".join(lines)


def pdf(report: Report) -> bytes:
    """The report typeset by Typst as a tagged PDF/UA-1 (reports/typst_pdf.py)."""
    from thbhub.reports.typst_pdf import pdf as typeset

    return typeset(report)


def render(report: Report, fmt: str) -> bytes:
    if fmt == "html":
        return html(report).encode("utf-8")
    if fmt == "md":
        return markdown(report).encode("utf-8")
    if fmt == "pdf":
        return pdf(report)
    raise ValueError(fmt)


def html_policy(page: str | bytes) -> str:
    """The Content-Security-Policy a server sends with a standalone HTML report: its one
    style block (by its hash) and its images (data: URIs), nothing else: no script, no
    request anywhere."""
    text = page.decode("utf-8") if isinstance(page, bytes) else page
    start, end = text.index("<style>") + len("<style>"), text.index("</style>")
    digest = base64.b64encode(hashlib.sha256(text[start:end].encode("utf-8")).digest())
    return "; ".join(
        [
            "default-src 'none'",
            f"style-src 'sha256-{digest.decode('ascii')}'",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )
