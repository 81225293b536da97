"""The owner's views over a large import: the real CTDC file (47,102 records) in SQLite,
then the calls behind /cases and the public case-record table, each against a baseline
measured in the same run: one raw ``SELECT`` of the columns the call needs, through the
driver, rows fetched and nothing else done with them.

    .venv/bin/python -m benchmarks.cases_views

A ratio near 1 means the call costs about what reading its data costs; the page /cases
shows seven one-dimension tables from one read, and one page of the list.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

FILE = (
    Path(__file__).resolve().parents[2]
    / "shared/data/ctdc-global-2018/ctdc_global_individual_database_2018.csv"
)
RUNS = 5


def _median(call: Callable[[], Any]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    if not FILE.exists():
        print(f"skipped: {FILE} is not here")
        return
    from thbhub.cases import service
    from thbhub.domain.principals import Principal, Role
    from thbhub.hub import init_hub
    from thbhub.settings import Settings
    from thbhub.storage import Database
    from thbhub.storage.cases import add_organisation

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/views.db"
        settings = Settings(database_url=url, data_dir=Path(tmp), secret_key="benchmark-key-0123")
        db = Database(url)
        init_hub(db, settings)
        with db.begin() as conn:
            org = add_organisation(conn, "bench")
        who = Principal(role=Role.contributor, organisation_id=org, origin="cli")
        service.import_cases(db, settings, who, FILE, org, quarantine=True)

        def raw(columns: str) -> Callable[[], Any]:
            sql = f"SELECT {columns} FROM case_records WHERE organisation_id = {org}"  # noqa: S608

            def fetch() -> Any:
                with db.connect() as conn:
                    return conn.exec_driver_sql(sql).fetchall()

            return fetch

        dims = ("year", "sex", "age", "form", "citizenship", "country", "means")
        cases = [
            (
                "summary by year",
                lambda: service.summary(db, who, org, ["year"]),
                raw("id, year"),
            ),
            (
                "summary by form",
                lambda: service.summary(db, who, org, ["form"]),
                raw("id, forms"),
            ),
            (
                "the seven tables of /cases (one read)",
                lambda: service.summaries(db, who, org, [[d] for d in dims]),
                raw("id, year, sex, age, forms, citizenship, country, means"),
            ),
            (
                "the seven tables of /cases filtered by citizenship and form (facets)",
                lambda: service.faceted_summary(
                    db,
                    who,
                    org,
                    dims,
                    {"citizenship": "country:UA", "form": "form:labour-exploitation"},
                ),
                raw("id, year, sex, age, forms, citizenship, country, means"),
            ),
            (
                "list filtered by means, first page",
                lambda: service.list_cases(db, who, org, means="means:debt-bondage", limit=51),
                raw("id, forms, means"),
            ),
            (
                "analysis frame (case_frame)",
                lambda: service.case_frame(db, who, org),
                raw(
                    "id, year, sex, sex_status, age, age_status, citizenship, "
                    "citizenship_status, country, country_status, forms, forms_status, means, "
                    "sectors, identification"
                ),
            ),
        ]
        print(f"{len(dims)} dimensions, {RUNS} runs each, medians; baseline = raw SELECT")
        for label, call, baseline in cases:
            took, base = _median(call), _median(baseline)
            print(
                f"  {label}: {took * 1000:.0f} ms = {took / base:.1f}x the raw read "
                f"({base * 1000:.0f} ms)"
            )
        db.dispose()


if __name__ == "__main__":
    main()
