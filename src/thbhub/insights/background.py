"""Keeping the public insight lattices computed ahead of the visitors (``thbhub serve``).

After an import or a publication changes the public data, the public case tables'
refresher protects their lattice (:class:`thbhub.privacy.public.Refresher`); this thread
then computes and stores the insight lattices of the new version, so that a visitor
normally meets them ready (and a restart reads them from the database).
"""

from __future__ import annotations

import contextlib
import logging

from thbhub.domain.errors import UserError
from thbhub.insights.lattices import Lattices
from thbhub.insights.store import StoredLattices
from thbhub.periodic import Periodic
from thbhub.privacy.public import ProtectedTables
from thbhub.settings import Settings
from thbhub.storage import Database

log = logging.getLogger(__name__)


def refresh(
    db: Database, settings: Settings, cache: ProtectedTables, stored: StoredLattices
) -> None:
    """Compute and store the public lattices of the current data version not stored yet
    (one query and nothing else when they all are).  Data that cannot be published yet (no
    secret key, say: a :class:`UserError`) leaves nothing stored."""
    with contextlib.suppress(UserError):
        Lattices.open(db, settings, None, "public", cache, stored=stored).refresh()


class InsightsRefresher(Periodic):
    """A daemon thread calling :func:`refresh` every ``interval`` seconds until stopped."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        cache: ProtectedTables,
        stored: StoredLattices,
        interval: float,
    ) -> None:
        super().__init__(
            "insights",
            lambda: refresh(db, settings, cache, stored),
            interval,
            log,
            "computing the public insight lattices failed",
        )
