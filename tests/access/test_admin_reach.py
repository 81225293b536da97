"""Issue 13, section 2, replayed end to end through the API and the pages on both backends:
no single administrator action gives anyone an organisation's case records.

The attack: a secretariat admin creates an analyst in "Police PL" (which holds case records),
logs in as that user, and reads and exports Police PL's records.  Now the account is pending
until a contributor of Police PL approves it; Police PL sees it among its members, the
creation is audited under Police PL, the admin cannot approve it, and a password the admin
sets (which the admin then knows) takes the account back to pending and ends its sessions
and its API tokens."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from access_support import PASSWORD, csrf_of, login, page_csrf
from case_support import ctdc_row, write_ctdc
from thbhub.access import audit, auth, users
from thbhub.domain.errors import PermissionDenied
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.app import create_app

ADMIN = "admin@secretariat.se"
BOSS = "boss@police.pl"
SPY = "spy@police.pl"
SPY_PASSWORD = "admin knows this one"


@pytest.fixture
def app(settings: Settings, db: Database, tmp_path: Path) -> FastAPI:
    """Police PL with one approved contributor (created by the operator) who has imported
    three case records through the API; a secretariat admin."""
    op = users.operator()
    users.add_organisation(db, op, "CBSS Secretariat", "SE", "secretariat")
    users.add_organisation(db, op, "Police PL", "PL", "agency")
    users.add_user(db, op, ADMIN, "CBSS Secretariat", "admin", PASSWORD)
    users.add_user(db, op, BOSS, "Police PL", "contributor", PASSWORD)
    app = create_app(settings, db)
    boss = _bearer(db, BOSS)
    path = write_ctdc(tmp_path / "police.csv", [ctdc_row(X=str(i)) for i in range(1, 4)])
    with path.open("rb") as fh:
        response = TestClient(app).post(
            "/api/v1/cases/import",
            headers=boss,
            files={"file": ("police.csv", fh, "text/csv")},
            data={"format": "ctdc"},
        )
    assert response.status_code == 200, response.text
    return app


def _bearer(db: Database, email: str) -> dict[str, str]:
    token = auth.create_token(db, users.operator(), email, days=5, scopes=("read", "write"))
    return {"Authorization": f"Bearer {token['token']}"}


def _user(db: Database, email: str) -> dict:
    with db.connect() as conn:
        return users.get_user(conn, email)


def _logged_in(app: FastAPI, email: str, password: str = PASSWORD) -> TestClient:
    client = TestClient(app)
    assert login(client, email, password).status_code == 303
    return client


def _reads_records(client: TestClient, headers: dict[str, str] | None = None) -> bool:
    """Whether the caller gets Police PL's records, by the list and by the export."""
    listed = client.get("/api/v1/cases", headers=headers or {})
    exported = client.get("/api/v1/cases/export?format=ctdc", headers=headers or {})
    assert listed.status_code in (200, 403, 404), listed.text
    assert (listed.status_code == 200) == (exported.status_code == 200), exported.text
    return listed.status_code == 200 and len(listed.json()) == 3


