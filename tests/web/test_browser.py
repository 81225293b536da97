"""What a person sees in a real browser (headless Chromium): home page and a topic page."""

from __future__ import annotations

from pathlib import Path

import pytest

from thbhub.settings import Settings
from thbhub.storage import Database
from web_browser_support import browser_page, serve

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_home_and_topic_in_chromium(settings: Settings, db: Database, tmp_path: Path) -> None:
    with serve(settings, db) as url, browser_page(tmp_path) as page:
        page.goto(url + "/")
        assert page.title() == "Home · THB Hub"
        assert page.get_by_role("heading", name="What the hub holds").is_visible()
        # The taxonomy cards lead to the topics; follow one by keyboard-reachable link.
        page.get_by_role("link", name="Forms of exploitation").first.click()
        page.wait_for_url("**/topics?scheme=form")
        page.get_by_role("link", name="Domestic servitude").click()
        page.wait_for_url("**/topics/form:domestic-servitude")
        assert page.get_by_role("heading", level=1).inner_text() == "Domestic servitude"
        # Labels in the region's languages, each marked with its language for screen readers.
        assert page.locator('td[lang="fi"]').inner_text().strip()
        assert page.get_by_role("link", name="Labour exploitation").is_visible()
        # htmx loaded from our own static files.
        assert page.evaluate("typeof htmx") == "object"
