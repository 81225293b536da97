"""Every route declares who may call it; a route without a declaration stops the app starting.

Declare with the :func:`access` decorator, placed *under* the router decorator::

    @router.get("/api/v1/things")
    @access(Access.public)
    def things(...): ...
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Mount

F = TypeVar("F", bound=Callable[..., Any])

_ATTR = "__thbhub_access__"


class Access(StrEnum):
    public = "public"  # anyone, including anonymous visitors
    authenticated = "authenticated"  # any logged-in user
    contributor = "contributor"
    analyst = "analyst"
    admin = "admin"


def access(level: Access) -> Callable[[F], F]:
    def mark(func: F) -> F:
        setattr(func, _ATTR, level)
        return func

    return mark


def declared_access(endpoint: Callable[..., Any]) -> Access | None:
    value = getattr(endpoint, _ATTR, None)
    return value if isinstance(value, Access) else None


def _framework_paths(app: FastAPI) -> frozenset[str]:
    # FastAPI's own routes (the OpenAPI document and, where enabled, its viewers) are public
    # by design.
    paths = (app.openapi_url, app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url)
    return frozenset(p for p in paths if p)


def verify_routes_declared(app: FastAPI) -> None:
    """Refuse to start when any route lacks an access declaration."""
    undeclared = []
    framework = _framework_paths(app)
    for route in app.routes:
        if isinstance(route, Mount) or getattr(route, "path", None) in framework:
            continue
        endpoint = getattr(route, "endpoint", None)
        if endpoint is None or declared_access(endpoint) is None:
            methods = ",".join(sorted(getattr(route, "methods", None) or []))
            undeclared.append(f"{methods} {getattr(route, 'path', route)}")
    if undeclared:
        raise RuntimeError(
            "routes without an access declaration (use @access(...)): " + "; ".join(undeclared)
        )


def route_table(app: FastAPI) -> list[tuple[str, str, Access]]:
    """(method, path, access) for every declared route; used by tests and the admin page."""
    rows = []
    for route in app.routes:
        if isinstance(route, APIRoute):
            level = declared_access(route.endpoint)
            if level is not None:
                for method in sorted(route.methods or ()):
                    rows.append((method, route.path, level))
    return rows
