"""Regional overview: the ten member states side by side, regional trends and alerts, forms
of exploitation and the gender dimension across the region, citizenship flows, and what
changed since the previous edition."""

from __future__ import annotations

from typing import Any

from thbhub.analytics.flows import flows
from thbhub.analytics.service import DEFAULT_WINDOW, alerts
from thbhub.domain.concepts import CBSS_MEMBER_STATES
from thbhub.reports import cases
from thbhub.reports.cells import observation_cell
from thbhub.reports.charts import WIDTH, countries_sentence
from thbhub.reports.common import flow_source, items_or, names_of, observations, source_of
from thbhub.reports.context import BuildContext, Draft
from thbhub.reports.model import Cell, Figure, Paragraph, Section, Table
from thbhub.stats.charts import series_chart
from thbhub.stats.profile import member_states
from thbhub.stats.query import build_query

SIDE_BY_SIDE = ("victims", "prosecuted", "convicted")
TITLES = (
    ("overview", "The member states side by side"),
    ("trends", "Regional trends and alerts"),
    ("forms", "Forms of exploitation across the region"),
    ("gender", "The gender dimension"),
    ("migration", "Migration context: citizenship flows"),
    ("changes", "What changed since the previous edition"),
)


def _latest_by_country(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        c = str(r["country"])
        if c not in out or int(r["year"]) > int(out[c]["year"]):
            out[c] = r
    return out


def _breakdown(
    ctx: BuildContext, section: Section, by: str, names_of_states: dict[str, str]
) -> None:
    """Each state's latest year with a breakdown by ``by``: states down, categories across."""
    rows = observations(ctx.db, "victims", list(CBSS_MEMBER_STATES), by, year=ctx.year)
    latest_year = {c: int(r["year"]) for c, r in _latest_by_country(rows).items()}
    cells: dict[str, dict[str, dict[str, Any]]] = {}
    for r in rows:
        if int(r["year"]) == latest_year[str(r["country"])]:
            cells.setdefault(str(r["country"]), {})[str(r[by])] = r
    cats = sorted({k for v in cells.values() for k in v})
    if not cats:
        section.add(Paragraph(f"No state's victims are stored by {by}."))
        return
    names = names_of(ctx.db, rows, by)
    table_rows = [
        [Cell(f"{names_of_states[c]} ({latest_year[c]})")]
        + [observation_cell(cells[c].get(k)) for k in cats]
        for c in CBSS_MEMBER_STATES
        if c in cells
    ]
    section.add(
        Table(
            f"Detected victims by {by}, each state's latest year with the breakdown",
            ["State (year)", *(names.get(k, k) for k in cats)],
            table_rows,
            source_of(rows),
        )
    )
    missing = [names_of_states[c] for c in CBSS_MEMBER_STATES if c not in cells]
    if missing:
        section.add(Paragraph(f"No breakdown by {by} stored for {', '.join(missing)}."))


def build(ctx: BuildContext) -> Draft:
    db, year = ctx.db, ctx.year
    states = {s["code"]: s["name"] for s in member_states(db)}
    sections = [Section(i, t) for i, t in TITLES]
    by_id = {s.id: s for s in sections}
    figures: dict[str, Any] = {}

    ov = by_id["overview"]
    latest: dict[str, dict[str, dict[str, Any]]] = {}
    all_rows: list[dict[str, Any]] = []
    for ind in SIDE_BY_SIDE:
        found = observations(db, ind, list(CBSS_MEMBER_STATES), year=year)
        all_rows += found
        latest[ind] = _latest_by_country(found)
    rates = _latest_by_country(
        [
            r
            for r in observations(db, "victims", list(CBSS_MEMBER_STATES), per_100k=True, year=year)
            if r.get("rate_per_100k") is not None
        ]
    )
    rows = []
    for c in CBSS_MEMBER_STATES:
        row = [Cell(states[c])]
        for ind in SIDE_BY_SIDE:
            r = latest[ind].get(c)
            row.append(
                Cell(
                    f"{observation_cell(r).text} ({r['year']})" if r else ":",
                    observation_cell(r).kind,
                )
            )
            if r is not None:
                figures.setdefault(c, {})[ind] = {
                    "year": int(r["year"]),
                    "cell": observation_cell(r).text,
                }
        rr = rates.get(c)
        row.append(
            Cell(
                f"{observation_cell(rr, 'rate_per_100k').text} ({rr['year']})" if rr else ":",
                observation_cell(rr, "rate_per_100k").kind,
            )
        )
        rows.append(row)
    ov.add(
        Table(
            "The latest year of each figure, by member state (year in brackets)",
            ["State", "Detected victims", "Prosecuted", "Convicted", "Victims per 100,000"],
            rows,
            source_of(all_rows),
        )
    )
    victims = observations(db, "victims", list(CBSS_MEMBER_STATES), year=year)
    if victims:
        names = names_of(db, victims, None)
        spec = series_chart(
            victims,
            series_dim=None,
            labels={**names, "indicator:victims": "Victims"},
            title="Detected victims by member state",
            width=WIDTH,
            height=260,
        )
        alt = countries_sentence(victims, what="Detected victims", names=names)
        ov.add(Figure(spec, alt, "Detected victims by member state", source_of(victims)))

    tr = by_id["trends"]
    rising = alerts(
        db, build_query(indicator="victims", country=list(CBSS_MEMBER_STATES), year_to=year)
    )
    tr.add(
        Paragraph(
            f"Series of the member states that rise significantly over the last "
            f"{DEFAULT_WINDOW} years of the data, every state's total and breakdowns "
            "tested together (Benjamini–Hochberg)."
        )
    )
    items_or(tr, [t.reason for t in rising if t.reason], "No series rises significantly.")

    _breakdown(ctx, by_id["forms"], "form", states)
    _breakdown(ctx, by_id["gender"], "sex", states)
    cases.gated_tables(ctx, by_id["gender"], {}, "of the region (all published records)")

    mig = by_id["migration"]
    result = flows(db, countries=list(CBSS_MEMBER_STATES), year_to=year) if year else flows(db)
    if result.flows:
        mig.add(
            Table(
                "The largest flows of detected victims from citizenship to the detecting state",
                ["Citizenship", "Detected in", "Years", "Victims"],
                [
                    [
                        Cell(str(f["origin_label"])),
                        Cell(str(f["destination_label"])),
                        Cell(", ".join(map(str, f["years"]))),
                        Cell(
                            str(f["shown"]), "number" if f["status"] == "number" else "suppressed"
                        ),
                    ]
                    for f in result.flows[:20]
                ],
                flow_source(result.flows),
            )
        )
    items_or(mig, list(result.notes), "No citizenship breakdown is stored.")

    def finish(previous: dict[str, Any] | None) -> None:
        ch = by_id["changes"]
        if previous is None:
            ch.add(Paragraph("This is the first edition: there is nothing to compare with."))
            return
        said = []
        for c in CBSS_MEMBER_STATES:
            for ind in SIDE_BY_SIDE:
                now, before = figures.get(c, {}).get(ind), previous.get(c, {}).get(ind)
                if now != before:

                    def shown(x: dict[str, Any] | None) -> str:
                        return f"{x['cell']} ({x['year']})" if x else "none"

                    said.append(f"{states[c]}, {ind}: {shown(before)} before, {shown(now)} now.")
        items_or(ch, said, "No headline figure changed since the previous edition.")

    return Draft(
        title="Baltic Sea Region: regional overview",
        subtitle="Trafficking in human beings in the ten CBSS member states",
        sections=sections,
        figures=figures,
        finish=finish,
    )
