"""Insights for the CLI, the API and the pages: who asks decides whose records are read.

Without an organisation, the public: the published records of the organisations that opted
in.  With one, the caller must be allowed to read its records (a member, or an organisation
it shares with); the same code path then reads all of them, through the same gate.
The records are read with thbhub.cases.service.case_frame (insights/lattices.py), so every
public route over these functions is marked ``@gated`` and walked by the bypass test.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from thbhub.domain.principals import Principal
from thbhub.insights import modus
from thbhub.insights.groups import parse
from thbhub.insights.lattices import FORMS, Lattices, audience_of
from thbhub.insights.profile import profile
from thbhub.insights.store import StoredLattices
from thbhub.privacy.public import ProtectedTables
from thbhub.settings import Settings
from thbhub.storage import Database


def lattices(
    db: Database,
    settings: Settings,
    principal: Principal | None,
    org: int | None,
    cache: ProtectedTables | None = None,
    background: bool = False,
    stored: StoredLattices | None = None,
) -> Lattices:
    """``background`` (the web): never compute on the caller's thread (see Lattices);
    ``stored``: the app's memory of the stored lattices (insights/store.py)."""
    audience = "public" if principal is None else audience_of(principal, org)
    return Lattices.open(db, settings, principal, audience, cache, background, stored)


def group_profile(
    source: Lattices, group: str | Iterable[str], where: Iterable[str] = ()
) -> dict[str, Any]:
    return profile(source, parse(group), parse(list(where)))


def means(source: Lattices, form: str | None = None, sector: str | None = None) -> dict[str, Any]:
    column = None
    if form:
        coords = parse(f"form={form}")
        column = next(iter(coords))
    if sector and ":" not in sector:
        sector = f"sector:{sector}"
    return modus.cooccurrence(source, column if column in FORMS else None, sector)


def breakdown(source: Lattices, field: str, by: str, where: Iterable[str] = ()) -> dict[str, Any]:
    return modus.breakdown(source, field, by, parse(list(where)))


def journeys(source: Lattices, where: Iterable[str] = (), limit: int = 50) -> dict[str, Any]:
    return modus.journeys(source, parse(list(where)), limit)
