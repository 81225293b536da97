"""Topic brief: one taxonomy concept (a form of exploitation, a vulnerable group, a means of
control, a country...) across statistics, case records, documents, projects and alerts."""

from __future__ import annotations

from typing import Any

from thbhub.analytics.views import topic_alerts
from thbhub.domain.concepts import CBSS_MEMBER_STATES
from thbhub.domain.errors import UserError
from thbhub.domain.principals import PUBLIC
from thbhub.library.service import documents_about
from thbhub.reports import cases, planned
from thbhub.reports.common import items_or, names_of, series_block
from thbhub.reports.context import BuildContext, Draft
from thbhub.reports.model import Paragraph, Section
from thbhub.stats.query import build_query, query_observations
from thbhub.taxonomy import service as taxonomy

TITLES = (
    ("statistics", "Statistics"),
    ("cases", "Case records (disclosure-controlled)"),
    ("documents", "Documents in the library"),
    ("projects", "Projects of the strategic plan"),
    ("alerts", "Emerging alerts"),
)
#: Schemes whose concepts filter the national statistics (a breakdown of victims).
STAT_FILTERS = {"form": "form", "sex": "sex", "age": "age"}
#: Schemes whose concepts are a dimension of the public case-record tables.
CASE_DIMENSIONS = {"sex": "sex", "age": "age", "country": "country"}


def build(ctx: BuildContext, concept_id: str) -> Draft:
    db, year = ctx.db, ctx.year
    c = taxonomy.get_concept(db, concept_id)
    label, scheme = str(c["label"]), str(c["scheme"])
    sections = [Section(i, t) for i, t in TITLES]
    by_id = {s.id: s for s in sections}
    figures: dict[str, Any] = {}

    st = by_id["statistics"]
    if c.get("definitions", {}).get("en"):
        st.add(Paragraph(str(c["definitions"]["en"])))
    dim = STAT_FILTERS.get(scheme)
    if dim is not None:
        try:
            rows = query_observations(
                db,
                build_query(
                    indicator="victims",
                    country=list(CBSS_MEMBER_STATES),
                    year_to=year,
                    by="year",
                    form=concept_id if dim == "form" else None,
                    sex=concept_id if dim == "sex" else None,
                    age=concept_id if dim == "age" else None,
                ),
            )
        except UserError as exc:
            rows = []
            st.add(Paragraph(f"The statistics have no breakdown for this concept: {exc}"))
        names = names_of(db, rows, None)
        series_block(
            st,
            rows,
            title=f"Detected victims, {label}, by member state",
            what=f"Detected victims ({label})",
            where="the member states",
            by=None,
            names=names,
            empty=f"No member state's statistics break victims down by {label}.",
        )
        figures["cells"] = len(rows)
    elif scheme == "country" and concept_id.split(":", 1)[-1] in CBSS_MEMBER_STATES:
        st.add(Paragraph(f"See the country profile of {label} for its statistics."))
    else:
        st.add(
            Paragraph(
                f"The national statistics have no breakdown by {scheme}: "
                f"they count victims by form, sex, age and citizenship only."
            )
        )

    ca = by_id["cases"]
    case_dim = CASE_DIMENSIONS.get(scheme)
    if case_dim is None:
        ca.add(
            Paragraph(
                f"The public case-record tables have no {scheme} dimension (they are "
                "by year, sex, age, citizenship and country of exploitation)."
            )
        )
    else:
        cases.filtered_section(ctx, ca, case_dim, concept_id, f"about {label}")

    docs = documents_about(db, PUBLIC, concept=concept_id)
    items_or(
        by_id["documents"],
        [
            f"{d['title']}"
            + (f" ({d['year']})" if d.get("year") else "")
            + (f" — “{d['evidence']}”" if d.get("evidence") else "")
            for d in docs
        ],
        f"The library holds no public document tagged {label}.",
    )
    planned.topic_projects(ctx, by_id["projects"], concept_id, label)
    found = topic_alerts(db, scheme, [concept_id, *(n["id"] for n in c.get("narrower", []))])
    items_or(
        by_id["alerts"],
        [t.reason for t in found if t.reason],
        f"No series about {label} rises significantly.",
    )
    return Draft(
        title=f"{label}: topic brief",
        subtitle=f"Topic {concept_id} across the evidence base",
        sections=sections,
        figures=figures,
    )
