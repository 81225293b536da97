"""`thbhub orgs|users|tokens|agreements|publication|audit`: access control at the shell.

The CLI runs as the server operator, who has shell access to the server and its database
and so is trusted: changes are made as an admin and logged as ``cli:<login>``.  Sharing
agreements are made on behalf of the owning organisation (``--owner``).
"""

from __future__ import annotations

import os
import sys
from datetime import datetime

import typer

from thbhub.access import agreements, audit, auth, publication, users
from thbhub.cases.sample_importer import DEMO_ORGANISATION
from thbhub.cli.context import state
from thbhub.cli.output import Format, FormatOption, emit, info
from thbhub.domain.errors import NotFoundError, UserError
from thbhub.domain.principals import Principal, Role

orgs_app = typer.Typer(
    help="Organisations: agencies, NGOs, the secretariat, partners.", no_args_is_help=True
)
users_app = typer.Typer(help="Users: one organisation and one role each.", no_args_is_help=True)
tokens_app = typer.Typer(
    help="API tokens for scripts (Authorization: Bearer).", no_args_is_help=True
)
agreements_app = typer.Typer(
    help="Sharing agreements: an owner grants another organisation "
    "read access to its raw case records.",
    no_args_is_help=True,
)
publication_app = typer.Typer(
    help="Publication states of contributed objects.", no_args_is_help=True
)

_USER_COLUMNS = [
    "id",
    "email",
    "organisation",
    "role",
    "approved_at",
    "disabled",
    "locked_until",
    "last_login_at",
]
_TOKEN_COLUMNS = [
    "id",
    "email",
    "name",
    "prefix",
    "scopes",
    "expires_at",
    "revoked_at",
    "last_used_at",
]
_AGREEMENT_COLUMNS = [
    "id",
    "owner",
    "grantee",
    "object_type",
    "purpose",
    "valid_until",
    "active",
    "revoked_at",
]


def register(app: typer.Typer) -> None:
    app.add_typer(orgs_app, name="orgs")
    app.add_typer(users_app, name="users")
    app.add_typer(tokens_app, name="tokens")
    app.add_typer(agreements_app, name="agreements")
    app.add_typer(publication_app, name="publication")
    app.command("audit")(audit_command)


def _read_password(from_stdin: bool) -> str | None:
    if not from_stdin:
        return None
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise UserError("--password-stdin given but standard input held no password")
    return password


# --- orgs ------------------------------------------------------------------------------------


@orgs_app.command("add")
def orgs_add(
    ctx: typer.Context,
    name: str,
    country: str = typer.Option(..., "--country", help="ISO 3166 alpha-2 code, e.g. LT."),
    kind: str = typer.Option("agency", "--kind", help="agency, ngo, secretariat or partner."),
    fmt: FormatOption = Format.table,
) -> None:
    """Add an organisation."""
    emit(users.add_organisation(state(ctx).db(), users.operator(), name, country, kind), fmt)


@orgs_app.command("list")
def orgs_list(ctx: typer.Context, fmt: FormatOption = Format.table) -> None:
    """List organisations with their country, kind and number of active users."""
    emit(
        users.list_organisations(state(ctx).db()),
        fmt,
        columns=["id", "name", "country", "kind", "users", "created_at"],
    )


# --- users -----------------------------------------------------------------------------------


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    email: str,
    org: str = typer.Option(..., "--org", help="Organisation name (or id)."),
    role: str = typer.Option(..., "--role", help="contributor, analyst or admin."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input."
    ),
    fmt: FormatOption = Format.table,
) -> None:
    """Add a user.  Without --password-stdin a random password is generated and shown once."""
    password = _read_password(password_stdin)
    generated = password is None
    password = password or users.generate_password()
    row = users.add_user(state(ctx).db(), users.operator(), email, org, role, password)
    emit(row, fmt, columns=_USER_COLUMNS)
    if generated:
        info(f"Password for {row['email']} (shown once): {password}")


@users_app.command("list")
def users_list(
    ctx: typer.Context,
    org: str | None = typer.Option(None, "--org", help="Only this organisation."),
    fmt: FormatOption = Format.table,
) -> None:
    """List users with organisation, role and status."""
    emit(users.list_users(state(ctx).db(), org), fmt, columns=_USER_COLUMNS)


@users_app.command("disable")
def users_disable(
    ctx: typer.Context,
    email: str,
    enable: bool = typer.Option(False, "--enable", help="Re-enable instead."),
    fmt: FormatOption = Format.table,
) -> None:
    """Disable a user: ends their sessions and revokes their API tokens."""
    row = users.set_disabled(state(ctx).db(), users.operator(), email, not enable)
    emit(row, fmt, columns=_USER_COLUMNS)


