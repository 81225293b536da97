"""Every route of the app, as every kind of caller: the status code follows the route's
declared access level, and no row of another organisation appears in the body.

Routes come from the app itself (web/access.route_table), so routes that other areas add
are checked without touching this file.  Areas whose routes need rows to be meaningful can
add their own rows to the world (access_support.build_world) carrying MARKER.
"""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from access_support import MARKER, PRINCIPALS, World, bearer, browser_client, build_world, page_csrf
from thbhub.access import agreements, auth
from thbhub.domain.principals import Role
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.access import Access, route_table
from thbhub.web.app import create_app
from thbhub.web.auth import ALLOWED

SAFE = ("GET", "HEAD", "OPTIONS")
#: Callers that may see alpha's private rows when a route admits them at all.
SEES_ALPHA = {"contributor", "analyst", "admin"}


def _role(who: str) -> Role:
    return Role.contributor if who == "foreign" else Role(who)


def _fill(path: str, world: World, spare_token: int) -> str:
    """Path parameters: ids of alpha's own things, so a foreign caller tries to reach them.
    (The token is a spare of alpha's analyst: revoking it leaves every caller's own.)"""
    values = {
        "user_id": str(world.user_ids["analyst"]),
        "token_id": str(spare_token),
        "agreement_id": str(world.agreement_id),
        "concept_id": "form:other",
        "object_type": "case_records",
    }
    return re.sub(r"\{([^}:]+)(:[^}]*)?\}", lambda m: values.get(m.group(1), "1"), path)


def _ordered(app: FastAPI) -> list[tuple[str, str, Access]]:
    # Reads first, then writes; log-out last, since it ends the caller's session.
    rows = [r for r in route_table(app) if r[0] != "HEAD"]
    return sorted(rows, key=lambda r: (r[0] not in SAFE, r[1] == "/logout", r[1], r[0]))


@pytest.fixture
def world(settings: Settings, db: Database) -> World:
    return build_world(settings, db)


def test_route_matrix(settings: Settings, db: Database, world: World) -> None:
    app = create_app(settings, db)
    spare = auth.create_token(db, world.principal("analyst"), name="spare")["id"]
    table = _ordered(app)
    assert len(table) >= 30
    checked = 0
    callers = ("public", "foreign", "pending", "analyst", "contributor", "admin")
    for who in callers:
        assert who in PRINCIPALS
        role = _role(who)
        page_client = browser_client(app, world, who)
        api_client = TestClient(app)
        for method, path, level in table:
            url = _fill(path, world, spare)
            is_api = path.startswith("/api/")
            client = api_client if is_api else page_client
            headers = bearer(world, who) if is_api else {}
            kwargs: dict[str, object] = {}
            if method not in SAFE:
                if is_api:
                    kwargs["json"] = {}
                else:
                    kwargs["data"] = {"csrf_token": page_csrf(page_client)}
            r = client.request(method, url, headers=headers, follow_redirects=False, **kwargs)
            where = f"{who} {method} {path} -> {r.status_code}"
            allowed = role in ALLOWED[level]
            if not allowed and who == "public":
                if is_api:
                    assert r.status_code == 401, where
                    assert r.json()["error"]["status"] == 401, where
                else:
                    assert r.status_code == 303, where
                    assert r.headers["location"].startswith("/login?next="), where
            elif not allowed:
                assert r.status_code == 403, where
                if is_api:
                    assert r.json()["error"]["status"] == 403, where
            else:
                assert r.status_code < 500 and r.status_code != 401, where
            if who not in SEES_ALPHA:
                assert MARKER not in r.text, f"{where}: shows another organisation's rows"
            checked += 1
            # A state-changing page (log-out, disabling a user) may have ended the session;
            # log in again so that the next row is judged as the same caller.
            wrote = method not in SAFE and not is_api and who != "public"
            if wrote and page_client.get("/api/v1/me").json()["role"] == "public":
                page_client = browser_client(app, world, who)
    assert checked == len(callers) * len(table)
    # The foreign caller's attempts on alpha's things changed none of them.
    from thbhub.access import audit, users

    trail = audit.entries(db, users.operator(), object_type="sharing_agreement", action="revoke")
    assert {r["email"] for r in trail} <= {world.emails["contributor"]}
    trail = audit.entries(db, users.operator(), object_type="api_token", action="revoke")
    assert world.emails["foreign"] not in {r["email"] for r in trail}


def test_foreign_caller_cannot_touch_alpha_things(
    settings: Settings, db: Database, world: World
) -> None:
    app = create_app(settings, db)
    client = TestClient(app)
    h = bearer(world, "foreign")
    attempts = [
        ("DELETE", f"/api/v1/tokens/{world.token_ids['analyst']}", None),
        ("POST", f"/api/v1/agreements/{world.agreement_id}/revoke", None),
        ("POST", f"/api/v1/users/{world.user_ids['analyst']}/disable", None),
        ("GET", "/api/v1/audit", None),
        ("GET", "/api/v1/users", None),
    ]
    for method, url, body in attempts:
        r = client.request(method, url, headers=h, json=body)
        assert r.status_code in (403, 404), (method, url, r.status_code)
        assert MARKER not in r.text
    assert auth.token_principal(db, world.tokens["analyst"], None) is not None
    owned = agreements.list_agreements(db, world.principal("contributor"))
    assert owned[0]["revoked_at"] is None and owned[0]["active"]
