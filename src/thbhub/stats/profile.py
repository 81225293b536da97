"""Country statistics page: the headline series of one CBSS member state."""

from __future__ import annotations

from typing import Any

from thbhub.domain.concepts import CBSS_MEMBER_STATES
from thbhub.domain.errors import NotFoundError
from thbhub.stats.charts import series_chart
from thbhub.stats.query import build_query, labels, query_observations
from thbhub.storage import Database

#: (section id, title, indicators, breakdown) of each headline series.
SECTIONS: tuple[tuple[str, str, tuple[str, ...], str | None], ...] = (
    ("victims", "Detected victims", ("victims",), None),
    ("victims-form", "Victims by form of exploitation", ("victims",), "form"),
    ("victims-sex", "Victims by sex", ("victims",), "sex"),
    ("victims-age", "Victims by age", ("victims",), "age"),
    ("justice", "Prosecutions and convictions", ("prosecuted", "convicted"), None),
)


def country_profile(db: Database, code: str) -> dict[str, Any]:
    """Rows, a chart spec and a status count per headline series of one member state."""
    country = code.upper()
    if country not in CBSS_MEMBER_STATES:
        raise NotFoundError(
            f"no country page for {code!r}; CBSS member states: {', '.join(CBSS_MEMBER_STATES)}"
        )
    name = labels(db, [f"country:{country}"]).get(f"country:{country}", country)
    sections = []
    for key, title, indicators, by in SECTIONS:
        query = build_query(
            indicator=list(indicators),
            country=country,
            by="year" if by is None else f"year,{by}",
        )
        rows = query_observations(db, query)
        ids = {r["indicator"] for r in rows} | {r[by] for r in rows if by}
        names = labels(db, sorted(ids))
        spec = (
            series_chart(
                [{**r, "country": None} for r in rows],
                series_dim=by,
                labels=names,
                title=f"{title}, {name}",
            )
            if rows
            else None
        )
        counts: dict[str, int] = {}
        for r in rows:
            counts[r["status"]] = counts.get(r["status"], 0) + 1
        sections.append(
            {
                "id": key,
                "title": title,
                "by": by,
                "rows": rows,
                "labels": names,
                "chart": spec,
                "statuses": counts,
                "sources": sorted({r["source"] for r in rows}),
            }
        )
    return {"country": country, "name": name, "sections": sections}


def member_states(db: Database) -> list[dict[str, str]]:
    ids = [f"country:{c}" for c in CBSS_MEMBER_STATES]
    names = labels(db, ids)
    return [{"code": c, "name": names.get(f"country:{c}", c)} for c in CBSS_MEMBER_STATES]
