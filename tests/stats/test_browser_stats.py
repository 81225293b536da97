"""Explore and country pages in headless Chromium, over the bundled real sample."""

from __future__ import annotations

from pathlib import Path

import pytest

from thbhub.hub import init_hub
from thbhub.settings import Settings
from thbhub.storage import Database
from web_browser_support import browser_page, serve

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_explore_and_country_pages(settings: Settings, db: Database, tmp_path: Path) -> None:
    init_hub(db, settings, sample=True)
    with serve(settings, db) as url, browser_page(tmp_path) as page:
        page.goto(url + "/explore?indicator=victims&country=LT&by=form")
        page.wait_for_selector("div.chart[data-rendered=true] svg", timeout=60_000)
        # Suppressed cells are visibly distinct in the table and drawn as ranges in the chart.
        assert page.locator("td.status-suppressed").count() > 0
        assert "suppressed 0–4" in page.locator("td.status-suppressed").first.inner_text()
        assert page.locator("div.chart svg path[aria-roledescription='bar']").count() > 0
        assert page.get_by_role("link", name="CSV").is_visible()

        page.get_by_role("link", name="Germany").first.click()
        page.wait_for_url("**/countries/DE")
        assert page.get_by_role("heading", level=1).inner_text() == "Germany"
        page.wait_for_function(
            "document.querySelectorAll('div.chart[data-rendered=true]').length >= 4",
            timeout=60_000,
        )
        for title in ("Detected victims", "Victims by form of exploitation", "Victims by sex"):
            assert page.get_by_role("heading", name=title).is_visible()
        assert page.get_by_role("heading", name="Prosecutions and convictions").is_visible()
