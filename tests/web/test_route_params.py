"""Every path and query parameter of every route of the app is bounded and clean (issue 13,
section 4): ids are 1..2^31-1 (the databases' integer keys), texts have a maximum length
and refuse control characters (NUL is a 500 on PostgreSQL otherwise), repeated parameters
take a bounded number of bounded values.

Two walks over ``app.routes``, so a route added later is covered without listing it: one
reads each parameter's declaration, the other sends each parameter hostile values (ids past
2^31 and 2^63, NUL and other control characters) as an admin and as a contributor, on both
backends, and expects a 4xx or a 2xx/3xx, never a 5xx.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from typing import Any

import pytest
from annotated_types import Ge, Le, MaxLen
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from access_support import World, bearer, browser_client, build_world, csrf_of
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.schema import MAX_ID
from thbhub.web.access import iter_routes
from thbhub.web.app import create_app

CONTROL = ["\x00", "a\x00b", "\x1f", "x\x7f"]
HUGE_IDS = ["2147483648", str(2**63), str(2**64 + 1), "99999999999999999999", "-1", "0"]


def _routes(app: FastAPI) -> Iterator[APIRoute]:
    for route in iter_routes(app):
        if isinstance(route, APIRoute):
            yield route


def _params(route: APIRoute) -> list[tuple[str, Any, str]]:
    """(name as sent, field, 'path' or 'query') for every path and query parameter."""
    dep = route.dependant
    return [(p.alias, p, "path") for p in dep.path_params] + [
        (p.alias, p, "query") for p in dep.query_params
    ]


def _core(annotation: Any) -> Any:
    """``X`` of ``X | None``."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, __import__("types").UnionType):
        return args[0] if len(args) == 1 else annotation
    return annotation


def _metadata(obj: Any) -> list[Any]:
    return list(getattr(obj, "metadata", []) or [])


def _pattern(meta: list[Any]) -> str | None:
    for m in meta:
        if getattr(m, "pattern", None):
            return str(m.pattern)
    return None


def _max_len(meta: list[Any]) -> int | None:
    for m in meta:
        if isinstance(m, MaxLen):
            return m.max_length
        if getattr(m, "max_length", None) is not None:
            return int(m.max_length)
    return None


def _text_problems(where: str, meta: list[Any]) -> list[str]:
    problems = []
    pattern = _pattern(meta)
    bounded_pattern = pattern is not None and not re.search(r"[+*]|\{\d+,\}", pattern)
    if _max_len(meta) is None and not bounded_pattern:
        problems.append(f"{where}: text without a maximum length")
    if pattern is None:
        problems.append(f"{where}: text without a pattern refusing control characters")
    else:
        accepted = [c for c in CONTROL if re.search(pattern, c)]
        if accepted:
            problems.append(f"{where}: its pattern {pattern!r} accepts {accepted!r}")
    return problems


def _problems(route: APIRoute) -> list[str]:
    problems = []
    for name, param, _ in _params(route):
        where = f"{','.join(sorted(route.methods))} {route.path} {name}"
        info = param.field_info
        meta = _metadata(info)
        kind = _core(info.annotation)
        origin = typing.get_origin(kind)
        if kind is int:
            ge = next((m.ge for m in meta if isinstance(m, Ge)), None)
            le = next((m.le for m in meta if isinstance(m, Le)), None)
            if ge is None or ge < 0 or le is None or le > MAX_ID:
                problems.append(f"{where}: integer not within 0..{MAX_ID} (ge={ge}, le={le})")
        elif kind is str:
            problems += _text_problems(where, meta)
        elif origin is list:
            if _max_len(meta) is None:
                problems.append(f"{where}: repeated parameter without a maximum count")
            (item,) = typing.get_args(kind)
            if typing.get_origin(item) is typing.Annotated:
                item_meta = [m for a in item.__metadata__ for m in [a, *_metadata(a)]]
            else:
                item_meta = []
            problems += _text_problems(f"{where}[]", item_meta)
    return problems


def test_every_path_and_query_parameter_is_bounded_and_clean(
    settings: Settings, db: Database
) -> None:
    app = create_app(settings, db)
    routes = list(_routes(app))
    assert len(routes) > 40
    assert sum(len(_params(r)) for r in routes) > 60  # the walk does see the parameters
    problems = [p for r in routes for p in _problems(r)]
    assert not problems, "\n".join(problems)


