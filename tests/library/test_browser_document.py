"""In headless Chromium: the owner opens the example PDF's page (a real Factbook text, two
pages), sees its text by page, downloads the original file, and withdraws the document with
the publication button; an anonymous visitor then gets no page."""

from __future__ import annotations

from pathlib import Path

import pytest

from access_support import PASSWORD, build_world
from thbhub.domain.principals import Principal, Role
from thbhub.library import service
from thbhub.library.sample import examples_path
from thbhub.settings import Settings
from thbhub.storage import Database
from web_browser_support import browser_page, serve

pytestmark = pytest.mark.browser
PDF = examples_path() / "burma-trafficking-in-persons.pdf"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_owner_downloads_and_withdraws(settings: Settings, db: Database, tmp_path: Path) -> None:
    world = build_world(settings, db)
    cli = Principal(role=Role.admin, email="cli:test", origin="cli")
    options = service.ImportOptions(organisation="Alpha Agency")  # public, published
    doc = service.import_documents(db, cli, [PDF], options).documents[0]
    with serve(settings, db) as url, browser_page(tmp_path) as page:
        page.goto(f"{url}/library/{doc}")
        assert page.get_by_text("[page 2]").first.is_visible()
        assert page.get_by_role("button", name="Withdraw").count() == 0  # not logged in

        page.goto(f"{url}/login?next=/library/{doc}")
        page.get_by_label("E-mail").fill(world.emails["contributor"])
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"**/library/{doc}")
        with page.expect_download() as info:
            page.get_by_role("link", name=PDF.name).click()
        saved = tmp_path / "downloaded.pdf"
        info.value.save_as(saved)
        assert saved.read_bytes() == PDF.read_bytes()

        page.get_by_role("button", name="Withdraw").click()
        page.wait_for_url(f"**/library/{doc}")
        assert page.locator("#doc-state").inner_text() == "withdrawn"
        assert page.get_by_role("button", name="Back to draft").is_visible()

        page.get_by_role("button", name="Log out").click()
        response = page.goto(f"{url}/library/{doc}")
        assert response is not None and response.status == 404
