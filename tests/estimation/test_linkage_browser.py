"""The linkage projects page in a real browser: the public sees the gated number seen and
the estimate from the gated overlap table; a member signed in also the true overlap table,
and leaves the project with its button."""

from __future__ import annotations

from pathlib import Path

import pytest

from access_support import PASSWORD
from estimation.linkage_support import PROJECT, build_project
from thbhub.domain.principals import PUBLIC
from thbhub.estimation.project_estimates import project_estimate
from thbhub.settings import Settings
from thbhub.storage import Database
from web_browser_support import browser_page, serve


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_projects_page_shows_the_estimate_and_the_table_only_to_members(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    p = build_project(settings, db, tmp_path)
    public = project_estimate(db, settings, PUBLIC, PROJECT, n_boot=0)
    with serve(settings, db) as url, browser_page(tmp_path / "chromium") as page:
        page.goto(url + "/estimates")
        page.get_by_role("link", name="Estimates from the hub's own case records").click()
        section = page.locator("section.project")
        assert PROJECT in section.inner_text()
        assert section.locator("td.estimate").inner_text() == f"{public['estimate']:,.0f}"
        assert section.locator("td.observed").inner_text() == str(public["observed"])
        assert section.locator("table.overlap").count() == 0
        assert page.get_by_role("button", name="Leave this project").count() == 0
        page.goto(url + "/login?next=/estimates/projects")
        page.get_by_label("E-mail").fill(p.world.emails["contributor"])
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(url + "/estimates/projects")
        overlap = page.locator("table.overlap")
        assert overlap.count() == 1
        assert overlap.locator("tbody tr").last.inner_text().split() == ["yes", "yes", "15"]
        assert page.locator("td.observed").inner_text() == "65"
        page.get_by_role("button", name="Leave this project").click()
        page.wait_for_url(url + "/estimates/projects")
        assert "left " + PROJECT in page.content()
        assert page.locator("table.overlap").count() == 0
