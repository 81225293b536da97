"""Writing report text: add, edit, publish and withdraw blocks, each a new version, audited.

Only writers (``narrative.may_write_as``: analysts and contributors of an organisation of
kind ``secretariat``) write; a block is changed only by writers of the organisation that
owns it.  Every placeholder is checked and resolved before the write (a bad one refuses the
whole text, naming its line and column), and the figures are stored with the version so that
a later change of the data is pointed out (``NarrativeBlock.stale``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from thbhub.access import audit
from thbhub.domain.errors import NotFoundError, PermissionDenied, UserError
from thbhub.domain.principals import Principal
from thbhub.privacy.public import ProtectedTables
from thbhub.reports.narrative import may_write_as
from thbhub.reports.narrative_sections import check_place
from thbhub.reports.placeholders import Resolver, parse
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage import narrative as q
from thbhub.storage.concepts import concept_detail

MAX_TEXT = 20_000
OBJECT = "report_text"


def _require_writer(db: Database, principal: Principal) -> int:
    org = principal.organisation_id
    with db.connect() as conn:
        kind = q.organisation_kind(conn, org) if org is not None else None
    if org is None or not may_write_as(principal, kind):
        raise PermissionDenied(
            "only analysts and contributors of the secretariat may write report text"
        )
    return org


def _figures(
    db: Database, settings: Settings, text: str, name: str, tables: ProtectedTables | None
) -> dict[str, Any]:
    if not text.strip():
        raise UserError(f"{name}: the text is empty")
    if len(text) > MAX_TEXT:
        raise UserError(f"{name}: {len(text):,} characters; a block holds at most {MAX_TEXT:,}")
    if "\x00" in text:
        raise UserError(f"{name}: the text holds a NUL character")
    resolver = Resolver(db, settings, tables or ProtectedTables())
    return {ph.key: resolver.check(ph, name).as_dict() for _, ph in parse(text, name)}


def _check_topic(db: Database, report_key: str) -> None:
    if report_key.startswith("topic:"):
        with db.connect() as conn:
            if concept_detail(conn, report_key.split(":", 1)[1]) is None:
                raise UserError(f"report {report_key!r}: no such concept in the taxonomy")


def add_block(
    db: Database,
    settings: Settings,
    principal: Principal,
    report_key: str,
    section: str,
    text: str,
    *,
    position: int | None = None,
    publish: bool = False,
    name: str = "text",
    tables: ProtectedTables | None = None,
) -> dict[str, Any]:
    """A new block (version 1), a draft unless ``publish``."""
    org = _require_writer(db, principal)
    check_place(report_key, section)
    _check_topic(db, report_key)
    if position is not None and not 1 <= position <= 10_000:
        raise UserError(f"position {position}: give 1 to 10000")
    figures = _figures(db, settings, text, name, tables)
    data_version = db.data_version()
    state = "published" if publish else "draft"
    at = datetime.now(UTC)
    with db.begin() as conn:
        where = position if position is not None else q.next_position(conn, report_key, section)
        text_id = q.add_block(
            conn,
            {
                "report_key": report_key,
                "section": section,
                "position": where,
                "organisation_id": org,
                "state": state,
            },
            _version("create", state, text, figures, principal, data_version),
            at,
        )
        audit.record(
            conn,
            principal,
            "create",
            OBJECT,
            object_id=str(text_id),
            organisation_id=org,
            detail={"report": report_key, "section": section, "version": 1, "state": state},
        )
    return {"id": text_id, "report": report_key, "section": section, "version": 1, "state": state}


def _version(
    action: str,
    state: str,
    text: str,
    figures: dict[str, Any],
    principal: Principal,
    data_version: int | None,
) -> dict[str, Any]:
    return {
        "action": action,
        "state": state,
        "markdown": text,
        "figures": figures,
        "author": principal.email,
        "author_user_id": principal.user_id,
        "data_version": data_version,
    }


def _own_block(db: Database, principal: Principal, text_id: int) -> dict[str, Any]:
    """The block, if the principal may change it: NotFoundError when it may not even see it,
    PermissionDenied when it sees it (published) but belongs to another organisation."""
    org = _require_writer(db, principal)
    with db.connect() as conn:
        row = q.block(conn, text_id)
    if row is None or (row["organisation_id"] != org and row["state"] != "published"):
        raise NotFoundError(f"no report text {text_id}")
    if row["organisation_id"] != org:
        raise PermissionDenied("only the organisation that wrote a report text may change it")
    return row


def _next(
    db: Database,
    principal: Principal,
    row: dict[str, Any],
    version: dict[str, Any],
    expected: int | None,
    position: int | None = None,
) -> dict[str, Any]:
    text_id = int(row["id"])
    number = int(row["version"]) + 1
    try:
        with db.begin() as conn:
            current = q.block(conn, text_id)
            if current is None or int(current["version"]) != (expected or int(row["version"])):
                now = current["version"] if current else "?"
                raise UserError(
                    f"report text {text_id} changed since it was read (now version {now}); "
                    "read it again and repeat the change"
                )
            q.add_version(conn, text_id, number, version, datetime.now(UTC), position)
            audit.record(
                conn,
                principal,
                version["action"],
                OBJECT,
                object_id=str(text_id),
                organisation_id=int(row["organisation_id"]),
                detail={
                    "report": row["report_key"],
                    "section": row["section"],
                    "version": number,
                    "state": version["state"],
                },
            )
    except IntegrityError:  # another writer took the same version number first
        raise UserError(
            f"report text {text_id} changed while it was saved; read it again and repeat"
        ) from None
    return {
        "id": text_id,
        "report": row["report_key"],
        "section": row["section"],
        "version": number,
        "state": version["state"],
    }


def edit_block(
    db: Database,
    settings: Settings,
    principal: Principal,
    text_id: int,
    text: str | None = None,
    *,
    position: int | None = None,
    expected_version: int | None = None,
    name: str = "text",
    tables: ProtectedTables | None = None,
) -> dict[str, Any]:
    """A new version with the new text (and/or position); the state stays as it was
    (an edit of a published block is published at once).  Figures are resolved again."""
    row = _own_block(db, principal, text_id)
    if row["state"] == "withdrawn":
        raise UserError(f"report text {text_id} is withdrawn; add a new block instead")
    if text is None and position is None:
        raise UserError("give the new text, a new position, or both")
    if position is not None and not 1 <= position <= 10_000:
        raise UserError(f"position {position}: give 1 to 10000")
    body = row["markdown"] if text is None else text
    figures = _figures(db, settings, body, name, tables)
    version = _version("edit", row["state"], body, figures, principal, db.data_version())
    return _next(db, principal, row, version, expected_version, position)


def set_state(
    db: Database,
    settings: Settings,
    principal: Principal,
    text_id: int,
    to: str,
    *,
    expected_version: int | None = None,
    tables: ProtectedTables | None = None,
) -> dict[str, Any]:
    """Publish a draft (``published``) or withdraw a block (``withdrawn``: the soft delete;
    the text and its history stay).  Publishing resolves the figures again, so the numbers
    the published text was checked against are those of the day it was published."""
    row = _own_block(db, principal, text_id)
    moves = {"published": ("draft",), "withdrawn": ("draft", "published")}
    if to not in moves:
        raise UserError(f"cannot move a report text to {to!r}; publish or withdraw it")
    if row["state"] not in moves[to]:
        raise UserError(f"report text {text_id} is {row['state']}; it cannot become {to}")
    figures = row["figures"] or {}
    if to == "published":
        figures = _figures(db, settings, row["markdown"], f"report text {text_id}", tables)
    action = "publish" if to == "published" else "withdraw"
    version = _version(action, to, row["markdown"], figures, principal, db.data_version())
    return _next(db, principal, row, version, expected_version)
