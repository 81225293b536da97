"""The Trends and Alerts pages in headless Chromium over the bundled real member-state data:
the charts are drawn (SVG in each chart's container, the band, the line, the cells), within
the Content-Security-Policy (tests/web_browser_support.py fails on a violation), with no
console error; an alert's link leads to its series' chart."""

from __future__ import annotations

from pathlib import Path

import pytest

from thbhub.demo import load_sample
from thbhub.settings import Settings
from thbhub.storage import Database
from web_browser_support import browser_page, serve

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_trends_and_alerts_pages_draw_the_real_data(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    load_sample(db, settings)
    with serve(settings, db) as url, browser_page(tmp_path) as page:
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))

        page.goto(url + "/trends?indicator=victims&country=FI&by=form")
        assert page.get_by_role("heading", level=1).inner_text() == "Trends"
        charts = page.locator("section.trend div.chart")
        count = charts.count()
        assert count == 3  # labour, sexual and other exploitation in Finland
        page.wait_for_function(
            f"document.querySelectorAll('div.chart[data-rendered=true] svg').length == {count}",
            timeout=60_000,
        )
        first = charts.first
        # The 95% band (an area), the fitted line, the published counts and the suppressed
        # ranges of the real series are drawn.
        assert first.locator("path[aria-roledescription='area mark']").count() == 1
        assert first.locator("path[aria-roledescription='line mark']").count() >= 1
        assert first.locator("[aria-roledescription='point']").count() >= 10
        assert page.locator("div.chart [aria-roledescription='bar']").count() >= 1
        # The table beside the chart, for a reader who cannot see it.
        page.get_by_text("Table of this series").first.click()
        assert "suppressed, fewer than 5" in page.locator("section.trend table").first.inner_text()
        assert page.get_by_role("link", name="CSV").is_visible()

        page.goto(url + "/alerts")
        items = page.locator("li.alert-item")
        assert items.count() >= 5
        page.wait_for_function(
            "document.querySelectorAll('li.alert-item div.chart[data-rendered=true] svg').length"
            " == document.querySelectorAll('li.alert-item').length",
            timeout=60_000,
        )
        assert "Alert: a significant rise" in items.first.inner_text()
        subject = items.first.locator("h3").inner_text()
        items.first.get_by_role("link", name="Trend, chart and table").click()
        page.wait_for_url("**/trends?**series=**")
        page.wait_for_selector("section.trend div.chart[data-rendered=true] svg", timeout=60_000)
        assert page.locator("section.trend h3").inner_text().startswith(subject)
        assert page.locator("tr.selected").count() == 1
        assert not errors, errors
