"""The analysts' text around the computed figures of a report, with its numbers filled from
placeholders (``reports.placeholders``) and the ones that changed since writing pointed out.

The generator calls :func:`blocks_for` for every section; the editing services are in
``reports.narrative_edit``.  Who reads what: published blocks are public; drafts and
withdrawn blocks only the writers of the owning organisation (``narrative_edit.may_write``).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from thbhub.domain.errors import NotFoundError, PermissionDenied, UserError
from thbhub.domain.principals import Principal, Role
from thbhub.privacy.public import ProtectedTables
from thbhub.reports.markup import render
from thbhub.reports.narrative_sections import check_place, report_type
from thbhub.reports.placeholders import Figure, Placeholder, Resolver, parse
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage import narrative as q

#: Roles that may write report text (with an organisation of kind ``secretariat``).
WRITERS = (Role.analyst, Role.contributor)


@dataclass(frozen=True)
class NarrativeBlock:
    id: int
    report_key: str
    section: str
    position: int
    version: int
    state: str
    author: str | None
    updated_at: datetime
    organisation_id: int
    #: The text as written, placeholders and all.
    source: str
    #: Escaped HTML (paragraphs, emphasis, links) with the placeholders filled.
    html: str
    #: Markdown with the placeholders filled (for the Markdown report).
    markdown: str
    #: Sentences for analysts: "LV 2020 victims was 45 when written, now 47" (empty for
    #: readers who may not edit the block).
    stale: list[str] = field(default_factory=list)
    figures: tuple[Figure, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "report": self.report_key,
            "section": self.section,
            "position": self.position,
            "version": self.version,
            "state": self.state,
            "author": self.author,
            "updated_at": self.updated_at.isoformat(),
            "source": self.source,
            "html": self.html,
            "markdown": self.markdown,
            "stale": list(self.stale),
            "figures": [f.as_dict() for f in self.figures],
        }


def may_write_as(principal: Principal, organisation_kind: str | None) -> bool:
    """Analysts and contributors of the secretariat (an organisation of kind ``secretariat``)
    write report text; admins manage accounts and publication, not report prose."""
    return (
        principal.role in WRITERS
        and principal.organisation_id is not None
        and organisation_kind == "secretariat"
    )


def writer_of(db: Database, principal: Principal) -> bool:
    if principal.role not in WRITERS or principal.organisation_id is None:
        return False
    with db.connect() as conn:
        return may_write_as(principal, q.organisation_kind(conn, principal.organisation_id))


def _label(figure: Figure) -> str:
    parts = [figure.source or "", figure.source_version or ""]
    return " ".join(p for p in parts if p)


def _span(figure: Figure) -> str:
    title = html.escape(_label(figure), quote=True)
    attr = f' title="{title}"' if title else ""
    return f'<span class="figure status-{figure.status}"{attr}>{html.escape(figure.shown)}</span>'


def render_block(row: dict[str, Any], resolver: Resolver, *, with_stale: bool) -> NarrativeBlock:
    """A stored block (its current version) with the placeholders filled now.

    ``with_stale``: the reader is a writer of the block's organisation, who also gets the
    author (an e-mail address: personal data the public does not need)."""
    text: str = row["markdown"]
    written: dict[str, Any] = row.get("figures") or {}
    try:
        found = parse(text)
    except UserError:  # checked at save; a rule tightened since leaves the text unfilled
        found = []
    figures: list[Figure] = []
    stale: list[str] = []
    for _span_range, ph in found:
        before = Figure.from_dict(written[ph.key]) if ph.key in written else None
        prefer = before.source.split(" / ")[0] if before and before.source else None
        now = resolver.current(ph, prefer)
        figures.append(now)
        if before is not None and not before.same_number(now):
            stale.append(f"{ph.label} was {before.shown} when written, now {now.shown}")
    body_html, body_md = render(
        text,
        [s for s, _ in found],
        lambda i: _span(figures[i]),
        lambda i: figures[i].shown,
    )
    return NarrativeBlock(
        id=int(row["id"]),
        report_key=row["report_key"],
        section=row["section"],
        position=int(row["position"]),
        version=int(row["version"]),
        state=row["state"],
        author=row["author"] if with_stale else None,
        updated_at=row["updated_at"],
        organisation_id=int(row["organisation_id"]),
        source=text,
        html=body_html,
        markdown=body_md,
        stale=stale if with_stale else [],
        figures=tuple(figures),
    )


def blocks_for(
    db: Database,
    settings: Settings,
    principal: Principal,
    report_key: str,
    section: str,
    *,
    tables: ProtectedTables | None = None,
) -> list[NarrativeBlock]:
    """The published text blocks of one report section, in order, with the placeholders
    filled from the data as it is now.  The analysts who may edit a block also get its
    ``stale`` list.  ``tables``: the app's cache of the public case-record lattice.

    A section no text can be written for (not in ``narrative_sections``) simply has none:
    the generator asks for every section it renders."""
    with db.connect() as conn:
        rows = q.blocks(conn, report_key=report_key, section=section)
    if not rows:
        return []
    resolver = Resolver(db, settings, tables or ProtectedTables())
    editor = writer_of(db, principal)
    return [
        render_block(
            r, resolver, with_stale=editor and r["organisation_id"] == principal.organisation_id
        )
        for r in rows
    ]


def visible_states(db: Database, principal: Principal) -> tuple[tuple[str, ...], int | None]:
    """The states the principal reads: published, and its own organisation's drafts and
    withdrawn blocks for writers."""
    if writer_of(db, principal):
        return ("published", "draft", "withdrawn"), principal.organisation_id
    return ("published",), None


def list_blocks(
    db: Database,
    settings: Settings,
    principal: Principal,
    report_key: str | None = None,
    section: str | None = None,
    *,
    tables: ProtectedTables | None = None,
) -> list[NarrativeBlock]:
    """Blocks the principal may read (all reports, or one report and section)."""
    if report_key is not None:
        report_type(report_key) if section is None else check_place(report_key, section)
    states, org = visible_states(db, principal)
    with db.connect() as conn:
        rows = q.blocks(
            conn, report_key=report_key, section=section, states=states, organisation_id=org
        )
    resolver = Resolver(db, settings, tables or ProtectedTables())
    return [
        render_block(r, resolver, with_stale=org is not None and r["organisation_id"] == org)
        for r in rows
    ]


def readable_block(db: Database, principal: Principal, text_id: int) -> dict[str, Any]:
    """A stored block the principal may read, else NotFoundError (ids reveal nothing)."""
    with db.connect() as conn:
        row = q.block(conn, text_id)
    states, org = visible_states(db, principal)
    if row is None or not (
        row["state"] == "published" or (row["state"] in states and row["organisation_id"] == org)
    ):
        raise NotFoundError(f"no report text {text_id}")
    return row


def get_block(
    db: Database,
    settings: Settings,
    principal: Principal,
    text_id: int,
    tables: ProtectedTables | None = None,
) -> NarrativeBlock:
    row = readable_block(db, principal, text_id)
    _, org = visible_states(db, principal)
    resolver = Resolver(db, settings, tables or ProtectedTables())
    return render_block(row, resolver, with_stale=row["organisation_id"] == org)


def history(db: Database, principal: Principal, text_id: int) -> list[dict[str, Any]]:
    """Every version of a block, oldest first: for the writers of its organisation only
    (earlier versions may be drafts never published, and name their authors)."""
    row = readable_block(db, principal, text_id)
    _, org = visible_states(db, principal)
    if row["organisation_id"] != org:
        raise PermissionDenied("the history of a report text is read by its organisation")
    with db.connect() as conn:
        return q.history(conn, text_id)


def stale_blocks(
    db: Database,
    settings: Settings,
    principal: Principal,
    report_key: str | None = None,
    tables: ProtectedTables | None = None,
) -> list[dict[str, Any]]:
    """One row per placeholder whose number changed since its block was written, over the
    blocks the principal may edit (``thbhub report-text check``)."""
    out = []
    for block in list_blocks(db, settings, principal, report_key, tables=tables):
        for sentence in block.stale:
            out.append(
                {
                    "id": block.id,
                    "report": block.report_key,
                    "section": block.section,
                    "version": block.version,
                    "changed": sentence,
                }
            )
    return out


def preview(
    db: Database,
    settings: Settings,
    text: str,
    name: str = "text",
    tables: ProtectedTables | None = None,
) -> tuple[str, list[Figure]]:
    """The HTML of an unsaved text and its figures; a bad placeholder is refused."""
    found = parse(text, name)
    resolver = Resolver(db, settings, tables or ProtectedTables())
    figures = [resolver.check(ph, name) for _, ph in found]
    body_html, _ = render(
        text, [s for s, _ in found], lambda i: _span(figures[i]), lambda i: figures[i].shown
    )
    return body_html, figures


def placeholders_of(text: str, name: str = "text") -> list[Placeholder]:
    return [ph for _, ph in parse(text, name)]
