"""Editions of a report: each records the data version it was made from and when.

The edition's own time (not the clock when a file is rendered) goes into the colophon, so
the same data version and edition give the same bytes.  A report made without naming an
edition is the latest edition if the data has not changed since, else a new edition.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from thbhub.domain.errors import UserError
from thbhub.reports.model import Edition
from thbhub.storage import Database
from thbhub.storage import reports as q


def _edition(row: dict[str, Any]) -> Edition:
    made: datetime = row["made_at"]
    return Edition(
        number=int(row["edition"]),
        data_version=int(row["data_version"]),
        made_on=made.date().isoformat(),
        made_at=made.replace(microsecond=0).isoformat(),
    )


def edition_for(
    db: Database, report_key: str, wanted: int | None, figures: dict[str, Any]
) -> tuple[Edition, dict[str, Any] | None]:
    """The edition to render and the headline figures of the edition before it (None for
    the first).  ``wanted`` names a stored edition (refused when the data changed since it
    was made: it could not be made again) or the next one, which is stored now with
    ``figures``."""
    for _attempt in range(3):  # two renderers storing the same new edition: one wins
        version = int(db.data_version() or 0)
        with db.connect() as conn:
            stored = q.editions(conn, report_key)
        latest = stored[-1] if stored else None
        if wanted is not None and wanted < 1:
            raise UserError(f"edition {wanted}: an edition is a number from 1")
        found = next((r for r in stored if r["edition"] == wanted), None)
        if found is None and wanted is None and latest and latest["data_version"] == version:
            found = latest
        if found is not None:
            if found["data_version"] != version:
                nxt = len(stored) + 1
                raise UserError(
                    f"edition {wanted} of report {report_key} was made from data version "
                    f"{found['data_version']}; the data is now at version {version}, so it "
                    f"cannot be made again: leave out the edition (or ask for edition {nxt}) "
                    "for a new one"
                )
            before = [r for r in stored if r["edition"] < found["edition"]]
            return _edition(found), (before[-1]["figures"] if before else None)
        number = len(stored) + 1
        if wanted is not None and wanted != number:
            have = f"editions 1 to {len(stored)}" if stored else "no edition yet"
            raise UserError(
                f"edition {wanted}: report {report_key} has {have}; the next is {number}"
            )
        made = datetime.now(UTC).replace(microsecond=0)
        try:
            with db.begin() as conn:
                q.add_edition(conn, report_key, number, version, made, figures)
        except IntegrityError:
            continue
        row = {"edition": number, "data_version": version, "made_at": made}
        return _edition(row), (latest["figures"] if latest else None)
    raise UserError(f"report {report_key}: editions are being made by others; try again")


def list_editions(db: Database, report_key: str) -> list[dict[str, Any]]:
    with db.connect() as conn:
        rows = q.editions(conn, report_key)
    return [
        {
            "report": report_key,
            "edition": r["edition"],
            "data_version": r["data_version"],
            "made_at": r["made_at"].replace(microsecond=0).isoformat(),
        }
        for r in rows
    ]
