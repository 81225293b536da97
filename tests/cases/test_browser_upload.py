"""In headless Chromium, as a contributor: upload a CTDC file through the form, see it
rejected with its problem named, then stored with the invalid row quarantined."""

from __future__ import annotations

from pathlib import Path

import pytest

from access_support import PASSWORD, build_world
from case_support import ctdc_row, write_ctdc
from thbhub.settings import Settings
from thbhub.storage import Database
from web_browser_support import browser_page, serve

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_upload_form_rejects_then_quarantines(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    world = build_world(settings, db)
    rows = [ctdc_row(yearOfRegistration=str(2010 + i)) for i in range(3)]
    rows.append(ctdc_row(yearOfRegistration="1667367"))  # the real file's kind of junk row
    upload = write_ctdc(tmp_path / "cases.csv", rows)
    with serve(settings, db) as url, browser_page(tmp_path) as page:
        page.goto(url + "/login?next=/cases/upload")
        page.get_by_label("E-mail").fill(world.emails["contributor"])
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/cases/upload")

        page.locator("input[name=file]").set_input_files(str(upload))
        page.get_by_role("button", name="Upload and validate").click()
        alert = page.get_by_role("alert")
        assert "Rejected: nothing was stored" in alert.inner_text()
        problem = page.get_by_role("row").filter(has_text="1667367")
        assert "yearOfRegistration" in problem.inner_text()
        assert "5" in problem.get_by_role("cell").nth(1).inner_text()  # line 5 of the file

        page.locator("input[name=file]").set_input_files(str(upload))
        page.get_by_label("Store valid rows, quarantine invalid ones").check()
        page.get_by_role("button", name="Upload and validate").click()
        stored = page.locator("section.notice").inner_text()
        assert "3 of 4 rows stored as draft" in stored and "1 quarantined" in stored

        page.get_by_role("link", name="See your records").click()
        page.wait_for_url("**/cases")
        assert page.get_by_role("cell", name="2012", exact=True).first.is_visible()
