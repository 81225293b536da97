"""The Plan page in Chromium: the nav link, the coverage matrix with its gaps, the chart
drawn, a project page linking what it builds on, the review report (screenshot kept)."""

from __future__ import annotations

from pathlib import Path

import pytest

from plan_support import SAMPLE
from thbhub.access.users import operator
from thbhub.plan import service
from thbhub.settings import Settings
from thbhub.storage import Database
from web_browser_support import browser_page, serve


def test_plan_pages(settings: Settings, db: Database, tmp_path: Path, backend: str) -> None:
    if backend != "sqlite":
        # The pages read through the services the API tests run on both backends.
        pytest.skip("the browser runs once, on SQLite")
    service.import_portfolio(db, operator(), SAMPLE)
    with serve(settings, db) as base, browser_page(tmp_path / "profile") as page:
        page.goto(f"{base}/")
        page.get_by_role("link", name="Plan", exact=True).click()
        page.wait_for_url(f"{base}/plan")
        assert page.locator("h1").inner_text() == "Strategic plan monitor"
        assert "Example data." in page.locator(".plan-example").inner_text()
        table = page.get_by_role(
            "table", name="Projects, activities and outputs per strategic objective"
        )
        rows = table.locator("tbody tr")
        assert rows.count() == 8
        # Objective 5 (partnerships) has no example project: every year a gap.
        row5 = rows.nth(4)
        assert row5.locator("th").inner_text() == "Ensuring synergies and strategic partnerships"
        assert row5.locator("td.plan-gap").count() == 6
        # Objective 4 in 2026: the handbook project, its training and its handbook.
        assert rows.nth(3).locator("td").nth(1).inner_text() == (
            "1 projects\n1 activities\n1 outputs"
        )
        page.wait_for_selector("div.chart[data-rendered='true'] svg", timeout=30000)
        page.screenshot(path=str(Path(settings.data_dir) / "plan.png"), full_page=True)
        page.screenshot(path="/tmp/plan-page.png", full_page=True)

        page.goto(f"{base}/plan/projects/EX-P2")
        assert (
            "Example: regional evidence base"
            in page.locator("dt:text-is('Builds on') + dd").inner_text()
        )
        page.get_by_role(
            "link", name="Example: trainings on gender-sensitive victim identification"
        ).click()
        page.wait_for_url(f"{base}/plan/projects/EX-P3")

        # A topic page loads the projects carrying the topic (htmx) in place of its link.
        page.goto(f"{base}/topics/form:forced-criminality")
        section = page.locator("section[aria-labelledby='plan-projects']")
        section.wait_for(timeout=15000)
        assert section.get_by_role("link").all_inner_texts() == [
            "Example: handbook on children exploited in forced criminality"
        ]

        page.goto(f"{base}/plan/review?as_of=2026-12-03")
        text = page.locator("main").inner_text()
        assert "Example: frontline professionals trained" in text  # off track
        assert "no activity since it started on 2026-03-01" in text
        assert "Example decisions" in text
        page.screenshot(path="/tmp/plan-review.png", full_page=True)