@pytest.fixture
def world(settings: Settings, db: Database) -> World:
    return build_world(settings, db)


def _filled_path(route: APIRoute, name: str, value: str) -> str:
    path = route.path
    for other, param, where in _params(route):
        if where == "path":
            fill = value if other == name else _default(param)
            path = path.replace("{" + other + "}", _quote(fill))
    return path


def _default(param: Any) -> str:
    pattern = _pattern(_metadata(param.field_info)) or ""
    if "a-z_" in pattern:
        return "case_import"
    return "1"


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def test_hostile_ids_and_control_characters_never_reach_the_database(
    settings: Settings, db: Database, world: World
) -> None:
    app = create_app(settings, db)
    clients = {who: (TestClient(app), bearer(world, who)) for who in ("admin", "contributor")}
    sent = 0
    failures = []
    for route in _routes(app):
        for name, param, where in _params(route):
            kind = _core(param.field_info.annotation)
            # A text parameter may still be an id to the service (publication object ids).
            values = HUGE_IDS if kind is int else CONTROL + HUGE_IDS
            if kind not in (int, str) and typing.get_origin(kind) is not list:
                continue
            for value in values:
                for method in sorted(route.methods):
                    for who, (client, headers) in clients.items():
                        if where == "path":
                            url, params = _filled_path(route, name, value), None
                        else:
                            url, params = _filled_path(route, "", ""), {name: value}
                        response = client.request(method, url, params=params, headers=headers)
                        sent += 1
                        if response.status_code >= 500:
                            failures.append(
                                f"{method} {url} {name}={value!r} as {who}: "
                                f"{response.status_code} {response.text[:200]}"
                            )
    assert sent > 500
    assert not failures, "\n".join(failures)


def test_the_reported_crashes(settings: Settings, db: Database, world: World) -> None:
    client = TestClient(create_app(settings, db))
    for big in ("99999999999999999999", "2147483648", str(2**63)):
        response = client.get(f"/api/v1/publication/case_import/{big}")
        assert response.status_code == 404, response.text
        assert response.json()["error"]["status"] == 404
    response = client.get("/api/v1/concepts/%00")
    assert response.status_code == 422, response.text
    assert client.get("/topics/%00").status_code == 422
    assert client.get("/api/v1/observations", params={"country": "L\x00"}).status_code == 422


def test_control_characters_in_bodies_are_refused(
    settings: Settings, db: Database, world: World
) -> None:
    """The texts of JSON bodies and forms that are stored: NUL is a 4xx, not a 500."""
    client = TestClient(create_app(settings, db))
    admin, contributor = bearer(world, "admin"), bearer(world, "contributor")
    bad = "a\x00b"
    calls = [
        ("/api/v1/organisations", admin, {"name": bad}),
        ("/api/v1/users", admin, {"email": "x@y.lt", "organisation": bad, "role": "analyst"}),
        ("/api/v1/users", admin, {"email": bad, "organisation": "Beta NGO", "role": "analyst"}),
        ("/api/v1/tokens", contributor, {"name": bad}),
        (
            "/api/v1/agreements",
            contributor,
            {"grantee": "Beta NGO", "until": "2027-01-01", "purpose": "why " + bad},
        ),
        (
            "/api/v1/agreements",
            contributor,
            {"grantee": bad, "until": "2027-01-01", "purpose": "x"},
        ),
        ("/api/v1/publication/case_import/1", contributor, {"state": "submitted", "note": bad}),
    ]
    for url, headers, body in calls:
        response = client.post(url, json=body, headers=headers)
        assert 400 <= response.status_code < 500, (url, body, response.text[:300])
    # Forms: the log-in form, anonymous, and the admin's.
    anonymous = TestClient(create_app(settings, db))
    token = csrf_of(anonymous.get("/login").text)
    response = anonymous.post(
        "/login", data={"email": bad, "password": "x" * 10, "csrf_token": token, "next": "/"}
    )
    assert 400 <= response.status_code < 500, response.text[:300]
    admin_page = browser_client(create_app(settings, db), world, "admin")
    token = csrf_of(admin_page.get("/admin").text)
    response = admin_page.post("/admin/organisations", data={"name": bad, "csrf_token": token})
    assert 400 <= response.status_code < 500, response.text[:300]
