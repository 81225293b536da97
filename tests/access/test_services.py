"""Access services on both backends: users, log-in and lock-out, tokens, agreements, policy,
and the append-only audit log."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from access_support import MARKER, PASSWORD, build_world
from thbhub.access import agreements, audit, auth, policy, users
from thbhub.domain.errors import AuthenticationRequired, NotFoundError, PermissionDenied, UserError
from thbhub.domain.principals import PUBLIC, Principal, Role
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.schema import audit_log
from thbhub.storage.schema_access import api_tokens, sharing_agreements, user_sessions
from thbhub.storage.schema_access import users as users_table


def _audit_count(db: Database) -> int:
    with db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())


def test_users_are_validated_hashed_and_audited(settings: Settings, db: Database) -> None:
    world = build_world(settings, db)
    with db.connect() as conn:
        stored = conn.execute(
            select(users_table.c.password_hash).where(users_table.c.id == world.user_ids["analyst"])
        ).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    # Production hashes use argon2-cffi's recommended cost (tests swap in a cheap one).
    from argon2 import PasswordHasher

    assert users.PasswordHasher is PasswordHasher
    assert "m=65536,t=3" in PasswordHasher().hash("x" * 12)
    op = users.operator()
    before = _audit_count(db)
    for bad in (
        lambda: users.add_user(db, op, "not-an-email", "Alpha Agency", "analyst", PASSWORD),
        lambda: users.add_user(db, op, "x@y.lt", "Alpha Agency", "superuser", PASSWORD),
        lambda: users.add_user(db, op, "x@y.lt", "Alpha Agency", "admin", PASSWORD),
        lambda: users.add_user(db, op, "x@y.lt", "Nowhere", "analyst", PASSWORD),
        lambda: users.add_user(db, op, "x@y.lt", "Alpha Agency", "analyst", "short"),
        lambda: users.add_user(
            db, op, world.emails["analyst"].upper(), "Alpha Agency", "analyst", PASSWORD
        ),
        lambda: users.add_organisation(db, op, "alpha   agency", "LT"),
        lambda: users.add_organisation(db, op, "New", "Lithuania"),
        lambda: users.add_organisation(db, op, "New", "LT", "club"),
    ):
        with pytest.raises(UserError):
            bad()
    assert _audit_count(db) == before  # refused changes leave nothing behind
    with pytest.raises(PermissionDenied):
        users.add_organisation(db, world.principal("contributor"), "Mine", "LT")
    rows = audit.entries(db, op, action="create", organisation=world.orgs["alpha"])
    created = {r["detail"].get("email") for r in rows if r["object_type"] == "user"}
    assert created == {world.emails[w] for w in ("contributor", "analyst", "pending")}


def test_login_lockout_and_sessions(settings: Settings, db: Database) -> None:
    settings = settings.model_copy(update={"lockout_failures": 3, "lockout_minutes": 10})
    world = build_world(settings, db)
    email = world.emails["analyst"]
    principal, key = auth.log_in(db, settings, email, PASSWORD, "10.0.0.1")
    assert principal.role is Role.analyst and principal.organisation_id == world.orgs["alpha"]
    assert auth.session_principal(db, key, None) == principal.__class__(
        **{**principal.__dict__, "address": None}
    )
    for _ in range(3):
        with pytest.raises(AuthenticationRequired, match="wrong e-mail or password"):
            auth.log_in(db, settings, email, "wrong password!", None)
    with pytest.raises(AuthenticationRequired, match="locked"):
        auth.log_in(db, settings, email, PASSWORD, None)  # the right password, but locked
    with pytest.raises(AuthenticationRequired, match="wrong e-mail or password"):
        auth.log_in(db, settings, "nobody@nowhere.lt", PASSWORD, None)
    actions = [r["action"] for r in audit.entries(db, users.operator(), email=email)]
    assert actions[:5] == ["login_failed", "lock", "login_failed", "login_failed", "login"]
    # An admin lifts the lock by setting a password; that ends the old sessions too.
    users.set_password(db, world.principal("admin"), email, "a brand new password")
    assert auth.session_principal(db, key, None) is None
    old_session = {
        "id": "0" * 64,
        "user_id": world.user_ids["analyst"],
        "created_at": datetime.now(UTC) - timedelta(days=60),
        "expires_at": datetime.now(UTC) - timedelta(days=59),
    }
    with db.begin() as conn:
        conn.execute(user_sessions.insert(), old_session)
    _, key2 = auth.log_in(db, settings, email, "a brand new password", None)
    with db.connect() as conn:  # long-dead sessions are forgotten at the next log-in
        ids = set(conn.scalars(select(user_sessions.c.id)))
    assert old_session["id"] not in ids and auth.digest(key2) in ids
    auth.log_out(db, principal, key2)
    assert auth.session_principal(db, key2, None) is None
    # A disabled user cannot log in and their tokens stop working at once.
    users.set_disabled(db, world.principal("admin"), world.emails["foreign"])
    with pytest.raises(AuthenticationRequired):
        auth.log_in(db, settings, world.emails["foreign"], PASSWORD, None)
    assert auth.token_principal(db, world.tokens["foreign"], None) is None


def test_password_spraying_from_one_address_is_slowed(settings: Settings, db: Database) -> None:
    settings = settings.model_copy(update={"lockout_failures": 2})
    world = build_world(settings, db)
    limit = auth.ADDRESS_FACTOR * settings.lockout_failures
    for i in range(limit):  # one wrong guess per account: no account gets locked
        with pytest.raises(AuthenticationRequired, match="wrong"):
            auth.log_in(db, settings, f"user{i}@{MARKER}.lt", PASSWORD, "192.0.2.7")
    with pytest.raises(AuthenticationRequired, match="from your address"):
        auth.log_in(db, settings, world.emails["analyst"], PASSWORD, "192.0.2.7")
    principal, _ = auth.log_in(db, settings, world.emails["analyst"], PASSWORD, "192.0.2.8")
    assert principal.email == world.emails["analyst"]


def test_tokens_are_hashed_scoped_expiring_revocable(settings: Settings, db: Database) -> None:
    world = build_world(settings, db)
    token = world.tokens["analyst"]
    with db.connect() as conn:
        hashes = list(conn.scalars(select(api_tokens.c.token_hash)))
    assert token not in hashes and auth.digest(token) in hashes
    found = auth.token_principal(db, token, "1.2.3.4")
    assert found is not None and found.principal.email == world.emails["analyst"]
    assert found.principal.origin == "api" and found.scopes == {"read", "write"}
    analyst = world.principal("analyst")
    read_only = auth.create_token(db, analyst, days=1, scopes=("read",))
    auth_ro = auth.token_principal(db, read_only["token"], None)
    assert auth_ro is not None
    auth.check_scope(auth_ro, "GET")
    with pytest.raises(PermissionDenied, match="read scope"):
        auth.check_scope(auth_ro, "POST")
    # Users see and revoke only their own tokens; someone else's is "not found".
    assert {t["email"] for t in auth.list_tokens(db, analyst)} == {world.emails["analyst"]}
    with pytest.raises(NotFoundError):
        auth.revoke_token(db, world.principal("foreign"), read_only["id"])
    with pytest.raises(PermissionDenied):
        auth.create_token(db, analyst, world.emails["contributor"])
    with pytest.raises(UserError):
        auth.create_token(db, analyst, days=0)
    with pytest.raises(UserError):
        auth.create_token(db, analyst, scopes=("admin",))
    auth.revoke_token(db, analyst, read_only["id"])
    assert auth.token_principal(db, read_only["token"], None) is None
    # Expired: move the expiry into the past.
    with db.begin() as conn:
        conn.execute(
            update(api_tokens).where(api_tokens.c.id == world.token_ids["analyst"]),
            {"expires_at": datetime.now(UTC) - timedelta(seconds=1)},
        )
    assert auth.token_principal(db, token, None) is None
    assert auth.token_principal(db, "thb_" + "x" * 40, None) is None
    assert auth.token_principal(db, "garbage", None) is None


def test_sharing_agreements_drive_the_policy(settings: Settings, db: Database) -> None:
    world = build_world(settings, db)
    alpha, beta, gamma = world.orgs["alpha"], world.orgs["beta"], world.orgs["gamma"]
    gamma_analyst = Principal(role=Role.analyst, user_id=99, organisation_id=gamma)
    with db.connect() as conn:
        assert policy.readable_owners(conn, world.principal("analyst")) == {alpha}
        assert policy.readable_owners(conn, gamma_analyst) == {gamma, alpha}
        assert policy.readable_owners(conn, world.principal("foreign")) == {beta}
        assert policy.readable_owners(conn, world.principal("admin")) == frozenset()
        assert policy.readable_owners(conn, PUBLIC) == frozenset()
    assert policy.may_read_raw_records(gamma_analyst, alpha, shared_with={gamma})
    with db.connect() as conn:
        assert policy.agreements_for(conn, alpha) == {gamma}
        assert policy.agreements_for(conn, gamma) == frozenset()
        assert policy.may_read_raw_records(gamma_analyst, alpha, policy.agreements_for(conn, alpha))
    assert not policy.may_read_raw_records(world.principal("admin"), alpha, shared_with={gamma})
    # The grantee sees the agreement, a third organisation does not.
    assert [a["id"] for a in agreements.list_agreements(db, gamma_analyst)] == [world.agreement_id]
    assert agreements.list_agreements(db, world.principal("foreign")) == []
    # Only the owner's contributors may grant and revoke.
    with pytest.raises(PermissionDenied):
        agreements.grant(db, world.principal("analyst"), "Beta NGO", date.today(), "purpose")
    with pytest.raises(PermissionDenied):
        agreements.revoke(
            db, Principal(role=Role.contributor, organisation_id=gamma), world.agreement_id
        )
    with pytest.raises(NotFoundError):
        agreements.revoke(db, world.principal("foreign"), world.agreement_id)
    with pytest.raises(UserError, match="future"):
        agreements.grant(
            db,
            world.principal("contributor"),
            "Beta NGO",
            date.today() - timedelta(days=1),
            "purpose",
        )
    with pytest.raises(UserError, match="at most"):
        agreements.grant(
            db,
            world.principal("contributor"),
            "Beta NGO",
            date.today() + timedelta(days=5000),
            "purpose",
        )
    agreements.revoke(db, world.principal("contributor"), world.agreement_id)
    with db.connect() as conn:
        assert policy.readable_owners(conn, gamma_analyst) == {gamma}
        assert policy.agreements_for(conn, alpha) == frozenset()
    # Time-limited: an agreement past its end grants nothing.
    new = agreements.grant(
        db,
        world.principal("contributor"),
        "Beta NGO",
        date.today() + timedelta(days=1),
        "short project",
    )
    with db.connect() as conn:
        assert policy.readable_owners(conn, world.principal("foreign")) == {beta, alpha}
    with db.begin() as conn:
        conn.execute(
            update(sharing_agreements).where(sharing_agreements.c.id == new["id"]),
            {"valid_until": datetime.now(UTC) - timedelta(minutes=1)},
        )
    with db.connect() as conn:
        assert policy.readable_owners(conn, world.principal("foreign")) == {beta}
    trail = audit.entries(db, users.operator(), object_type="sharing_agreement")
    assert [r["action"] for r in trail] == ["create", "revoke", "create"]
    assert MARKER in str(trail[-1]["detail"]) or trail[-1]["detail"]["grantee"] == "Gamma Police"


def test_audit_log_is_append_only_and_admin_only(settings: Settings, db: Database) -> None:
    world = build_world(settings, db)
    before = _audit_count(db)
    assert before > 0
    for statement in (update(audit_log).values(action="nothing"), delete(audit_log)):
        with pytest.raises(DBAPIError, match="append-only"), db.begin() as conn:
            conn.execute(statement)
    if db.dialect == "postgresql":
        with pytest.raises(DBAPIError, match="append-only"), db.begin() as conn:
            conn.execute(text("TRUNCATE audit_log"))
    assert _audit_count(db) == before
    for who in ("contributor", "analyst", "foreign"):
        with pytest.raises(PermissionDenied):
            audit.entries(db, world.principal(who))
    # Admin reads through the web are themselves logged; the operator's are not.
    rows = audit.entries(db, world.principal("admin"), limit=5)
    assert len(rows) == 5 and rows[0]["id"] > rows[-1]["id"]
    assert _audit_count(db) == before + 1
    since = audit.entries(db, users.operator(), since=datetime.now(UTC) + timedelta(hours=1))
    assert since == []


def test_ensure_admin_is_idempotent(settings: Settings, db: Database) -> None:
    first = users.ensure_admin(db)
    assert first["created"] and first["password"] and len(first["password"]) >= 16
    second = users.ensure_admin(db, password="ignored password")
    assert second == {"created": False, "email": "admin@thbhub.local", "password": None}
    principal, _ = auth.log_in(db, settings, "admin@thbhub.local", first["password"])
    assert principal.role is Role.admin
    assert [o["kind"] for o in users.list_organisations(db)] == ["secretariat"]
