"""Queries over datasets and observations (statistics area)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import polars as pl
from sqlalchemy import (
    Connection,
    Select,
    and_,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import aliased

from thbhub.domain.observations import TOTAL
from thbhub.storage.database import mark_changed
from thbhub.storage.schema import concept_mappings, concepts, sources
from thbhub.storage.schema_stats import observations, stat_datasets

CELL_COLUMNS = ("indicator", "country", "year", "sex", "age", "form", "citizenship", "extra")
INSERT_BATCH = 5000


def mapping_rows(conn: Connection, source: str) -> list[tuple[str, str, str, str]]:
    """(code, concept id, scheme, relation) of every mapping of one source's codes."""
    q = (
        select(
            concept_mappings.c.code,
            concept_mappings.c.concept_id,
            concepts.c.scheme_id,
            concept_mappings.c.relation,
        )
        .join(concepts, concepts.c.id == concept_mappings.c.concept_id)
        .where(concept_mappings.c.source == source, concepts.c.deprecated.is_(False))
    )
    return [(r[0], r[1], r[2], r[3]) for r in conn.execute(q)]


def place_mappings(
    conn: Connection, schemes: Sequence[str], codes: Sequence[str]
) -> list[tuple[str, str, str]]:
    """(code, concept id, relation) of every source's mappings of the given codes to
    concepts of the given schemes."""
    q = (
        select(concept_mappings.c.code, concept_mappings.c.concept_id, concept_mappings.c.relation)
        .join(concepts, concepts.c.id == concept_mappings.c.concept_id)
        .where(
            concept_mappings.c.code.in_(list(codes)),
            concepts.c.scheme_id.in_(list(schemes)),
            concepts.c.deprecated.is_(False),
        )
        .order_by(concept_mappings.c.code, concept_mappings.c.concept_id)
    )
    return [(r[0], r[1], r[2]) for r in conn.execute(q)]


def extra_key_exists(conn: Connection, key: str) -> bool:
    """Whether any stored cell has the further dimension ``key`` (`key=` in ``extra``)."""
    o = observations
    pattern = or_(
        o.c.extra.startswith(f"{key}=", autoescape=True),
        o.c.extra.contains(f";{key}=", autoescape=True),
    )
    return conn.execute(select(literal(1)).where(pattern).limit(1)).first() is not None


def existing_concepts(conn: Connection, ids: Sequence[str]) -> set[str]:
    """Which of the given ids are concepts (not deprecated)."""
    q = select(concepts.c.id).where(concepts.c.id.in_(list(ids)), concepts.c.deprecated.is_(False))
    return set(conn.scalars(q))


def all_concept_ids(conn: Connection) -> set[str]:
    return set(conn.scalars(select(concepts.c.id).where(concepts.c.deprecated.is_(False))))


def scheme_concepts(conn: Connection, scheme: str) -> list[dict[str, Any]]:
    q = (
        select(concepts.c.id, concepts.c.label_en, concepts.c.attributes)
        .where(concepts.c.scheme_id == scheme, concepts.c.deprecated.is_(False))
        .order_by(concepts.c.position)
    )
    return [dict(r) for r in conn.execute(q).mappings()]


def dataset_for_source(conn: Connection, source_id: int) -> dict[str, Any] | None:
    row = (
        conn.execute(select(stat_datasets).where(stat_datasets.c.source_id == source_id))
        .mappings()
        .first()
    )
    return dict(row) if row else None


def dataset_for_checksum(conn: Connection, key: str, checksum: str) -> dict[str, Any] | None:
    q = (
        select(stat_datasets)
        .join(sources, sources.c.id == stat_datasets.c.source_id)
        .where(sources.c.key == key, sources.c.checksum == checksum)
    )
    row = conn.execute(q).mappings().first()
    return dict(row) if row else None


def create_dataset(conn: Connection, values: dict[str, Any]) -> int:
    row = {**values, "imported_at": datetime.now(UTC)}
    new_id = conn.execute(insert(stat_datasets).returning(stat_datasets.c.id), row).scalar_one()
    return int(new_id)


def finish_dataset(
    conn: Connection, dataset_id: int, rows_stored: int, summary: dict[str, Any]
) -> None:
    conn.execute(
        update(stat_datasets).where(stat_datasets.c.id == dataset_id),
        {"rows_stored": rows_stored, "summary": summary},
    )


