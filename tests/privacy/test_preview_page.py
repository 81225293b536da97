"""The owner's preview page shows people labels, as the public table does."""

from __future__ import annotations

import pytest

from access_support import browser_client, build_world
from thbhub.cases.service import import_cases
from thbhub.ingest.sample import sample_dir
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.app import create_app


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_preview_page_shows_labels(settings: Settings, db: Database) -> None:
    world = build_world(settings, db)
    path = sample_dir() / "ctdc_global_bsr.csv"
    alpha = world.orgs["alpha"]
    import_cases(db, settings, world.principal("contributor"), path, alpha, quarantine=True)
    client = browser_client(create_app(settings, db), world, "analyst")
    page = client.get("/privacy/preview", params={"by": "sex"})
    assert page.status_code == 200
    assert "<td>Female</td>" in page.text and "sex:female" not in page.text
