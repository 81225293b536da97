"""Services of the plan monitor, shared by the CLI, the API and the pages."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from thbhub.access.audit import record
from thbhub.domain.errors import NotFoundError, PermissionDenied, UserError
from thbhub.domain.principals import Principal
from thbhub.plan import files, monitor
from thbhub.plan.access import is_secretariat, may_edit_project, visible
from thbhub.plan.sheets import SHEETS, Portfolio
from thbhub.plan.validate import statistics_kwargs, typed
from thbhub.stats.query import build_query, query_observations
from thbhub.storage import Database
from thbhub.storage import concepts as cq
from thbhub.storage import plan as q
from thbhub.storage.schema import concepts as concepts_table


def _kind(conn: Connection, principal: Principal) -> str | None:
    if principal.organisation_id is None:
        return None
    return q.organisation_kind(conn, principal.organisation_id)


def _require_secretariat(conn: Connection, principal: Principal, what: str) -> None:
    if not is_secretariat(principal, _kind(conn, principal)):
        raise PermissionDenied(f"only the secretariat may {what} the plan portfolio")


def import_portfolio(db: Database, principal: Principal, path: Path) -> dict[str, Any]:
    """Replace the stored portfolio with the file's (YAML) or the directory's (CSV sheets),
    all or nothing."""
    with db.connect() as conn:
        _require_secretariat(conn, principal, "import")
    return _store(db, principal, files.read(path), str(path))


def _store(
    db: Database, principal: Principal, raw: files.RawPortfolio, name: str
) -> dict[str, Any]:
    with db.begin() as conn:
        _require_secretariat(conn, principal, "import")
        known = set(conn.scalars(select(concepts_table.c.id)))
        orgs = q.organisation_ids(conn)
        portfolio = typed(raw, known, orgs)
        counts = q.replace_portfolio(conn, portfolio, orgs)
        record(
            conn,
            principal,
            "import",
            "plan_portfolio",
            rows=sum(counts.values()),
            detail={"file": Path(name).name, **counts},
        )
    return {"file": name, **counts}


def portfolio(db: Database, principal: Principal) -> Portfolio:
    with db.connect() as conn:
        return visible(q.read_portfolio(conn), principal)


def export_portfolio(db: Database, principal: Principal, path: Path, fmt: str) -> dict[str, Any]:
    """The whole portfolio (internal rows too): the secretariat's."""
    written = files.write(_exported(db, principal, fmt), path, fmt)
    return {"format": fmt, "files": [str(p) for p in written]}


def export_yaml(db: Database, principal: Principal) -> str:
    """The whole portfolio as YAML text (the download of the web's manage page)."""
    return files.yaml_text(_exported(db, principal, "yaml"))


def _exported(db: Database, principal: Principal, fmt: str) -> Portfolio:
    """The whole portfolio, read for an export by the secretariat, and the export audited."""
    with db.begin() as conn:
        _require_secretariat(conn, principal, "export")
        data = q.read_portfolio(conn)
        record(
            conn,
            principal,
            "export",
            "plan_portfolio",
            rows=sum(len(data[s]) for s in SHEETS),
            detail={"format": fmt},
        )
    return data


def objective_rows(conn: Connection, scheme: str = "objective") -> list[dict[str, str]]:
    return [{"id": r["id"], "label": r["label_en"]} for r in cq.concept_rows(conn, scheme)]


def plan_overview(db: Database) -> dict[str, Any]:
    with db.connect() as conn:
        info = q.plan_row(conn)
        return {
            **info,
            "objectives": objective_rows(conn),
            "principles": objective_rows(conn, "principle"),
            "partners": q.partner_rows(conn),
        }


def window(
    db: Database, principal: Principal, year: int | None = None, presidency: str | None = None
) -> monitor.Window:
    with db.connect() as conn:
        info = q.plan_row(conn)
    w = monitor.Window(date(info["first_year"], 1, 1), date(info["last_year"], 12, 31))
    if presidency is not None:
        found = [p for p in portfolio(db, principal)["presidencies"] if p["id"] == presidency]
        if not found:
            raise NotFoundError(f"no presidency {presidency!r}; see `thbhub plan objectives`")
        w = monitor.Window(found[0]["starts"], found[0]["ends"])
    if year is not None:
        if not w.starts.year <= year <= w.ends.year:
            raise UserError(f"year {year} is outside {w.starts.year}-{w.ends.year}")
        w = w.year(year)
    return w


