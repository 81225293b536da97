"""Insights over the real CTDC file (47,102 records) stored in the hub, against the same
counts computed with Polars straight from the file, in the same run (docs/insights.md).

* baseline: Polars reads the CSV and counts, for the group "forced labour" and the rest,
  every characteristic of the profile (sex, age, citizenship, country, sector, means,
  recruiter flags): the counts a profile needs, no gate;
* hub, cold: a profile from a new data version: the records read from SQLite, the gated
  lattices built, suppressed and audited (once per data version);
* hub, warm: the same profile from the lattices of the current data version (what every
  request after the first one does);
* pages: p95 of the Insights page and the four API routes, each asked 20 times with the
  CTDC file published (the first answer renders, the others come from the page cache per
  data version, as for every public page), and p95 of fresh renders (page cache off).

    .venv/bin/python -m benchmarks.insights_speed
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

FILE = (
    Path(__file__).resolve().parents[2]
    / "shared/data/ctdc-global-2018/ctdc_global_individual_database_2018.csv"
)
GROUP = "form=form:labour-exploitation"
ROUTES = (
    "/insights",
    f"/api/v1/insights/profile?group={GROUP}",
    "/api/v1/insights/means",
    "/api/v1/insights/breakdown?field=recruiter&across=sex",
    "/api/v1/insights/journeys",
)


def timed(call: Callable[[], Any]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def polars_counts() -> int:
    frame = pl.read_csv(FILE, infer_schema_length=0)
    flag = pl.col("isForcedLabour")
    flags = [c for c in frame.columns if c.startswith(("meansOfControl", "typeOfLabour", "recr"))]
    tables = [
        frame.group_by([flag, pl.col(c)]).len()
        for c in ("gender", "ageBroad", "citizenship", "CountryOfExploitation")
    ]
    tables += [frame.group_by([flag, pl.col(c)]).len() for c in flags]
    return sum(t.height for t in tables)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def main() -> int:
    if not FILE.exists():
        print(f"skipped: {FILE} is not here")
        return 0
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from fastapi.testclient import TestClient

    from case_support import publish
    from thbhub.cases import service as cases
    from thbhub.domain.principals import Principal, Role
    from thbhub.hub import init_hub
    from thbhub.insights import service
    from thbhub.insights.lattices import EXTENSIONS
    from thbhub.privacy.public import ProtectedTables, set_published
    from thbhub.settings import Settings
    from thbhub.storage import Database
    from thbhub.storage.cases import add_organisation
    from thbhub.web.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/insights.db"
        settings = Settings(database_url=url, data_dir=Path(tmp), secret_key="benchmark-key-0123")
        db = Database(url)
        init_hub(db, settings)
        with db.begin() as conn:
            org = add_organisation(conn, "ctdc")
        who = Principal(role=Role.contributor, organisation_id=org, origin="cli")
        result = cases.import_cases(db, settings, who, FILE, org, quarantine=True)
        publish(db, who, result["import_id"])
        set_published(db, who, org, True)
        print(f"stored {result['rows_stored']:,} records")

        baseline = min(timed(polars_counts) for _ in range(3))
        cache = ProtectedTables()

        def profile() -> dict[str, Any]:
            return service.group_profile(service.lattices(db, settings, None, None, cache), GROUP)

        cold = timed(profile)
        warm = min(timed(profile) for _ in range(5))
        body = profile()
        # The rest of the version's lattices (the other forms, the pairs): what the web's
        # background thread computes after a publication, before any page can show them.
        source = service.lattices(db, settings, None, None, cache)
        each = {name: timed(lambda n=name: source.get(n)) for name in ("anchor", *EXTENSIONS)}
        rest = sum(each.values())
        print(f"polars on the file:   {baseline * 1000:9.1f} ms")
        print(f"hub profile, cold:    {cold * 1000:9.1f} ms  ({cold / baseline:6.1f}x)")
        print(f"hub profile, warm:    {warm * 1000:9.1f} ms  ({warm / baseline:6.2f}x)")
        print(f"  {len(body['comparisons'])} comparisons, audited: {body['audited']}")
        print(f"every other lattice:  {rest * 1000:9.1f} ms  (background, once per version)")
        for name, seconds in each.items():
            print(f"  {name:26} {seconds * 1000:9.1f} ms")

        for entries, label in ((settings.page_cache_entries, "page cache on"), (0, "fresh")):
            app_settings = settings.model_copy(update={"page_cache_entries": entries})
            with TestClient(create_app(app_settings, db)) as client:
                client.app.state.privacy_tables = cache  # type: ignore[attr-defined]
                for route in ROUTES:
                    client.get(route)  # the first render of this data version
                    times = [timed(lambda r=route: client.get(r)) for _ in range(20)]  # type: ignore[misc]
                    print(f"{label:14} p95 {p95(times) * 1000:7.1f} ms  {route}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
