"""The Flows and Shares pages in headless Chromium over the bundled GLOTIP extract: the
Sankey-style chart renders under the strict CSP, the ranked table and the share tables show
suppressed cells as such."""

from __future__ import annotations

from pathlib import Path

import pytest

from shares_support import load_bundled
from thbhub.settings import Settings
from thbhub.storage import Database
from web_browser_support import browser_page, serve

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_flows_and_shares_in_chromium(
    settings: Settings, db: Database, db_url: str, tmp_path: Path
) -> None:
    load_bundled(db_url)
    with serve(settings, db) as url, browser_page(tmp_path) as page:
        page.goto(url + "/flows")
        page.wait_for_selector("div.chart[data-rendered=true]", timeout=30_000)
        assert page.locator("div.chart svg path").count() > 30  # one curve per flow drawn
        first = page.locator("#flows-table tbody tr").first.locator("td")
        assert first.nth(1).inner_text().startswith("Germany")  # 136 nationals, DE 2020
        assert first.nth(4).inner_text() == "136"
        assert page.get_by_text("fewer than 5 (suppressed)").count() > 10
        page.screenshot(path=str(tmp_path / "flows.png"), full_page=True)
        page.get_by_role("link", name="shares by sex, age, form and citizenship").click()
        page.wait_for_url("**/shares")
        assert page.get_by_role("heading", level=1).inner_text().startswith("Shares of victims")
        page.goto(url + "/shares?country=LV&country=LT&year=2019")
        assert page.get_by_role("heading", name="LV, 2019: by sex").is_visible()
        assert page.get_by_text("What is not comparable between these countries").is_visible()
