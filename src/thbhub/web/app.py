"""create_app(settings): the one place the web application is assembled."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from thbhub import __version__
from thbhub.privacy.public import ProtectedTables
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web import api, pages
from thbhub.web.access import verify_routes_declared
from thbhub.web.auth import install_auth
from thbhub.web.errors import install_error_handlers
from thbhub.web.openapi import install_openapi

_HERE = Path(__file__).parent


def create_app(settings: Settings, db: Database | None = None) -> FastAPI:
    """Build the app over ``db`` (or a database opened from ``settings``)."""
    from thbhub.hub import open_database

    app = FastAPI(
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
    templates = Jinja2Templates(directory=str(_HERE / "templates"))
    templates.env.globals["version"] = __version__
    app.state.templates = templates
    app.mount("/static", StaticFiles(directory=str(_HERE / "static")), name="static")
    install_error_handlers(app)
    for router in (*api.routers(), *pages.routers()):
        app.include_router(router)
    verify_routes_declared(app)
    install_auth(app)  # identifies the caller and enforces each route's declared access
    install_openapi(app)
    return app
