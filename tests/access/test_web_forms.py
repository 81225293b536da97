"""The account, sharing and admin forms through the app in-process, on both backends:
nothing private is cacheable, a reload repeats no action (POST/redirect/GET), a secret is
shown exactly once and stored nowhere in clear, log-in failures reveal no accounts, and pages
offer only links the viewer may follow."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from access_support import PASSWORD, World, browser_client, build_world, login, page_csrf
from thbhub.access import audit, auth, users
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.schema import metadata
from thbhub.web.app import create_app
from thbhub.web.flash import COOKIE as FLASH


@pytest.fixture
def world(settings: Settings, db: Database) -> World:
    return build_world(settings, db)


@pytest.fixture
def app(settings: Settings, db: Database, world: World) -> FastAPI:
    return create_app(settings, db)


def _token_count(db: Database, user_id: int) -> int:
    tokens = metadata.tables["api_tokens"]
    with db.connect() as conn:
        q = select(func.count()).select_from(tokens).where(tokens.c.user_id == user_id)
        return int(conn.execute(q).scalar_one())


def _everything_stored(db: Database) -> str:
    """Every value of every table, as one text to search for a secret."""
    with db.connect() as conn:
        return "\n".join(
            repr(row) for table in metadata.sorted_tables for row in conn.execute(select(table))
        )


def test_private_responses_are_not_stored_static_files_are(app: FastAPI, world: World) -> None:
    analyst = browser_client(app, world, "analyst")
    admin = browser_client(app, world, "admin")
    anonymous = TestClient(app)
    responses = {
        "account page": analyst.get("/account"),
        "cases page": analyst.get("/cases"),
        "agreements page": analyst.get("/agreements"),
        "admin page": admin.get("/admin"),
        "API for a session": analyst.get("/api/v1/me"),
        "API for a token": anonymous.get(
            "/api/v1/tokens", headers={"Authorization": f"Bearer {world.tokens['analyst']}"}
        ),
        "download": analyst.get("/api/v1/cases/export", params={"format": "ctdc"}),
        "log-in page": anonymous.get("/login"),
        "a refusal before any route": anonymous.get("/api/v1/tokens"),
        "a log-in redirect": anonymous.get("/account", follow_redirects=False),
        "public page": anonymous.get("/"),
    }
    for what, r in responses.items():
        assert r.status_code < 500, what
        assert r.headers.get("cache-control") == "no-store", what
        assert r.headers.get("pragma") == "no-cache", what
    css = anonymous.get("/static/css/hub.css")
    assert css.status_code == 200 and "no-store" not in css.headers.get("cache-control", "")


def test_favicon_is_linked_and_served(app: FastAPI) -> None:
    client = TestClient(app)
    page = client.get("/").text
    link = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page)
    assert link, "base.html links no icon"
    icon = client.get(link.group(1))
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.text.lstrip().startswith("<svg") and "http" not in icon.text.replace(
        "http://www.w3.org/2000/svg", ""
    )  # self-contained: no external reference
    r = client.get("/favicon.ico")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")


def test_token_is_created_once_and_shown_once(app: FastAPI, world: World, db: Database) -> None:
    client = browser_client(app, world, "analyst")
    me = world.user_ids["analyst"]
    before = _token_count(db, me)
    r = client.post(
        "/account/tokens",
        data={"name": "nightly", "days": "30", "csrf_token": page_csrf(client)},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/account#tokens"
    assert _token_count(db, me) == before + 1
    page = client.get(r.headers["location"])
    secret = re.search(r'<code id="new-token">(thb_[^<]+)</code>', page.text)
    assert secret, "the new token is not shown after the redirect"
    token = secret.group(1)
    assert auth.token_principal(db, token, None) is not None  # the secret shown works
    # Reloading the page creates nothing and no longer shows the secret.
    again = client.get("/account")
    assert token not in again.text and 'id="new-token"' not in again.text
    assert _token_count(db, me) == before + 1
    # The secret is nowhere in the database, only its hash.
    stored = _everything_stored(db)
    assert token not in stored and auth.digest(token) in stored


def test_a_flash_belongs_to_its_session_and_page(app: FastAPI, world: World) -> None:
    client = browser_client(app, world, "analyst")
    r = client.post(
        "/account/tokens",
        data={"name": "copied", "csrf_token": page_csrf(client)},
        follow_redirects=False,
    )
    stolen = client.cookies[FLASH]
    # Another page does not take it (it waits for /account) ...
    assert "thb_" not in client.get("/agreements").text
    # ... and another session, given the cookie, sees nothing.
    other = browser_client(app, world, "contributor")
    other.cookies.set(FLASH, stolen)
    assert 'id="new-token"' not in other.get("/account").text
    # Its own page shows it once.
    assert 'id="new-token"' in client.get(r.headers["location"]).text
    assert 'id="new-token"' not in client.get(r.headers["location"]).text


def test_revoking_and_sharing_redirect_with_a_message(
    app: FastAPI, world: World, db: Database
) -> None:
    analyst = browser_client(app, world, "analyst")
    tid = world.token_ids["analyst"]
    r = analyst.post(
        f"/account/tokens/{tid}/revoke",
        data={"csrf_token": page_csrf(analyst)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "Token &#39;analyst&#39; revoked." in analyst.get(r.headers["location"]).text
    assert "revoked." not in analyst.get("/account").text  # one-shot

    contributor = browser_client(app, world, "contributor")
    last_day = (date.today() + timedelta(days=200)).isoformat()
    form = {
        "grantee": "Beta NGO",
        "until": last_day,
        "purpose": "joint study of 2025 cases",
        "csrf_token": page_csrf(contributor),
    }
    r = contributor.post("/agreements", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/agreements"
    page = contributor.get("/agreements").text
    assert f"Beta NGO may read your organisation&#39;s case records through {last_day}" in page
    # Sending the same form again (a reload of the POST) adds no second agreement.
    r = contributor.post("/agreements", data=form)
    assert r.status_code == 400 and "already shares case records with Beta NGO" in r.text
    assert 'value="joint study of 2025 cases"' in r.text  # the form comes back filled in
    rows = [a for a in contributor.get("/api/v1/agreements").json() if a["grantee"] == "Beta NGO"]
    assert len(rows) == 1
    r = contributor.post(
        f"/agreements/{rows[0]['id']}/revoke",
        data={"csrf_token": page_csrf(contributor)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "revoked" in contributor.get("/agreements").text


def test_admin_forms_redirect(app: FastAPI, world: World) -> None:
    admin = browser_client(app, world, "admin")
    token = page_csrf(admin)
    r = admin.post(
        "/admin/organisations",
        data={"name": "Valsts policija", "country": "LV", "kind": "agency", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/admin#organisations"
    assert "Organisation &#39;Valsts policija&#39; added." in admin.get("/admin").text
    r = admin.post(
        f"/admin/users/{world.user_ids['analyst']}/disable",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert f"{world.emails['analyst']} disabled" in admin.get("/admin").text
    r = admin.post(
        f"/admin/users/{world.user_ids['analyst']}/enable",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert f"{world.emails['analyst']} enabled." in admin.get("/admin").text


def test_admin_sets_a_new_password_and_unlocks(
    settings: Settings, db: Database, world: World
) -> None:
    app = create_app(settings.model_copy(update={"lockout_failures": 2}), db)
    email = world.emails["analyst"]
    victim = browser_client(app, world, "analyst")  # a session that must end
    for _ in range(2):
        assert login(TestClient(app), email, "not the password").status_code == 401
    assert login(TestClient(app), email).status_code == 401  # locked: even the right one
    admin = browser_client(app, world, "admin")
    page = admin.get("/admin").text
    assert "Locked out after too many failed log-ins" in page and email in page
    r = admin.post(
        f"/admin/users/{world.user_ids['analyst']}/password",
        data={"csrf_token": page_csrf(admin)},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/admin#users"
    shown = admin.get("/admin").text
    found = re.search(r'<code id="new-password">([^<]+)</code>', shown)
    assert found and email in shown
    password = found.group(1)
    assert "Locked out after" not in shown  # the lock is lifted
    assert password not in admin.get("/admin").text  # shown once
    assert password not in _everything_stored(db)
    assert victim.get("/api/v1/me").json()["role"] == "public"  # their sessions ended
    assert login(TestClient(app), email, PASSWORD).status_code == 401  # the old one is gone
    assert login(TestClient(app), email, password).status_code == 303
    trail = audit.entries(db, users.operator(), email=world.emails["admin"], action="set_password")
    assert trail and trail[0]["detail"]["email"] == email


def test_log_in_failures_look_alike(settings: Settings, db: Database, world: World) -> None:
    app = create_app(settings.model_copy(update={"lockout_failures": 2}), db)
    email = world.emails["analyst"]
    for _ in range(2):
        login(TestClient(app), email, "not the password")
    locked = login(TestClient(app), email)  # the right password, but locked
    unknown = login(TestClient(app), "nobody@nowhere.lt")
    wrong = login(TestClient(app), world.emails["contributor"], "not the password")

    def alert(r: Any) -> str:
        found = re.search(r'role="alert">([^<]+)<', r.text)
        assert found, r.text
        return found.group(1)

    assert locked.status_code == unknown.status_code == wrong.status_code == 401
    assert alert(locked) == alert(unknown) == alert(wrong)
    assert "wrong e-mail or password" in alert(locked)
    # Still recorded: the lock and the refusal while locked.
    actions = [r["action"] for r in audit.entries(db, users.operator(), email=email)]
    assert "lock" in actions
    reasons = [
        r["detail"].get("reason")
        for r in audit.entries(db, users.operator(), email=email, action="login_failed")
    ]
    assert "locked" in reasons


def test_wrong_current_password_says_so(app: FastAPI, world: World) -> None:
    client = browser_client(app, world, "analyst")
    r = client.post(
        "/account/password",
        data={
            "current": "not my password",
            "new": "a new password",
            "csrf_token": page_csrf(client),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/account#password"
    page = client.get("/account").text
    assert "the current password is wrong" in page and "wrong e-mail" not in page
    # A reload of /account repeats nothing: the failure was counted once.
    client.get("/account")
    assert client.get("/api/v1/me").json()["email"] == world.emails["analyst"]
    # The right one works, ends the session and says so on the log-in page.
    r = client.post(
        "/account/password",
        data={"current": PASSWORD, "new": "a new password", "csrf_token": page_csrf(client)},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/account"
    assert "Your password was changed" in client.get(r.headers["location"]).text


def test_privacy_page_offers_only_links_the_viewer_may_follow(app: FastAPI, world: World) -> None:
    link = 'href="/privacy/releases"'
    for who, offered in (("admin", False), ("public", False), ("analyst", True)):
        client = browser_client(app, world, who)
        assert (link in client.get("/privacy").text) is offered, who
        if offered:
            assert client.get("/privacy/releases").status_code == 200, who
