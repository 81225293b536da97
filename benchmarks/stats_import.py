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
RUNS = 5
TARGET = {"sqlite": 3.0, "postgresql": 4.0}


def read_only() -> None:
    import fastexcel

    fastexcel.read_excel(FILE).load_sheet(0, header_row=2).to_polars()


def main() -> None:
    if not FILE.exists():
        print(f"skipped: {FILE} is not here")
        return
    importer = get_importer("glotip")
    read_only()  # warm the reader, the imports and the file cache
    for backend in backends():
        reads: list[float] = []
        imports: list[float] = []
        stored = 0
        # Alternate reading and importing so that both see the same machine load; the
        # minimum of each is the least disturbed measurement of its intrinsic cost.
        for _ in range(RUNS):
            reads.append(timed(read_only))
            with fresh_database(backend) as (db, settings):
                result: list[int] = []

                def run(db=db, settings=settings, result=result) -> None:  # type: ignore[no-untyped-def]
                    result.append(importer.run(db, settings, FILE).rows_stored)

                imports.append(timed(run))
                stored = result[0]
        ratio = min(imports) / min(reads)
        verdict = "ok" if ratio <= TARGET[backend] else "ABOVE TARGET"
        print(
            f"{backend:10s} read sheet {min(reads):.3f} s, import {stored} cells "
            f"{min(imports):.3f} s (best of {RUNS}; medians {median(reads):.3f} / "
            f"{median(imports):.3f} s): ratio {ratio:.2f}x "
            f"(target <= {TARGET[backend]:.0f}x) {verdict}"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
