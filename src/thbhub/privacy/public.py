"""Public tables of case records: gated aggregates over the records of the organisations
that chose to publish them, and the owner's preview of what the public sees.

One lattice covers all published organisations together, with the organisation as one of
its dimensions: a per-organisation table is a slice of it, so subtracting one
organisation's table from the regional one recovers nothing the gate suppressed.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from thbhub.access import audit
from thbhub.access.policy import may_read_raw_records, may_write_records
from thbhub.domain.errors import PermissionDenied, UserError
from thbhub.domain.principals import Principal, Role
from thbhub.periodic import Periodic
from thbhub.privacy.cases import TABLE_DIMENSIONS, release_frame
from thbhub.privacy.gate import (
    GateContext,
    GatedTable,
    ProtectedLattice,
    check_query,
    release_table,
)
from thbhub.privacy.policy import DisclosurePolicy
from thbhub.privacy.versions import PublishedVersion, snapshot
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage import privacy as q
from thbhub.storage.database import mark_changed

DATASET = "cases"
log = logging.getLogger(__name__)
PUBLIC_DIMENSIONS: tuple[str, ...] = ("organisation", *TABLE_DIMENSIONS)


def _gate_reader(organisation_id: int) -> Principal:
    """The gate reads an opted-in organisation's records to aggregate them; the audit log
    names it, so owners can see every such read."""
    return Principal(
        role=Role.analyst,
        email="system:disclosure-gate",
        organisation_id=organisation_id,
        origin="web",
    )


def set_published(
    db: Database, principal: Principal, organisation_id: int, published: bool
) -> dict[str, Any]:
    """Opt the organisation's case records in (or out of) the public gated tables."""
    if not may_write_records(principal, organisation_id):
        raise PermissionDenied("only a contributor of the organisation may publish its tables")
    with db.begin() as conn:
        changed = q.set_publication(conn, organisation_id, DATASET, published, principal.email)
        if changed:
            audit.record(
                conn,
                principal,
                "publish" if published else "unpublish",
                "case_aggregates",
                organisation_id=organisation_id,
            )
    return {"organisation_id": organisation_id, "published": published, "changed": changed}


def published_organisations(db: Database) -> list[dict[str, Any]]:
    with db.connect() as conn:
        return q.published_organisations(conn, DATASET)


def _records(db: Database, organisation_id: int, name: str) -> pl.DataFrame:
    from thbhub.cases.service import case_frame  # the cases area's analysis frame

    # Only published records: an organisation's opt-in covers what it has published, not
    # what it is still preparing (drafts, submissions, withdrawn imports).
    cases = case_frame(db, _gate_reader(organisation_id), organisation_id, state="published")
    return release_frame(cases, TABLE_DIMENSIONS).with_columns(organisation=pl.lit(name))


def public_frame(db: Database) -> pl.DataFrame:
    """Records of every organisation that published its tables (never shown as such)."""
    frames = [_records(db, o["id"], o["name"]) for o in published_organisations(db)]
    frames = [f for f in frames if f.height]
    if not frames:
        return pl.DataFrame(schema={d: pl.Utf8 for d in PUBLIC_DIMENSIONS})
    return pl.concat(frames, how="diagonal").select(list(PUBLIC_DIMENSIONS))


def public_context(max_protect_rounds: int = 10) -> GateContext:
    return GateContext(
        dataset=f"{DATASET}:public",
        dimensions=PUBLIC_DIMENSIONS,
        max_protect_rounds=max_protect_rounds,
    )


