"""Security headers on every page (issue 13, section 4), on both backends: a
Content-Security-Policy allowing only the hub's own scripts and styles (no 'unsafe-inline',
no 'unsafe-eval'), no framing, no content sniffing, no referrer to other sites; and pages
that need nothing more: no inline script, style sheet, style attribute or event handler.

In a real browser (Chromium), every page a contributor and an admin reach, charts included,
loads with no CSP violation (web_browser_support.browser_page fails on any)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from access_support import PASSWORD, browser_client, build_world
from crawl_support import crawl
from thbhub.hub import init_hub
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.app import create_app
from web_browser_support import browser_page, serve

#: Inline code a CSP without 'unsafe-inline' blocks (a JSON data block is not code).
_INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I), "script"),
    (re.compile(r"<style\b", re.I), "style sheet"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event handler"),
    (re.compile(r"javascript:", re.I), "javascript: address"),
]


def _directives(policy: str) -> dict[str, list[str]]:
    out = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def _check_headers(url: str, headers: dict[str, str]) -> list[str]:
    problems = []
    policy = _directives(headers.get("content-security-policy", ""))
    for directive in ("script-src", "style-src"):
        sources = policy.get(directive) or policy.get("default-src")
        if sources != ["'self'"]:
            problems.append(f"{url}: {directive} {sources}")
    if policy.get("frame-ancestors") != ["'none'"]:
        problems.append(f"{url}: frame-ancestors {policy.get('frame-ancestors')}")
    if policy.get("object-src") != ["'none'"]:
        problems.append(f"{url}: object-src {policy.get('object-src')}")
    expected = {
        "x-frame-options": "DENY",
        "x-content-type-options": "nosniff",
        "referrer-policy": "same-origin",
    }
    for name, value in expected.items():
        if headers.get(name) != value:
            problems.append(f"{url}: {name}: {headers.get(name)!r}")
    return problems


@pytest.mark.parametrize("who", ["public", "contributor", "admin"])
def test_every_page_has_the_headers_and_no_inline_code(
    settings: Settings, db: Database, who: str
) -> None:
    world = build_world(settings, db)
    app = create_app(settings, db)
    client = browser_client(app, world, who)
    visited = crawl(client)
    pages = {
        url: r for url, r in visited.items() if "text/html" in r.headers.get("content-type", "")
    }
    assert len(pages) > 8
    problems = [p for url, r in pages.items() for p in _check_headers(url, dict(r.headers))]
    for url, r in pages.items():
        for pattern, what in _INLINE:
            found = pattern.search(r.text)
            if found:
                problems.append(f"{url}: inline {what}: {found.group(0)[:80]!r}")
    # Refusals and errors made outside the routes carry the headers too.
    anonymous = TestClient(app)
    for url in ("/admin", "/no-such-page"):
        r = anonymous.get(url, follow_redirects=False)
        problems += _check_headers(f"{url} ({r.status_code})", dict(r.headers))
    assert not problems, "\n".join(problems)


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_pages_and_charts_run_under_the_policy_in_chromium(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    init_hub(db, settings, sample=True)
    world = build_world(settings, db)
    with serve(settings, db) as url, browser_page(tmp_path) as page:
        page.goto(url + "/explore?indicator=victims&country=LT&by=form")
        page.wait_for_selector("div.chart[data-rendered=true] svg", timeout=60_000)
        page.goto(url + "/countries/LT")
        page.wait_for_function(
            "document.querySelectorAll('div.chart[data-rendered=true]').length >= 2",
            timeout=60_000,
        )
        for path in ("/", "/topics", "/privacy", "/statistics/case-records", "/login"):
            page.goto(url + path)
        assert page.evaluate("typeof htmx") == "object"
        for who in ("contributor", "admin"):
            page.goto(url + "/login")
            page.fill("input[name=email]", world.emails[who])
            page.fill("input[name=password]", PASSWORD)
            page.click("form[action='/login'] button[type=submit]")
            page.wait_for_load_state()
            paths = ["/account", "/agreements"]
            paths += ["/admin", "/admin/audit"] if who == "admin" else ["/cases", "/cases/upload"]
            for path in paths:
                response = page.goto(url + path)
                assert response is not None and response.status == 200, path
                assert response.headers["content-security-policy"].startswith("default-src")
            page.click("form[action='/logout'] button[type=submit]")
            page.wait_for_load_state()
