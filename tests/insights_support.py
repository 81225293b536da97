"""A world with the bundled CTDC rows imported by Alpha, and the checks every insight
output must pass: no count in 1..k-1, no ratio from a suppressed or withheld count."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from access_support import World, build_world
from case_support import publish
from thbhub.cases import service
from thbhub.cases.service import import_cases
from thbhub.ingest.sample import sample_dir
from thbhub.settings import Settings
from thbhub.storage import Database

COUNT_FIELDS = (
    "count",
    "in_count",
    "out_count",
    "in_total",
    "out_total",
    "recorded",
    "group_records",
    "other_records",
)


def ctdc_world(
    settings: Settings, db: Database, *, published: bool, path: Path | None = None
) -> World:
    """Alpha imports the bundled CTDC rows (579 real records, or ``path``); published or
    left a draft."""
    w = build_world(settings, db)
    owner = w.principal("contributor")
    import_cases(
        db,
        settings,
        owner,
        path or sample_dir() / "ctdc_global_bsr.csv",
        w.orgs["alpha"],
        fmt="ctdc",
        quarantine=True,
    )
    if published:
        (imported,) = service.imports(db, owner, w.orgs["alpha"])
        publish(db, owner, imported["id"])
        from thbhub.privacy.public import set_published

        set_published(db, owner, w.orgs["alpha"], True)
    return w


def walk(payload: Any) -> list[dict[str, Any]]:
    """Every dict inside ``payload``."""
    found: list[dict[str, Any]] = []
    if isinstance(payload, dict):
        found.append(payload)
        for v in payload.values():
            found += walk(v)
    elif isinstance(payload, list):
        for v in payload:
            found += walk(v)
    return found


def check_gated(payload: Any, k: int) -> int:
    """Fail on a count in 1..k-1 or a ratio beside a missing count; returns how many
    numbers were checked (a walk that checks nothing proves nothing)."""
    checked = 0
    for d in walk(payload):
        for f in COUNT_FIELDS:
            v = d.get(f)
            if isinstance(v, int) and not isinstance(v, bool):
                assert not 1 <= v < k, f"{f}={v} in {d}"
                checked += 1
        if d.get("ratio") is not None:
            needed = [d.get(f) for f in ("in_count", "in_total", "out_count", "out_total")]
            assert None not in needed, f"a ratio from a suppressed count: {d}"
        if "status" in d and d["status"] == "suppressed":
            assert d.get("count") is None and d.get("ratio") is None, d
    return checked


def ready_get(client: Any, url: str, timeout: float = 600.0, **kwargs: Any) -> Any:
    """GET ``url``; while the insights of this data version are being computed in the
    background (503, never computed on a request), wait and ask again."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        r = client.get(url, **kwargs)
        if r.status_code != 503 or time.monotonic() > deadline:
            return r
        assert "being computed" in r.text, r.text
        time.sleep(0.2)
