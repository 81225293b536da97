"""No output derived from case records bypasses the gate.

Every route of the app is enumerated.  A route whose handler reads case records (its code,
or a hub module whose name it uses, calls the cases service or names the case tables) and
that is open to the public must be marked ``@gated``.  Routes behind a log-in serve raw
records only to callers the access policy lets read them (the owner and organisations it
shares with: the access area's route-matrix and isolation tests); those are not
"outputs" in the gate's sense.  Marked public routes are then called over real case
records and must show no count in 1..k-1.
"""

from __future__ import annotations

import inspect
import re
import sys
import time
from typing import Any

from fastapi.routing import APIRoute

from thbhub.privacy.gate import is_gated
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.access import Access, declared_access, iter_routes
from thbhub.web.app import create_app

CASE_MARKERS = ("thbhub.cases", "case_frame", "schema_cases", "storage.cases")
#: Infrastructure every route uses; it names case records only as an object type.
INFRASTRUCTURE = ("thbhub.web.access", "thbhub.web.deps", "thbhub.access.", "thbhub.domain.")


def _mentions_cases(source: str) -> bool:
    return any(marker in source for marker in CASE_MARKERS)


def _reads_case_records(endpoint: Any) -> bool:
    """The handler's own code, or a thbhub module whose name it uses, reads case records."""
    try:
        own = inspect.getsource(endpoint)
    except (OSError, TypeError):
        own = ""
    own = own[own.find("def ") :]  # the decorators (e.g. Access.public) are not the code
    if _mentions_cases(own):
        return True
    module = sys.modules.get(endpoint.__module__)
    names = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", own))
    for name in names:
        obj = getattr(module, name, None) if module else None
        used = obj if inspect.ismodule(obj) else inspect.getmodule(obj) if obj else None
        if used is None or not used.__name__.startswith("thbhub."):
            continue
        if used.__name__.startswith(INFRASTRUCTURE):
            continue
        try:
            if _mentions_cases(inspect.getsource(used)):
                return True
        except (OSError, TypeError):
            continue
    return False


def case_routes(settings: Settings, db: Database) -> list[tuple[str, Any, Access | None]]:
    app = create_app(settings, db)
    out = []
    for route in iter_routes(app):
        if isinstance(route, APIRoute) and _reads_case_records(route.endpoint):
            out.append((route.path, route.endpoint, declared_access(route.endpoint)))
    return out


def test_every_non_owner_route_over_case_records_is_gated(settings: Settings, db: Database) -> None:
    offenders = [
        f"{path} ({level})"
        for path, endpoint, level in case_routes(settings, db)
        if level is Access.public and not is_gated(endpoint)
    ]
    assert not offenders, f"routes serving case records without the gate: {offenders}"


def test_the_check_can_fail() -> None:
    """A route that reads case records publicly and is not marked is detected."""

    def leaky() -> None:  # pragma: no cover - never called
        """Returns counts straight from case_frame."""

    assert _reads_case_records(leaky)
    assert not is_gated(leaky)


def test_routes_reading_case_records_are_found(settings: Settings, db: Database) -> None:
    paths = {path for path, _, _ in case_routes(settings, db)}
    assert "/api/v1/privacy/case-tables" in paths  # through thbhub.privacy.public
    assert "/api/v1/cases/summary" in paths  # the owner's raw aggregates
    assert "/api/v1/privacy/policy" not in paths


def test_gated_public_routes_never_show_a_small_count(settings: Settings, db: Database) -> None:
    from access_support import build_world
    from case_support import publish
    from thbhub.cases.service import import_cases
    from thbhub.ingest.sample import sample_dir
    from thbhub.privacy.public import set_published

    world = build_world(settings, db)
    owner = world.principal("contributor")
    csv = sample_dir() / "ctdc_global_bsr.csv"
    done = import_cases(db, settings, owner, csv, world.orgs["alpha"], fmt="ctdc", quarantine=True)
    set_published(db, owner, world.orgs["alpha"], True)
    publish(db, owner, done["import_id"])  # unpublished records would show only zeros
    k = settings.disclosure_threshold
    routes = [
        (path, level)
        for path, endpoint, level in case_routes(settings, db)
        if is_gated(endpoint) and "{" not in path
    ]
    assert routes
    from fastapi.testclient import TestClient

    with TestClient(create_app(settings, db)) as client:
        for path, _level in routes:
            for by in ("", "sex", "sex,age", "citizenship", "year,country", "organisation,age"):
                response = client.get(path, params={"by": by})
                for _ in range(3000):  # insights are computed in the background (503 meanwhile)
                    if response.status_code != 503 or "being computed" not in response.text:
                        break
                    time.sleep(0.2)
                    response = client.get(path, params={"by": by})
                assert response.status_code == 200, (path, by, response.text[:200])
                if response.headers["content-type"].startswith("application/json"):
                    shown = counts_in(response.json())
                else:
                    shown = [int(n) for n in re.findall(r'class="num">(\d+)<', response.text)]
                small = [n for n in shown if 0 < n < k]
                assert not small, (path, by, small)


def counts_in(payload: Any) -> list[int]:
    """Every integer under a key named like a count in a JSON payload."""
    found: list[int] = []
    if isinstance(payload, dict):
        for key, value in payload.items():
            if key in ("count", "n", "value") and isinstance(value, int):
                found.append(value)
            else:
                found += counts_in(value)
    elif isinstance(payload, list):
        for item in payload:
            found += counts_in(item)
    return found