@users_app.command("approve")
def users_approve(ctx: typer.Context, email: str, fmt: FormatOption = Format.table) -> None:
    """Approve a pending account (one an administrator created, or whose password an
    administrator reset) as the server operator.  Normally a contributor of the account's
    organisation does this on their account page; use it when the organisation has no
    approved contributor left."""
    row = users.approve(state(ctx).db(), users.operator(), email)
    emit(row, fmt, columns=_USER_COLUMNS)


@users_app.command("set-password")
def users_set_password(
    ctx: typer.Context,
    email: str,
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input."
    ),
) -> None:
    """Set a user's password (and lift a lock-out).

    Without --password-stdin a random one is generated and shown once.
    """
    password = _read_password(password_stdin)
    if password is None:  # the same service as "Set a new password" on /admin
        row, password = users.reset_password(state(ctx).db(), users.operator(), email)
        info(f"Password of {row['email']} set (shown once): {password}")
        return
    row = users.set_password(state(ctx).db(), users.operator(), email, password)
    info(f"Password of {row['email']} set.")


@users_app.command("ensure-admin")
def users_ensure_admin(
    ctx: typer.Context,
    email: str = typer.Option("admin@thbhub.local", "--email", help="The first admin's e-mail."),
    org: str = typer.Option("CBSS Secretariat", "--org", help="The secretariat's name."),
    url: str | None = typer.Option(None, "--url", help="Where the hub is served, for the hint."),
) -> None:
    """Create the first admin unless one exists (idempotent) and say how to log in.

    The password is THBHUB_ADMIN_PASSWORD if set, else generated and shown once."""
    st = state(ctx)
    result = users.ensure_admin(
        st.db(), email=email, organisation=org, password=os.environ.get("THBHUB_ADMIN_PASSWORD")
    )
    base = url or f"http://{st.settings().host}:{st.settings().port}"
    where = base.rstrip("/") + "/login"
    if not result["created"]:
        info(
            f"Admin: log in at {where} as {result['email']} (forgot the password? "
            f"`thbhub users set-password {result['email']}`)."
        )
    elif result["password"]:
        info(
            f"Created the first admin. Log in at {where} as {result['email']} with password "
            f"{result['password']} (shown once; change it on your account page)."
        )
    else:
        info(
            f"Created the first admin. Log in at {where} as {result['email']} with the "
            "password in THBHUB_ADMIN_PASSWORD."
        )


@users_app.command("ensure-demo")
def users_ensure_demo(
    ctx: typer.Context,
    email: str = typer.Option("demo@thbhub.local", "--email", help="The demo user's e-mail."),
    url: str | None = typer.Option(None, "--url", help="Where the hub is served, for the hint."),
) -> None:
    """Create a contributor of the bundled demo organisation unless it exists (idempotent).

    With it, the case-record pages can be seen with the sample's real records.  Needs the
    sample data (`thbhub init --sample`); the password is generated and shown once.
    """
    st = state(ctx)
    try:
        result = users.ensure_user(st.db(), email, DEMO_ORGANISATION, "contributor")
    except NotFoundError as exc:
        raise UserError(
            f"no demo organisation {DEMO_ORGANISATION!r}: load the sample first with "
            "`thbhub init --sample`"
        ) from exc
    base = url or f"http://{st.settings().host}:{st.settings().port}"
    where = base.rstrip("/") + "/login"
    whose = f"the case records of {result['organisation']!r}"
    if result["created"]:
        info(
            f"Demo: log in at {where} as {result['email']} with password {result['password']} "
            f"(shown once) to see {whose}."
        )
    else:
        info(
            f"Demo: log in at {where} as {result['email']} to see {whose} (forgot the password? "
            f"`thbhub users set-password {result['email']}`)."
        )


# --- tokens ----------------------------------------------------------------------------------


@tokens_app.command("create")
def tokens_create(
    ctx: typer.Context,
    email: str,
    expires: int = typer.Option(90, "--expires", help="Days until the token expires."),
    scope: list[str] = typer.Option(["read"], "--scope", help="read or write; repeatable."),
    name: str = typer.Option("cli", "--name", help="A label to tell tokens apart."),
) -> None:
    """Create an API token for a user and print it alone on stdout (it is shown once)."""
    row = auth.create_token(
        state(ctx).db(), users.operator(), email, days=expires, scopes=tuple(scope), name=name
    )
    sys.stdout.write(row["token"] + "\n")
    info(
        f"Token {row['id']} for {row['email']}, scopes {', '.join(row['scopes'])}, "
        f"expires {row['expires_at']:%Y-%m-%d}."
    )


@tokens_app.command("list")
def tokens_list(
    ctx: typer.Context,
    user: str | None = typer.Option(None, "--user", help="Only this user's tokens."),
    fmt: FormatOption = Format.table,
) -> None:
    """List API tokens (never their secrets)."""
    emit(auth.list_tokens(state(ctx).db(), users.operator(), user), fmt, columns=_TOKEN_COLUMNS)


