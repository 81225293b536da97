"""Import of the full CTDC global file (47,106 rows) against merely parsing it with Polars.

    .venv/bin/python -m benchmarks.cases_import            # SQLite (and PostgreSQL when
    scripts/with_postgres.py -- .venv/bin/python -m benchmarks.cases_import   # a server is up)

Targets (issue 5): import <= 5x the Polars parse on SQLite; peak memory < 500 MB.  Each
backend runs in a fresh subprocess so that its peak resident memory is its own.

Besides the ratio it prints where the time goes, measured in the same run: reading,
validating and mapping the file (``ctdc.read``) against the parse, and storing against a
second baseline, the *bare insert*: the same rows, as the import hands them to the driver,
written into a table of the same columns without keys, indexes or constraints (executemany
on SQLite, COPY on PostgreSQL) and committed.  That floor is what any one-row-per-record
store pays on this machine before it does any of its own work.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

FILE = (
    Path(__file__).resolve().parents[2]
    / "shared/data/ctdc-global-2018/ctdc_global_individual_database_2018.csv"
)
RUNS = 3


def _parse_seconds() -> float:
    import polars as pl

    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        pl.read_csv(FILE, infer_schema=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _child(url: str) -> None:
    """One backend: a migrated database, then RUNS imports (each into a fresh organisation,
    each one transaction); prints JSON with the median import time and peak RSS."""
    import resource

    from thbhub.cases import service
    from thbhub.domain.principals import Principal, Role
    from thbhub.hub import init_hub
    from thbhub.settings import Settings
    from thbhub.storage import Database
    from thbhub.storage.cases import add_organisation

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=url, data_dir=Path(tmp), secret_key="benchmark-key-0123")
        db = Database(url)
        init_hub(db, settings)
        times: list[float] = []
        for i in range(RUNS):
            with db.begin() as conn:
                org = add_organisation(conn, f"bench {i}")
            who = Principal(role=Role.contributor, organisation_id=org, origin="cli")
            start = time.perf_counter()
            result = service.import_cases(db, settings, who, FILE, org, quarantine=True)
            times.append(time.perf_counter() - start)
            assert result["rows_stored"] == 47102, result
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        read, floor, engine = _phases(db)
        db.dispose()
    print(
        json.dumps(
            {
                "import": statistics.median(times),
                "peak_mb": peak_mb,
                "read": read,
                "floor": floor,
                "engine": engine,
            }
        )
    )


def _phases(db: Any) -> tuple[float, float, float]:
    """Median seconds of ``ctdc.read`` alone, of the bare insert of its records, and of the
    database's own write of them into ``case_records`` (see :func:`_engine_write`)."""
    from thbhub.cases import ctdc
    from thbhub.cases.vocab import Vocab
    from thbhub.storage.cases import split_constants

    with db.connect() as conn:
        vocab = Vocab.load(conn)
    reads = []
    for _ in range(RUNS):
        start = time.perf_counter()
        parsed = ctdc.read(FILE, vocab)
        reads.append(time.perf_counter() - start)
    # The columns that vary, as the import binds them (constants go into the statement once).
    frame, constants = split_constants(parsed.records)
    names = ", ".join(frame.columns)
    floors = []
    for i in range(RUNS):
        raw = db.engine.raw_connection()
        try:
            cur = raw.cursor()
            start = time.perf_counter()
            if db.is_sqlite:
                cur.execute("BEGIN")
                cur.execute(f"CREATE TABLE bare_{i} ({names})")
                cur.executemany(
                    f"INSERT INTO bare_{i} VALUES ({', '.join('?' * len(frame.columns))})",  # noqa: S608
                    frame.rows(),
                )
                cur.execute("COMMIT")
            else:
                types = ", ".join(
                    f"{c} {'bigint' if frame[c].dtype.is_integer() else 'text'}"
                    for c in frame.columns
                )
                cur.execute(f"CREATE TABLE bare_{i} ({types})")
                with cur.copy(f"COPY bare_{i} ({names}) FROM STDIN") as copy:
                    for row in frame.iter_rows():
                        copy.write_row(row)
                raw.commit()
            floors.append(time.perf_counter() - start)
        finally:
            raw.close()
    engine = [_engine_write(db, frame, constants, i) for i in range(RUNS)]
    return statistics.median(reads), statistics.median(floors), statistics.median(engine)


