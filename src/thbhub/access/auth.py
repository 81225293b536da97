"""Who is asking: log-in with lock-out, server-side sessions, and API tokens.

A session key and an API token are random secrets handed to the client once; the database
keeps only their SHA-256, so a copy of the database logs nobody in.  (A plain hash suffices:
the secrets carry 256 bits of randomness, unlike passwords, which get Argon2.)
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from thbhub.access import users
from thbhub.access.audit import record
from thbhub.access.users import get_user, now, require_admin, verify_password
from thbhub.domain.errors import (
    AuthenticationRequired,
    DatabaseUnavailable,
    NotFoundError,
    PermissionDenied,
    UserError,
)
from thbhub.domain.principals import Principal, Role
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage import access as q

log = logging.getLogger("thbhub.access")

TOKEN_PREFIX = "thb_"
SCOPES = ("read", "write")
MAX_TOKEN_DAYS = 366


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Authenticated:
    principal: Principal
    scopes: frozenset[str] = field(default_factory=lambda: frozenset(SCOPES))


def principal_of(user: dict[str, Any], origin: str, address: str | None) -> Principal:
    """The principal of a user's session or token.  An account its organisation has not
    approved (``approved_at`` empty) acts as :attr:`Role.pending` whatever its stored role,
    so every role check (routes, policy, publication, agreements) refuses it by default."""
    return Principal(
        role=users.effective_role(user),
        user_id=user["id"],
        email=user["email"],
        organisation_id=user["organisation_id"],
        origin=origin,
        address=address,
    )


_FAILED = "wrong e-mail or password"
#: Failed log-ins from one address within the lock-out window, as a multiple of the
#: per-account limit, after which that address is refused for the window.
ADDRESS_FACTOR = 4


def failed_message(settings: Settings) -> str:
    """The one answer to every failed log-in: an unknown e-mail, a wrong password, a disabled
    or a locked account.  Saying "locked" only for real accounts would tell anyone which
    e-mail addresses have one; so the lock-out is explained to everybody, and recorded."""
    return (
        f"{_FAILED}. After {settings.lockout_failures} failed attempts an account is locked "
        f"for {settings.lockout_minutes:g} minutes; an administrator can unlock it at once by "
        "setting a new password"
    )


def _anonymous_failure(conn: Connection, email: str, address: str | None, reason: str) -> None:
    """Audit a failed log-in that names no known, usable account (as the public)."""
    who = Principal(Role.public, email=email[:320], origin="web", address=address)
    record(conn, who, "login_failed", "user", detail={"reason": reason})


def _check_password(
    conn: Connection,
    settings: Settings,
    email: str,
    password: str,
    address: str | None,
    at: datetime,
) -> tuple[dict[str, Any] | None, str | None]:
    """(the user, ``None``) if ``password`` is theirs and they may log in; otherwise (the
    user or ``None``, why not: ``address``, ``unknown``, ``locked``, ``wrong``).  Counts the
    failure towards the lock-out and audits it; every branch does one Argon2 verification,
    so the time taken tells nothing either."""
    window = at - timedelta(minutes=settings.lockout_minutes)
    user = q.user_by(conn, email=email, secrets=True)
    if address and q.failed_logins_from(conn, address, window) >= ADDRESS_FACTOR * (
        settings.lockout_failures
    ):
        # Guessing across many accounts from one place: slow that address down too.
        _anonymous_failure(conn, email, address, "too many failures from this address")
        return user, "address"
    if user is None:
        verify_password(None, password)  # same work as for a real user
        _anonymous_failure(conn, email, address, "unknown e-mail")
        return None, "unknown"
    if user["locked_until"] is not None and user["locked_until"] > at:
        verify_password(None, password)  # same work as for an unknown e-mail
        record(
            conn,
            principal_of(user, "web", address),
            "login_failed",
            "user",
            object_id=str(user["id"]),
            organisation_id=user["organisation_id"],
            detail={"reason": "locked"},
        )
        return user, "locked"
    if user["disabled"] or not verify_password(user["password_hash"], password):
        failures = int(user["failed_logins"]) + 1
        values: dict[str, Any] = {"failed_logins": failures}
        locked = failures >= settings.lockout_failures
        if locked:
            values["locked_until"] = at + timedelta(minutes=settings.lockout_minutes)
            values["failed_logins"] = 0
        q.update_user(conn, user["id"], values)
        record(
            conn,
            principal_of(user, "web", address),
            "lock" if locked else "login_failed",
            "user",
            object_id=str(user["id"]),
            organisation_id=user["organisation_id"],
            detail={"reason": "disabled" if user["disabled"] else "wrong password"},
        )
        return user, "locked" if locked else "wrong"
    return user, None


def log_in(
    db: Database, settings: Settings, email: str, password: str, address: str | None = None
) -> tuple[Principal, str]:
    """Check a password; returns the principal and a new session key (for the cookie).

    After ``settings.lockout_failures`` wrong passwords in a row the account is locked for
    ``settings.lockout_minutes``; while locked even the right password is refused.  Failures
    and lock-outs are audited; the message never says whether the e-mail exists.
    """
    email = email.strip().lower()
    at = now()
    with db.begin() as conn:
        user, failure = _check_password(conn, settings, email, password, address, at)
        if failure is None and user is not None:
            key = secrets.token_urlsafe(32)
            q.insert_session(
                conn,
                {
                    "id": digest(key),
                    "user_id": user["id"],
                    "created_at": at,
                    "expires_at": at + timedelta(hours=settings.session_hours),
                    "address": address,
                },
            )
            q.update_user(
                conn, user["id"], {"failed_logins": 0, "locked_until": None, "last_login_at": at}
            )
            # Forget this user's sessions that ended or expired long ago (the audit log keeps
            # the log-ins; a session row is needed only while the session lives).
            q.purge_sessions(conn, user["id"], at - timedelta(days=30))
            principal = principal_of(user, "web", address)
            record(
                conn,
                principal,
                "login",
                "user",
                object_id=str(user["id"]),
                organisation_id=user["organisation_id"],
            )
    # Outside the block so the failure's audit entry and counter are committed.
    if failure == "address":
        raise AuthenticationRequired(
            "too many failed log-ins from your address; try again in "
            f"{settings.lockout_minutes:g} minutes"
        )
    if failure is not None:
        raise AuthenticationRequired(failed_message(settings))
    return principal, key


def log_out(db: Database, principal: Principal, session_key: str) -> None:
    with db.begin() as conn:
        q.end_sessions(conn, now(), session_hash=digest(session_key))
        if principal.user_id is not None:
            record(
                conn,
                principal,
                "logout",
                "user",
                object_id=str(principal.user_id),
                organisation_id=principal.organisation_id,
            )


def session_principal(db: Database, session_key: str, address: str | None) -> Principal | None:
    with db.connect() as conn:
        user = q.session_user(conn, digest(session_key), now())
    return principal_of(user, "web", address) if user else None


def token_principal(db: Database, token: str, address: str | None) -> Authenticated | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    at = now()
    with db.connect() as conn:
        user = q.token_user(conn, digest(token), at)
    if user is None:
        return None
    last = user.get("last_used_at")
    if last is None or (at - last).total_seconds() > 60:  # one write a minute at most
        try:
            with db.begin() as conn:
                q.touch_token(conn, int(user["token_id"]), at)
        except DatabaseUnavailable as exc:
            # Noting the use is bookkeeping: a database busy with a long import must not
            # refuse the call (the next one a minute on notes it).
            log.warning("could not note the use of API token %s: %s", user["token_id"], exc)
    return Authenticated(principal_of(user, "api", address), frozenset(user["scopes"]))


# --- API tokens ------------------------------------------------------------------------------


def create_token(
    db: Database,
    principal: Principal,
    email: str | None = None,
    *,
    days: int = 90,
    scopes: tuple[str, ...] = ("read",),
    name: str = "",
) -> dict[str, Any]:
    """Create an API token; the returned ``token`` is shown once and never stored.

    Users create tokens for themselves; the operator (``thbhub tokens create``) for anyone.
    """
    if principal.is_public:
        raise AuthenticationRequired("log in to create an API token")
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise UserError(f"a token expires after 1 to {MAX_TOKEN_DAYS} days, not {days}")
    bad = [s for s in scopes if s not in SCOPES]
    if bad or not scopes:
        raise UserError(f"scopes must be among {', '.join(SCOPES)}, not {bad or 'none'}")
    name = " ".join(name.split())[:100] or "token"
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    at = now()
    with db.begin() as conn:
        user = get_user(conn, email if email is not None else principal.user_id or 0)
        if user["id"] != principal.user_id:
            require_admin(principal)
            # A token is a credential: an administrator on the web holding one for another
            # user would read what that user reads.  Only the operator at the shell (who holds
            # the database anyway) makes tokens for others.
            if principal.origin != "cli":
                raise PermissionDenied("API tokens are created by their own user")
        if user["disabled"]:
            raise UserError(f"user {user['email']!r} is disabled")
        values = {
            "user_id": user["id"],
            "name": name,
            "prefix": token[: len(TOKEN_PREFIX) + 6],
            "token_hash": digest(token),
            "scopes": sorted(set(scopes) | {"read"}),  # write implies read
            "created_at": at,
            "expires_at": at + timedelta(days=days),
        }
        token_id = q.insert_token(conn, values)
        record(
            conn,
            principal,
            "create",
            "api_token",
            object_id=str(token_id),
            organisation_id=user["organisation_id"],
            rows=1,
            detail={"email": user["email"], "scopes": values["scopes"], "days": days},
        )
        row = q.token_by_id(conn, token_id)
    assert row is not None
    return {**row, "token": token}


def list_tokens(
    db: Database, principal: Principal, email: str | None = None
) -> list[dict[str, Any]]:
    """Tokens (never their secrets): an admin sees everyone's, others only their own."""
    with db.connect() as conn:
        if principal.role is Role.admin:
            user_id = get_user(conn, email)["id"] if email else None
        else:
            if principal.user_id is None:
                raise AuthenticationRequired("log in to see your API tokens")
            user_id = principal.user_id
        return q.token_rows(conn, user_id)


