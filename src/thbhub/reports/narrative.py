"""The analyst's narrative blocks around the computed figures: the seam the renderers call.

This file is a placeholder: the reports-narrative branch replaces it with the stored,
versioned and audited blocks and their ``{{ ... }}`` placeholders.  Until then every section
has no narrative.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from thbhub.domain.principals import Principal
from thbhub.settings import Settings
from thbhub.storage import Database


@dataclass(frozen=True)
class NarrativeBlock:
    """One block of text in a section."""

    html: str  # already escaped, placeholders filled in
    markdown: str
    #: the placeholders whose number changed since the text was written
    stale: list[str] = field(default_factory=list)


def blocks_for(
    db: Database, settings: Settings, principal: Principal, report_key: str, section: str
) -> list[NarrativeBlock]:
    """The narrative blocks of one section of one report (none, until the narrative branch)."""
    return []