def insert_observations(
    conn: Connection,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    progress: Callable[[int], None] | None = None,
) -> None:
    """Bulk insert tuples in ``columns`` order, with each driver's fastest path.

    SQLite: the driver's executemany on prepared tuples.  PostgreSQL: COPY.  Both run on
    the connection's own transaction, so a failure rolls back with the rest of the import.
    """
    unknown = set(columns) - set(observations.columns.keys())
    if unknown:
        raise ValueError(f"not columns of observations: {sorted(unknown)}")
    # Column names are checked against the table above; values go through parameters.
    names = ", ".join(f'"{c}"' for c in columns)
    mark_changed(conn)  # the driver's writes bypass the data version's statement hook
    dbapi = conn.connection.dbapi_connection
    if dbapi is None:  # pragma: no cover - a live Connection always has one
        raise RuntimeError("connection is closed")
    cursor = dbapi.cursor()
    try:
        if conn.dialect.name == "postgresql":
            with cursor.copy(f"COPY observations ({names}) FROM STDIN") as copy:
                for start in range(0, len(rows), INSERT_BATCH):
                    for row in rows[start : start + INSERT_BATCH]:
                        copy.write_row(row)
                    if progress is not None:
                        progress(min(start + INSERT_BATCH, len(rows)))
        else:
            marks = ", ".join("?" for _ in columns)
            sql = f"INSERT INTO observations ({names}) VALUES ({marks})"  # noqa: S608
            for start in range(0, len(rows), INSERT_BATCH):
                cursor.executemany(sql, rows[start : start + INSERT_BATCH])
                if progress is not None:
                    progress(min(start + INSERT_BATCH, len(rows)))
    finally:
        cursor.close()


def insert_observation_frame(
    conn: Connection, frame: pl.DataFrame, progress: Callable[[int], None] | None = None
) -> None:
    """Bulk insert a Polars frame whose columns are observation columns.

    PostgreSQL: the frame is written as CSV by Polars and sent with COPY in one stream (no
    Python call per row).  SQLite: the driver's executemany on the frame's row tuples.
    """
    columns = list(frame.columns)
    if conn.dialect.name != "postgresql":
        insert_observations(conn, columns, frame.rows(), progress)
        return
    unknown = set(columns) - set(observations.columns.keys())
    if unknown:
        raise ValueError(f"not columns of observations: {sorted(unknown)}")
    names = ", ".join(f'"{c}"' for c in columns)
    mark_changed(conn)  # the driver's writes bypass the data version's statement hook
    dbapi = conn.connection.dbapi_connection
    if dbapi is None:  # pragma: no cover - a live Connection always has one
        raise RuntimeError("connection is closed")
    cursor = dbapi.cursor()
    try:
        # Polars quotes empty strings and leaves nulls unquoted and empty: PostgreSQL's CSV
        # reading of exactly those two.
        with cursor.copy(f"COPY observations ({names}) FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(frame.write_csv(include_header=False).encode("utf-8"))
    finally:
        cursor.close()
    if progress is not None:
        progress(frame.height)


def releases(conn: Connection, source_key: str) -> list[dict[str, Any]]:
    """Every imported release of one source: dataset id, version and data file checksum,
    in import order."""
    q = (
        select(stat_datasets.c.id, stat_datasets.c.version, stat_datasets.c.file_checksum)
        .where(stat_datasets.c.source_key == source_key)
        .order_by(stat_datasets.c.id)
    )
    return [dict(r) for r in conn.execute(q).mappings()]


def retire(conn: Connection, retired: Sequence[int], by: int) -> int:
    """Cells of the ``retired`` datasets that dataset ``by`` also reports stop being current.

    The rows stay (queryable by dataset); cells ``by`` does not report keep their value.
    """
    if not retired:
        return 0
    other = aliased(observations)
    same_cell = and_(*(other.c[c] == observations.c[c] for c in CELL_COLUMNS))
    stmt = (
        update(observations)
        .where(
            observations.c.dataset_id.in_(list(retired)),
            observations.c.current.is_(True),
            exists(select(literal(1)).where(other.c.dataset_id == by, same_cell)),
        )
        .values(current=False)
    )
    return int(conn.execute(stmt).rowcount or 0)


def retire_all(conn: Connection, retired: Sequence[int]) -> int:
    """Every current cell of the ``retired`` datasets stops being current (rows stay)."""
    if not retired:
        return 0
    stmt = (
        update(observations)
        .where(observations.c.dataset_id.in_(list(retired)), observations.c.current.is_(True))
        .values(current=False)
    )
    return int(conn.execute(stmt).rowcount or 0)


def datasets(conn: Connection) -> list[dict[str, Any]]:
    """Every dataset with its source, and ``cells_current``: how many of its cells it serves
    (0 once a newer release or a corrected reading of the same file has taken them over)."""
    serving = (
        select(observations.c.dataset_id, func.count().label("cells_current"))
        .where(observations.c.current.is_(True))
        .group_by(observations.c.dataset_id)
        .subquery()
    )
    q = (
        select(
            stat_datasets.c.id,
            stat_datasets.c.source_key,
            stat_datasets.c.importer,
            stat_datasets.c.file_name,
            stat_datasets.c.version,
            stat_datasets.c.imported_at,
            stat_datasets.c.rows_read,
            stat_datasets.c.rows_stored,
            func.coalesce(serving.c.cells_current, 0).label("cells_current"),
            sources.c.publisher,
            sources.c.title,
            sources.c.licence,
        )
        .join(sources, sources.c.id == stat_datasets.c.source_id)
        .outerjoin(serving, serving.c.dataset_id == stat_datasets.c.id)
        .order_by(stat_datasets.c.source_key, stat_datasets.c.id)
    )
    return [dict(r) for r in conn.execute(q).mappings()]


def observation_select(
    *,
    indicators: Sequence[str] = (),
    countries: Sequence[str] = (),
    year_from: int | None = None,
    year_to: int | None = None,
    dims: Mapping[str, Sequence[str]] | None = None,
    by: Sequence[str] = (),
    source_keys: Sequence[str] = (),
    dataset_id: int | None = None,
    extra_keys: Sequence[str] = (),
) -> Select[Any]:
    """The rows answering a query: named dimensions broken down, every other one its total.

    A dimension named in ``by`` excludes its total row; one not named keeps only the total
    (unless filtered to given values).  ``extra`` is the total of every further dimension,
    unless ``extra_keys`` names some: then rows carrying any of them come too, and the
    caller keeps those whose further dimensions are exactly the ones asked for
    (stats.filters.extra_matches).
    """
    o = observations
    q = select(
        o.c.source_key,
        o.c.dataset_id,
        o.c.indicator,
        o.c.country,
        o.c.year,
        o.c.sex,
        o.c.age,
        o.c.form,
        o.c.citizenship,
        o.c.extra,
        o.c.value,
        o.c.status,
        o.c.lower,
        o.c.upper,
        o.c.flags,
        o.c.label,
        o.c.sheet,
        o.c.source_row,
        stat_datasets.c.file_name,
    ).join(stat_datasets, stat_datasets.c.id == o.c.dataset_id)
    if dataset_id is not None:
        q = q.where(o.c.dataset_id == dataset_id)
    else:
        q = q.where(o.c.current.is_(True))
    if indicators:
        q = q.where(o.c.indicator.in_(list(indicators)))
    if countries:
        q = q.where(o.c.country.in_(list(countries)))
    if year_from is not None:
        q = q.where(o.c.year >= year_from)
    if year_to is not None:
        q = q.where(o.c.year <= year_to)
    if source_keys:
        q = q.where(o.c.source_key.in_(list(source_keys)))
    for dim in ("sex", "age", "form", "citizenship"):
        wanted = list((dims or {}).get(dim) or ())
        if wanted:
            q = q.where(o.c[dim].in_(wanted))
        elif dim in by:
            q = q.where(o.c[dim] != TOTAL)
        else:
            q = q.where(o.c[dim] == TOTAL)
    if extra_keys:
        q = q.where(or_(o.c.extra == "", *(o.c.extra.contains(f"{k}=") for k in extra_keys)))
    else:
        q = q.where(o.c.extra == "")
    return q.order_by(o.c.indicator, o.c.country, *(o.c[d] for d in by if d != "year"), o.c.year)


def run_select(conn: Connection, q: Select[Any]) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(q).mappings()]


