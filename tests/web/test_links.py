"""Every link a page shows leads somewhere the viewer may go: crawled from the home page
over the bundled sample, as the public, a contributor, an analyst and an administrator."""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urljoin, urlsplit

import pytest

from access_support import browser_client, build_world
from thbhub.hub import init_hub
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.app import create_app

_HREF = re.compile(r'<a [^>]*href="([^"#]*)[^"]*"')
#: Pages of one kind visited at the most (topic and country pages are hundreds alike).
_PER_KIND = 4
_MOST = 80


def _crawl(client: object, start: str = "/") -> dict[str, int]:
    seen: dict[str, int] = {}
    kinds: Counter[str] = Counter()
    queue = [start]
    while queue and len(seen) < _MOST:
        url = queue.pop(0)
        if url in seen:
            continue
        kind = "/".join(urlsplit(url).path.split("/")[:3])
        if kinds[kind] >= _PER_KIND:
            continue
        kinds[kind] += 1
        r = client.get(url, follow_redirects=True)  # type: ignore[attr-defined]
        seen[url] = r.status_code
        if "text/html" not in r.headers.get("content-type", ""):
            continue
        for href in _HREF.findall(r.text.replace("&amp;", "&")):
            target = urljoin(url, href)
            parts = urlsplit(target)
            if parts.netloc not in ("", "testserver") or not parts.path.startswith("/"):
                continue
            if parts.path.startswith(("/static/", "/assets/")):
                continue
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            if local not in seen:
                queue.append(local)
    return seen


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("who", ["public", "contributor", "analyst", "admin"])
def test_no_link_leads_to_an_error_or_a_refusal(settings: Settings, db: Database, who: str) -> None:
    init_hub(db, settings, sample=True)
    world = build_world(settings, db)
    client = browser_client(create_app(settings, db), world, who)
    visited = _crawl(client)
    broken = {url: status for url, status in visited.items() if status >= 400}
    assert not broken, f"{who} follows links to: {broken}"
    assert len(visited) > 20  # the crawl went past the home page
