"""In headless Chromium: Back after logging out shows no private page again (nothing private
is cached), and reloading after creating an API token creates no second one and no longer
shows the secret (POST/redirect/GET)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from access_support import PASSWORD, build_world
from thbhub.access import auth
from thbhub.settings import Settings
from thbhub.storage import Database
from web_browser_support import browser_page, serve

pytestmark = pytest.mark.browser


def _log_in(page: Any, url: str, email: str) -> None:
    page.goto(url + "/login?next=/account")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/account")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_back_after_log_out_shows_no_private_page(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    world = build_world(settings, db)
    email = world.emails["contributor"]
    with serve(settings, db) as url, browser_page(tmp_path) as page:
        _log_in(page, url, email)
        assert page.get_by_role("heading", level=1).inner_text() == "Your account"
        assert page.get_by_text(email).first.is_visible()
        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(url + "/")
        page.go_back()
        page.wait_for_load_state()
        # The account page is asked for again, as an anonymous visitor: the log-in form.
        assert "/login" in page.url
        assert page.get_by_role("heading", level=1).inner_text() == "Log in"
        assert email not in page.content()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_reloading_after_creating_a_token_creates_no_second_one(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    world = build_world(settings, db)
    who = world.principal("analyst")
    with serve(settings, db) as url, browser_page(tmp_path) as page:
        _log_in(page, url, world.emails["analyst"])
        before = len(auth.list_tokens(db, who))
        page.get_by_label("Name").fill("nightly export")
        page.get_by_role("button", name="Create token").click()
        token = page.locator("#new-token").inner_text()
        assert token.startswith("thb_")
        assert len(auth.list_tokens(db, who)) == before + 1
        page.reload()
        page.wait_for_load_state()
        assert page.locator("#new-token").count() == 0
        assert token not in page.content()
        assert len(auth.list_tokens(db, who)) == before + 1
        assert page.get_by_role("cell", name="nightly export").is_visible()
