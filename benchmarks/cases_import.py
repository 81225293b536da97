"""Import of the full CTDC global file (47,106 rows) against merely parsing it with Polars.

    .venv/bin/python -m benchmarks.cases_import            # SQLite (and PostgreSQL when
    scripts/with_postgres.py -- .venv/bin/python -m benchmarks.cases_import   # a server is up)

Targets (issue 5): import <= 5x the Polars parse on SQLite; peak memory < 500 MB.  Each
backend runs in a fresh subprocess so that its peak resident memory is its own.
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
        times = []
        for i in range(RUNS):
            with db.begin() as conn:
                org = add_organisation(conn, f"bench {i}")
            who = Principal(role=Role.contributor, organisation_id=org, origin="cli")
            start = time.perf_counter()
            result = service.import_cases(db, settings, who, FILE, org, quarantine=True)
            times.append(time.perf_counter() - start)
            assert result["rows_stored"] == 47102, result
        db.dispose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"import": statistics.median(times), "peak_mb": peak_mb}))


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


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        _child(sys.argv[2])
    else:
        main()
