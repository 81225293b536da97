"""In headless Chromium: log in (a wrong password first), reach the admin pages, create an
API token shown once, log out."""

from __future__ import annotations

from pathlib import Path

import pytest

from access_support import PASSWORD, build_world
from thbhub.settings import Settings
from thbhub.storage import Database
from web_browser_support import browser_page, serve

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_log_in_and_out_in_chromium(settings: Settings, db: Database, tmp_path: Path) -> None:
    world = build_world(settings, db)
    with serve(settings, db) as url, browser_page(tmp_path) as page:
        page.goto(url + "/admin")
        page.wait_for_url("**/login?next=/admin")
        assert page.title() == "Log in · THB Hub"
        page.get_by_label("E-mail").fill(world.emails["admin"])
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Log in").click()
        assert "wrong e-mail or password" in page.get_by_role("alert").inner_text()
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/admin")
        assert page.get_by_role("heading", level=1).inner_text() == "Administration"
        assert page.get_by_role("cell", name="Alpha Agency").first.is_visible()
        page.get_by_role("link", name="Audit log").click()
        page.wait_for_url("**/admin/audit")
        assert page.get_by_role("cell", name="login", exact=True).first.is_visible()
        page.get_by_role("link", name=world.emails["admin"]).click()
        page.wait_for_url("**/account")
        page.get_by_role("button", name="Create token").click()
        token = page.locator("#new-token").inner_text()
        assert token.startswith("thb_")
        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(url + "/")
        assert page.get_by_role("link", name="Log in").is_visible()
        page.goto(url + "/admin")
        page.wait_for_url("**/login?next=/admin")
