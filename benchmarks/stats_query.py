"""A country x form x year query on 1,000,000 generated observations, on both backends.

    .venv/bin/python -m benchmarks.stats_query   (PostgreSQL too under scripts/with_postgres.py)

Measures the service call behind `thbhub query observations --country LT --by year,form`
and `GET /api/v1/observations` (query building, SQL, row shaping), and the same SQL run
directly on the database through the driver.  Target: p95 <= 50 ms on both backends.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert

from benchmarks._stats_support import backends, fresh_database, p95
from thbhub.domain.concepts import REQUIRED_FORM_IDS
from thbhub.domain.observations import INDICATORS
from thbhub.stats.query import build_query, query_observations
from thbhub.stats.store import COLUMNS
from thbhub.storage import Database
from thbhub.storage import observations as q
from thbhub.storage.schema import sources

# Real codes: the query resolves every filter value against the taxonomy.
COUNTRIES = [
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IS", "IE",
    "IT", "LV", "LI", "LT", "LU", "MT", "NL", "NO", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
    "CH", "GB", "AL", "BA", "ME", "MK", "RS", "TR", "UA", "MD", "BY", "RU", "GE", "AM", "AZ",
    "KZ", "UZ", "KG", "TJ", "TM", "MN", "CN", "VN", "TH", "PH", "NG", "GH", "US",
]  # fmt: skip
YEARS = list(range(2000, 2024))
FORMS = ["total", *REQUIRED_FORM_IDS]
SEXES = ["total", "sex:female", "sex:male", "sex:unknown"]
AGES = ["total", "age:child"]
QUERIES = 300
TARGET_MS = 50.0


def generate(db: Database, target: int = 1_000_000) -> int:
    rng = random.Random(7)
    with db.begin() as conn:
        source_id = conn.execute(
            insert(sources).returning(sources.c.id),
            {
                "key": "bench",
                "publisher": "benchmark",
                "title": "generated",
                "checksum": "0" * 64,
                "registered_at": datetime.now(UTC),
            },
        ).scalar_one()
        dataset_id = q.create_dataset(
            conn,
            {
                "source_id": source_id,
                "source_key": "bench",
                "importer": "bench",
                "file_name": "generated",
                "rows_read": 0,
                "rows_stored": 0,
                "summary": {},
            },
        )
        rows: list[tuple[Any, ...]] = []
        for indicator in INDICATORS:
            for country in COUNTRIES:
                for year in YEARS:
                    for form in FORMS:
                        for sex in SEXES:
                            for age in AGES:
                                if len(rows) >= target:
                                    break
                                hidden = rng.random() < 0.4
                                value = None if hidden else float(rng.randint(5, 900))
                                rows.append(
                                    (
                                        dataset_id,
                                        "bench",
                                        indicator,
                                        country,
                                        year,
                                        sex,
                                        age,
                                        form,
                                        "total",
                                        "",
                                        value,
                                        "suppressed" if hidden else "number",
                                        0.0 if hidden else value,
                                        4.0 if hidden else value,
                                        "",
                                        "generated",
                                        None,
                                        len(rows) + 2,
                                        True,
                                    )
                                )
        q.insert_observations(conn, COLUMNS, rows)
        if db.dialect == "postgresql":
            conn.exec_driver_sql("ANALYZE observations")
        else:
            conn.exec_driver_sql("ANALYZE")
    return len(rows)


def main() -> None:
    rng = random.Random(11)
    for backend in backends():
        with fresh_database(backend) as (db, _settings):
            start = time.perf_counter()
            n = generate(db)
            print(
                f"{backend:10s} generated {n:,} observations in {time.perf_counter() - start:.1f} s"
            )
            picks = [rng.choice(COUNTRIES) for _ in range(QUERIES)]
            service: list[float] = []
            direct: list[float] = []
            rows = 0
            for country in picks:
                query = build_query(indicator="victims", country=country, by="year,form")
                t = time.perf_counter()
                result = query_observations(db, query)
                service.append((time.perf_counter() - t) * 1000)
                rows = len(result)
                stmt = q.observation_select(
                    indicators=query.indicators, countries=query.countries, by=query.by
                )
                sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
                raw = db.engine.raw_connection()
                try:
                    t = time.perf_counter()
                    cursor = raw.cursor()
                    cursor.execute(sql)
                    cursor.fetchall()
                    direct.append((time.perf_counter() - t) * 1000)
                    cursor.close()
                finally:
                    raw.close()
            s95, d95 = p95(service), p95(direct)
            verdict = "ok" if s95 <= TARGET_MS else "ABOVE TARGET"
            print(
                f"{backend:10s} country x form x year ({rows} rows): service p95 {s95:.1f} ms, "
                f"direct SQL p95 {d95:.1f} ms, ratio {s95 / d95:.2f}x; "
                f"target p95 <= {TARGET_MS:.0f} ms {verdict}"
            )


if __name__ == "__main__":
    main()