def coverage(
    db: Database,
    principal: Principal,
    year: int | None = None,
    presidency: str | None = None,
    scheme: str = "objective",
) -> list[dict[str, Any]]:
    w = window(db, principal, year, presidency)
    data = portfolio(db, principal)
    with db.connect() as conn:
        ids = [o["id"] for o in objective_rows(conn, scheme)]
    field = "objectives" if scheme == "objective" else "principles"
    return monitor.coverage(data, ids, field, w, scheme)


def objectives(
    db: Database, principal: Principal, year: int | None = None, presidency: str | None = None
) -> list[dict[str, Any]]:
    """Each objective with what serves it in the window: priorities, projects, activities,
    outputs, indicators."""
    w = window(db, principal, year, presidency)
    data = portfolio(db, principal)
    with db.connect() as conn:
        objs = objective_rows(conn)
    cells = monitor.coverage(data, [o["id"] for o in objs], "objectives", w)
    presidencies = {p["id"]: p for p in data["presidencies"]}
    out = []
    for o in objs:
        mine = [c for c in cells if c["objective"] == o["id"]]
        out.append(
            {
                "objective": o["id"],
                "label": o["label"],
                "priorities": sum(
                    1
                    for r in data["priorities"]
                    if o["id"] in r["objectives"]
                    and w.overlaps(
                        presidencies[r["presidency"]]["starts"],
                        presidencies[r["presidency"]]["ends"],
                    )
                ),
                "projects": len(
                    [
                        p
                        for p in monitor.projects_in(data, w)
                        if o["id"] in p["objectives"] and p["status"] != "cancelled"
                    ]
                ),
                "activities": sum(c["activities"] for c in mine),
                "outputs": sum(c["outputs"] for c in mine),
                "indicators": sum(1 for i in data["indicators"] if o["id"] in i["objectives"]),
                "gap_years": ";".join(str(c["year"]) for c in mine if c["gap"]),
            }
        )
    return out


def projects(
    db: Database,
    principal: Principal,
    year: int | None = None,
    presidency: str | None = None,
    objective: str | None = None,
    concept: str | None = None,
) -> list[dict[str, Any]]:
    w = window(db, principal, year, presidency)
    data = portfolio(db, principal)
    acts = monitor.by_project(data["activities"])
    outs = monitor.by_project(data["outputs"])
    rows = []
    for p in monitor.projects_in(data, w):
        if objective is not None and objective not in p["objectives"]:
            continue
        if concept is not None and concept not in _tags(p, acts, outs):
            continue
        rows.append(
            {
                "id": p["id"],
                "title": p["title"],
                "lead": p["lead"],
                "starts": p["starts"],
                "ends": p["ends"],
                "status": p["status"],
                "objectives": ";".join(p["objectives"]),
                "activities": len(acts.get(p["id"], [])),
                "outputs": len(outs.get(p["id"], [])),
                "budget": p["budget"],
                "currency": p["currency"],
                "funder": p["funder"],
            }
        )
    return rows


def _tags(p: dict[str, Any], acts: dict[str, Any], outs: dict[str, Any]) -> set[str]:
    tags = set(p["concepts"]) | set(p["objectives"]) | set(p["principles"])
    for row in acts.get(p["id"], []) + outs.get(p["id"], []):
        tags |= set(row["concepts"])
    return tags


def project(db: Database, principal: Principal, key: str) -> dict[str, Any]:
    data = portfolio(db, principal)
    found = [p for p in data["projects"] if p["id"] == key]
    if not found:
        raise NotFoundError(f"no project {key!r}")
    p = found[0]
    titles = {x["id"]: x["title"] for x in data["projects"]}
    acts = [a for a in data["activities"] if a["project"] == key]
    for a in acts:
        a["participants"] = monitor.participants_of(data, {a["id"]})
    with db.connect() as conn:
        labels = cq.concept_labels(conn, [*p["objectives"], *p["principles"], *p["concepts"]])
        owner = q.project_owner(conn, key)
        kind = _kind(conn, principal)
    return {
        **p,
        "labels": labels,
        "builds_on": [{"id": k, "title": titles.get(k, k)} for k in p["builds_on"]],
        "built_upon_by": [
            {"id": x["id"], "title": x["title"]} for x in data["projects"] if key in x["builds_on"]
        ],
        "activities": acts,
        "outputs": [o for o in data["outputs"] if o["project"] == key],
        "editable": owner is not None and may_edit_project(principal, kind, owner[1]),
    }