@dataclass
class ProtectedTables:
    """The protected lattices of case-record tables, kept between requests (one per app,
    on its state; never a module global).

    Building and auditing the lattice of 47,000 records takes seconds, and protecting a new
    version against the earlier published ones minutes; every query on the same data reads
    the same lattice anyway (that is what keeps the suppression consistent), so it is
    computed once per *data version*: the published organisations and the state of their
    records and imports (:func:`thbhub.storage.privacy.records_version`), read with one
    cheap query per request.  Any import, deletion, state change, rename or
    (un)publication gives a new version, and the next request recomputes.

    The computation holds no lock that requests wait on: one caller per name computes
    (the others do not compute it again), and while it does, requests get the entry of the
    previous version, which was published already; the new one replaces it in one
    assignment when it is done.  Only when there is no entry yet do requests wait for it.
    """

    max_protect_rounds: int = 10
    _entries: dict[str, tuple[tuple[Any, ...], ProtectedLattice]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _computing: dict[str, threading.Lock] = field(default_factory=dict)
    _stale: dict[str, bool] = field(default_factory=dict)
    _background: dict[str, threading.Thread] = field(default_factory=dict)
    #: Tables refused for a version (name -> (version, why)): not computed again for it.
    refused: dict[str, tuple[tuple[Any, ...], str]] = field(default_factory=dict)

    def get(
        self,
        name: str,
        version: tuple[Any, ...],
        compute: Callable[[], ProtectedLattice],
        switched: Callable[[], None] | None = None,
    ) -> ProtectedLattice:
        """The entry ``name`` if it was computed for ``version``, else ``compute()``'s, or
        the previous entry while another caller computes it.  ``switched`` is called after
        the new entry replaced one that was served meanwhile (answers made from it are
        out of date: the page cache must drop them).

        Read ``version`` *before* the records ``compute`` reads: data that changes in
        between is then newer than its label, and the next request recomputes.
        """
        with self._lock:
            entry = self._entries.get(name)
            if entry is not None and entry[0] == version:
                return entry[1]
            computing = self._computing.setdefault(name, threading.Lock())
        if entry is not None and not computing.acquire(blocking=False):
            with self._lock:  # another caller computes the new version: serve the last one
                self._stale[name] = True
            return entry[1]
        if entry is None:
            computing.acquire()  # nothing to serve yet: wait for the one computation
        try:
            with self._lock:
                entry = self._entries.get(name)
                if entry is not None and entry[0] == version:
                    return entry[1]
                self._stale[name] = False
            result = compute()  # outside self._lock: readers are answered meanwhile
            with self._lock:
                self._entries[name] = (version, result)
                served = self._stale.pop(name, False)
            if served and switched is not None:
                switched()
            return result
        finally:
            computing.release()

    def in_background(
        self, name: str, version: tuple[Any, ...], start: Callable[[], Any]
    ) -> ProtectedLattice | None:
        """For a request that must not wait: the entry ``name`` if it was computed for
        ``version``; else ``start()`` (which computes and stores it) runs in a daemon thread,
        one at a time per name, and None is returned (the caller says it is being computed:
        an entry of another version is not mixed with this version's other tables)."""
        with self._lock:
            entry = self._entries.get(name)
            if entry is not None and entry[0] == version:
                return entry[1]
            running = self._background.get(name)
            if running is None or not running.is_alive():
                thread = threading.Thread(
                    target=_quietly, args=(start,), name=f"protect {name}", daemon=True
                )
                self._background[name] = thread
                thread.start()
            return None


def _quietly(start: Callable[[], Any]) -> None:
    try:
        start()
    except UserError:  # refused tables: the next request starts again and says why
        pass
    except Exception:  # a bug: logged
        log.exception("protecting tables in the background failed")


def _public_lattice(db: Database, settings: Settings, cache: ProtectedTables) -> ProtectedLattice:
    policy = DisclosurePolicy.from_settings(settings)
    policy.require_version_safe()
    with db.connect() as conn:
        orgs = q.published_organisations(conn, DATASET)
        version = (
            policy,
            tuple((o["id"], o["name"], str(o["published_at"])) for o in orgs),
            q.records_version(conn, [int(o["id"]) for o in orgs]),
        )
    context = public_context(cache.max_protect_rounds)
    label = hashlib.sha256(repr(version).encode("utf-8")).hexdigest()

    def compute() -> ProtectedLattice:
        # Protected against every kept earlier version, and kept as published: the next
        # version is protected against this one too (privacy/versions.py).
        with db.connect() as conn:
            rows = q.earlier_public_versions(conn, DATASET, label)
        history = [
            PublishedVersion(r["label"], r["cells"], r["organisations"], r["joint"]) for r in rows
        ]
        protected = context.protected(public_frame(db), policy, history)
        shown = snapshot(protected.lattice, label)
        with db.begin() as conn:
            q.store_public_version(
                conn, DATASET, label, shown.cells, shown.organisations, shown.joint
            )
        return protected

    def switched() -> None:
        # Pages answered from the previous version while this one was computed were cached
        # for the new data version: move the data version on so they render again.
        with db.begin() as conn:
            mark_changed(conn)

    return cache.get("public", version, compute, switched)


def refresh(db: Database, settings: Settings, cache: ProtectedTables) -> None:
    """Protect the public lattice now if the data changed since it was last protected, so
    that no visitor waits for it.  Tables that cannot be protected, or a database that
    cannot be read (a :class:`UserError` either way), leave nothing cached: the next
    request computes again and says why."""
    with contextlib.suppress(UserError):
        _public_lattice(db, settings, cache)


class Refresher(Periodic):
    """A daemon thread that calls :func:`refresh` every ``interval`` seconds until stopped."""

    def __init__(
        self, db: Database, settings: Settings, cache: ProtectedTables, interval: float
    ) -> None:
        super().__init__(
            "public-tables",
            lambda: refresh(db, settings, cache),
            interval,
            log,
            "refreshing the public case-record tables failed",
        )


def public_table(
    db: Database,
    settings: Settings,
    by: Sequence[str],
    where: Mapping[str, str] | None = None,
    cache: ProtectedTables | None = None,
) -> GatedTable:
    """The public gated table; with ``cache`` (the app's), computed once per data version.
    A query the tables cannot answer is refused before any record is read."""
    policy = DisclosurePolicy.from_settings(settings)
    check_query(PUBLIC_DIMENSIONS, by, where, policy)
    policy.require_version_safe()
    # Without the app's cache (the CLI), a cache of this call: the same protection against
    # the previous published version as the web's, and the same stored version.
    return _public_lattice(db, settings, cache or ProtectedTables()).table(by, where)


def owner_preview(
    db: Database,
    settings: Settings,
    principal: Principal,
    by: Sequence[str],
    where: Mapping[str, str] | None = None,
    cache: ProtectedTables | None = None,
) -> dict[str, Any]:
    """The caller's own organisation's records through the gate, beside the true counts:
    what publishing would show, and what the policy costs."""
    org = principal.organisation_id
    if org is None or not may_read_raw_records(principal, org):
        raise PermissionDenied("the preview shows your own organisation's records only")
    from thbhub.cases.service import case_frame

    policy = DisclosurePolicy.from_settings(settings)
    check_query(TABLE_DIMENSIONS, by, where, policy)
    with db.connect() as conn:  # before the records: see ProtectedTables.get
        version = (policy, q.records_version(conn, [org]))
    frame = release_frame(case_frame(db, principal, org), TABLE_DIMENSIONS)
    rounds = cache.max_protect_rounds if cache else GateContext.max_protect_rounds
    ctx = GateContext(
        dataset=f"{DATASET}:{org}", dimensions=TABLE_DIMENSIONS, max_protect_rounds=rounds
    )
    if cache is None:
        table = release_table(frame, by, policy, ctx, where=where)
    else:
        protected = cache.get(f"preview:{org}", version, lambda: ctx.protected(frame, policy))
        table = protected.table(by, where)
    filtered = frame
    for d, v in (where or {}).items():
        filtered = filtered.filter(pl.col(d).cast(pl.Utf8).fill_null("(missing)") == v)
    keys = list(table.by)
    true = (
        filtered.with_columns([pl.col(k).cast(pl.Utf8).fill_null("(missing)") for k in keys])
        .group_by(keys)
        .len()
        if keys
        else pl.DataFrame({"len": [filtered.height]})
    )
    truth = {tuple(r[:-1]): r[-1] for r in true.rows()}
    rows = [{**r, "original": truth.get(tuple(r[k] for k in keys), 0)} for r in table.rows()]
    return {**table.as_dict(), "rows": rows, "organisation_id": org}
