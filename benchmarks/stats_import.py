"""Import of the full UNODC GLOTIP release against merely reading the same sheet.

    .venv/bin/python -m benchmarks.stats_import      (SQLite; PostgreSQL too under
    scripts/with_postgres.py, as `make benchmark` runs it)

Baseline: fastexcel (calamine, the fastest reader installed) loading the sheet into a
DataFrame.  Import: `glotip` importer into a fresh database (parse, resolve every code,
sum repeated keys, store in one transaction).  Targets: <= 3x on SQLite, <= 4x on PostgreSQL.
"""

from __future__ import annotations

import sys

from benchmarks._stats_support import SHARED, backends, fresh_database, median, timed
from thbhub.ingest.registry import get_importer

FILE = SHARED / "unodc-glotip" / "data_glotip.xlsx"
RUNS = 3
TARGET = {"sqlite": 3.0, "postgresql": 4.0}


def read_only() -> None:
    import fastexcel

    fastexcel.read_excel(FILE).load_sheet(0, header_row=2).to_polars()


def main() -> None:
    if not FILE.exists():
        print(f"skipped: {FILE} is not here")
        return
    importer = get_importer("glotip")
    read_only()  # warm the reader and the file cache
    baseline = median([timed(read_only) for _ in range(RUNS)])
    print(f"read sheet (fastexcel): {baseline:.3f} s (median of {RUNS})")
    for backend in backends():
        times = []
        rows = 0
        for _ in range(RUNS):
            with fresh_database(backend) as (db, settings):
                result: list[int] = []

                def run(db=db, settings=settings, result=result) -> None:  # type: ignore[no-untyped-def]
                    summary = importer.run(db, settings, FILE)
                    result.append(summary.rows_stored)

                times.append(timed(run))
                rows = result[0]
        took = median(times)
        ratio = took / baseline
        verdict = "ok" if ratio <= TARGET[backend] else "ABOVE TARGET"
        print(
            f"{backend:10s} import {rows} cells: {took:.3f} s (median of {RUNS}); "
            f"ratio {ratio:.2f}x (target <= {TARGET[backend]:.0f}x) {verdict}"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
