"""The one call behind `thbhub report`, `GET /api/v1/reports/...` and the download buttons:
build a report of a kind from the evidence base, as an edition, and render it."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from thbhub.domain.errors import UserError
from thbhub.domain.principals import PUBLIC, Principal
from thbhub.privacy.policy import DisclosurePolicy
from thbhub.privacy.public import ProtectedTables
from thbhub.reports import country, narrative, region, review, topic
from thbhub.reports.context import BuildContext, Draft
from thbhub.reports.editions import edition_for
from thbhub.reports.model import Figure, Report, Table
from thbhub.reports.render import FORMATS, render
from thbhub.reports.sections import sections_of
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage import reports as reports_q

KINDS = ("country", "region", "topic", "review")


@dataclass(frozen=True)
class Kind:
    build: Callable[[BuildContext, str], Draft]
    #: whether the report names a subject (a country code, a concept id)
    subject: bool


BUILDERS: dict[str, Kind] = {
    "country": Kind(country.build, True),
    "region": Kind(lambda ctx, _s: region.build(ctx), False),
    "topic": Kind(topic.build, True),
    "review": Kind(lambda ctx, _s: review.build(ctx), False),
}


def report_key(kind: str, subject: str | None) -> str:
    if kind not in BUILDERS:
        raise UserError(f"report {kind!r}: one of {', '.join(KINDS)}")
    needs = BUILDERS[kind].subject
    if needs and not subject:
        raise UserError(
            f"report {kind}: give the {'country code' if kind == 'country' else 'concept id'}"
        )
    if not needs and subject:
        raise UserError(f"report {kind} takes no subject (got {subject!r})")
    if kind == "country":
        return f"country:{country.check(subject or '')}"
    return f"{kind}:{subject}" if needs else kind


def build_report(
    db: Database,
    settings: Settings,
    kind: str,
    subject: str | None = None,
    *,
    year: int | None = None,
    edition: int | None = None,
    tables: ProtectedTables | None = None,
    principal: Principal = PUBLIC,
) -> Report:
    """The report as an edition: public data only, whoever asks (the principal is passed to
    the narrative only)."""
    key = report_key(kind, subject)
    if year is not None and not 1900 <= year <= 2100:
        raise UserError(f"--year {year}: a year from 1900 to 2100")
    ctx = BuildContext(db, settings, tables if tables is not None else ProtectedTables(), year)
    edition_key = key if year is None else f"{key}@{year}"
    if kind == "review":
        # The review judges progress on a day: its edition's, so that it can be made again.
        made, previous = edition_for(db, edition_key, edition, {})
        ctx.as_of = date.fromisoformat(made.made_on)
        draft = BUILDERS[kind].build(ctx, subject or "")
    else:
        draft = BUILDERS[kind].build(ctx, subject or "")
        made, previous = edition_for(db, edition_key, edition, draft.figures)
    assert tuple(s.id for s in draft.sections) == sections_of(key), "sections out of step"
    if draft.finish is not None:
        draft.finish(previous)
    for s in draft.sections:
        s.narrative = narrative.blocks_for(db, settings, principal, key, s.id, tables=ctx.tables)
    sources = sorted(
        {b.source for s in draft.sections for b in s.blocks if isinstance(b, Table | Figure)}
    )
    return Report(
        key=key,
        title=draft.title + (f", up to {year}" if year else ""),
        subtitle=draft.subtitle,
        sections=draft.sections,
        edition=made,
        sources=sources,
        policy_note=DisclosurePolicy.from_settings(settings).note(),
    )


def make(
    db: Database,
    settings: Settings,
    kind: str,
    subject: str | None,
    fmt: str,
    *,
    year: int | None = None,
    edition: int | None = None,
    tables: ProtectedTables | None = None,
    principal: Principal = PUBLIC,
) -> tuple[Report, bytes]:
    if fmt not in FORMATS:
        raise UserError(f"--format {fmt!r}: one of {', '.join(FORMATS)}")
    report = build_report(
        db, settings, kind, subject, year=year, edition=edition, tables=tables, principal=principal
    )
    return report, render(report, fmt)


def file_name(report: Report, fmt: str) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in report.key)
    return f"thbhub-{safe}-edition-{report.edition.number}.{fmt}"


@dataclass
class ReportFiles:
    """Rendered report files kept between requests (one per app, on its state): a report is
    the same for every caller (public data only), so one render per data version, edition
    and format serves them all.  At most ``max_entries``, least recently used dropped."""

    max_entries: int = 32
    _files: OrderedDict[tuple[object, ...], tuple[Report, bytes]] = field(
        default_factory=OrderedDict
    )
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def make(
        self,
        db: Database,
        settings: Settings,
        kind: str,
        subject: str | None,
        fmt: str,
        *,
        year: int | None = None,
        edition: int | None = None,
        tables: ProtectedTables | None = None,
        principal: Principal = PUBLIC,
    ) -> tuple[Report, bytes]:
        """:func:`make`, or its answer to the same request while the data and the stored
        editions of the report are as they were (read first: a change made meanwhile is
        newer than the key, and the next request renders again)."""
        key = report_key(kind, subject)
        edition_key = key if year is None else f"{key}@{year}"
        with db.connect() as conn:
            stored = len(reports_q.editions(conn, edition_key))
        # The narrative blocks may differ per reader (the narrative branch): keyed by who
        # reads (not where from: every anonymous visitor shares one entry).
        who = (principal.role, principal.user_id, principal.organisation_id)
        ident = (key, year, edition, fmt, db.data_version(), stored, who)
        with self._lock:
            hit = self._files.get(ident)
            if hit is not None:
                self._files.move_to_end(ident)
                return hit
        made = make(
            db,
            settings,
            kind,
            subject,
            fmt,
            year=year,
            edition=edition,
            tables=tables,
            principal=principal,
        )
        with self._lock:
            self._files[ident] = made
            while len(self._files) > self.max_entries:
                self._files.popitem(last=False)
        return made
