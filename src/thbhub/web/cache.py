"""Public pages and API answers, rendered once per data version and served from memory to
anonymous visitors.

A public page (``/countries/LV``, ``/explore?...``, ``/api/v1/observations?...``) depends only
on the hub's data, which changes only when something is imported, published or edited: every
such commit moves the database's data version on (:meth:`Database.data_version`, one read of
one row per request, so a CLI import in another process is seen at once).  Routes marked
:func:`cached` are kept per (host, path, query) for the current version; the first request
after a change renders again, and requests for the same page that come while it renders get
the previous version's copy instead of queueing (so a page is at most one render late: a
second request made after the first one's answer always sees the new data).

What is never cached: anything for a logged-in user or a bearer token (their pages carry their
name and links, and private pages are theirs alone: they always render afresh), a response
other than 200, a page carrying a one-time message (flash), a response that sets a cookie.
The one per-visitor part of a public page, the CSRF token of the anonymous session (in the
``hx-headers`` of ``<body>``), is rendered as a placeholder and filled in for each visitor.
Browsers still get ``Cache-Control: no-store`` (:class:`thbhub.web.app.NoStore`): the copy
lives in the server only.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from thbhub.domain.principals import Principal
from thbhub.storage import Database

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
F = TypeVar("F", bound=Callable[..., Any])

_MARK = "__thbhub_cached__"
#: Rendered in place of the visitor's CSRF token, replaced on the way out.
PLACEHOLDER = "thbhub-page-cache-csrf-placeholder"
_STRIPES = 64


def cached(endpoint: F) -> F:
    """Mark a public GET route whose response depends only on the data and the URL."""
    setattr(endpoint, _MARK, True)
    return endpoint


def is_cached(endpoint: Any) -> bool:
    return bool(getattr(endpoint, _MARK, False))


@dataclass(frozen=True)
class Page:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


class PageCache:
    """At most ``max_entries`` pages of the newest data version seen, least recently used
    dropped first.  When a newer version is seen, the pages of the one before are kept
    aside (:meth:`previous`) until each is rendered again."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._version: int | None = None
        self._pages: OrderedDict[tuple[str, ...], Page] = OrderedDict()
        self._previous: dict[tuple[str, ...], Page] = {}
        self._lock = threading.Lock()
        # One render per page at a time: a burst after a publication renders it once.  The
        # locks belong to the event loop that made them (a test may run several in turn).
        self._renders: list[asyncio.Lock] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self.hits = 0
        self.misses = 0
        self.stale_hits = 0

    def get(self, version: int, key: tuple[str, ...]) -> Page | None:
        with self._lock:
            self._advance(version)
            page = self._pages.get(key) if version == self._version else None
            if page is not None:
                self._pages.move_to_end(key)
                self.hits += 1
            return page

    def previous(self, key: tuple[str, ...]) -> Page | None:
        """The page as it was at the data version before the current one, if kept."""
        with self._lock:
            page = self._previous.get(key)
            if page is not None:
                self.stale_hits += 1
            return page

    def put(self, version: int, key: tuple[str, ...], page: Page) -> None:
        with self._lock:
            self._advance(version)
            if version != self._version:  # rendered from data that has changed since
                return
            self._previous.pop(key, None)
            self._pages[key] = page
            while len(self._pages) > self.max_entries:
                self._pages.popitem(last=False)

    def render_lock(self, key: tuple[str, ...]) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop, self._renders = loop, [asyncio.Lock() for _ in range(_STRIPES)]
        return self._renders[hash(key) % _STRIPES]

    def __len__(self) -> int:
        return len(self._pages)

    def _advance(self, version: int) -> None:
        if self._version is None or version > self._version:
            self._version = version
            self._previous = dict(self._pages)
            self._pages.clear()


class CachedPages:
    """The middleware (inside the auth and flash middlewares: it needs the caller)."""

    def __init__(self, app: Callable[..., Awaitable[None]], fastapi_app: FastAPI) -> None:
        self.app = app
        self.fastapi_app = fastapi_app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self._key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        cache: PageCache = self.fastapi_app.state.page_cache
        db: Database = self.fastapi_app.state.db
        version = await run_in_threadpool(db.data_version)
        if version is None:  # a database without the version: nothing to key pages on
            await self.app(scope, receive, send)
            return
        token = scope["state"].get("csrf_token", "")
        page = cache.get(version, key)
        render = cache.render_lock(key)
        if page is None and render.locked():
            # Another request is rendering this page for the new version: rather than queue
            # behind it (a second or more for a chart page on a busy server), get the copy of
            # the version before, as a visitor a moment earlier did.
            page = cache.previous(key)
        if page is None:
            async with render:
                page = cache.get(version, key)
                if page is None:
                    cache.misses += 1
                    page = await self._render(scope, receive)
                    if _storable(page):
                        cache.put(version, key, page)
        await _replay(page, token, send)

    def _key(self, scope: Scope) -> tuple[str, ...] | None:
        """The cache key of a request that may be served from the cache, else None."""
        from thbhub.web.auth import matched_endpoint

        if scope["type"] != "http" or scope["method"] != "GET":
            return None
        cache: PageCache = self.fastapi_app.state.page_cache
        state = scope.get("state") or {}
        principal = state.get("principal")
        if cache.max_entries <= 0 or not isinstance(principal, Principal):
            return None
        if not principal.is_public or state.get("flash") is not None:
            return None
        if not is_cached(matched_endpoint(self.fastapi_app, scope)):
            return None
        headers = dict(scope.get("headers") or [])
        return (
            scope.get("scheme", "http"),
            headers.get(b"host", b"").decode("latin-1"),
            scope.get("root_path", ""),
            scope["path"],
            scope.get("query_string", b"").decode("latin-1"),
        )

    async def _render(self, scope: Scope, receive: Receive) -> Page:
        state = scope["state"]
        token = state.get("csrf_token", "")
        state["csrf_token"] = PLACEHOLDER
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await self.app(scope, receive, capture)
        finally:
            state["csrf_token"] = token
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        return Page(int(start.get("status", 500)), headers, b"".join(chunks))


def _storable(page: Page) -> bool:
    return page.status == 200 and not any(k.lower() == b"set-cookie" for k, _ in page.headers)


async def _replay(page: Page, token: str, send: Send) -> None:
    body = page.body
    if any(k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in page.headers):
        body = body.replace(PLACEHOLDER.encode(), token.encode())
    headers = [*page.headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": page.status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def install_page_cache(app: FastAPI, max_entries: int) -> None:
    """Add the middleware; call before the flash and auth middlewares are added (so that it
    runs inside them)."""
    app.state.page_cache = PageCache(max_entries)
    app.add_middleware(CachedPages, fastapi_app=app)
