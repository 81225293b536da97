"""Type and check a portfolio as read from its files.  The first rule broken is raised as a
:class:`ValidationError` naming file, sheet (YAML), row and field; nothing is written."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from thbhub.domain.errors import Location, UserError, ValidationError
from thbhub.plan.files import RawPortfolio, RawRow
from thbhub.plan.sheets import (
    LIST,
    NOTICE,
    ROW_KEYS,
    SHEETS,
    CellError,
    Field,
    Portfolio,
    parse_cell,
)
from thbhub.stats.query import build_query

#: A statistics query: key=value pairs of /api/v1/observations, joined by '&'.
_STAT_KEYS = frozenset({"indicator", "country", "form", "sex", "age", "citizenship", "from"})


def _at(row: RawRow, field: str) -> Location:
    return Location(row.at.file, row.at.sheet, row.at.row, field)


def typed(
    raw: RawPortfolio, concepts: Collection[str], organisations: Collection[str]
) -> Portfolio:
    """The portfolio with typed values, every rule checked."""
    out: Portfolio = {NOTICE: None}
    try:
        notice = parse_cell(Field(NOTICE, max_length=2000), raw.notice)
    except CellError as exc:
        raise ValidationError(raw.notice_at, str(exc)) from None
    out[NOTICE] = notice
    located: dict[str, list[tuple[RawRow, dict[str, Any]]]] = {}
    for sheet, fields in SHEETS.items():
        rows = []
        for row in raw.sheets.get(sheet, []):
            values = {}
            for field in fields:
                try:
                    values[field.name] = parse_cell(field, row.cells.get(field.name))
                except CellError as exc:
                    raise ValidationError(
                        _at(row, field.name), str(exc), _shown(row.cells.get(field.name))
                    ) from None
                _check_concepts(row, field, values[field.name], concepts)
            rows.append((row, values))
        _check_unique(sheet, rows)
        located[sheet] = rows
    _check_refs(located)
    _check_rules(located, organisations)
    for sheet in SHEETS:
        out[sheet] = [values for _, values in located[sheet]]
    return out


def _shown(value: Any) -> Any:
    if isinstance(value, str) and len(value) > 40:
        return value[:37] + "..."
    return value


def _check_concepts(row: RawRow, field: Field, value: Any, concepts: Collection[str]) -> None:
    """Objectives, principles and sexes are concept ids (``objective:3``); countries are
    ISO codes (``LT``, concept ``country:LT``); ``concepts`` fields take any concept id."""
    if field.scheme is None or value in (None, []):
        return
    for item in value if field.kind == LIST else [value]:
        if field.scheme == "country":
            ok = f"country:{item}" in concepts
        else:
            ok = item in concepts and (field.scheme == "*" or item.startswith(f"{field.scheme}:"))
        if not ok:
            what = {"*": "concept", "country": "country code"}.get(field.scheme, field.scheme)
            raise ValidationError(_at(row, field.name), f"unknown {what}", item)


def _check_unique(sheet: str, rows: list[tuple[RawRow, dict[str, Any]]]) -> None:
    key_fields = ROW_KEYS.get(sheet, ("id",))
    seen: dict[tuple[Any, ...], RawRow] = {}
    for row, values in rows:
        key = tuple(values[k] for k in key_fields)
        if key in seen:
            first = seen[key].at.row
            what = "identifier" if key_fields == ("id",) else "row (" + ", ".join(key_fields) + ")"
            raise ValidationError(
                _at(row, key_fields[0]),
                f"duplicate {what}, first in row {first}",
                _shown(values[key_fields[0]]) if key_fields == ("id",) else None,
            )
        seen[key] = row


def _check_refs(located: dict[str, list[tuple[RawRow, dict[str, Any]]]]) -> None:
    ids = {sheet: {v["id"] for _, v in rows if "id" in v} for sheet, rows in located.items()}
    for sheet, fields in SHEETS.items():
        for field in fields:
            if field.ref is None:
                continue
            for row, values in located[sheet]:
                value = values[field.name]
                for item in value if field.kind == LIST else [value]:
                    if item is not None and item not in ids[field.ref]:
                        noun = {"builds_on": "builds-on project"}.get(
                            field.name, field.ref.rstrip("s").replace("ie", "y")
                        )
                        raise ValidationError(_at(row, field.name), f"unknown {noun}", item)


def _check_rules(
    located: dict[str, list[tuple[RawRow, dict[str, Any]]]], organisations: Collection[str]
) -> None:
    def periods(sheet: str, start: str = "starts", end: str = "ends") -> None:
        for row, v in located[sheet]:
            if v[end] < v[start]:
                raise ValidationError(
                    _at(row, end),
                    f"{sheet.rstrip('s').replace('ie', 'y')} ends before it starts ({v[start]})",
                    v[end].isoformat(),
                )

    periods("presidencies")
    ordered = sorted(located["presidencies"], key=lambda rv: rv[1]["starts"])
    for (_, prev), (row, v) in zip(ordered, ordered[1:], strict=False):
        if v["starts"] <= prev["ends"]:
            raise ValidationError(
                _at(row, "starts"),
                f"presidency overlaps presidency {prev['id']} (until {prev['ends']})",
                v["starts"].isoformat(),
            )
    periods("projects")
    periods("activities")
    projects = {v["id"]: v for _, v in located["projects"]}
    for row, v in located["projects"]:
        if v["id"] in v["builds_on"]:
            raise ValidationError(_at(row, "builds_on"), "a project cannot build on itself")
        if v["owner"] is not None and v["owner"] not in organisations:
            raise ValidationError(_at(row, "owner"), "unknown organisation", v["owner"])
        if (v["budget"] is None) != (v["currency"] is None) and v["budget"] is not None:
            raise ValidationError(_at(row, "currency"), "a budget needs its currency (e.g. EUR)")
        if v["budget"] is not None and v["budget"] < 0:
            raise ValidationError(_at(row, "budget"), "must not be negative", v["budget"])
    _no_cycles(located)
    for row, v in located["activities"]:
        p = projects[v["project"]]
        if v["starts"] < p["starts"] or v["ends"] > p["ends"]:
            raise ValidationError(
                _at(row, "starts" if v["starts"] < p["starts"] else "ends"),
                f"activity outside its project's period ({p['starts']} to {p['ends']})",
                (v["starts"] if v["starts"] < p["starts"] else v["ends"]).isoformat(),
            )
    _within(located["outputs"], projects, "date", "output dated before its project starts")
    for row, v in located["indicators"]:
        if v["target_date"] < v["baseline_date"]:
            raise ValidationError(_at(row, "target_date"), "target date before the baseline date")
        if v["statistics"] is not None:
            _check_statistics(row, v["statistics"])


def _within(
    rows: list[tuple[RawRow, dict[str, Any]]],
    projects: dict[str, dict[str, Any]],
    field: str,
    rule: str,
) -> None:
    for row, v in rows:
        if v[field] < projects[v["project"]]["starts"]:
            raise ValidationError(_at(row, field), rule, v[field].isoformat())


def _no_cycles(located: dict[str, list[tuple[RawRow, dict[str, Any]]]]) -> None:
    graph = {v["id"]: (row, v["builds_on"]) for row, v in located["projects"]}
    state: dict[str, int] = {}

    def visit(key: str, path: list[str]) -> None:
        state[key] = 1
        for earlier in graph[key][1]:
            if state.get(earlier) == 1:
                raise ValidationError(
                    _at(graph[key][0], "builds_on"),
                    "projects build on each other in a circle: "
                    + " -> ".join([*path, key, earlier]),
                )
            if earlier not in state:
                visit(earlier, [*path, key])
        state[key] = 2

    for key in graph:
        if key not in state:
            visit(key, [])


def statistics_kwargs(query: str) -> dict[str, Any]:
    """An indicator's statistics query (``indicator=victims&country=LT``) as the arguments of
    :func:`thbhub.stats.query.build_query`, checked there; UserError when malformed."""
    args: dict[str, list[str]] = {}
    for part in query.split("&"):
        key, sep, value = part.partition("=")
        if not sep or not value or key not in _STAT_KEYS:
            raise UserError(
                "a statistics query is key=value pairs joined by & with keys "
                + ", ".join(sorted(_STAT_KEYS))
            )
        args.setdefault(key, []).append(value)
    kwargs: dict[str, Any] = {k: v for k, v in args.items() if k != "from"}
    if "from" in args:
        try:
            kwargs["year_from"] = int(args["from"][0])
        except ValueError:
            raise UserError("from= takes a year") from None
    build_query(**kwargs, by="year")
    return kwargs


def _check_statistics(row: RawRow, query: str) -> None:
    try:
        statistics_kwargs(query)
    except UserError as exc:
        raise ValidationError(_at(row, "statistics"), str(exc), query) from None