#: The project fields a project's editors change on the web or through the API.
EDITABLE = ("title", "description", "status", "starts", "ends", "budget", "currency", "funder")


def may_import(db: Database, principal: Principal) -> bool:
    with db.connect() as conn:
        return is_secretariat(principal, _kind(conn, principal))


def set_status(db: Database, principal: Principal, key: str, status: str) -> dict[str, Any]:
    return edit_project(db, principal, key, {"status": status})


def edit_project(
    db: Database, principal: Principal, key: str, changes: dict[str, Any]
) -> dict[str, Any]:
    """Change fields of one project (:data:`EDITABLE`; an empty text clears an optional one),
    checked by the same rules as an import (its period against its activities, ...)."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise UserError(f"field {unknown[0]!r} cannot be edited here; use {', '.join(EDITABLE)}")
    with db.begin() as conn:
        owner = q.project_owner(conn, key)
        if owner is None:
            raise NotFoundError(f"no project {key!r}")
        if not may_edit_project(principal, _kind(conn, principal), owner[1]):
            raise PermissionDenied(
                "only the secretariat and the contributors of the project's organisation "
                "may change it"
            )
        stored = q.read_portfolio(conn)
        raw = files.raw_from(stored, f"project {key}", key)
        row = next(r for r in raw.sheets["projects"] if r.cells["id"] == key)
        row.cells.update(changes)
        known = set(conn.scalars(select(concepts_table.c.id)))
        orgs = q.organisation_ids(conn)
        portfolio = typed(raw, known, orgs)
        q.replace_portfolio(conn, portfolio, orgs)
        after = next(p for p in portfolio["projects"] if p["id"] == key)
        old = next(p for p in stored["projects"] if p["id"] == key)
        changed = {f: [_plain(old[f]), _plain(after[f])] for f in changes if old[f] != after[f]}
        record(
            conn,
            principal,
            "update",
            "plan_project",
            object_id=key,
            organisation_id=owner[1],
            rows=1,
            detail={"changed": changed},
        )
    return {"id": key, "changed": sorted(changed), **{f: after[f] for f in EDITABLE}}


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def indicators(
    db: Database, principal: Principal, as_of: date | None = None
) -> list[dict[str, Any]]:
    data = portfolio(db, principal)
    day = as_of or date.today()
    return [
        {
            **monitor.indicator_progress(
                i, [v for v in data["indicator_values"] if v["indicator"] == i["id"]], day
            ),
            "objectives": ";".join(i["objectives"]),
            "statistics": i["statistics"],
        }
        for i in data["indicators"]
    ]


def indicator(
    db: Database, principal: Principal, key: str, as_of: date | None = None
) -> dict[str, Any]:
    data = portfolio(db, principal)
    found = [i for i in data["indicators"] if i["id"] == key]
    if not found:
        raise NotFoundError(f"no indicator {key!r}")
    values = sorted(
        (v for v in data["indicator_values"] if v["indicator"] == key), key=lambda v: v["date"]
    )
    return {
        **found[0],
        "values": values,
        "progress": monitor.indicator_progress(found[0], values, as_of or date.today()),
        **_statistics(db, found[0]["statistics"]),
    }


def _statistics(db: Database, query: str | None) -> dict[str, Any]:
    """The observations behind an indicator, by year (its statistics query, with every other
    dimension at its total), or why there are none."""
    if query is None:
        return {"observations": [], "statistics_error": None}
    try:
        rows = query_observations(db, build_query(**statistics_kwargs(query), by="year"))
    except UserError as exc:
        return {"observations": [], "statistics_error": str(exc)}
    return {"observations": rows, "statistics_error": None}


def review(
    db: Database,
    principal: Principal,
    year: int | None = None,
    presidency: str | None = None,
    as_of: date | None = None,
) -> dict[str, Any]:
    w = window(db, principal, year, presidency)
    data = portfolio(db, principal)
    with db.connect() as conn:
        objs = objective_rows(conn)
    return monitor.review_report(data, objs, w, as_of or date.today())
