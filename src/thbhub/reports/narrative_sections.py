"""The sections an analyst's text may be attached to, per report type, and the report keys.

The section ids are the generator's own (``reports/sections.py``, which imports nothing
heavy), so a block can only be placed where a report shows it.
"""

from __future__ import annotations

import re

from thbhub.domain.concepts import CBSS_MEMBER_STATES
from thbhub.domain.errors import UserError
from thbhub.reports.sections import BY_KIND

#: One list of section ids for the generator and the narrative (``reports/sections.py``).
SECTIONS: dict[str, tuple[str, ...]] = BY_KIND

#: A topic's concept id as the taxonomy writes it (``form:forced-criminality``).
_CONCEPT = re.compile(r"^[a-z][a-z0-9-]*:[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
REPORT_KEY_HELP = "country:LV (a CBSS member state), region, topic:<concept id> or review"


def report_type(report_key: str) -> str:
    """The report type of a key (``country``, ``region``, ``topic``, ``review``), checked for
    form; a topic's concept is checked against the taxonomy by the service."""
    if report_key in ("region", "review"):
        return report_key
    kind, _, rest = report_key.partition(":")
    if kind == "country" and rest in CBSS_MEMBER_STATES:
        return kind
    if kind == "topic" and _CONCEPT.match(rest):
        return kind
    raise UserError(f"report {report_key[:80]!r}: give {REPORT_KEY_HELP}")


def check_place(report_key: str, section: str) -> str:
    """The report type, after checking that ``section`` is one of that report's sections."""
    kind = report_type(report_key)
    if section not in SECTIONS[kind]:
        raise UserError(
            f"section {section[:40]!r} is not a section of a {kind} report; "
            f"one of: {', '.join(SECTIONS[kind])}"
        )
    return kind