@tokens_app.command("revoke")
def tokens_revoke(ctx: typer.Context, token_id: int, fmt: FormatOption = Format.table) -> None:
    """Revoke an API token by id."""
    emit(
        auth.revoke_token(state(ctx).db(), users.operator(), token_id), fmt, columns=_TOKEN_COLUMNS
    )


# --- agreements ------------------------------------------------------------------------------


def _owner(ctx: typer.Context, owner: str) -> Principal:
    with state(ctx).db().connect() as conn:
        org = users.find_organisation(conn, owner)
    return users.operator(Role.contributor, org["id"])


@agreements_app.command("add")
def agreements_add(
    ctx: typer.Context,
    owner: str = typer.Option(..., "--owner", help="The organisation that owns the records."),
    grantee: str = typer.Option(..., "--grantee", help="The organisation given read access."),
    until: datetime = typer.Option(
        ..., "--until", formats=["%Y-%m-%d"], help="Last day of access (YYYY-MM-DD)."
    ),
    purpose: str = typer.Option(..., "--purpose", help="Why the records are shared."),
    fmt: FormatOption = Format.table,
) -> None:
    """Record a sharing agreement on behalf of the owner."""
    row = agreements.grant(state(ctx).db(), _owner(ctx, owner), grantee, until.date(), purpose)
    emit(row, fmt, columns=_AGREEMENT_COLUMNS[:-2] + ["valid_from"])


@agreements_app.command("list")
def agreements_list(
    ctx: typer.Context,
    org: str | None = typer.Option(None, "--org", help="Only agreements this org is party to."),
    fmt: FormatOption = Format.table,
) -> None:
    """List sharing agreements."""
    emit(
        agreements.list_agreements(state(ctx).db(), users.operator(), org),
        fmt,
        columns=_AGREEMENT_COLUMNS,
    )


@agreements_app.command("revoke")
def agreements_revoke(
    ctx: typer.Context, agreement_id: int, fmt: FormatOption = Format.table
) -> None:
    """Revoke a sharing agreement (on behalf of its owner)."""
    db = state(ctx).db()
    rows = [a for a in agreements.list_agreements(db, users.operator()) if a["id"] == agreement_id]
    if not rows:
        raise UserError(f"no sharing agreement {agreement_id}; see `thbhub agreements list`")
    who = users.operator(Role.contributor, rows[0]["owner_organisation_id"])
    emit(agreements.revoke(db, who, agreement_id), fmt, columns=_AGREEMENT_COLUMNS[:-1])


# --- publication -----------------------------------------------------------------------------


@publication_app.command("types")
def publication_types(fmt: FormatOption = Format.table) -> None:
    """Object types that have a publication state."""
    emit(
        [{"object_type": k, "table": t.name} for k, t in publication.publishable_tables().items()],
        fmt,
        columns=["object_type", "table"],
    )


@publication_app.command("queue")
def publication_queue(ctx: typer.Context, fmt: FormatOption = Format.table) -> None:
    """Objects submitted and waiting for publication."""
    emit(
        publication.queue(state(ctx).db(), users.operator()),
        fmt,
        columns=["object_type", "id", "title", "organisation_id", "state_changed_at"],
    )


@publication_app.command("set")
def publication_set(
    ctx: typer.Context,
    object_type: str,
    object_id: str,
    to: str = typer.Option(..., "--to", help="published, draft (send back) or withdrawn."),
    note: str | None = typer.Option(None, "--note"),
    fmt: FormatOption = Format.table,
) -> None:
    """Publish, send back or withdraw an object, as the secretariat."""
    emit(
        publication.change_state(
            state(ctx).db(), users.operator(), object_type, object_id, to, note
        ),
        fmt,
    )


# --- audit -----------------------------------------------------------------------------------


def audit_command(
    ctx: typer.Context,
    since: datetime | None = typer.Option(None, "--since", help="From this date or time (UTC)."),
    until: datetime | None = typer.Option(None, "--until", help="Before this date or time."),
    user: str | None = typer.Option(None, "--user", help="Actor's e-mail."),
    org: str | None = typer.Option(None, "--org", help="Organisation (actor or owner)."),
    action: str | None = typer.Option(None, "--action", help="e.g. read, export, create."),
    limit: int = typer.Option(1000, "--limit", min=1, max=100000),
    fmt: FormatOption = Format.table,
) -> None:
    """Read the audit log, newest first (runs as the server operator)."""
    rows = audit.entries(
        state(ctx).db(),
        users.operator(),
        since=since,
        until=until,
        email=user,
        organisation=org,
        action=action,
        limit=limit,
    )
    # The table is for a terminal: the essentials.  JSON and CSV carry every field.
    brief = ["id", "at", "email", "action", "object_type", "object_id", "organisation_id", "rows"]
    emit(rows, fmt, columns=brief if fmt is Format.table else None)
