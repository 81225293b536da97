"""The library pages as a visitor sees them: search with facets and marked snippets, a
document with its evidence, the documents of a topic and of a country; never a document the
visitor may not see. One test drives the pages in Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from library_support import write_pdf
from thbhub.domain.principals import Principal, Role
from thbhub.library import service
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.cases import add_organisation
from thbhub.web.app import create_app
from web_browser_support import browser_page, serve

CLI = Principal(role=Role.admin, email="cli:test", origin="cli")


@pytest.fixture
def loaded(db: Database, tmp_path: Path) -> dict[str, int]:
    write_pdf(
        tmp_path / "latvia.pdf",
        [
            ["Labour exploitation in Latvia 2025"],
            ["Men from Ukraine were subjected to forced labour in construction in Latvia."],
        ],
        title="Labour exploitation in Latvia 2025",
    )
    public = service.import_documents(
        db, CLI, [tmp_path / "latvia.pdf"], service.ImportOptions(country="LV")
    )
    with db.begin() as conn:
        add_organisation(conn, "Alpha Agency", country="LT")
    secret = tmp_path / "secret.txt"
    secret.write_text(
        "Ownersecret: men were subjected to forced labour in construction in Latvia.",
        encoding="utf-8",
    )
    private = service.import_documents(
        db,
        CLI,
        [secret],
        service.ImportOptions(access="owner", organisation="Alpha Agency", country="LV"),
    )
    return {"public": public.documents[0], "private": private.documents[0]}


def test_library_pages_for_a_visitor(
    settings: Settings, db: Database, loaded: dict[str, int]
) -> None:
    client = TestClient(create_app(settings, db))
    page = client.get("/library", params={"q": "forced labour"})
    assert page.status_code == 200
    assert "Labour exploitation in Latvia 2025" in page.text
    assert "<mark>forced</mark> <mark>labour</mark>" in page.text
    assert "Labour exploitation" in page.text  # the topic facet, by its label
    assert "Ownersecret" not in page.text and "1 documents" in page.text
    doc = client.get(f"/library/{loaded['public']}")
    assert doc.status_code == 200
    assert "<mark>Men from Ukraine were subjected to forced labour" in doc.text
    assert "(page 2)" in doc.text
    assert client.get(f"/library/{loaded['private']}").status_code == 404
    topic = client.get("/topics/form:labour-exploitation")
    assert f'href="/library/{loaded["public"]}"' in topic.text
    assert f'href="/library/{loaded["private"]}"' not in topic.text
    country = client.get("/countries/LV")
    assert f'href="/library/{loaded["public"]}"' in country.text
    assert "Ownersecret" not in country.text
    # A facet link narrows the results and can be removed again.
    narrowed = client.get("/library", params={"q": "forced", "country": "country:LV"})
    assert "Labour exploitation in Latvia 2025" in narrowed.text


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_library_in_a_browser(
    settings: Settings, db: Database, loaded: dict[str, int], tmp_path: Path
) -> None:
    with serve(settings, db) as url, browser_page(tmp_path) as page:
        page.goto(f"{url}/library")
        page.get_by_role("searchbox", name="Search").fill("construction Ukraine")
        page.get_by_role("button", name="Search").click()
        page.wait_for_url("**/library?q=*")
        assert page.locator("mark").first.inner_text().lower() in {"construction", "ukraine"}
        page.get_by_role("link", name="Labour exploitation in Latvia 2025").click()
        page.wait_for_url(f"**/library/{loaded['public']}")
        assert page.get_by_role("heading", name="Topics and their evidence").is_visible()
        assert "Ownersecret" not in page.content()