def _engine_write(db: Any, frame: Any, constants: dict[str, Any], i: int) -> float:
    """Seconds the database itself takes to write the records into the real table.

    The rows are first copied, untimed, into a table of their own; the timed part is one
    ``INSERT INTO case_records ... SELECT`` from it and the commit, so nothing of Python or
    the driver is in it: only the engine building each row, checking its keys and
    maintaining the indexes.  No importer of this schema can store the file faster.
    """
    from thbhub.storage.cases import add_organisation, insert_import, now_value

    with db.begin() as conn:
        org = add_organisation(conn, f"engine {i}")
        import_id = insert_import(
            conn,
            {
                "organisation_id": org,
                "file_name": FILE.name,
                "format": "ctdc",
                "checksum": "-",
                "rows_read": frame.height,
                "rows_stored": 0,
                "rows_quarantined": 0,
                "imported_by": None,
                "options": {},
            },
        )
        fixed = {**constants, "organisation_id": org, "import_id": import_id, "state": "draft"}
        fixed["created_at"] = now_value(conn)
    names = ", ".join(frame.columns)
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(f"CREATE TABLE staged_{i} AS SELECT {names} FROM case_records WHERE false")  # noqa: S608
        if db.is_sqlite:
            marks = ", ".join("?" * len(frame.columns))
            cur.executemany(f"INSERT INTO staged_{i} VALUES ({marks})", frame.rows())  # noqa: S608
        else:
            with cur.copy(f"COPY staged_{i} ({names}) FROM STDIN") as copy:
                for row in frame.iter_rows():
                    copy.write_row(row)
        raw.commit()
        params = list(fixed.values())
        mark = "?" if db.is_sqlite else "%s"
        select_list = ", ".join([*frame.columns, *[mark] * len(params)])
        start = time.perf_counter()
        cur.execute(
            f"INSERT INTO case_records ({names}, {', '.join(fixed)}) "  # noqa: S608
            f"SELECT {select_list} FROM staged_{i} ORDER BY source_row",
            params,
        )
        raw.commit()
        return time.perf_counter() - start
    finally:
        raw.close()


def _run_backend(url: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.cases_import", "--child", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    if not FILE.exists():
        print(f"skipped: {FILE} is not here")
        return
    parse = _parse_seconds()
    print(f"Polars parse of {FILE.name}: {parse * 1000:.0f} ms (median of {RUNS})")
    backends = {}
    with tempfile.TemporaryDirectory() as tmp:
        backends["sqlite"] = _run_backend(f"sqlite:///{tmp}/bench.db")
    pg_admin = os.environ.get("THBHUB_TEST_POSTGRES_URL")
    if pg_admin:
        from sqlalchemy import create_engine, text

        name = f"thbhub_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(pg_admin, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            backends["postgresql"] = _run_backend(pg_admin.rsplit("/", 1)[0] + "/" + name)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    else:
        print("postgresql: skipped (run under scripts/with_postgres.py to include it)")
    for backend, m in backends.items():
        ratio = m["import"] / parse
        verdict = "meets" if ratio <= 5 else "misses"
        print(
            f"{backend}: import {m['import'] * 1000:.0f} ms = {ratio:.1f}x the parse "
            f"({verdict} the 5x target); peak memory {m['peak_mb']:.0f} MB "
            f"({'under' if m['peak_mb'] < 500 else 'OVER'} 500 MB)"
        )
        store = m["import"] - m["read"]
        print(
            f"  read, validate and map: {m['read'] * 1000:.0f} ms = {m['read'] / parse:.1f}x "
            f"the parse; store and commit: {store * 1000:.0f} ms"
        )
        print(
            f"  bare insert of the same rows: {m['floor'] * 1000:.0f} ms = "
            f"{m['floor'] / parse:.1f}x the parse; the store phase is "
            f"{store / m['floor']:.2f}x that floor"
        )
        print(
            f"  the database's own write into case_records (INSERT ... SELECT from staged "
            f"rows): {m['engine'] * 1000:.0f} ms = {m['engine'] / parse:.1f}x the parse; "
            f"read + that write = {(m['read'] + m['engine']) / parse:.1f}x, below which no "
            f"importer of this schema can go"
        )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        _child(sys.argv[2])
    else:
        main()
