"""Insights over the real CTDC file (47,102 records) stored in the hub, against the same
counts computed with Polars straight from the file, in the same run (docs/insights.md).

* baseline: Polars reads the CSV and counts, for the group "forced labour" and the rest,
  every characteristic of the profile (sex, age, citizenship, country, sector, means,
  recruiter flags): the counts a profile needs, no gate;
* (a) what a user meets after a publication: the lattices of the data version stored
  (``thbhub insights compute``, or the server's background thread), a profile read from
  them by a new process (nothing in memory: the stored cells read from SQLite), and again
  (in memory);
* (b) the one-time computation per data version (every lattice built, suppressed, audited
  and stored), split into the gate's suppression and audit (``protect``,
  ``protect_extension``, ``protect_across``: the floor any gated answer pays) and the rest
  (records read, lattices built, published cells stored);
* pages: p95 of fresh renders (page cache off, 20 requests each) of the Insights page and
  the API routes with the lattices ready, and of the first request after a restart.

    nice -n 19 .venv/bin/python -m benchmarks.insights_speed [--keep /tmp/insights.db]

``--keep PATH`` keeps the SQLite database there and reuses it next time (no import).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
    "/api/v1/insights/profile?group=sex=sex:male",
    "/api/v1/insights/means",
    "/api/v1/insights/means?form=form:sexual-exploitation",
    "/api/v1/insights/breakdown?field=recruiter&across=sex",
    "/api/v1/insights/breakdown?field=means&across=form",
    "/api/v1/insights/journeys",
    "/api/v1/insights/journeys?where=sex=sex:female",
)
#: Where the one-time computation goes: (module, function) -> part.  The gate's
#: suppression and audit (privacy/gate.py calls them) are the floor any gated answer pays.
CLOCKED = {
    ("thbhub.privacy.gate", None, "protect"): "gate: suppression + audit",
    ("thbhub.privacy.gate", None, "protect_extension"): "gate: suppression + audit",
    ("thbhub.privacy.gate", None, "protect_across"): "gate: suppression + audit",
    # Lattice.build is the extensions' build too (Extension inherits it).
    ("thbhub.privacy.lattice", "Lattice", "build"): "gate: lattice built",
    ("thbhub.cases.service", None, "case_frame"): "records read",
    ("thbhub.privacy.public", None, "snapshot"): "public version kept",
    ("thbhub.insights.store", "Published", "of"): "published cells taken",
    ("thbhub.insights.store", "StoredLattices", "write"): "published cells stored",
}


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


@contextmanager
def clocks() -> Iterator[dict[str, float]]:
    """Time spent in each part of :data:`CLOCKED` while inside (wrappers, put back after)."""
    import importlib

    spent = dict.fromkeys(CLOCKED.values(), 0.0)
    put_back = []
    for (module, cls, name), part in CLOCKED.items():
        owner = importlib.import_module(module)
        if cls:
            owner = getattr(owner, cls)
        raw = owner.__dict__[name] if cls else getattr(owner, name)
        put_back.append((owner, name, raw))
        function = raw.__func__ if isinstance(raw, classmethod) else raw

        def timed_call(*args: Any, _f: Any = function, _p: str = part, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return _f(*args, **kwargs)
            finally:
                spent[_p] += time.perf_counter() - start

        setattr(
            owner, name, classmethod(timed_call) if isinstance(raw, classmethod) else timed_call
        )
    try:
        yield spent
    finally:
        for owner, name, raw in put_back:
            setattr(owner, name, raw)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the SQLite database here")
    parser.add_argument(
        "--pages-only",
        action="store_true",
        help="with --keep: only (a) and the pages, on the lattices stored by an earlier run",
    )
    args = parser.parse_args()
    if not FILE.exists():
        print(f"skipped: {FILE} is not here")
        return 0
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "insights.db"
        run(path, Path(tmp), args.pages_only and path.exists())
    return 0


def run(path: Path, tmp: Path, pages_only: bool = False) -> None:

    from case_support import publish
    from thbhub.cases import service as cases
    from thbhub.domain.principals import Principal, Role
    from thbhub.hub import init_hub
    from thbhub.privacy.public import set_published
    from thbhub.settings import Settings
    from thbhub.storage import Database
    from thbhub.storage.cases import add_organisation
    from thbhub.storage.database import mark_changed
    from thbhub.storage.schema_insights import insights_lattices

    url = f"sqlite:///{path}"
    reuse = path.exists()
    settings = Settings(
        database_url=url,
        data_dir=tmp,
        secret_key="benchmark-key-0123",
        public_tables_refresh_seconds=0,
    )
    db = Database(url)
    init_hub(db, settings)
    if not reuse:
        with db.begin() as conn:
            org = add_organisation(conn, "ctdc")
        who = Principal(role=Role.contributor, organisation_id=org, origin="cli")
        result = cases.import_cases(db, settings, who, FILE, org, quarantine=True)
        publish(db, who, result["import_id"])
        set_published(db, who, org, True)
        print(f"stored {result['rows_stored']:,} records")
    else:
        print(f"reusing {path}")
    baseline = min(timed(polars_counts) for _ in range(3))
    print(f"polars on the file:     {baseline * 1000:9.1f} ms  (baseline, best of 3)")
    if not pages_only:
        with db.begin() as conn:  # (b) measures the computation: nothing stored before it
            conn.execute(insights_lattices.delete())
            mark_changed(conn)
        one_time(db, settings, baseline)
    pages(db, settings, baseline)


def one_time(db: Any, settings: Any, baseline: float) -> None:
    from thbhub.insights import service
    from thbhub.insights.lattices import NAMES
    from thbhub.insights.store import StoredLattices
    from thbhub.privacy.public import ProtectedTables

    # (b) The one-time computation of the data version, lattice by lattice.
    cache, stored = ProtectedTables(), StoredLattices()
    source = service.lattices(db, settings, None, None, cache, stored=stored)
    each: dict[str, float] = {}
    with clocks() as spent:
        records = timed(source._cases)
        for name in NAMES:
            each[name] = timed(lambda n=name: source.get(n))  # type: ignore[misc]
    total = records + sum(each.values())
    audit = spent["gate: suppression + audit"]
    print(f"(b) one-time per version: {total:7.1f} s  ({total / baseline:6.1f}x polars)")
    print(f"    insights' records read    {records:7.1f} s  (before the lattices)")
    for name, seconds in each.items():
        print(f"    {name:25} {seconds:7.1f} s")
    print("  by part:")
    for part, seconds in spent.items():
        print(f"    {part:25} {seconds:7.1f} s  ({seconds / baseline:6.1f}x polars)")
    rest = total - audit
    print(f"    all but the audit         {rest:7.1f} s  ({rest / baseline:6.1f}x polars)")
    other = total - sum(spent.values())
    print(f"    the rest (frames, ...)    {other:7.1f} s")


def pages(db: Any, settings: Any, baseline: float) -> None:
    from fastapi.testclient import TestClient

    from thbhub.insights import service
    from thbhub.insights.store import StoredLattices
    from thbhub.privacy.public import ProtectedTables
    from thbhub.web.app import create_app

    # (a) What a user meets on stored data.
    def profile(memory: StoredLattices) -> dict[str, Any]:
        lattices = service.lattices(db, settings, None, None, ProtectedTables(), stored=memory)
        return service.group_profile(lattices, GROUP)

    first = min(timed(lambda: profile(StoredLattices())) for _ in range(3))
    memory = StoredLattices()
    profile(memory)
    warm = min(timed(lambda: profile(memory)) for _ in range(5))
    body = profile(memory)
    print(f"(a) profile, stored, new process: {first * 1000:7.1f} ms  ({first / baseline:5.2f}x)")
    print(f"    profile, stored, in memory:   {warm * 1000:7.1f} ms  ({warm / baseline:5.2f}x)")
    print(f"    {len(body['comparisons'])} comparisons, audited: {body['audited']}")

    # Pages: fresh renders (no page cache) with the lattices stored.
    fresh = settings.model_copy(update={"page_cache_entries": 0})
    with TestClient(create_app(fresh, db)) as client:
        gc.freeze()  # as `thbhub serve` does once the app is built (cli/core.py)
        for route in ROUTES:
            restart = timed(lambda r=route: client.get(r))  # type: ignore[misc]
            times = [timed(lambda r=route: client.get(r)) for _ in range(20)]  # type: ignore[misc]
            status = client.get(route).status_code
            print(
                f"fresh p95 {p95(times) * 1000:7.1f} ms  after restart {restart * 1000:7.1f} ms"
                f"  [{status}]  {route}"
            )


if __name__ == "__main__":
    raise SystemExit(main())
