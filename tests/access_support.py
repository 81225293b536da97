"""A small world of organisations, users and tokens for the access tests.

Alpha Agency (LT) owns private things whose text carries :data:`MARKER`: its users' e-mail
addresses, an API token, a sharing agreement with Gamma Police.  Beta NGO (LV) is "another
organisation": its contributor must never see the marker anywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from thbhub.access import agreements, auth, users
from thbhub.domain.principals import Principal, Role
from thbhub.settings import Settings
from thbhub.storage import Database

MARKER = "alpha-private"
PASSWORD = "correct horse battery"
#: The callers every matrix and schemathesis test runs as.  "foreign" is a contributor of
#: another organisation than the one owning the test rows; "pending" an analyst of the
#: owning organisation that an admin created and the organisation has not approved.
PRINCIPALS = ("public", "contributor", "analyst", "admin", "foreign", "pending")


@dataclass
class World:
    settings: Settings
    db: Database
    orgs: dict[str, int]
    emails: dict[str, str]
    user_ids: dict[str, int]
    tokens: dict[str, str] = field(default_factory=dict)
    token_ids: dict[str, int] = field(default_factory=dict)
    agreement_id: int = 0

    def principal(self, who: str) -> Principal:
        org = {"admin": "sec", "foreign": "beta"}.get(who, "alpha")
        role = Role.contributor if who == "foreign" else Role(who)
        return Principal(
            role=role,
            user_id=self.user_ids[who],
            email=self.emails[who],
            organisation_id=self.orgs[org],
        )


def build_world(settings: Settings, db: Database) -> World:
    op = users.operator()
    orgs = {
        "sec": users.add_organisation(db, op, "CBSS Secretariat", "SE", "secretariat")["id"],
        "alpha": users.add_organisation(db, op, "Alpha Agency", "LT", "agency")["id"],
        "beta": users.add_organisation(db, op, "Beta NGO", "LV", "ngo")["id"],
        "gamma": users.add_organisation(db, op, "Gamma Police", "EE", "agency")["id"],
    }
    emails = {
        "contributor": f"contributor@{MARKER}.lt",
        "analyst": f"analyst@{MARKER}.lt",
        "admin": "admin@secretariat.se",
        "foreign": "contributor@beta.lv",
    }
    org_of = {
        "contributor": "Alpha Agency",
        "analyst": "Alpha Agency",
        "admin": "CBSS Secretariat",
        "foreign": "Beta NGO",
    }
    role_of = {
        "contributor": "contributor",
        "analyst": "analyst",
        "admin": "admin",
        "foreign": "contributor",
    }
    user_ids = {}
    for who, email in emails.items():
        user_ids[who] = users.add_user(db, op, email, org_of[who], role_of[who], PASSWORD)["id"]
    # An analyst of Alpha created by an admin on the web: pending until Alpha approves it.
    emails["pending"] = "pending@alpha.lt"
    admin = Principal(Role.admin, user_ids["admin"], emails["admin"], orgs["sec"], "web")
    user_ids["pending"] = users.add_user(
        db, admin, emails["pending"], "Alpha Agency", "analyst", PASSWORD
    )["id"]
    world = World(settings, db, orgs, emails, user_ids)
    for who, email in emails.items():
        row = auth.create_token(db, op, email, days=30, scopes=("read", "write"), name=who)
        world.tokens[who], world.token_ids[who] = row["token"], row["id"]
    alpha = world.principal("contributor")
    world.agreement_id = agreements.grant(
        db,
        alpha,
        "Gamma Police",
        date.today() + timedelta(days=30),
        f"joint investigation {MARKER}",
    )["id"]
    return world


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def login(client: TestClient, email: str, password: str = PASSWORD) -> Any:
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )


def browser_client(app: FastAPI, world: World, who: str) -> TestClient:
    """A cookie-carrying client logged in as ``who`` (anonymous for "public")."""
    client = TestClient(app)
    if who != "public":
        response = login(client, world.emails[who])
        assert response.status_code == 303, response.text
    return client


def page_csrf(client: TestClient) -> str:
    return csrf_of(client.get("/login").text)


def bearer(world: World, who: str) -> dict[str, str]:
    return {} if who == "public" else {"Authorization": f"Bearer {world.tokens[who]}"}
