"""Queries over case records, their imports and the quarantine."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import polars as pl
from sqlalchemy import (
    JSON,
    Connection,
    Integer,
    Select,
    Text,
    cast,
    insert,
    select,
    update,
)

from thbhub.storage.database import mark_changed
from thbhub.storage.schema import concept_mappings, organisations
from thbhub.storage.schema_cases import case_imports, case_quarantine, case_records

#: Preference among mapping relations when one source code maps to several concepts.
#: `narrow` (the code is narrower than the concept) is a safe generalisation; `broad` (the
#: code covers more than the concept) and `related` are not translations and are left out.
_RELATION_RANK = {"exact": 0, "close": 1, "narrow": 2}


def organisation_id(conn: Connection, name_or_id: str) -> int | None:
    """The id of an organisation given by name (or by its numeric id)."""
    q = select(organisations.c.id)
    if name_or_id.isdigit():
        q = q.where(organisations.c.id == int(name_or_id))
    else:
        q = q.where(organisations.c.name == name_or_id)
    found = conn.execute(q).scalar()
    return int(found) if found is not None else None


def organisation_name(conn: Connection, org_id: int) -> str | None:
    found = conn.execute(select(organisations.c.name).where(organisations.c.id == org_id)).scalar()
    return str(found) if found is not None else None


def add_organisation(
    conn: Connection, name: str, *, country: str | None = None, kind: str = "agency"
) -> int:
    """Insert an organisation row (tests and the demo; `thbhub orgs add` is access's)."""
    values = {"name": name, "country": country, "kind": kind, "created_at": datetime.now(UTC)}
    return int(
        conn.execute(insert(organisations).returning(organisations.c.id), values).scalar_one()
    )


def concept_exists(conn: Connection, concept_id: str) -> bool:
    from thbhub.storage.schema import concepts

    found = conn.execute(select(concepts.c.id).where(concepts.c.id == concept_id)).first()
    return found is not None


def code_table(conn: Connection, source: str) -> dict[str, list[str]]:
    """code -> concept ids of one source, best relation first (see _RELATION_RANK)."""
    q = select(
        concept_mappings.c.code, concept_mappings.c.concept_id, concept_mappings.c.relation
    ).where(
        concept_mappings.c.source == source,
        concept_mappings.c.relation.in_(list(_RELATION_RANK)),
    )
    ranked: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for code, cid, relation in conn.execute(q):
        ranked[code].append((_RELATION_RANK.get(relation, 9), cid))
    return {code: [cid for _, cid in sorted(pairs)] for code, pairs in ranked.items()}


def insert_import(conn: Connection, values: dict[str, Any]) -> int:
    values = {**values, "created_at": datetime.now(UTC)}
    return int(conn.execute(insert(case_imports).returning(case_imports.c.id), values).scalar_one())


def import_by_checksum(conn: Connection, org_id: int, checksum: str) -> dict[str, Any] | None:
    """The organisation's earliest import of a file with this SHA-256, if any."""
    q = (
        select(case_imports.c.id, case_imports.c.created_at, case_imports.c.rows_stored)
        .where(case_imports.c.organisation_id == org_id, case_imports.c.checksum == checksum)
        .order_by(case_imports.c.id)
        .limit(1)
    )
    found = conn.execute(q).mappings().first()
    return dict(found) if found is not None else None


def finish_import(conn: Connection, import_id: int, stored: int, quarantined: int) -> None:
    conn.execute(
        update(case_imports).where(case_imports.c.id == import_id),
        {"rows_stored": stored, "rows_quarantined": quarantined},
    )


JSON_RECORD_COLUMNS = frozenset(c.name for c in case_records.columns if isinstance(c.type, JSON))


def insert_records(
    conn: Connection,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    constants: Mapping[str, Any] | None = None,
) -> int:
    """Bulk-insert case records given as tuples in ``columns`` order.

    ``constants`` are columns with one value for every row (organisation, import, state,
    created_at, and whatever the format leaves constant): on SQLite those that are text,
    whole numbers or NULL are written once into the statement as SQL literals instead of
    being bound again on every row, which is most of the cost of a large import.

    JSON columns arrive already encoded as text and ``created_at`` must be among the
    columns or constants (see :func:`now_value`).  This is the hot path of a 47,000-row
    import, so it talks to the driver directly: executemany on SQLite, COPY on PostgreSQL.
    """
    if not rows:
        return 0
    fixed = dict(constants or {})
    mark_changed(conn)  # the driver's writes bypass the data version's statement hook
    raw = conn.connection.driver_connection
    if conn.dialect.name == "sqlite":
        literals = {k: lit for k, v in fixed.items() if (lit := _sqlite_literal(v)) is not None}
        bound = {k: v for k, v in fixed.items() if k not in literals}
        names = ", ".join([*columns, *bound, *literals])
        marks = ", ".join(["?"] * (len(columns) + len(bound)) + list(literals.values()))
        params: Iterable[Sequence[Any]] = rows
        if bound:
            extra = tuple(bound.values())
            params = ((*row, *extra) for row in rows)
        raw.executemany(f"INSERT INTO case_records ({names}) VALUES ({marks})", params)  # type: ignore[union-attr]  # noqa: S608
    else:
        names = ", ".join([*columns, *fixed])
        extra = tuple(fixed.values())
        with raw.cursor() as cur, cur.copy(f"COPY case_records ({names}) FROM STDIN") as copy:  # type: ignore[union-attr]
            for row in rows:
                copy.write_row((*row, *extra) if extra else row)
    return len(rows)


def _sqlite_literal(value: Any) -> str | None:
    """``value`` as an SQLite literal, or None if it must stay a bound parameter."""
    if value is None:
        return "NULL"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and "\x00" not in value:
        return "'" + value.replace("'", "''") + "'"
    return None


def split_constants(records: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The columns that vary from row to row, and the value of each column that does not
    (given to :func:`insert_records` once rather than per row).  ``source_row`` always stays in the
    frame, so that a one-row file keeps its row."""
    if records.height == 0:
        return records, {}
    constants = {
        c: records[c][0]
        for c in records.columns
        if c != "source_row" and records[c].n_unique() == 1
    }
    return records.drop(list(constants)), constants


def now_value(conn: Connection) -> Any:
    """The current time as the driver stores it for :func:`insert_records`."""
    now = datetime.now(UTC)
    if conn.dialect.name == "sqlite":
        # SQLAlchemy's own SQLite DATETIME text format, so that reads parse it back
        return now.strftime("%Y-%m-%d %H:%M:%S.%f")
    return now


def insert_quarantine(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        now = datetime.now(UTC)
        conn.execute(insert(case_quarantine), [{**r, "created_at": now} for r in rows])


def resolve_quarantine(conn: Connection, org_id: int, ids: Iterable[int]) -> int:
    wanted = list(ids)
    if not wanted:
        return 0
    result = conn.execute(
        update(case_quarantine)
        .where(
            case_quarantine.c.organisation_id == org_id,
            case_quarantine.c.id.in_(wanted),
            case_quarantine.c.resolved_at.is_(None),
        )
        .values(resolved_at=datetime.now(UTC))
    )
    return int(result.rowcount or 0)


def quarantine_rows(conn: Connection, org_id: int) -> list[dict[str, Any]]:
    q = (
        select(case_quarantine)
        .where(case_quarantine.c.organisation_id == org_id, case_quarantine.c.resolved_at.is_(None))
        .order_by(case_quarantine.c.id)
    )
    return [dict(r) for r in conn.execute(q).mappings()]


# state: the public tables read published records only (the import's publication state).
_MATCHABLE = frozenset({"year", "sex", "citizenship", "country", "state"})
RECORD_COLUMNS = [
    c.name for c in case_records.columns if c.name not in ("organisation_id", "created_at")
]


def record_rows(
    conn: Connection,
    org_id: int,
    *,
    ids: Sequence[int] | None = None,
    limit: int | None = None,
    offset: int = 0,
    **match: Any,
) -> list[dict[str, Any]]:
    """An organisation's records, whole, optionally filtered on the scalar dimensions in
    ``match`` (year, sex, citizenship, country; None matches all) or to ``ids``.  Counting
    and analysis read only the columns they need with :func:`record_frame`."""
    q = _matching(select(*[_as_text(n) for n in RECORD_COLUMNS]), org_id, match)
    if ids is not None:
        q = q.where(case_records.c.id.in_(list(ids)))
    q = q.order_by(case_records.c.id).offset(offset)
    if limit is not None:
        q = q.limit(limit)
    decode = _json_decoder()
    rows = []
    for values in conn.execute(q).all():
        row = dict(zip(RECORD_COLUMNS, values, strict=True))
        for name in _JSON_RECORD_NAMES:
            row[name] = decode(row[name])
        rows.append(row)
    return rows


_JSON_RECORD_NAMES = [n for n in RECORD_COLUMNS if n in JSON_RECORD_COLUMNS]


def _as_text(name: str) -> Any:
    """A record column to select; JSON ones as their text, for :func:`_json_decoder`."""
    column = case_records.c[name]
    return cast(column, Text).label(name) if name in JSON_RECORD_COLUMNS else column


def _json_decoder() -> Callable[[str | None], Any]:
    """``json.loads`` remembering what it decoded: the records of a file repeat few JSON
    values (the 47,102 CTDC records hold a few hundred distinct ones over ten columns), and
    decoding each of them again was most of an export's time.  Each call returns its own
    copy, so a caller changing one record's list changes no other record's; values nested
    deeper than one level (events, support plans) are decoded afresh every time."""
    seen: dict[str, Any] = {}

    def decode(text: str | None) -> Any:
        if text is None:
            return None
        if text in seen:
            value = seen[text]
            return list(value) if isinstance(value, list) else dict(value)
        value = json.loads(text)
        flat = isinstance(value, list | dict) and not any(
            isinstance(v, list | dict)
            for v in (value.values() if isinstance(value, dict) else value)
        )
        if flat:
            seen[text] = value
            return list(value) if isinstance(value, list) else dict(value)
        return value

    return decode


def _matching(q: Select[Any], org_id: int, match: Mapping[str, Any]) -> Select[Any]:
    """``q`` narrowed to the organisation's records and the scalar values in ``match``
    (year, sex, citizenship, country, state; None matches all)."""
    q = q.where(case_records.c.organisation_id == org_id)
    for column, value in match.items():
        if column not in _MATCHABLE:
            raise ValueError(f"records are not filtered by {column!r} in SQL")
        if value is not None:
            q = q.where(case_records.c[column] == value)
    return q


def record_frame(
    conn: Connection, org_id: int, columns: Sequence[str], **match: Any
) -> pl.DataFrame:
    """Some columns of an organisation's records (filtered as :func:`record_rows`) as a
    Polars frame, JSON columns as their text (decoded column-wise by the caller: far
    cheaper than row by row)."""
    selected = [
        cast(case_records.c[c], Text).label(c) if c in JSON_RECORD_COLUMNS else case_records.c[c]
        for c in columns
    ]
    q = _matching(select(*selected), org_id, match)
    schema = {
        c: pl.Int64 if isinstance(case_records.c[c].type, Integer) else pl.String for c in columns
    }
    return pl.DataFrame(conn.execute(q.order_by(case_records.c.id)).all(), schema, orient="row")


def import_rows(conn: Connection, org_id: int) -> list[dict[str, Any]]:
    q = (
        select(case_imports)
        .where(case_imports.c.organisation_id == org_id)
        .order_by(case_imports.c.id.desc())
    )
    return [dict(r) for r in conn.execute(q).mappings()]


def country_names(conn: Connection) -> dict[str, str]:
    """English names of the country concepts -> id, to resolve HTCDS templates that store
    names (the single-select template validates citizenship against names)."""
    from thbhub.storage.schema import concept_texts, concepts

    out: dict[str, str] = {}
    q = select(concepts.c.id, concepts.c.label_en).where(concepts.c.scheme_id == "country")
    for cid, label in conn.execute(q):
        out[label] = cid
    alt = select(concept_texts.c.concept_id, concept_texts.c.text).where(
        concept_texts.c.lang == "en",
        concept_texts.c.kind == "alt",
        concept_texts.c.concept_id.like("country:%"),
    )
    for cid, text in conn.execute(alt):
        out.setdefault(text, cid)
    return out


def broader_closure(conn: Connection, scheme: str) -> dict[str, set[str]]:
    """concept id -> itself and every broader concept (transitively), for one scheme."""
    from thbhub.storage.schema import concept_links

    parents: dict[str, set[str]] = defaultdict(set)
    q = select(concept_links.c.concept_id, concept_links.c.target_id).where(
        concept_links.c.relation == "broader", concept_links.c.concept_id.like(f"{scheme}:%")
    )
    for child, parent in conn.execute(q):
        parents[child].add(parent)

    def up(cid: str, seen: set[str]) -> set[str]:
        for p in parents.get(cid, ()):
            if p not in seen:
                seen.add(p)
                up(p, seen)
        return seen

    return {cid: up(cid, {cid}) for cid in list(parents)}
