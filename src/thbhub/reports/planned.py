"""Projects of the strategic plan in reports: the plan monitor's public portfolio."""

from __future__ import annotations

from typing import Any

from thbhub.domain.principals import PUBLIC
from thbhub.plan import service as plan
from thbhub.reports.cells import text
from thbhub.reports.context import BuildContext
from thbhub.reports.model import Cell, Paragraph, Section, Table

SOURCE = "the strategic plan monitor's portfolio (public projects)"


def _table(caption: str, projects: list[dict[str, Any]]) -> Table:
    return Table(
        caption,
        ["Project", "Lead", "Period", "Status"],
        [
            [
                Cell(f"{p['id']}: {p['title']}"),
                text(p.get("lead")),
                Cell(f"{p['starts']} to {p['ends']}"),
                text(p.get("status")),
            ]
            for p in projects
        ],
        SOURCE,
    )


def country_projects(ctx: BuildContext, section: Section, code: str, name: str) -> None:
    found = [p for p in plan.portfolio(ctx.db, PUBLIC)["projects"] if code in p["countries"]]
    if not found:
        section.add(Paragraph(f"No public project of the plan names {name}."))
        return
    section.add(_table(f"Projects of the strategic plan in {name}", found))
    notice = plan.portfolio(ctx.db, PUBLIC)["notice"]
    if notice:
        section.add(Paragraph(str(notice)))


def topic_projects(ctx: BuildContext, section: Section, concept: str, label: str) -> None:
    found = plan.projects(ctx.db, PUBLIC, concept=concept)
    if not found:
        section.add(Paragraph(f"No public project of the plan is about {label}."))
        return
    section.add(_table(f"Projects of the strategic plan about {label}", found))
