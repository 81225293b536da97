"""The Insights page in Chromium on the bundled real CTDC records: the four charts are drawn
under the strict CSP (no violation, nothing fetched from elsewhere), suppressed cells are
shown as suppressed, and the profile form changes the group."""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from insights_support import ctdc_world
from thbhub.settings import Settings
from thbhub.storage import Database
from web_browser_support import browser_page, serve


def wait_until_ready(address: str, timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(address) as response:  # noqa: S310 - the test server
                if response.status == 200:
                    return
        except urllib.error.HTTPError as e:
            if e.code != 503:
                raise
        time.sleep(0.5)
    raise AssertionError(f"{address} was not ready in {timeout} s")


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_insights_page_in_chromium(settings: Settings, db: Database, tmp_path: Path) -> None:
    ctdc_world(settings, db, published=True)
    with serve(settings, db) as url, browser_page(tmp_path) as page:
        # The lattices are computed in the background: 503 "being computed" meanwhile.
        wait_until_ready(url + "/insights")
        page.goto(url + "/insights", timeout=600_000, wait_until="domcontentloaded")
        assert page.get_by_role("heading", level=1).inner_text() == "Insights from case records"
        # Profile, matrix and journeys; the breakdown's chart only where a share exists (on
        # these rows the recruiter denominators are suppressed: the table says so).
        drawn = page.locator("div.chart[data-spec]").count()
        assert drawn >= 3
        page.wait_for_function(
            f"document.querySelectorAll('div.chart[data-rendered=true]').length === {drawn}",
            timeout=300_000,
        )
        assert page.locator("div.chart svg").count() == drawn
        # Suppressed cells are said to be suppressed (the real records have small cells).
        assert page.locator(".status-suppressed").count() > 0
        shot = os.environ.get("THBHUB_INSIGHTS_SCREENSHOT")
        if shot:
            page.screenshot(path=shot, full_page=True)
        page.get_by_role("textbox", name="Group").fill("citizenship=MD")
        page.get_by_role("button", name="Show").first.click()
        page.wait_for_url("**/insights?group=citizenship*", timeout=600_000)
        assert "Group citizenship=country:MD" in page.locator("main").inner_text()
