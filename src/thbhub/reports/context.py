"""What every context builder is given, and what it hands back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from thbhub.privacy.public import ProtectedTables
from thbhub.reports.model import Section
from thbhub.settings import Settings
from thbhub.storage import Database


@dataclass
class BuildContext:
    db: Database
    settings: Settings
    #: the web app's protected case-record tables (None at the CLI: computed for the call)
    tables: ProtectedTables | None = None
    #: the report covers the data up to this year (None: all)
    year: int | None = None
    #: the day the report judges progress on (the plan review): its edition's day
    as_of: date | None = None


@dataclass
class Draft:
    title: str
    subtitle: str
    sections: list[Section]
    #: headline figures stored with the edition (the next edition compares with them)
    figures: dict[str, Any] = field(default_factory=dict)
    #: called with the previous edition's figures once the edition is known
    finish: Callable[[dict[str, Any] | None], None] | None = None
