"""Country profile: one CBSS member state's statistics, trends, flows, gated case-record
aggregates, documents, projects and comparability notes, from the services the pages use."""

from __future__ import annotations

from typing import Any

from thbhub.analytics.comparability import comparability
from thbhub.analytics.flows import flows
from thbhub.analytics.service import DEFAULT_WINDOW, alerts, stored_trends
from thbhub.analytics.trends import describe
from thbhub.domain.concepts import CBSS_MEMBER_STATES
from thbhub.domain.errors import NotFoundError
from thbhub.domain.principals import PUBLIC
from thbhub.library.service import documents_about
from thbhub.reports import cases, planned
from thbhub.reports.cells import num, observation_cell
from thbhub.reports.common import (
    flow_source,
    items_or,
    names_of,
    observations,
    series_block,
    source_of,
)
from thbhub.reports.context import BuildContext, Draft
from thbhub.reports.model import Cell, Items, Paragraph, Section, Table
from thbhub.stats.profile import member_states
from thbhub.stats.query import build_query

HEADLINE = ("victims", "suspects", "prosecuted", "convicted")


def check(code: str) -> str:
    country = code.upper()
    if country not in CBSS_MEMBER_STATES:
        raise NotFoundError(
            f"no country profile for {code!r}; CBSS member states: {', '.join(CBSS_MEMBER_STATES)}"
        )
    return country


