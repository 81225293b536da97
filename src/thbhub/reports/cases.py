"""Case-record aggregates in reports: the public gated tables only (privacy/public.py), the
same cells `GET /api/v1/privacy/case-tables` serves; never a count below the threshold."""

from __future__ import annotations

from collections.abc import Mapping

from thbhub.domain.errors import UserError
from thbhub.privacy.public import public_table
from thbhub.reports.cells import gated_cell
from thbhub.reports.context import BuildContext
from thbhub.reports.model import Cell, Paragraph, Section, Table
from thbhub.stats.query import labels

SOURCE = (
    "published case records of the organisations that publish them, through the disclosure gate"
)
BREAKDOWNS: tuple[tuple[str, str], ...] = (("year", "year"), ("sex", "sex"), ("age", "age"))


def gated_tables(ctx: BuildContext, section: Section, where: Mapping[str, str], about: str) -> None:
    """One table per breakdown of the public case-record tables within ``where``."""
    policy_note = ""
    added = 0
    for dim, word in BREAKDOWNS:
        try:
            table = public_table(ctx.db, ctx.settings, [dim], dict(where), ctx.tables)
        except UserError as exc:
            section.add(Paragraph(f"The case-record tables cannot be shown: {exc}"))
            return
        policy_note = table.policy.note()
        cells = list(table.cells)
        if not cells:
            continue
        names = labels(ctx.db, sorted({c.key[0] for c in cells if ":" in c.key[0]}))
        rows = [[Cell(names.get(c.key[0], c.key[0])), gated_cell(c.count, c.status)] for c in cells]
        rows.append([Cell("Total"), gated_cell(table.total.count, table.total.status)])
        section.add(
            Table(f"Case records {about} by {word}", [word.capitalize(), "Records"], rows, SOURCE)
        )
        added += 1
    if not added:
        section.add(Paragraph(f"No published case records {about}."))
    if policy_note:
        section.add(Paragraph(policy_note))


def categories(ctx: BuildContext, dim: str) -> set[str] | None:
    """The categories of ``dim`` the public tables hold (None: they cannot be shown)."""
    try:
        table = public_table(ctx.db, ctx.settings, [dim], None, ctx.tables)
    except UserError:
        return None
    return {c.key[0] for c in table.cells}


def filtered_section(ctx: BuildContext, section: Section, dim: str, value: str, about: str) -> None:
    """The gated tables of the records whose ``dim`` is ``value`` (e.g. country:LV)."""
    known = categories(ctx, dim)
    if known is not None and value not in known:
        section.add(Paragraph(f"No published case records {about}."))
        return
    gated_tables(ctx, section, {dim: value}, about)


def country_section(ctx: BuildContext, section: Section, code: str, name: str) -> None:
    filtered_section(ctx, section, "country", f"country:{code}", f"of victims exploited in {name}")
