"""Tables of the access area: users, sessions, API tokens, sharing agreements, publication.

Ownership and publication are columns that every owned table adds with
:func:`ownership_columns` (an ``organisation_id`` and a ``state``), so that queries filter on
them directly; the history of each object's state lives in :data:`publication_events`.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from thbhub.storage.schema import metadata

#: The publication states, in the order an object usually moves through them.
PUBLICATION_STATES: tuple[str, ...] = ("draft", "submitted", "published", "withdrawn")

#: The key in ``Table.info`` that marks a table as publishable, e.g.
#: ``Table("datasets", metadata, *cols, info={PUBLISHABLE: "dataset"})``.
PUBLISHABLE = "thbhub_publishable"

#: The key in ``Table.info`` of a table whose rows carry a ``state`` that follows a
#: publishable parent's, e.g. case records follow their import: ``info={STATE_FOLLOWS:
#: "case_imports"}``.  The table has a foreign key to the parent (its columns matched to the
#: parent's ``id`` and ``organisation_id``); a transition of the parent updates the rows with
#: one UPDATE in the same transaction (:func:`thbhub.access.publication.transition`).
STATE_FOLLOWS = "thbhub_state_follows"


def ownership_columns() -> list[Column[object]]:
    """Fresh ``organisation_id`` / ``state`` / ``state_changed_at`` columns for an owned table.

    Use them both in the ``Table`` definition and in the area's migration (call it again:
    a Column can belong to one table only).  The table also needs an ``id`` primary key.
    """
    states = ", ".join(f"'{s}'" for s in PUBLICATION_STATES)
    return [
        Column(
            "organisation_id",
            Integer,
            ForeignKey("organisations.id"),
            nullable=False,
            index=True,
        ),
        Column(
            "state",
            String(12),
            CheckConstraint(f"state IN ({states})", name="publication_state"),
            nullable=False,
            default="draft",
            server_default="draft",
        ),
        Column("state_changed_at", DateTime(timezone=True)),
    ]


users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False, unique=True),  # stored lower-case
    Column("organisation_id", Integer, ForeignKey("organisations.id"), nullable=False),
    Column("role", String(20), nullable=False),  # contributor | analyst | admin
    Column("password_hash", String(200)),  # Argon2id; NULL: cannot log in with a password
    Column("disabled", Boolean, nullable=False, default=False),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_login_at", DateTime(timezone=True)),
    # Who created the account (an admin's e-mail, or cli:<login> for the operator).
    Column("created_by", String(320)),
    # NULL: pending, the organisation has not approved the account yet (it reads nothing of
    # the organisation's); see thbhub.access.users.approve.
    Column("approved_at", DateTime(timezone=True)),
    Column("approved_by", String(320)),
    Index("ix_users_organisation", "organisation_id"),
)

user_sessions = Table(
    "user_sessions",
    metadata,
    # sha256 of the random session key; the key itself lives only in the signed cookie.
    Column("id", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
    Column("address", String(64)),
    Index("ix_user_sessions_user", "user_id"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("prefix", String(16), nullable=False),  # shown in lists to tell tokens apart
    Column("token_hash", String(64), nullable=False, unique=True),  # sha256 hex
    Column("scopes", JSON, nullable=False),  # ["read"] or ["read", "write"]
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("last_used_at", DateTime(timezone=True)),
    Index("ix_api_tokens_user", "user_id"),
)

sharing_agreements = Table(
    "sharing_agreements",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("owner_organisation_id", Integer, ForeignKey("organisations.id"), nullable=False),
    Column("grantee_organisation_id", Integer, ForeignKey("organisations.id"), nullable=False),
    Column("object_type", String(60), nullable=False),  # what is shared: case_records
    Column("purpose", Text, nullable=False),
    Column("valid_from", DateTime(timezone=True), nullable=False),
    Column("valid_until", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(320), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("revoked_by", String(320)),
    Index("ix_sharing_agreements_grantee", "grantee_organisation_id", "object_type"),
)

publication_events = Table(
    "publication_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("object_type", String(60), nullable=False),
    Column("object_id", String(200), nullable=False),
    Column("organisation_id", Integer, nullable=False),
    Column("from_state", String(12), nullable=False),
    Column("to_state", String(12), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("user_id", Integer),
    Column("email", String(320)),
    Column("note", Text),
    Index("ix_publication_events_object", "object_type", "object_id"),
)
