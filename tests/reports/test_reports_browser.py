"""A visitor downloads the country profile as PDF from the country page, in Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

from thbhub.demo import load_sample
from thbhub.settings import Settings
from thbhub.storage import Database
from web_browser_support import browser_page, serve


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_download_a_country_profile_and_the_regional_overview(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    load_sample(db, settings)
    with serve(settings, db) as base, browser_page(tmp_path / "chromium") as page:
        page.goto(f"{base}/countries/LV")
        with page.expect_download() as info:
            page.get_by_role("link", name="PDF").first.click()
        saved = tmp_path / "lv.pdf"
        info.value.save_as(saved)
        assert info.value.suggested_filename == "thbhub-country-LV-edition-1.pdf"
        assert saved.read_bytes().startswith(b"%PDF-")
        page.goto(f"{base}/countries")
        page.get_by_role("link", name="Regional overview").click()
        with page.expect_download() as info:
            page.locator("#region + p").get_by_role("link", name="Markdown").click()
        saved = tmp_path / "region.md"
        info.value.save_as(saved)
        assert saved.read_text().startswith("# Baltic Sea Region: regional overview")
        # The HTML report in the browser: styled and its chart drawn, under its own
        # Content-Security-Policy (browser_page fails on any violation).
        page.goto(f"{base}/api/v1/reports/region?format=html")
        color = page.eval_on_selector("h1", "e => getComputedStyle(e).color")
        assert color == "rgb(11, 61, 99)"
        width = page.eval_on_selector("figure img", "e => e.naturalWidth")
        assert width > 500
