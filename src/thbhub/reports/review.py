"""The plan review (plan/monitor's review report, the same call as `thbhub plan review`) as
a report: summary, coverage of the objectives, indicators, gaps."""

from __future__ import annotations

from typing import Any

from thbhub.domain.principals import PUBLIC
from thbhub.plan import service as plan
from thbhub.reports.cells import num, text
from thbhub.reports.common import items_or
from thbhub.reports.context import BuildContext, Draft
from thbhub.reports.model import Cell, Paragraph, Section, Table

SOURCE = "the strategic plan monitor's review report (public portfolio)"
TITLES = (
    ("summary", "Summary"),
    ("coverage", "The objectives: what served each"),
    ("indicators", "Indicators"),
    ("gaps", "Gaps and projects with small prospects"),
)


def _pct(v: Any) -> Cell:
    return Cell(":", "missing") if v is None else Cell(f"{float(v) * 100:.0f}%", "number")


def build(ctx: BuildContext) -> Draft:
    r = plan.review(ctx.db, PUBLIC, ctx.year, None, ctx.as_of)
    portfolio_notice = plan.portfolio(ctx.db, PUBLIC)["notice"]
    sections = [Section(i, t) for i, t in TITLES]
    by_id = {s.id: s for s in sections}

    su = by_id["summary"]
    su.add(Paragraph(f"The review covers {r['starts']} to {r['ends']}, judged on {r['as_of']}."))
    if portfolio_notice:
        su.add(Paragraph(str(portfolio_notice)))
    prev = r.get("previous_review")
    if prev:
        su.add(
            Paragraph(f"Latest review, {prev['date']}: {prev['title']}."),
            Paragraph(f"Findings: {prev['findings']}"),
            Paragraph(f"Decisions: {prev['decisions']}"),
        )
    su.add(
        Paragraph(
            f"{len(r['off_track'])} of {len(r['indicators'])} indicators are off "
            f"track; {len(r['gaps'])} objective-years have no project, activity or "
            f"output; {len(r['small_prospects'])} projects have small prospects of "
            "implementation."
        )
    )

    by_id["coverage"].add(
        Table(
            "Projects, activities, outputs and participants per objective",
            ["Objective", "Projects", "By status", "Activities", "Outputs", "Participants"],
            [
                [
                    Cell(f"{o['objective']}: {o['label']}"),
                    Cell(str(o["projects"]), "number"),
                    text(", ".join(f"{k} {v}" for k, v in sorted(o["by_status"].items()))),
                    Cell(str(o["activities"]), "number"),
                    Cell(str(o["outputs"]), "number"),
                    Cell(str(o["participants"].get("total", 0)), "number"),
                ]
                for o in r["objectives"]
            ],
            SOURCE,
        )
    )
    by_id["indicators"].add(
        Table(
            "Indicators: progress from baseline to target against the time passed",
            ["Indicator", "Baseline", "Target", "Latest", "Progress", "Expected", "Status"],
            [
                [
                    Cell(f"{i['indicator']}: {i['title']}"),
                    Cell(f"{num(i['baseline'])} ({i['baseline_date']})", "number"),
                    Cell(f"{num(i['target'])} ({i['target_date']})", "number"),
                    Cell(f"{num(i['latest'])} ({i['latest_date']})", "number")
                    if i["latest"] is not None
                    else Cell(":", "missing"),
                    _pct(i["progress"]),
                    _pct(i["expected"]),
                    text(i["status"]),
                ]
                for i in r["indicators"]
            ],
            SOURCE,
        )
    )
    ga = by_id["gaps"]
    items_or(
        ga,
        [
            f"{g['objective']} ({g['label']}), {g['year']}: no project, activity or output"
            for g in r["gaps"]
        ],
        "No objective is without a project in any year.",
    )
    items_or(
        ga,
        [f"{p['project']}: {p['title']} — {'; '.join(p['reasons'])}" for p in r["small_prospects"]],
        "No project has small prospects.",
    )
    return Draft(
        title="Strategic Plan 2025–2030: review",
        subtitle="Implementation of the CBSS TF-THB Strategic Plan",
        sections=sections,
    )
