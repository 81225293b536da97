"""Every page a role reaches by following links, crawled from the home page over the bundled
sample as the public, a contributor, an analyst and an administrator: each link leads
somewhere the viewer may go, and each page passes the accessibility checks
(tests/a11y_support.py)."""

from __future__ import annotations

import pytest

from a11y_support import problems
from access_support import browser_client, build_world
from crawl_support import crawl
from thbhub.hub import init_hub
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.app import create_app


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("who", ["public", "contributor", "analyst", "admin"])
def test_every_link_leads_somewhere_and_every_page_is_accessible(
    settings: Settings, db: Database, who: str
) -> None:
    init_hub(db, settings, sample=True)
    world = build_world(settings, db)
    client = browser_client(create_app(settings, db), world, who)
    visited = crawl(client)
    broken = {url: r.status_code for url, r in visited.items() if r.status_code >= 400}
    assert not broken, f"{who} follows links to: {broken}"
    assert len(visited) > 20  # the crawl went past the home page
    pages = {
        url: r.text
        for url, r in visited.items()
        if r.status_code == 200 and "text/html" in r.headers.get("content-type", "")
    }
    assert len(pages) > 15
    found = {url: p for url, html in pages.items() if (p := problems(html))}
    assert not found, "\n".join(f"{url}: {'; '.join(p)}" for url, p in found.items())