def revoke_token(db: Database, principal: Principal, token_id: int) -> dict[str, Any]:
    with db.begin() as conn:
        row = q.token_by_id(conn, token_id)
        # Someone else's token is "not found", so ids do not reveal other users' tokens.
        if row is None or (
            principal.role is not Role.admin and row["user_id"] != principal.user_id
        ):
            raise NotFoundError(f"no API token {token_id}")
        if row["revoked_at"] is None:
            q.revoke_tokens(conn, now(), token_id=token_id)
            user = get_user(conn, int(row["user_id"]))
            record(
                conn,
                principal,
                "revoke",
                "api_token",
                object_id=str(token_id),
                organisation_id=user["organisation_id"],
                rows=1,
                detail={"email": row["email"]},
            )
        result = q.token_by_id(conn, token_id)
    assert result is not None
    return result


def check_scope(auth: Authenticated, method: str) -> None:
    if method not in ("GET", "HEAD", "OPTIONS") and "write" not in auth.scopes:
        raise PermissionDenied(
            "this API token has only the read scope; create one with --scope write to change data"
        )


def change_own_password(
    db: Database, settings: Settings, principal: Principal, current: str, new: str
) -> None:
    """A user changes their password, proving the current one (failures count towards the
    lock-out like failed log-ins); all their sessions end."""
    if principal.user_id is None or principal.email is None:
        raise AuthenticationRequired("log in to change your password")
    from thbhub.access.users import hash_password, set_password

    hash_password(new)  # a too-short new password is refused before the current one counts
    with db.begin() as conn:
        _, failure = _check_password(
            conn, settings, principal.email, current, principal.address, now()
        )
    # The user is logged in, so the answer may be precise: there is no e-mail to guess.
    if failure == "locked":
        raise AuthenticationRequired(
            "the current password was wrong too many times: your account is locked for up to "
            f"{settings.lockout_minutes:g} minutes (or until an administrator sets a new "
            "password)"
        )
    if failure is not None:
        raise AuthenticationRequired("the current password is wrong")
    set_password(db, principal, principal.user_id, new)
