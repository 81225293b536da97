"""The gated lattices every insight is read from.

Insights never count records: they read cells of lattices protected by the disclosure gate
(:meth:`thbhub.privacy.gate.GateContext.protected`, the same suppression, audit and cell key
noise as the public case tables), and compute shares, ratios and intervals from those
published numbers only.  One set of lattices per *audience*:

* ``public``: the published records of the organisations that opted in to the public tables
  (read as the gate, like :mod:`thbhub.privacy.public`);
* an organisation id: that organisation's own records in every state, for its members.

Four lattices per audience, each over at most ten dimensions (the gate's limit of 200
tables at three dimensions a table):

* ``base``: one row per record; year, sex, age, citizenship, country and the four released
  form flags (``yes``/``no``, missing when not recorded: never a ``no``);
* ``means``, ``sector``, ``recruiter``: one row per record and value of that multi-valued
  field, with the base dimensions.  A record listing values gets a row per value plus one
  ``(recorded)`` row; a record that answered but listed none (answered no) gets the
  ``(recorded)`` row only; a record that answered nothing gets one ``(not recorded)`` row.
  So every cell with a value of the field counts *records* (a record lists a value once),
  ``(recorded)`` is the denominator of a share, and not recorded stays apart from "no".
  Cells without the field's dimension count rows, not records: insights never read them,
  and the gate treats them as published (more protection, never less);
* ``pairs``: one row per record, pair of means of control it lists (``a + b``, a value with
  itself on the diagonal) and sector (each sector it lists, and ``(all)``), with the form
  flags; a cell with a pair and a sector counts records.  The pairs lattice by form leaves
  the diagonal out (the means lattice publishes those counts: :meth:`Lattices._protect`).

Public lattices are also protected against their kept earlier versions, the four form
lattices together (:mod:`thbhub.insights.protection`, docs/insights.md "What is promised").
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import polars as pl

from thbhub.access.policy import may_read_raw_records
from thbhub.domain.errors import PermissionDenied, UserError
from thbhub.domain.principals import Principal
from thbhub.insights.protection import protect_forms_across
from thbhub.insights.store import Published, PublishedTable, StoredLattices, label
from thbhub.privacy.audit import AuditTooLarge
from thbhub.privacy.cases import TABLE_DIMENSIONS, release_frame
from thbhub.privacy.extension import RecordRows
from thbhub.privacy.extension_versions import published
from thbhub.privacy.gate import GateContext, ProtectedLattice
from thbhub.privacy.lattice import Lattice, ProtectionFailed
from thbhub.privacy.policy import DisclosurePolicy
from thbhub.privacy.public import DATASET, ProtectedTables, _gate_reader, _public_lattice
from thbhub.privacy.versions import PublishedVersion
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage import privacy as q

FORMS: tuple[str, ...] = (
    "form_sexual_exploitation",
    "form_labour_exploitation",
    "form_forced_criminality",
    "form_other",
)
BASE: tuple[str, ...] = ("year", "sex", "age", "citizenship", "country", *FORMS)
#: Multi-valued fields: dimension -> (yes column, no column, status column).
TOPICS: dict[str, tuple[str, str, str]] = {
    "means": ("means", "means_no", "means_status"),
    "sector": ("sectors", "sectors_no", "sectors_status"),
    "recruiter": ("recruiter", "recruiter_no", "recruiter_status"),
}
RECORDED, NOT_RECORDED, ALL = "(recorded)", "(not recorded)", "(all)"
PSEUDO = frozenset({RECORDED, NOT_RECORDED, ALL})

Audience = str | int  # "public" or an organisation id
#: The base dimensions: the public case tables' (their protected lattice is the *anchor*).
SHARED: tuple[str, ...] = TABLE_DIMENSIONS
#: The base dimensions a topic lattice keeps (citizenship, country and year are left out:
#: with them its joint table is too large for the exact audit on the CTDC file).
TOPIC_SHARED: tuple[str, ...] = ("sex", "age")
#: The lattices insights protect beside the anchor: one per released form flag (the base
#: dimensions and that flag, tables of up to three), one per multi-valued field (the field,
#: the form flags, sex and age, tables of up to two) and the pairs of means of control.
EXTENSIONS: dict[str, tuple[str, ...]] = {
    **{f: (*SHARED, f) for f in FORMS},
    **{t: (t, *FORMS, *TOPIC_SHARED) for t in TOPICS},
    "pairs": ("pair", *FORMS),
    "pairs_sector": ("pair", "sector"),
}
ORDER: dict[str, int] = dict.fromkeys((*TOPICS, "pairs", "pairs_sector"), 2)
#: The exact audit's limit of joint cells (the gate's default).
AUDIT_UNKNOWNS = 20_000


class BeingComputed(UserError):
    """A web request found the protected tables of the current data version not ready; they
    are computed in the background (never on a request)."""

    status_code = 503


def _nothing() -> None:
    """Started by :meth:`ProtectedTables.in_background` when asked only what it holds."""


class NotPublished(UserError):
    """No protected lattice holds a table over these dimensions together."""


def _topic_values(topic: str) -> pl.Expr:
    """The values a record contributes rows for (see the module's docstring)."""
    yes, no, status = (pl.col(c) for c in TOPICS[topic])
    listed = yes.list.len() > 0
    answered_none = (no.list.len() > 0) & (status == "observed")
    return (
        pl.when(listed)
        .then(pl.concat_list(yes, pl.lit([RECORDED], pl.List(pl.String))))
        .when(answered_none.fill_null(False))
        .then(pl.lit([RECORDED], pl.List(pl.String)))
        .otherwise(pl.lit([NOT_RECORDED], pl.List(pl.String)))
        .alias(topic)
    )


def frames(cases: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The rows of each lattice from the analysis frame (``case_frame``)."""
    base = release_frame(cases, BASE)
    for d in BASE:  # an organisation without any form answered has no such column
        if d not in base.columns:
            base = base.with_columns(pl.lit(None, pl.String).alias(d))
    base = base.select(BASE)
    out = {"base": base}
    for topic in TOPICS:
        rows = pl.concat([base, cases.select(_topic_values(topic))], how="horizontal")
        out[topic] = rows.explode(topic).select(EXTENSIONS[topic])
    # Pairs of means of control a record lists (a with itself on the diagonal), by a
    # self-join of its values; then one row per sector it lists, and one under (all).
    listed = (
        cases.select(pl.col("means").list.unique().alias("a"))
        .with_row_index("_r")
        .explode("a")
        .drop_nulls("a")
    )
    pairs = (
        listed.join(listed.rename({"a": "b"}), on="_r")
        .filter(pl.col("a") <= pl.col("b"))
        .select("_r", pl.concat_str("a", pl.lit(" + "), "b").alias("pair"))
    )
    forms = base.select(FORMS).with_row_index("_r")
    out["pairs"] = pairs.join(forms, on="_r").select(EXTENSIONS["pairs"])
    sectors = (
        cases.select(pl.col("sectors").list.unique().alias("sector"))
        .with_row_index("_r")
        .explode("sector")
        .drop_nulls("sector")
    )
    out["pairs_sector"] = pairs.join(sectors, on="_r").select(EXTENSIONS["pairs_sector"])
    return out


def public_cases(db: Database) -> pl.DataFrame:
    """The published records of every organisation that opted in (read as the gate)."""
    from thbhub.cases.service import case_frame

    with db.connect() as conn:
        orgs = q.published_organisations(conn, DATASET)
    parts = [
        case_frame(db, _gate_reader(int(o["id"])), int(o["id"]), state="published") for o in orgs
    ]
    parts = [p for p in parts if p.height]
    if not parts:
        from thbhub.cases.service import _FRAME_COLUMNS  # an empty frame of the same shape

        return pl.DataFrame(
            schema={
                c: pl.List(pl.String) if c in _LISTS else pl.String
                for c in _FRAME_COLUMNS
                if c != "id"
            }
        )
    return pl.concat(parts, how="diagonal_relaxed")


_LISTS = frozenset(
    {"forms", "means", "sectors", "forms_no", "means_no", "sectors_no", "recruiter", "recruiter_no"}
)


def audience_of(principal: Principal, org: int | None) -> Audience:
    """``public``, or the caller's organisation when it asks for its own records."""
    if org is None:
        return "public"
    if not may_read_raw_records(principal, org):
        raise PermissionDenied("the insights of unpublished records are their organisation's own")
    return org


#: Every lattice of an audience, in the order they are computed.
NAMES: tuple[str, ...] = ("anchor", *EXTENSIONS)


@dataclass
class Lattices:
    """The protected lattices of one audience, computed once per data version.

    What insights read is each lattice's *published* cells (:class:`Published`), kept in
    the database per data version and audience (:mod:`thbhub.insights.store`), so a restart
    reads them instead of computing them again; the protected lattices themselves (true
    counts) live only in the app's memory while they are computed
    (:class:`thbhub.privacy.public.ProtectedTables`).

    The anchor is the public case tables' own protected lattice (for an organisation, its
    records' lattice over the same dimensions): every table over the base dimensions is read
    from it, so insights show the very cells the public tables show.  The other lattices
    extend it (:meth:`thbhub.privacy.gate.GateContext.extended`).  With ``background`` (the
    web), nothing is computed on the request: a data version not stored yet is computed in
    a thread and the request gets :class:`BeingComputed`."""

    db: Database
    settings: Settings
    principal: Principal | None
    audience: Audience
    cache: ProtectedTables
    policy: DisclosurePolicy
    version: tuple[Any, ...]
    background: bool = False
    stored: StoredLattices | None = None
    _frames: dict[str, pl.DataFrame] | None = None
    _anchor_lattice: ProtectedLattice | None = None
    #: Reads the version again (the public anchor's wait, :meth:`_protect_anchor`).
    _reread: Callable[[], tuple[Any, ...]] | None = None
    _group: tuple[dict[str, ProtectedLattice], dict[str, str]] | None = None

    @classmethod
    def open(
        cls,
        db: Database,
        settings: Settings,
        principal: Principal | None,
        audience: Audience,
        cache: ProtectedTables | None = None,
        background: bool = False,
        stored: StoredLattices | None = None,
    ) -> Lattices:
        """``stored``: the app's memory of stored lattices (a new one reads the database)."""
        policy = DisclosurePolicy.from_settings(settings)
        if audience == "public":
            policy.require_version_safe()
        stored = stored or StoredLattices()

        def read() -> tuple[Any, ...]:
            # Read before the records (ProtectedTables.get): newer data than the label
            # recomputes.  The public audience's version is the public tables' own
            # (privacy/public.py).
            with db.connect() as conn:
                if audience == "public":
                    orgs = q.published_organisations(conn, DATASET)
                    ids = [int(o["id"]) for o in orgs]
                    people = tuple((o["id"], o["name"], str(o["published_at"])) for o in orgs)
                else:
                    ids, people = [int(audience)], ()
                return (policy, people, q.records_version(conn, ids))

        version = stored.version(db, audience, read)
        return cls(
            db,
            settings,
            principal,
            audience,
            cache or ProtectedTables(),
            policy,
            version,
            background,
            stored,
            _reread=read,
        )

    @property
    def label(self) -> str:
        """The data version as stored (:func:`thbhub.insights.store.label`)."""
        return label(self.version, self.policy)

    @property
    def _stored(self) -> StoredLattices:
        assert self.stored is not None  # set by open()
        return self.stored

    def _cases(self) -> dict[str, pl.DataFrame]:
        if self._frames is None:
            from thbhub.cases.service import case_frame

            if self.audience == "public":
                cases = public_cases(self.db)
            else:
                assert self.principal is not None
                cases = case_frame(self.db, self.principal, int(self.audience))
            self._frames = frames(cases)
        return self._frames

    def _anchor(self) -> ProtectedLattice:
        # Kept for this object's lifetime: every extension of one computation is protected
        # beside the same anchor (and the public one's version is read once, not per lattice).
        if self._anchor_lattice is None:
            self._anchor_lattice = self._protect_anchor()
        return self._anchor_lattice

    def _protect_anchor(self) -> ProtectedLattice:
        if self.audience == "public":
            return self._public_anchor()
        context = GateContext(
            dataset=f"insights:{self.audience}:anchor",
            dimensions=SHARED,
            max_protect_rounds=self.cache.max_protect_rounds,
        )
        return self.cache.get(
            f"insights:{self.audience}:anchor",
            self.version,
            lambda: context.protected(self._cases()["base"], self.policy),
        )

    def _public_anchor(self, poll: float = 0.5) -> ProtectedLattice:
        """The public tables' lattice *of this data version*.  While another thread (the
        public tables' refresher, say) computes it, :func:`_public_lattice` serves the
        previous version's: extensions protected beside it and stored under this version's
        label would not be the public tables' cells, so wait for this version's (or stop
        if the data moved on meanwhile: the next round computes the newer one)."""
        while True:
            # Computes it if nobody is (raising if the gate refuses it); while another
            # thread computes it, the previous version's comes back at once.
            lattice = _public_lattice(self.db, self.settings, self.cache)
            if self.cache.in_background("public", self.version, _nothing) is lattice:
                return lattice
            if self._reread is not None and self._reread() != self.version:
                raise BeingComputed(
                    "the published records changed while their insights were computed; "
                    "try again in a few minutes"
                )
            time.sleep(poll)

    def _compute(self, name: str) -> ProtectedLattice:
        """Protect ``name``; for the public audience, also against its kept earlier
        published versions, and keep what this version publishes (docs/insights.md).
        The form lattices are protected together (:meth:`_form_group`)."""
        if name in FORMS:
            group, refused = self._form_group()
            if name not in group:
                raise ProtectionFailed(refused[name])
            return group[name]
        history = self._history(name)
        if name in TOPICS:
            forms = self._forms()
            protected = self._protect(name, history, forms)
            records = [(self._anchor().lattice, TOPIC_SHARED)] + [
                (form.lattice, (f, *TOPIC_SHARED)) for f, form in forms.items()
            ]
            self._keep(name, protected.lattice, _rows(name), records)
            return protected
        protected = self._protect(name, history)
        self._keep(name, protected.lattice)
        return protected

    def _form_group(self) -> tuple[dict[str, ProtectedLattice], dict[str, str]]:
        """The four form lattices, each protected beside the anchor, then (public) all
        together against the kept earlier versions of their union
        (:func:`thbhub.insights.protection.protect_forms_across`).  Computed once per
        instance (the background's :meth:`refresh` asks for the four in turn); another
        instance computes it again, to the same result (the protection is deterministic),
        rather than wait on a lock another form lattice's computation may hold."""
        if self._group is None:
            self._group = self._protect_forms()
        return self._group

    def _protect_forms(self) -> tuple[dict[str, ProtectedLattice], dict[str, str]]:
        group: dict[str, ProtectedLattice] = {}
        refused: dict[str, str] = {}
        for f in FORMS:
            try:
                group[f] = self._protect(f, [])
            except ProtectionFailed as e:
                refused[f] = str(e)
        if self.audience != "public" or not group:
            return group, refused
        try:
            together = protect_forms_across(
                {f: p.lattice for f, p in group.items()},
                self._cases()["base"],
                BASE,
                self._history("forms"),
                max_rounds=self.cache.max_protect_rounds,
                max_unknowns=AUDIT_UNKNOWNS,
            )
        except (ProtectionFailed, AuditTooLarge) as e:
            why = (
                str(e)
                if isinstance(e, ProtectionFailed)
                else "these insights are too large to audit against the earlier published "
                "versions; nothing is published"
            )
            return {}, dict.fromkeys(FORMS, why)
        self._keep("forms", together)
        return group, refused

    def _dataset(self, name: str) -> str:
        return f"{DATASET}:insights:{name}"

    def _versions_label(self) -> str:
        # The public tables' own label of this data version (privacy/public.py).
        return hashlib.sha256(repr(self.version).encode("utf-8")).hexdigest()

    def _history(self, name: str) -> list[PublishedVersion]:
        """What the kept earlier versions of the public lattice ``name`` published (an
        organisation's own insights show its records in full: nothing to protect)."""
        if self.audience != "public":
            return []
        with self.db.connect() as conn:
            rows = q.earlier_public_versions(conn, self._dataset(name), self._versions_label())
        return [
            PublishedVersion(r["label"], r["cells"], r["organisations"], r["joint"]) for r in rows
        ]

    def _keep(
        self,
        name: str,
        lattice: Lattice,
        rows: RecordRows = None,
        records: Sequence[tuple[Lattice, tuple[str, ...]]] = (),
    ) -> None:
        """Keep what the public lattice ``name`` publishes in this version (the next
        version is protected against it)."""
        if self.audience != "public":
            return
        shown = published(lattice, self._versions_label(), rows, records)
        with self.db.begin() as conn:
            q.store_public_version(
                conn,
                self._dataset(name),
                shown.label,
                shown.cells,
                shown.organisations,
                shown.joint,
            )

    def _protect(
        self,
        name: str,
        history: list[PublishedVersion],
        forms: dict[str, ProtectedLattice] | None = None,
    ) -> ProtectedLattice:
        anchor = self._anchor()
        if not anchor.full_width:
            # The public tables' primaries were held across versions only to "not pinned
            # below k" (privacy/gate.py:_across): the insights' audit rests on their full
            # width, so this version publishes none (docs/insights.md).
            raise ProtectionFailed(
                "the public tables of this data version could be protected against their "
                "earlier versions only by the weaker rule for suppressed cells; insights "
                "are not published for it"
            )
        dims = EXTENSIONS[name]
        context = GateContext(
            dataset=f"insights:{self.audience}:{name}",
            dimensions=dims,
            max_audit_unknowns=AUDIT_UNKNOWNS,
            max_protect_rounds=self.cache.max_protect_rounds,
        )
        frames_ = self._cases()
        if name in FORMS:
            return context.extended(frames_["base"], self.policy, anchor, SHARED, history=history)
        if name in TOPICS:
            # Audited jointly with the anchor and the form lattices (protected first): the
            # record rows beneath each form lattice cell over (flag, sex, age) add up to it.
            return context.extended(
                frames_[name],
                self.policy,
                anchor,
                TOPIC_SHARED,
                rows=_rows(name),
                order=ORDER[name],
                known=[(form, (f, *TOPIC_SHARED)) for f, form in (forms or {}).items()],
                history=history,
            )
        rows = frames_[name]
        if name == "pairs":
            # The diagonal a + a by form counts the records listing a: the means lattice's
            # cell, published there (modus.cooccurrence reads it there).  Kept out of this
            # lattice, no count is published by two lattices (docs/insights.md).
            parts = pl.col("pair").str.split(" + ")
            rows = rows.filter(parts.list.get(0) != parts.list.get(1))
        # The pairs of means of control relate to no public cell (each counts records
        # listing two means); protected on their own (docs/insights.md).
        return context.protected(
            rows, replace(self.policy, max_table_dims=ORDER[name]), history=history
        )

    def _forms(self) -> dict[str, ProtectedLattice]:
        """The form lattices of this version that are published (a refused one has no
        cells to audit with), from this instance's own computation: the cache may serve
        another version's while a thread computes this one, and a field lattice audited
        with another version's form cells would rest on cells not published beside it.
        The protection is deterministic: these are the lattices the cache holds."""
        return self._form_group()[0]

    def _key(self, name: str) -> str:
        return (
            "public"
            if name == "anchor" and self.audience == "public"
            else (f"insights:{self.audience}:{name}")
        )

    def _refusing(self, name: str) -> ProtectedLattice:
        """Compute ``name``; a refusal is remembered for this version (never retried on
        every request)."""
        try:
            return self._compute(name)
        except ProtectionFailed as e:
            self.cache.refused[self._key(name)] = (self.version, str(e))
            raise

    def get(self, name: str) -> Published:
        """What the lattice ``name`` (``anchor`` or one of :data:`EXTENSIONS`) publishes for
        the current data version: stored, else computed now (the CLI) or in the background
        (the web: :class:`BeingComputed`).  A refused lattice raises
        :class:`ProtectionFailed` with its stored reason."""
        found = self._stored.read(self.db, self.audience, name, self.label, self.policy)
        if found is not None:
            return found
        if not self.background:
            return self._now(name)
        self.cache.in_background(f"insights:{self.audience}:all", self.version, self.refresh)
        raise BeingComputed(
            "these insights are being computed for the newest published records; "
            "try again in a few minutes"
        )

    def _check_refused(self, key: str) -> None:
        refused = self.cache.refused.get(key)
        if refused is not None and refused[0] == self.version:
            raise ProtectionFailed(refused[1])

    def protected(self, name: str) -> ProtectedLattice:
        """The protected lattice ``name`` itself (true counts: never shown, never stored),
        computed on this thread if not in the app's memory for this version."""
        if name == "anchor":
            return self._anchor()
        key = self._key(name)
        self._check_refused(key)
        return self.cache.get(key, self.version, lambda: self._refusing(name))

    def _now(self, name: str) -> Published:
        """Stored, or computed on this thread and stored (with its refusal, if refused)."""
        found = self._stored.read(self.db, self.audience, name, self.label, self.policy)
        if found is not None:
            return found
        try:
            published = Published.of(self.protected(name))
        except ProtectionFailed as e:
            self._stored.write(self.db, self.audience, name, self.label, str(e))
            raise
        self._stored.write(self.db, self.audience, name, self.label, published)
        return published

    def refresh(self, progress: Callable[[str, float, str], None] | None = None) -> None:
        """Compute and store every lattice of this version not stored yet (what the
        background thread and ``thbhub insights compute`` run); a refused one is stored as
        refused and said by the views.  ``progress(name, seconds, outcome)`` after each."""
        for name in NAMES:
            start = time.perf_counter()
            try:
                stored = self._stored.read(self.db, self.audience, name, self.label, self.policy)
                outcome = "stored already" if stored is not None else "computed"
                if stored is None:
                    self._now(name)
            except ProtectionFailed as e:
                outcome = f"refused: {e}"
            if progress is not None:
                progress(name, time.perf_counter() - start, outcome)

    def lattice_for(self, dims: set[str]) -> str:
        """Which lattice holds a table over ``dims`` (grouping and filters together)."""
        if dims <= set(SHARED):
            return "anchor"
        topics = dims & set(TOPICS)
        forms = dims & set(FORMS)
        if len(topics) == 1:
            (topic,) = topics
            if dims <= set(EXTENSIONS[topic]) and len(dims) <= ORDER[topic]:
                return topic
        elif not topics and len(forms) == 1 and dims <= set(EXTENSIONS[next(iter(forms))]):
            return next(iter(forms))
        raise NotPublished(
            f"insights do not publish {', '.join(sorted(dims))} together "
            "(docs/insights.md: what each lattice holds)"
        )

    def table(self, by: Sequence[str], where: Mapping[str, str] | None = None) -> PublishedTable:
        """The gated table by ``by`` within ``where``, from the lattice that holds it."""
        name = self.lattice_for({*by, *(where or {})})
        return self.get(name).table(by, where)


def _rows(topic: str) -> RecordRows:
    """A field lattice's record rows: one per record (docs/insights.md)."""
    return (topic, frozenset({RECORDED, NOT_RECORDED}))


LatticeSource = Callable[[str], Published]
