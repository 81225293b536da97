"""Queries of the strategic plan monitor: the portfolio is written and read whole (a few
hundred rows), keyed by the identifiers of the secretariat's spreadsheet."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from thbhub.storage.schema import organisations
from thbhub.storage.schema_plan import (
    PORTFOLIO_TABLES,
    plan_activities,
    plan_indicator_values,
    plan_indicators,
    plan_info,
    plan_outputs,
    plan_participants,
    plan_partners,
    plan_presidencies,
    plan_priorities,
    plan_projects,
    plan_reviews,
)


def replace_portfolio(
    conn: Connection, portfolio: Mapping[str, Any], org_ids: Mapping[str, int]
) -> dict[str, int]:
    """Delete the stored portfolio and write ``portfolio`` (typed, validated) in its place,
    inside the caller's transaction; returns rows written per sheet."""
    for table in reversed(PORTFOLIO_TABLES):
        conn.execute(delete(table))
    conn.execute(update(plan_info).where(plan_info.c.id == 1), {"notice": portfolio["notice"]})
    ids: dict[str, dict[str, int]] = {}

    def add(table: Any, rows: list[dict[str, Any]], sheet: str) -> None:
        ids[sheet] = {}
        for row in rows:
            new_id = conn.execute(insert(table).returning(table.c.id), row).scalar_one()
            if "key" in row:
                ids[sheet][row["key"]] = new_id

    add(
        plan_presidencies,
        [{"key": r["id"], **_pick(r, "name", "starts", "ends")} for r in portfolio["presidencies"]],
        "presidencies",
    )
    add(
        plan_priorities,
        [
            {
                "key": r["id"],
                "presidency_id": ids["presidencies"][r["presidency"]],
                **_pick(r, "title", "objectives"),
            }
            for r in portfolio["priorities"]
        ],
        "priorities",
    )
    project_fields = [
        "title",
        "description",
        "lead",
        "partners",
        "countries",
        "starts",
        "ends",
        "budget",
        "currency",
        "funder",
        "objectives",
        "principles",
        "concepts",
        "status",
        "builds_on",
        "public",
    ]
    add(
        plan_projects,
        [
            {
                "key": r["id"],
                "organisation_id": org_ids[r["owner"]] if r["owner"] else None,
                **_pick(r, *project_fields),
            }
            for r in portfolio["projects"]
        ],
        "projects",
    )
    add(
        plan_activities,
        [
            {
                "key": r["id"],
                "project_id": ids["projects"][r["project"]],
                **_pick(r, "type", "title", "starts", "ends", "country", "concepts"),
            }
            for r in portfolio["activities"]
        ],
        "activities",
    )
    rows = [
        {
            "activity_id": ids["activities"][r["activity"]],
            "sex": r["sex"] or "",
            **_pick(r, "sector", "country", "count"),
        }
        for r in portfolio["participants"]
    ]
    if rows:
        conn.execute(insert(plan_participants), rows)
    add(
        plan_outputs,
        [
            {
                "key": r["id"],
                "project_id": ids["projects"][r["project"]],
                "document_id": r["document"],
                **_pick(r, "type", "title", "date", "url", "concepts"),
            }
            for r in portfolio["outputs"]
        ],
        "outputs",
    )
    indicator_fields = "title objectives unit baseline baseline_date target target_date"
    add(
        plan_indicators,
        [
            {"key": r["id"], **_pick(r, *indicator_fields.split(), "statistics")}
            for r in portfolio["indicators"]
        ],
        "indicators",
    )
    rows = [
        {"indicator_id": ids["indicators"][r["indicator"]], **_pick(r, "date", "value", "note")}
        for r in portfolio["indicator_values"]
    ]
    if rows:
        conn.execute(insert(plan_indicator_values), rows)
    add(
        plan_reviews,
        [
            {"key": r["id"], **_pick(r, "date", "title", "findings", "decisions", "public")}
            for r in portfolio["reviews"]
        ],
        "reviews",
    )
    return {sheet: len(portfolio[sheet]) for sheet in portfolio if sheet != "notice"}


def _pick(row: Mapping[str, Any], *names: str) -> dict[str, Any]:
    return {n: row[n] for n in names}


