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
  flags; a cell with a pair and a sector counts records.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl

from thbhub.access.policy import may_read_raw_records
from thbhub.domain.errors import PermissionDenied
from thbhub.domain.principals import Principal
from thbhub.privacy.cases import release_frame
from thbhub.privacy.gate import GateContext, ProtectedLattice
from thbhub.privacy.policy import DisclosurePolicy
from thbhub.privacy.public import DATASET, ProtectedTables, _gate_reader
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
LATTICES: dict[str, tuple[str, ...]] = {
    "base": BASE,
    **{t: (t, *BASE) for t in TOPICS},
    "pairs": ("pair", "sector", *FORMS),
}

Audience = str | int  # "public" or an organisation id
#: The exact (linear programming) audit covers lattices up to this many joint cells; larger
#: ones (the topic lattices of the 47,102-record CTDC file) are protected by the lattice's
#: relation rules only, and say so (``audited`` false): the exact audit of those took more
#: than eight minutes each on the project's machine.
AUDIT_UNKNOWNS = 5_000


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
        out[topic] = rows.explode(topic).select(LATTICES[topic])
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
    rest = pl.concat(
        [
            base.select(FORMS),
            cases.select(
                pl.concat_list(pl.col("sectors"), pl.lit([ALL], pl.List(pl.String))).alias("sector")
            ),
        ],
        how="horizontal",
    ).with_row_index("_r")
    out["pairs"] = pairs.join(rest, on="_r").explode("sector").select(LATTICES["pairs"])
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


@dataclass
class Lattices:
    """The protected lattices of one audience, computed on first use and kept in the app's
    cache (:class:`thbhub.privacy.public.ProtectedTables`) per data version."""

    db: Database
    settings: Settings
    principal: Principal | None
    audience: Audience
    cache: ProtectedTables
    policy: DisclosurePolicy
    version: tuple[Any, ...]
    _frames: dict[str, pl.DataFrame] | None = None

    @classmethod
    def open(
        cls,
        db: Database,
        settings: Settings,
        principal: Principal | None,
        audience: Audience,
        cache: ProtectedTables | None = None,
    ) -> Lattices:
        policy = DisclosurePolicy.from_settings(settings)
        # Read before the records (ProtectedTables.get): newer data than the label recomputes.
        with db.connect() as conn:
            if audience == "public":
                policy.require_version_safe()
                orgs = q.published_organisations(conn, DATASET)
                ids = [int(o["id"]) for o in orgs]
                people = tuple((o["id"], o["name"], str(o["published_at"])) for o in orgs)
            else:
                ids, people = [int(audience)], ()
            version = (policy, people, q.records_version(conn, ids))
        return cls(db, settings, principal, audience, cache or ProtectedTables(), policy, version)

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

    def get(self, name: str) -> ProtectedLattice:
        label = hashlib.sha256(repr(self.version).encode("utf-8")).hexdigest()[:16]
        context = GateContext(
            dataset=f"insights:{self.audience}:{name}:{label}",
            dimensions=LATTICES[name],
            max_audit_unknowns=AUDIT_UNKNOWNS,
            max_protect_rounds=self.cache.max_protect_rounds,
        )

        def compute() -> ProtectedLattice:
            return context.protected(self._cases()[name], self.policy)

        key = f"insights:{self.audience}:{name}"
        return self.cache.get(key, self.version, compute)


LatticeSource = Callable[[str], ProtectedLattice]