def latest(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The row of the latest year (of any status)."""
    return max(rows, key=lambda r: int(r["year"])) if rows else None


def build(ctx: BuildContext, code: str) -> Draft:
    db, year = ctx.db, ctx.year
    c = check(code)
    name = {s["code"]: s["name"] for s in member_states(db)}[c]
    sections = [Section(i, t) for i, t in TITLES]
    by_id = {s.id: s for s in sections}
    figures: dict[str, Any] = {}

    # Headline figures: the latest year of each indicator, with its status.
    head = by_id["headline"]
    rows = []
    for ind in HEADLINE:
        found = observations(db, ind, c, year=year)
        last = latest(found)
        if last is None:
            continue
        names = names_of(db, found, None)
        rows.append(
            [
                Cell(names.get(last["indicator"], ind)),
                Cell(str(last["year"])),
                observation_cell(last),
                Cell(source_of([last])),
            ]
        )
        figures[ind] = {"year": last["year"], "cell": observation_cell(last).text}
    rates = observations(db, "victims", c, per_100k=True, year=year)
    last_rate = latest([r for r in rates if r.get("rate_per_100k") is not None] or rates)
    if last_rate is not None:
        rows.append(
            [
                Cell("Detected victims per 100,000 population"),
                Cell(str(last_rate["year"])),
                observation_cell(last_rate, "rate_per_100k"),
                Cell(
                    f"{source_of([last_rate])}; population: "
                    f"{last_rate.get('population_source') or 'none stored'}"
                ),
            ]
        )
    if rows:
        head.add(
            Table(
                "Headline figures, latest year of each",
                ["Figure", "Year", "Value", "Source"],
                rows,
                source_of(observations(db, list(HEADLINE), c, year=year)),
            )
        )
    else:
        head.add(Paragraph(f"The sources hold no figures for {name}."))

    # Victims by form, sex, age, citizenship over time.
    vic = by_id["victims"]
    for by, what in (
        (None, "Detected victims"),
        ("form", "Detected victims"),
        ("sex", "Detected victims"),
        ("age", "Detected victims"),
        ("citizenship", "Detected victims"),
    ):
        found = observations(db, "victims", c, by, year=year)
        names = names_of(db, found, by)
        title = f"{what} in {name}" + (f" by {by}" if by else "")
        series_block(vic, found, title=title, what=what, where=name, by=by, names=names)

    # Prosecutions and convictions.
    just = by_id["justice"]
    found = observations(db, ["suspects", "prosecuted", "convicted"], c, year=year)
    series_block(
        just,
        found,
        title=f"Suspects, persons prosecuted and convicted, {name}",
        what="Persons prosecuted, convicted and suspected",
        where=name,
        by=None,
        names=names_of(db, found, None),
    )

    # Rates per 100,000.
    series_block(
        by_id["rates"],
        rates,
        title=f"Detected victims per 100,000 population, {name}",
        what="Detected victims per 100,000 population",
        where=name,
        by=None,
        names={**names_of(db, rates, None), "indicator:victims": "Victims per 100,000"},
        measure="rate_per_100k",
        y_title="per 100,000 population",
    )

    # Trends and alerts, with their sentences.
    tr = by_id["trends"]
    trends = stored_trends(db, build_query(indicator="victims", country=[c], year_to=year))
    said = [describe(t) for t in trends if t.status == "ok"]
    said += [
        f"{t.labels.get('subject', t.series)}: {t.reason}"
        for t in trends
        if t.status != "ok" and t.reason
    ]
    items_or(tr, said, f"No trend could be fitted for {name}'s detected victims.")
    # The Alerts page's call for the country (analytics.views.country_alerts), up to the year.
    found_alerts = alerts(db, build_query(indicator="victims", country=[c], year_to=year))
    tr.add(
        Paragraph(
            f"Emerging alerts: series of {name} that rise significantly over the last "
            f"{DEFAULT_WINDOW} years of the data, all its series tested together "
            "(Benjamini–Hochberg)."
        )
    )
    items_or(
        tr,
        [t.reason for t in found_alerts if t.reason],
        f"No series of {name} rises significantly once all its series are tested together.",
    )

    # Flows from citizenship to this country.
    fl = by_id["flows"]
    result = flows(db, countries=[c], year_to=year) if year else flows(db, countries=[c])
    if result.flows:
        fl.add(
            Table(
                f"Detected victims in {name} by citizenship (flows), ranked",
                ["Citizenship", "Years", "Victims"],
                [
                    [
                        Cell(str(f["origin_label"])),
                        Cell(", ".join(map(str, f["years"]))),
                        Cell(
                            str(f["shown"]), "number" if f["status"] == "number" else "suppressed"
                        ),
                    ]
                    for f in result.flows[:15]
                ],
                flow_source(result.flows),
            )
        )
    items_or(fl, list(result.notes), f"No citizenship breakdown is stored for {name}.")
    _shares(ctx, fl, c, name)

    cases.country_section(ctx, by_id["cases"], c, name)
    by_id["estimate"].add(
        Paragraph(
            f"No estimate of hidden victims exists for {name}: the published capture–recapture "
            "tables the hub holds are of other countries, and no linkage project of the hub's own "
            "case records covers it (docs/estimation.md)."
        )
    )

    docs = documents_about(db, PUBLIC, country=f"country:{c}")
    items_or(
        by_id["library"],
        [f"{d['title']}" + (f" ({d['year']})" if d.get("year") else "") for d in docs],
        f"The library holds no public document about {name}.",
    )
    planned.country_projects(ctx, by_id["projects"], c, name)

    notes = comparability(db, list(CBSS_MEMBER_STATES), year_to=year)
    mine = [n for n in notes if c in n.get("countries", []) or n["basis"] != "stored data"]
    items_or(
        by_id["comparability"],
        [f"{n['text']} ({n['attribution']})" for n in mine],
        "No comparability note applies.",
    )
    return Draft(
        title=f"{name}: country profile",
        subtitle="Trafficking in human beings: statistics, trends and evidence",
        sections=sections,
        figures=figures,
    )


def _shares(ctx: BuildContext, section: Section, c: str, name: str) -> None:
    from thbhub.analytics.shares import shares

    tables = shares(ctx.db, countries=[c], by=["sex", "form"], year=ctx.year)
    for t in tables:
        d = t.as_dict()
        section.add(
            Table(
                f"Shares of detected victims in {name} by {d['by']}, {d['year']} "
                f"(of the {d['denominator']}, 95% interval)",
                [d["by"].capitalize(), "Count", "Share %", "95% interval"],
                [
                    [
                        Cell(str(s["label"])),
                        Cell(
                            num(s["count"])
                            if s["status"] in ("number", "zero")
                            else f"c ({num(s['lower'])}–{num(s['upper'])})",
                            "number" if s["status"] in ("number", "zero") else "suppressed",
                        ),
                        Cell(
                            num(s["share"])
                            if s.get("share") is not None
                            else f"{num(s['share_low'])}–{num(s['share_high'])}",
                            "number",
                        ),
                        Cell(f"{num(s['ci_low'])}–{num(s['ci_high'])}", "number"),
                    ]
                    for s in d["shares"]
                ],
                str(d["source"]),
            )
        )
        if d["notes"]:
            section.add(Items(list(d["notes"])))


TITLES = (
    ("headline", "Headline figures"),
    ("victims", "Detected victims by form, sex, age and citizenship"),
    ("justice", "Prosecutions and convictions"),
    ("rates", "Rates per 100,000 population"),
    ("trends", "Trends and alerts"),
    ("flows", "Citizenship flows and shares"),
    ("cases", "Case records (disclosure-controlled)"),
    ("estimate", "Hidden victims"),
    ("library", "Documents in the library"),
    ("projects", "Projects of the strategic plan"),
    ("comparability", "Comparability notes"),
)