def read_portfolio(conn: Connection) -> dict[str, Any]:
    """The stored portfolio as typed rows per sheet, in file order (by identifier)."""
    p = plan_projects
    orgs = dict(conn.execute(select(organisations.c.id, organisations.c.name)).all())
    out: dict[str, Any] = {"notice": conn.execute(select(plan_info.c.notice)).scalar()}
    presidency = dict(conn.execute(select(plan_presidencies.c.id, plan_presidencies.c.key)).all())
    project = dict(conn.execute(select(p.c.id, p.c.key)).all())
    activity = dict(conn.execute(select(plan_activities.c.id, plan_activities.c.key)).all())
    indicator = dict(conn.execute(select(plan_indicators.c.id, plan_indicators.c.key)).all())

    def rows(table: Any, order: Any) -> list[dict[str, Any]]:
        return [dict(r) for r in conn.execute(select(table).order_by(*order)).mappings()]

    out["presidencies"] = [
        {"id": r["key"], **_pick(r, "name", "starts", "ends")}
        for r in rows(plan_presidencies, [plan_presidencies.c.starts, plan_presidencies.c.key])
    ]
    out["priorities"] = [
        {
            "id": r["key"],
            "presidency": presidency[r["presidency_id"]],
            **_pick(r, "title", "objectives"),
        }
        for r in rows(plan_priorities, [plan_priorities.c.key])
    ]
    out["projects"] = [
        {
            "id": r["key"],
            **{k: v for k, v in r.items() if k not in ("id", "key", "organisation_id")},
            "owner": orgs.get(r["organisation_id"]) if r["organisation_id"] else None,
        }
        for r in rows(p, [p.c.key])
    ]
    out["activities"] = [
        {
            "id": r["key"],
            "project": project[r["project_id"]],
            **_pick(r, "type", "title", "starts", "ends", "country", "concepts"),
        }
        for r in rows(plan_activities, [plan_activities.c.key])
    ]
    out["participants"] = [
        {
            "activity": activity[r["activity_id"]],
            "sex": r["sex"] or None,
            **_pick(r, "sector", "country", "count"),
        }
        for r in rows(plan_participants, [plan_participants.c.id])
    ]
    out["outputs"] = [
        {
            "id": r["key"],
            "project": project[r["project_id"]],
            "document": r["document_id"],
            **_pick(r, "type", "title", "date", "url", "concepts"),
        }
        for r in rows(plan_outputs, [plan_outputs.c.key])
    ]
    out["indicators"] = [
        {"id": r["key"], **{k: v for k, v in r.items() if k not in ("id", "key")}}
        for r in rows(plan_indicators, [plan_indicators.c.key])
    ]
    out["indicator_values"] = [
        {"indicator": indicator[r["indicator_id"]], **_pick(r, "date", "value", "note")}
        for r in rows(plan_indicator_values, [plan_indicator_values.c.id])
    ]
    out["reviews"] = [
        {"id": r["key"], **{k: v for k, v in r.items() if k not in ("id", "key")}}
        for r in rows(plan_reviews, [plan_reviews.c.date, plan_reviews.c.key])
    ]
    return out


def plan_row(conn: Connection) -> dict[str, Any]:
    return dict(conn.execute(select(plan_info)).mappings().one())


def partner_rows(conn: Connection) -> list[dict[str, Any]]:
    q = select(plan_partners).order_by(plan_partners.c.position)
    return [dict(r) for r in conn.execute(q).mappings()]


def project_owner(conn: Connection, key: str) -> tuple[int, int | None] | None:
    """(id, owning organisation) of a project, or None."""
    row = conn.execute(
        select(plan_projects.c.id, plan_projects.c.organisation_id).where(
            plan_projects.c.key == key
        )
    ).first()
    return None if row is None else (row[0], row[1])


def set_project_status(conn: Connection, project_id: int, status: str) -> None:
    conn.execute(update(plan_projects).where(plan_projects.c.id == project_id), {"status": status})


def organisation_ids(conn: Connection) -> dict[str, int]:
    return {
        name: oid for oid, name in conn.execute(select(organisations.c.id, organisations.c.name))
    }


def organisation_kind(conn: Connection, organisation_id: int) -> str | None:
    return conn.execute(
        select(organisations.c.kind).where(organisations.c.id == organisation_id)
    ).scalar()
