"""Log-in, log-out, lock-out, Bearer tokens, CSRF on every form, stored XSS and SQL
injection, through the app in-process on both backends."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from access_support import (
    MARKER,
    PASSWORD,
    World,
    bearer,
    browser_client,
    build_world,
    login,
    page_csrf,
)
from thbhub.access import users
from thbhub.domain.errors import UserError
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.schema import metadata
from thbhub.web.access import Access, route_table
from thbhub.web.app import create_app
from thbhub.web.auth import COOKIE


@pytest.fixture
def world(settings: Settings, db: Database) -> World:
    return build_world(settings, db)


@pytest.fixture
def app(settings: Settings, db: Database, world: World) -> FastAPI:
    return create_app(settings, db)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def _counts(db: Database) -> dict[str, int]:
    with db.connect() as conn:
        return {
            name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
            for name, table in metadata.tables.items()
            # The audit log records reads; privacy_public_versions records what the public
            # tables published and insights_lattices the stored insight lattices, both written
            # when a version is first protected (by whichever request or refresh comes
            # first): none is data a parameter could change.
            if name not in ("audit_log", "privacy_public_versions", "insights_lattices")
        }


def test_login_logout_and_redirects(app: FastAPI, world: World) -> None:
    client = TestClient(app)
    r = client.get("/admin", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/admin"
    assert COOKIE in r.cookies  # even anonymous visitors get a (CSRF) session cookie
    r = login(client, world.emails["admin"], "wrong password!")
    assert r.status_code == 401 and "wrong e-mail or password" in r.text
    token = page_csrf(client)
    r = client.post(
        "/login",
        data={
            "email": world.emails["admin"],
            "password": PASSWORD,
            "csrf_token": token,
            "next": "https://evil.example/",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/"  # no open redirect
    assert page_csrf(client) != token  # a new session gets a new CSRF token
    page = client.get("/admin")
    assert page.status_code == 200 and "Log out" in page.text and world.emails["admin"] in page.text
    assert client.get("/api/v1/me").json()["role"] == "admin"  # the cookie works for the API
    r = client.post("/logout", data={"csrf_token": page_csrf(client)}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/api/v1/me").json()["role"] == "public"
    assert client.get("/admin", follow_redirects=False).status_code == 303


def test_lockout_through_the_web(settings: Settings, db: Database, world: World) -> None:
    app = create_app(settings.model_copy(update={"lockout_failures": 2}), db)
    client = TestClient(app)
    for _ in range(2):
        assert login(client, world.emails["analyst"], "not the password").status_code == 401
    r = login(client, world.emails["analyst"])
    assert r.status_code == 401 and "locked" in r.text
    admin = browser_client(app, world, "admin")
    users_page = admin.get("/admin").text
    assert "locked until" in users_page


def test_bearer_tokens(client: TestClient, world: World, db: Database) -> None:
    r = client.get("/api/v1/users")
    assert r.status_code == 401 and r.json()["error"]["status"] == 401
    assert r.headers["www-authenticate"] == "Bearer"
    r = client.get("/api/v1/users", headers={"Authorization": "Bearer thb_nope"})
    assert r.status_code == 401 and "unknown, expired or revoked" in r.json()["error"]["message"]
    r = client.get("/api/v1/users", headers={"Authorization": "Basic abc"})
    assert r.status_code == 401
    r = client.get("/api/v1/users", headers=bearer(world, "analyst"))
    assert r.status_code == 403 and "analyst" in r.json()["error"]["message"]
    r = client.get("/api/v1/users", headers=bearer(world, "admin"))
    assert r.status_code == 200 and len(r.json()) == len(world.emails)
    # A token is shown once at creation and works at once; a read-only one cannot write.
    r = client.post(
        "/api/v1/tokens", json={"name": "ro", "days": 2}, headers=bearer(world, "analyst")
    )
    assert r.status_code == 201
    ro = {"Authorization": f"Bearer {r.json()['token']}"}
    assert client.get("/api/v1/tokens", headers=ro).status_code == 200
    assert all("token" not in t for t in client.get("/api/v1/tokens", headers=ro).json())
    r = client.post("/api/v1/tokens", json={}, headers=ro)
    assert r.status_code == 403 and "read scope" in r.json()["error"]["message"]
    r = client.delete(f"/api/v1/tokens/{r.json() and world.token_ids['analyst']}", headers=ro)
    assert r.status_code == 403
    # Revocation works at once.
    tid = world.token_ids["foreign"]
    r = client.delete(f"/api/v1/tokens/{tid}", headers=bearer(world, "foreign"))
    assert r.status_code == 200 and r.json()["revoked_at"]
    assert client.get("/api/v1/me", headers=bearer(world, "foreign")).status_code == 401


def _forms(app: FastAPI) -> list[tuple[str, Access]]:
    """Every state-changing page route (pages are what HTML forms post to)."""
    return [
        (path, level)
        for method, path, level in route_table(app)
        if method in ("POST", "PUT", "PATCH", "DELETE") and not path.startswith("/api/")
    ]


def _caller_for(level: Access) -> str:
    return {Access.admin: "admin", Access.analyst: "analyst"}.get(level, "contributor")


def test_csrf_on_every_form(app: FastAPI, world: World, db: Database) -> None:
    forms = _forms(app)
    assert {"/login", "/logout", "/admin/users", "/agreements"} <= {p for p, _ in forms}
    # A user no caller below logs in as: a form with the right token may change that user
    # (an admin's password reset), and the analyst still has to log in for later forms.
    sample = {"user_id": str(world.user_ids["foreign"]), "token_id": "1", "agreement_id": "1"}
    for path, level in forms:
        who = "public" if level is Access.public else _caller_for(level)
        client = browser_client(app, world, who)
        # Every path parameter (with or without a converter such as {doc_id:int}) is given
        # a value, so the route is reached and its CSRF check is what answers.
        url = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: sample.get(m.group(1), "1"), path)
        before = _counts(db)
        for headers, data in (
            ({}, {}),  # no token at all
            ({}, {"csrf_token": "forged"}),
            ({"X-CSRF-Token": "forged"}, {}),
        ):
            r = client.post(
                url, data={"email": "x@y.lt", **data}, headers=headers, follow_redirects=False
            )
            assert r.status_code == 403, (path, r.status_code)
            assert "CSRF" in r.text, path
        # A token from another visitor's session does not pass either.
        other = page_csrf(TestClient(app))
        r = client.post(url, data={"csrf_token": other}, follow_redirects=False)
        assert r.status_code == 403, path
        assert _counts(db) == before, f"{path} changed data without a valid CSRF token"
        # The right token gets past the check (the route may still reject the empty form).
        r = client.post(url, data={"csrf_token": page_csrf(client)}, follow_redirects=False)
        assert r.status_code != 403 or "CSRF" not in r.text, path
    # htmx sends the token as a header: base.html puts it on <body hx-headers>.
    client = browser_client(app, world, "contributor")
    page = client.get("/agreements").text
    assert f'"X-CSRF-Token": "{page_csrf(client)}"' in page


XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_stored_xss_is_escaped_on_every_page(app: FastAPI, world: World, db: Database) -> None:
    op = users.operator()
    users.add_organisation(db, op, f"Evil {XSS} Org", "PL", "ngo")
    with pytest.raises(UserError):  # markup never even gets into an e-mail address
        users.add_user(db, op, "xss'\"<b>@evil.pl", f"Evil {XSS} Org", "analyst", PASSWORD)
    users.add_user(db, op, "tom&jerry@evil.pl", f"Evil {XSS} Org", "analyst", PASSWORD)
    admin = browser_client(app, world, "admin")
    admin_csrf = page_csrf(admin)
    r = admin.post("/api/v1/tokens", json={"name": XSS}, headers={"X-CSRF-Token": admin_csrf})
    assert r.status_code == 201
    contributor = browser_client(app, world, "contributor")
    r = contributor.post(
        "/agreements",
        data={
            "grantee": f"Evil {XSS} Org",
            "until": "2099-01-01",
            "purpose": XSS,
            "csrf_token": page_csrf(contributor),
        },
        follow_redirects=False,
    )
    assert r.status_code == 400 and "at most" in r.text  # too long an agreement
    assert "<script>" not in r.text
    r = contributor.post(
        "/agreements",
        data={
            "grantee": f"Evil {XSS} Org",
            "until": "2027-01-01",
            "purpose": XSS,
            "csrf_token": page_csrf(contributor),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    pages: list[tuple[TestClient, str]] = [
        (admin, "/admin"),
        (admin, "/admin/audit"),
        (admin, f"/admin/audit?user={XSS}"),
        (admin, "/account"),
        (contributor, "/agreements"),
        (contributor, "/"),
        (TestClient(app), f"/login?next={XSS}"),
    ]
    for who, url in pages:
        html = who.get(url).text
        assert "<script>alert" not in html and "<img src=x" not in html, url
    assert "Evil &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in admin.get("/admin").text
    assert "&lt;script&gt;" in contributor.get("/agreements").text
    assert "tom&amp;jerry@evil.pl" in admin.get("/admin").text


INJECTIONS = [
    "' OR '1'='1",
    "1; DROP TABLE users; --",
    "x') UNION SELECT password_hash FROM users --",
    '" OR ""="',
    "%' OR 1=1 --",
    "\\'; SELECT pg_sleep(0); --",
    # Not SQL, but the same class of hole: an id past the 32-bit keys overflowed in the driver.
    "99999999999999999999",
]


def _filter_params(app: FastAPI) -> list[tuple[str, str, Access]]:
    """(path, query parameter, level) for every GET route with a query parameter."""
    spec = app.openapi()
    levels = {p: lvl for m, p, lvl in route_table(app) if m == "GET"}
    out = []
    for path, item in spec["paths"].items():
        for param in item.get("get", {}).get("parameters", []):
            if param["in"] == "query":
                out.append((path, param["name"], levels.get(path, Access.public)))
    for page in ("/admin/audit", "/topics", "/login"):
        if page in levels:
            for name in ("since", "user", "org", "action", "scheme", "next"):
                out.append((page, name, levels[page]))
    return out


def test_sql_injection_in_every_filter(app: FastAPI, world: World, db: Database) -> None:
    params = _filter_params(app)
    assert ("/api/v1/audit", "user", Access.admin) in params
    admin = browser_client(app, world, "admin")
    before = _counts(db)
    for path, name, level in params:
        who = (
            "public"
            if level is Access.public
            else ("admin" if level is Access.admin else "contributor")
        )
        for payload in INJECTIONS:
            headers = bearer(world, who) if path.startswith("/api/") else {}
            client = admin if not path.startswith("/api/") else TestClient(app)
            r = client.get(path, params={name: payload}, headers=headers)
            assert r.status_code < 500, (path, name, payload, r.text[:200])
            body = r.text.lower()
            assert "syntax error" not in body and "sqlite" not in body, (path, name)
            assert "argon2" not in body, (path, name)
            if r.status_code == 200 and path == "/api/v1/audit":
                assert r.json() == [], (name, payload)  # matched nothing, leaked nothing
    assert _counts(db) == before


def test_foreign_contributor_sees_no_alpha_rows(app: FastAPI, world: World) -> None:
    client = TestClient(app)
    h = bearer(world, "foreign")
    for url in ("/api/v1/agreements", "/api/v1/tokens", "/api/v1/me", "/api/v1/organisations"):
        r = client.get(url, headers=h)
        assert r.status_code == 200 and MARKER not in r.text, url
    gamma = TestClient(app)
    r = gamma.get("/api/v1/agreements", headers=bearer(world, "contributor"))
    assert MARKER in r.text  # the owner does see its own agreement


def test_csrf_on_the_api_follows_the_session(app: FastAPI, world: World) -> None:
    # Logged in by cookie: the API needs the token like a form does.
    client = browser_client(app, world, "analyst")
    r = client.post("/api/v1/tokens", json={"name": "x"})
    assert r.status_code == 403 and "CSRF" in r.json()["error"]["message"]
    r = client.post(
        "/api/v1/tokens", json={"name": "x"}, headers={"X-CSRF-Token": page_csrf(client)}
    )
    assert r.status_code == 201
    # An anonymous cookie carries no authority: the route's own rule (401) answers.
    anonymous = TestClient(app)
    anonymous.get("/")
    assert COOKIE in anonymous.cookies
    assert anonymous.post("/api/v1/tokens", json={}).status_code == 401


def test_admin_forms_and_password_change(app: FastAPI, world: World, db: Database) -> None:
    admin = browser_client(app, world, "admin")
    token = page_csrf(admin)
    r = admin.post(
        "/admin/organisations",
        data={
            "name": "Politsei- ja Piirivalveamet",
            "country": "ee",
            "kind": "agency",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    r = admin.post(
        "/admin/users",
        data={
            "email": "mari@politsei.ee",
            "organisation": "Politsei- ja Piirivalveamet",
            "role": "analyst",
            "password": "mari's password",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    r = admin.post(
        "/admin/users",
        data={
            "email": "mari@politsei.ee",
            "organisation": "Beta NGO",
            "role": "analyst",
            "password": "mari's password",
            "csrf_token": token,
        },
    )
    assert r.status_code == 400 and "already exists" in r.text  # shown on the admin page
    page = admin.get("/admin").text
    assert "Politsei- ja Piirivalveamet" in page and "mari@politsei.ee" in page
    # The new user changes her password: the wrong current one is refused, then it works
    # and every session of hers ends.
    mari = TestClient(app)
    assert login(mari, "mari@politsei.ee", "mari's password").status_code == 303
    other = TestClient(app)
    assert login(other, "mari@politsei.ee", "mari's password").status_code == 303
    r = mari.post(
        "/account/password",
        data={"current": "wrong one!!", "new": "a new password", "csrf_token": page_csrf(mari)},
    )
    assert r.status_code == 200 and "the current password is wrong" in r.text  # redirected
    r = mari.post(
        "/account/password",
        data={"current": "mari's password", "new": "a new password", "csrf_token": page_csrf(mari)},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/account"
    assert other.get("/api/v1/me").json()["role"] == "public"
    assert login(TestClient(app), "mari@politsei.ee", "a new password").status_code == 303
    trail = admin.get(
        "/api/v1/audit", params={"user": "mari@politsei.ee"}, headers={"X-CSRF-Token": token}
    ).json()
    assert "set_password" in {r["action"] for r in trail}


def test_admins_get_no_case_records_link_and_a_reason(
    settings: Settings, db: Database, world: World
) -> None:
    # Administering the hub gives no access to victims' records: the page says why, the API
    # refuses the same way, and the navigation does not offer the page.
    app = create_app(settings, db)
    admin = browser_client(app, world, "admin")
    r = admin.get("/cases")
    assert r.status_code == 403 and "administrators do not read case records" in r.text
    assert 'href="/cases"' not in admin.get("/").text
    api = admin.get("/api/v1/cases")
    assert api.status_code == 403 and "administrators" in api.json()["error"]["message"]
    contributor = browser_client(app, world, "contributor")
    assert 'href="/cases"' in contributor.get("/").text
    assert contributor.get("/cases").status_code == 200
    assert 'href="/cases"' in TestClient(app).get("/").text  # visitors: the way to log in
