"""The PDF renderer: the report as Typst code, typeset by Typst's Python binding into a
tagged PDF/UA-1 (headings, table headers, the charts' alternative text in its structure).

Every text goes in as a Typst string literal (``#"..."``), never as markup, so that no
character of the data (``*``, ``_``, ``#``, quotes, ``--``) is read as formatting: the PDF
shows the same text as the HTML and Markdown.  The fonts are those inside the Typst wheel
(system fonts are ignored) and the timestamp is the edition's, so that the same data
version and edition give the same PDF on any machine.  docs/reports.md says why Typst.
"""

from __future__ import annotations

from datetime import datetime

from thbhub.reports.charts import svg
from thbhub.reports.markup import plain
from thbhub.reports.model import SYMBOLS, Figure, Items, Paragraph, Report, Table

PREAMBLE = """\
#set document(title: {title}, date: {date})
#set text(lang: "en", size: 9pt, hyphenate: false)
#set par(justify: false)
#set page(paper: "a4", margin: (x: 16mm, top: 18mm, bottom: 20mm),
  footer: context align(center, text(size: 7.5pt, fill: rgb("#444444"),
    {footer} + " · page " + str(here().page()) + " of " + str(counter(page).final().first()))))
#show heading.where(level: 1): set text(size: 18pt, fill: rgb("#0b3d63"))
#show heading.where(level: 2): set text(size: 13pt, fill: rgb("#0b3d63"))
#set table(stroke: 0.5pt + rgb("#999999"), inset: (x: 4pt, y: 2.5pt))
#show table: set text(size: 7.5pt)
#show table.cell.where(y: 0): set text(weight: "bold")
"""


def s(value: str) -> str:
    """A Typst string literal of ``value``."""
    out = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{out}"'


def t(value: str) -> str:
    """``value`` as verbatim text in markup."""
    return "#" + s(value)


def _table(b: Table, data_version: int) -> list[str]:
    numeric = [
        i > 0 and all(row[i].numeric for row in b.rows if i < len(row))
        for i in range(len(b.columns))
    ]
    align = ", ".join("right" if n else "left" for n in numeric)
    header = ", ".join(f"[{t(c)}]" for c in b.columns)
    cells = ",\n  ".join(", ".join(f"[{t(c.text)}]" for c in row) for row in b.rows)
    return [
        f"#block(breakable: false, below: 0.3em, strong({s(b.caption)}))",
        f"#table(columns: {len(b.columns)}, align: ({align},),\n"
        f"  table.header(repeat: true, {header}),\n  {cells})",
        f'#text(size: 7.5pt, fill: rgb("#444444"), '
        f"{s(f'Source: {b.source}; data version {data_version}.')})",
        "",
    ]


def source(report: Report) -> str:
    from thbhub.reports.render import colophon

    e = report.edition
    made = datetime.fromisoformat(e.made_at)
    lines = [
        PREAMBLE.format(
            title=s(f"{report.title} — edition {e.number}"),
            date=f"datetime(year: {made.year}, month: {made.month}, day: {made.day})",
            footer=s(f"{report.title} · edition {e.number}"),
        ),
        f"#heading(level: 1, {s(report.title)})",
        f"#text(size: 11pt, {s(f'{report.subtitle} · edition {e.number}, {e.made_on}')})",
        "",
        "#outline(title: [Contents], target: heading.where(level: 2))",
        "",
    ]
    for sec in report.sections:
        lines += [f"#heading(level: 2, {s(sec.title)})", ""]
        for n in sec.narrative:
            lines += [t(plain(n.markdown)), ""]
            if n.stale:
                stale = f"Numbers changed since this text was written: {', '.join(n.stale)}."
                lines += [f'#text(fill: rgb("#8a1c00"), {s(stale)})', ""]
        for b in sec.blocks:
            if isinstance(b, Paragraph):
                lines += [t(b.text), ""]
            elif isinstance(b, Items):
                lines += [f"- {t(i)}" for i in b.items] + [""]
            elif isinstance(b, Figure):
                caption = (
                    f"Figure: {b.caption}. {b.alt} Source: {b.source}; "
                    f"data version {e.data_version}."
                )
                lines += [
                    f'#block(breakable: false)[#image(bytes({s(svg(b.spec))}), format: "svg", '
                    f"width: 90%, alt: {s(b.alt)})\n#text(size: 8pt, {s(caption)})]",
                    "",
                ]
            elif isinstance(b, Table):
                lines += _table(b, e.data_version)
    lines += ["#heading(level: 2, [Symbols])", ""]
    lines += [f"- {t(f'{sym}  {meaning}')}" for sym, meaning in SYMBOLS] + [""]
    lines += ["#heading(level: 2, [Colophon])", ""]
    for line in colophon(report):
        lines += [f"#text(size: 8pt, {s(line)})", ""]
    return "\n".join(lines)


def pdf(report: Report) -> bytes:
    import typst

    made = datetime.fromisoformat(report.edition.made_at)
    out = typst.compile(
        source(report).encode("utf-8"),
        format="pdf",
        ignore_system_fonts=True,
        pdf_standards=["ua-1"],
        timestamp=made,
    )
    assert isinstance(out, bytes)
    return out
