"""No output derived from case records bypasses the gate.

Every route of the app is enumerated.  A route whose module reads case records (imports
the cases service or names the case tables) and that anyone other than the owning
organisation may call (public, authenticated, admin) must be marked ``@gated``; owner-only
routes (analyst/contributor, object-checked in the service) are the owner's own raw data.
Marked public routes are then called and their JSON must hold no count in 1..k-1.
"""

from __future__ import annotations

import inspect
import sys
from typing import Any

from fastapi.routing import APIRoute

from thbhub.privacy.gate import is_gated
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.access import Access, declared_access
from thbhub.web.app import create_app

CASE_MARKERS = ("thbhub.cases", "case_frame", "case_records", "schema_cases")
OWNER_ONLY = {Access.analyst, Access.contributor}


def _reads_case_records(endpoint: Any) -> bool:
    module = sys.modules.get(endpoint.__module__)
    source = inspect.getsource(module) if module else ""
    return any(marker in source for marker in CASE_MARKERS)


def case_routes(settings: Settings, db: Database) -> list[tuple[str, Any, Access | None]]:
    app = create_app(settings, db)
    out = []
    for route in app.routes:
        if isinstance(route, APIRoute) and _reads_case_records(route.endpoint):
            out.append((route.path, route.endpoint, declared_access(route.endpoint)))
    return out


def test_every_non_owner_route_over_case_records_is_gated(settings: Settings, db: Database) -> None:
    offenders = [
        f"{path} ({level})"
        for path, endpoint, level in case_routes(settings, db)
        if level not in OWNER_ONLY and not is_gated(endpoint)
    ]
    assert not offenders, f"routes serving case records without the gate: {offenders}"


def test_the_check_can_fail() -> None:
    """A route that reads case records publicly and is not marked is detected."""

    def leaky() -> None:  # pragma: no cover - never called
        """Reads case_frame and returns counts."""

    leaky.__module__ = __name__  # this module names case_frame
    assert _reads_case_records(leaky)
    assert not is_gated(leaky)


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
