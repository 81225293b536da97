"""Crawl the web app from a page, following its links, as one client (a role)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any
from urllib.parse import urljoin, urlsplit

_HREF = re.compile(r'<a [^>]*href="([^"#]*)[^"]*"')
#: Pages of one kind visited at the most (topic and country pages are hundreds alike).
_PER_KIND = 4
_MOST = 80


def crawl(client: Any, start: str = "/") -> dict[str, Any]:
    """Every local page reached by links from ``start`` (a bounded sample of each kind), with
    its response; static files and other hosts are not followed."""
    seen: dict[str, Any] = {}
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
        r = client.get(url, follow_redirects=True)
        seen[url] = r
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
