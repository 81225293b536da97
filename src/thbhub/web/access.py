"""Every route declares who may call it; a route without a declaration stops the app starting.

Declare with the :func:`access` decorator, placed *under* the router decorator::

    @router.get("/api/v1/things")
    @access(Access.public)
    def things(...): ...
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from enum import StrEnum
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Mount

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


# FastAPI's own routes: the OpenAPI document is public by design.
_FRAMEWORK_PATHS = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})


def iter_routes(app: FastAPI) -> Iterator[BaseRoute]:
    """Every route of the app, looking inside included routers.

    Older FastAPI copies an included router's routes into ``app.routes``; newer releases keep
    a wrapper holding the original router, so both shapes are walked here.
    """

    def walk(routes: list[BaseRoute]) -> Iterator[BaseRoute]:
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                yield from walk(list(inner.routes))
            else:
                yield route

    yield from walk(list(app.routes))


def verify_routes_declared(app: FastAPI) -> None:
    """Refuse to start when any route lacks an access declaration."""
    undeclared = []
    for route in iter_routes(app):
        if isinstance(route, Mount) or getattr(route, "path", None) in _FRAMEWORK_PATHS:
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
    for route in iter_routes(app):
        if isinstance(route, APIRoute):
            level = declared_access(route.endpoint)
            if level is not None:
                for method in sorted(route.methods or ()):
                    rows.append((method, route.path, level))
    return rows