def _api_create(admin: TestClient, email: str, org: str, role: str) -> dict:
    response = admin.post(
        "/api/v1/users",
        json={"email": email, "organisation": org, "role": role, "password": SPY_PASSWORD},
        headers={"X-CSRF-Token": page_csrf(admin)},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_an_account_an_admin_creates_reads_nothing_until_the_organisation_approves(
    app: FastAPI, db: Database
) -> None:
    admin = _logged_in(app, ADMIN)
    created = _api_create(admin, SPY, "Police PL", "analyst")
    assert created["approved_at"] is None and created["created_by"] == ADMIN

    # The attack: log in as the new account and read, by session and by a token it makes.
    spy = _logged_in(app, SPY, SPY_PASSWORD)
    assert spy.get("/api/v1/me").json()["role"] == "pending"
    assert not _reads_records(spy)
    assert spy.get("/cases").status_code in (403, 404)
    made = spy.post(
        "/api/v1/tokens", json={"name": "t", "days": 5}, headers={"X-CSRF-Token": page_csrf(spy)}
    )
    assert made.status_code == 201, made.text
    spy_token = {"Authorization": f"Bearer {made.json()['token']}"}
    assert not _reads_records(TestClient(app), spy_token)
    # Nor may it approve itself, nor list the organisation's members.
    own_id = created["id"]
    headers = {"X-CSRF-Token": page_csrf(spy)}
    assert spy.post(f"/api/v1/members/{own_id}/approve", headers=headers).status_code == 403
    assert spy.get("/api/v1/members").status_code == 403
    # The admin may not approve it either.
    refused = admin.post(
        f"/api/v1/members/{own_id}/approve", headers={"X-CSRF-Token": page_csrf(admin)}
    )
    assert refused.status_code == 403
    with pytest.raises(Exception, match="not by an administrator"):
        users.approve(db, auth.principal_of(_user(db, ADMIN), "web", None), SPY)

    # Police PL is told: the account is on its members' list and page, audited under it.
    boss = _logged_in(app, BOSS)
    listed = {m["email"]: m for m in boss.get("/api/v1/members").json()}
    assert listed[SPY]["pending"] is True and listed[SPY]["created_by"] == ADMIN
    page = boss.get("/account").text
    assert SPY in page and "pending" in page and f"/account/members/{own_id}/approve" in page
    police_id = created["organisation_id"]
    entries = audit.entries(db, users.operator(), organisation=str(police_id), action="create")
    assert any(e["object_type"] == "user" and e["detail"]["email"] == SPY for e in entries)

    # Approved by Police PL's contributor on the account page, it reads the records.
    response = boss.post(
        f"/account/members/{own_id}/approve",
        data={"csrf_token": csrf_of(page)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert _reads_records(spy) and _reads_records(TestClient(app), spy_token)


def test_the_admin_page_form_creates_pending_accounts_too(app: FastAPI) -> None:
    admin = _logged_in(app, ADMIN)
    page = admin.get("/admin").text
    response = admin.post(
        "/admin/users",
        data={
            "csrf_token": csrf_of(page),
            "email": SPY,
            "organisation": "Police PL",
            "role": "contributor",
            "password": SPY_PASSWORD,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "pending" in admin.get("/admin").text
    spy = _logged_in(app, SPY, SPY_PASSWORD)
    assert not _reads_records(spy)
    # A pending contributor changes nothing either: no sharing agreement, no import.
    grant = spy.post(
        "/api/v1/agreements",
        json={"grantee": "CBSS Secretariat", "until": "2027-01-01", "purpose": "exfiltrate"},
        headers={"X-CSRF-Token": page_csrf(spy)},
    )
    assert grant.status_code == 403


def test_an_admin_password_reset_ends_sessions_and_tokens_and_needs_approval_again(
    app: FastAPI, db: Database
) -> None:
    users.add_user(db, users.operator(), SPY, "Police PL", "analyst", SPY_PASSWORD)
    victim = _logged_in(app, SPY, SPY_PASSWORD)
    token = _bearer(db, SPY)
    assert _reads_records(victim) and _reads_records(TestClient(app), token)

    admin = _logged_in(app, ADMIN)
    user_id = _user(db, SPY)["id"]
    response = admin.post(
        f"/admin/users/{user_id}/password",
        data={"csrf_token": csrf_of(admin.get("/admin").text)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    shown = admin.get("/admin").text  # the new password, shown once to the admin
    password = shown.split('<code id="new-password">')[1].split("</code>")[0]

    assert victim.get("/api/v1/me").json()["authenticated"] is False  # session ended
    assert TestClient(app).get("/api/v1/me", headers=token).status_code == 401  # token too
    # The admin, who now knows the password, logs in and reads nothing...
    as_admin = _logged_in(app, SPY, password)
    assert not _reads_records(as_admin)
    # ...until Police PL approves the account again.
    users.approve(db, auth.principal_of(_user(db, BOSS), "web", None), SPY)
    assert _reads_records(as_admin)


def test_the_first_contributor_of_a_new_organisation_needs_no_approval(app: FastAPI) -> None:
    """The bootstrap: a brand-new organisation has nobody to ask and nothing to read, so its
    first contributor acts at once; its next accounts wait for that contributor."""
    admin = _logged_in(app, ADMIN)
    headers = {"X-CSRF-Token": page_csrf(admin)}
    assert admin.post("/api/v1/organisations", json={"name": "Border Guard"}, headers=headers)
    first = _api_create(admin, "first@border.ee", "Border Guard", "contributor")
    assert first["approved_at"] is not None
    second = _api_create(admin, "second@border.ee", "Border Guard", "contributor")
    assert second["approved_at"] is None
    client = _logged_in(app, "first@border.ee", SPY_PASSWORD)
    assert client.get("/api/v1/me").json()["role"] == "contributor"
    assert client.get("/api/v1/cases").status_code == 200
    # The first analyst of an organisation is not a bootstrap: an analyst approves nobody.
    assert admin.post("/api/v1/organisations", json={"name": "Coast Guard"}, headers=headers)
    analyst = _api_create(admin, "analyst@coast.ee", "Coast Guard", "analyst")
    assert analyst["approved_at"] is None


def test_the_operator_at_the_shell_is_trusted(db: Database, app: FastAPI) -> None:
    """`thbhub users add` and `users approve` act as the operator, who holds the database:
    accounts it creates act at once, and it may approve a pending one."""
    row = users.add_user(db, users.operator(), "op@police.pl", "Police PL", "analyst", None)
    assert row["approved_at"] is not None and row["created_by"].startswith("cli:")
    admin = auth.principal_of(_user(db, ADMIN), "web", None)
    pending = users.add_user(db, admin, SPY, "Police PL", "analyst", SPY_PASSWORD)
    assert pending["approved_at"] is None
    assert users.approve(db, users.operator(), SPY)["approved_by"].startswith("cli:")


def test_an_admin_on_the_web_makes_no_token_for_another_user(db: Database, app: FastAPI) -> None:
    """A token is a credential: the service refuses an admin principal (not the operator)
    a token for someone else, whatever route might call it."""
    admin = auth.principal_of(_user(db, ADMIN), "web", None)
    with pytest.raises(PermissionDenied):
        auth.create_token(db, admin, BOSS)
    assert auth.create_token(db, users.operator(), BOSS)["token"].startswith("thb_")