def population_rows(
    conn: Connection, countries: Sequence[str], years: Sequence[int]
) -> list[dict[str, Any]]:
    """Total population numbers for the countries around the given years, every source."""
    if not countries or not years:
        return []
    o = observations
    q = (
        select(o.c.country, o.c.year, o.c.value, o.c.source_key, o.c.flags)
        .where(
            o.c.current.is_(True),
            o.c.indicator == "indicator:population",
            o.c.country.in_(list(countries)),
            o.c.year.between(min(years) - 5, max(years) + 5),
            o.c.sex == TOTAL,
            o.c.age == TOTAL,
            o.c.form == TOTAL,
            o.c.citizenship == TOTAL,
            o.c.extra == "",
            o.c.status == "number",
        )
        .order_by(o.c.country, o.c.year)
    )
    return [dict(r) for r in conn.execute(q).mappings()]


def observation_counts(conn: Connection) -> dict[str, int]:
    q = select(func.count()).select_from(observations).where(observations.c.current.is_(True))
    return {"observations": int(conn.execute(q).scalar_one())}


def coverage(conn: Connection, countries: Sequence[str]) -> list[dict[str, Any]]:
    """Per country and indicator: first and last year and the number of current cells."""
    o = observations
    q = (
        select(
            o.c.country,
            o.c.indicator,
            func.min(o.c.year).label("first_year"),
            func.max(o.c.year).label("last_year"),
            func.count().label("cells"),
        )
        .where(o.c.current.is_(True), o.c.country.in_(list(countries)))
        .group_by(o.c.country, o.c.indicator)
        .order_by(o.c.country, o.c.indicator)
    )
    return [dict(r) for r in conn.execute(q).mappings()]
