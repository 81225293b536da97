"""create_app(settings): the one place the web application is assembled."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.datastructures import MutableHeaders

from thbhub import __version__
from thbhub.insights.background import InsightsRefresher
from thbhub.insights.store import StoredLattices
from thbhub.privacy.public import ProtectedTables, Refresher
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web import api, pages
from thbhub.web.access import verify_routes_declared
from thbhub.web.auth import install_auth
from thbhub.web.cache import install_page_cache
from thbhub.web.errors import install_error_handlers
from thbhub.web.flash import install_flash
from thbhub.web.headers import install_security_headers
from thbhub.web.openapi import install_openapi

_HERE = Path(__file__).parent


def create_app(settings: Settings, db: Database | None = None) -> FastAPI:
    """Build the app over ``db`` (or a database opened from ``settings``)."""
    from thbhub.hub import open_database

    app = FastAPI(
        lifespan=_lifespan,
        title="THB Hub API",
        version=__version__,
        description=(
            "Evidence and knowledge hub against trafficking in human beings for the Baltic "
            "Sea Region. Outputs derived from case records pass the disclosure policy."
        ),
        # The interactive docs load scripts from a CDN; the hub works offline, so only the
        # OpenAPI document itself is served.
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.db = db or open_database(settings)
    # The public case-record tables' protected lattices, one per data version (passed down
    # to the routes through the app, never a module global).
    app.state.privacy_tables = ProtectedTables()
    # The stored insight lattices' published cells, read once per data version (insights/).
    app.state.insights_lattices = StoredLattices()
    templates = Jinja2Templates(directory=str(_HERE / "templates"))
    templates.env.globals["version"] = __version__
    app.state.templates = templates
    app.mount("/static", StaticFiles(directory=str(_HERE / "static")), name="static")
    install_error_handlers(app)
    for router in (*api.routers(), *pages.routers()):
        app.include_router(router)
    verify_routes_declared(app)
    # Innermost: needs the caller (auth) and whether a flash is shown (flash).
    install_page_cache(app, settings.page_cache_entries)
    install_flash(app)  # inside the auth middleware: needs the session it identified
    install_auth(app)  # identifies the caller and enforces each route's declared access
    app.add_middleware(NoStore)  # outermost: also covers the auth middleware's refusals
    install_security_headers(app)  # CSP, frame, sniffing, referrer (web/headers.py)
    install_openapi(app)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """While the server runs, keep the public case-record tables protected ahead of the
    visitors (:class:`thbhub.privacy.public.Refresher`): after an import or a publication a
    visitor would otherwise wait seconds for the audit."""
    settings: Settings = app.state.settings
    # The thread pool that runs every route (they are all plain functions) and every
    # database call of the middlewares.
    anyio.to_thread.current_default_thread_limiter().total_tokens = settings.web_threads
    refresher = None
    if settings.public_tables_refresh_seconds > 0:
        refresher = Refresher(
            app.state.db,
            settings,
            app.state.privacy_tables,
            settings.public_tables_refresh_seconds,
        )
        refresher.start()
    insights = None
    if settings.public_tables_refresh_seconds > 0 and settings.insights_background:
        # The public insight lattices of a new data version, computed and stored ahead of
        # the visitors (insights/background.py).
        insights = InsightsRefresher(
            app.state.db,
            settings,
            app.state.privacy_tables,
            app.state.insights_lattices,
            settings.public_tables_refresh_seconds,
        )
        insights.start()
    try:
        yield
    finally:
        if refresher is not None:
            refresher.stop()
        if insights is not None:
            insights.stop()


Message = MutableMapping[str, Any]
Send = Callable[[Message], Awaitable[None]]


class NoStore:
    """``Cache-Control: no-store`` on every response except static assets (and the rare
    route that sets its own ``Cache-Control``: the generated, public Vega bundle).

    Nearly every response depends on the session: private pages and API answers, downloads,
    and even public pages, which carry the visitor's CSRF token and log-in state in the
    navigation.  Without this, a browser shows a logged-out user's case records again from
    its cache on *Back*, and a shared computer or a proxy keeps them.  Listing the few
    responses that could be cached would be fragile (one forgotten private route leaks), so
    everything is no-store but ``/static/``, whose files are the same for everyone, and what a
    route deliberately marks cacheable itself.
    """

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(
        self, scope: MutableMapping[str, Any], receive: Callable[..., Any], send: Send
    ) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
                    headers["Pragma"] = "no-cache"  # HTTP/1.0 caches
            await send(message)

        await self.app(scope, receive, sending)
