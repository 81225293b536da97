"""Store parsed observations: one transaction per file, repeated keys summed, releases kept.

Every importer parses its file into :class:`ParsedRow` values (resolving codes through the
taxonomy) and hands them here.  Nothing is written before the whole file has parsed, and the
write is one transaction, so a file that fails leaves the database unchanged.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from thbhub.domain.errors import Location, ValidationError
from thbhub.domain.observations import Cell, Status, combine, flags_text
from thbhub.ingest.registry import ImportSummary, Progress, no_progress
from thbhub.ingest.sample import file_checksum
from thbhub.storage import Database
from thbhub.storage import observations as q
from thbhub.storage.sources import register_source


@dataclass(slots=True)
class ParsedRow:
    indicator: str
    country: str
    year: int
    sex: str
    age: str
    form: str
    citizenship: str
    extra: str
    cell: Cell
    flags: tuple[str, ...]
    label: str
    sheet: str | None
    row: int
    #: The source's own codes for the key (before resolving to concepts); "" when the
    #: importer does not say.  Rows with one key but different codes are kept apart.
    codes: str = ""

    def key(self) -> tuple[str, str, int, str, str, str, str, str]:
        return (
            self.indicator,
            self.country,
            self.year,
            self.sex,
            self.age,
            self.form,
            self.citizenship,
            self.extra,
        )


@dataclass
class Parsed:
    rows: list[ParsedRow]
    rows_read: int
    notes: list[str] = field(default_factory=list)
    version: str | None = None  # as stamped in the file, if it says
    #: cells already assembled column-wise (FRAME_COLUMNS, optionally `codes`), for
    #: importers of large files
    frame: pl.DataFrame | None = None


def source_meta(
    path: Path, defaults: dict[str, Any], given: dict[str, Any] | None
) -> dict[str, Any]:
    meta = {**defaults, **(given or {})}
    meta.setdefault("file_name", path.name)
    meta["checksum"] = meta.get("checksum") or file_checksum(path)
    return meta


def already_imported(
    db: Database, importer: str, path: Path, meta: dict[str, Any]
) -> ImportSummary | None:
    """The summary of an earlier import of the very same file, or None."""
    with db.connect() as conn:
        found = q.dataset_for_checksum(conn, meta["key"], meta["checksum"])
    if found is None:
        return None
    summary = ImportSummary(importer, path.name, rows_read=found["rows_read"], unchanged=True)
    summary.notes.append(f"already imported as dataset {found['id']}; nothing changed")
    return summary


#: Columns of Parsed.frame: every stored column but the dataset's own and `current`.
FRAME_COLUMNS = (
    "indicator",
    "country",
    "year",
    "sex",
    "age",
    "form",
    "citizenship",
    "extra",
    "value",
    "status",
    "lower",
    "upper",
    "flags",
    "label",
    "sheet",
    "source_row",
)
KEY_COLUMNS = FRAME_COLUMNS[:8]

#: Column order of the stored tuples (see storage.observations.insert_observations).
COLUMNS = ("dataset_id", "source_key", *FRAME_COLUMNS, "current")
_STATUS = COLUMNS.index("status")
# Reading `.value` of an enum member goes through a Python descriptor; a dict lookup is 15x
# faster, which matters at 50,000 cells.
_STATUS_TEXT = {s: s.value for s in Status}


def _db_row(
    head: tuple[int, str],
    r: ParsedRow,
    extra: str,
    cell: Cell,
    flags: tuple[str, ...],
    label: str,
) -> tuple[Any, ...]:
    return (
        *head,
        r.indicator,
        r.country,
        r.year,
        r.sex,
        r.age,
        r.form,
        r.citizenship,
        extra,
        cell.value,
        _STATUS_TEXT[cell.status],
        cell.lower,
        cell.upper,
        flags_text(flags) if flags else "",
        label[:500],
        r.sheet,
        r.row,
        True,
    )


#: The width of the stored `extra` column.
EXTRA_WIDTH = 300


def codes_extra(extra: str, codes: str) -> str:
    """`extra` with the source's codes added as `codes=...` (`;` would split the field).

    Codes too long for the column are cut and end in a digest of the whole, so that two
    long codes stay two cells."""
    item = "codes=" + codes.replace(";", ",")
    room = EXTRA_WIDTH - (len(extra) + 1 if extra else 0)
    if len(item) > room:
        digest = hashlib.sha256(codes.encode("utf-8")).hexdigest()[:10]
        item = item[: max(room - 11, 0)] + "~" + digest
    return f"{extra};{item}" if extra else item


def keep_apart(rows: list[ParsedRow]) -> tuple[list[ParsedRow], int]:
    """Rows whose key only the taxonomy made equal, moved apart under their own codes.

    A key is summed only when the source itself repeats it (same codes).  Two different
    source categories resolved to one concept (Bolivia's `Sin determinar` and an unnamed
    category, both read as unknown once) are different things: their sum would be a figure
    the source never published, so each keeps its own cell under `codes=...`.
    """
    by_key: dict[tuple[Any, ...], set[str]] = {}
    for r in rows:
        by_key.setdefault(r.key(), set()).add(r.codes)
    moved = 0
    for r in rows:
        if len(by_key[r.key()]) > 1:
            r.extra = codes_extra(r.extra, r.codes)
            moved += 1
    return rows, moved


def combine_repeats(
    rows: list[ParsedRow], head: tuple[int, str] = (0, "")
) -> tuple[list[tuple[Any, ...]], int]:
    """Cells to store: one per key; a key a source repeats becomes the sum plus its parts.

    Returns (rows as tuples in :data:`COLUMNS` order, number of repeated keys).  The parts
    keep their own values under an extra dimension `part=N` (file order), so they are never
    lost and never double-counted.  Call :func:`keep_apart` first: only rows with the same
    source codes are added up.
    """
    groups: dict[tuple[Any, ...], ParsedRow | list[ParsedRow]] = {}
    for r in rows:
        k = (r.indicator, r.country, r.year, r.sex, r.age, r.form, r.citizenship, r.extra)
        found = groups.get(k)
        if found is None:
            groups[k] = r
        elif isinstance(found, list):
            found.append(r)
        else:
            groups[k] = [found, r]
    out: list[tuple[Any, ...]] = []
    repeated = 0
    for item in groups.values():
        if not isinstance(item, list):
            c = item.cell
            out.append(
                (
                    *head,
                    item.indicator,
                    item.country,
                    item.year,
                    item.sex,
                    item.age,
                    item.form,
                    item.citizenship,
                    item.extra,
                    c.value,
                    _STATUS_TEXT[c.status],
                    c.lower,
                    c.upper,
                    flags_text(item.flags) if item.flags else "",
                    item.label[:500],
                    item.sheet,
                    item.row,
                    True,
                )
            )
            continue
        parts = item
        first = parts[0]
        repeated += 1
        flags = tuple(sorted({f for p in parts for f in p.flags} | {"summed"}))
        labels = " + ".join(dict.fromkeys(p.label for p in parts))
        total = combine([p.cell for p in parts])
        out.append(_db_row(head, first, first.extra, total, flags, labels))
        for i, p in enumerate(parts, start=1):
            extra = f"{p.extra};part={i}" if p.extra else f"part={i}"
            out.append(_db_row(head, p, extra, p.cell, p.flags, p.label))
    return out, repeated


def frame_rows(
    frame: pl.DataFrame, head: tuple[int, str]
) -> tuple[pl.DataFrame, list[tuple[Any, ...]], int, int]:
    """An assembled frame split into (unique cells as a frame, repeated keys combined as
    tuples, number of repeated keys, number of cells kept apart under their codes)."""
    if "codes" not in frame.columns:
        frame = frame.with_columns(pl.lit("").alias("codes"))
    repeated = frame.select(pl.struct(list(KEY_COLUMNS)).is_duplicated()).to_series()
    singles = frame.filter(~repeated).select(
        pl.lit(head[0]).alias("dataset_id"),
        pl.lit(head[1]).alias("source_key"),
        *FRAME_COLUMNS,
        pl.lit(True).alias("current"),
    )
    parts = [
        ParsedRow(
            r["indicator"],
            r["country"],
            r["year"],
            r["sex"],
            r["age"],
            r["form"],
            r["citizenship"],
            r["extra"],
            Cell(Status(r["status"]), r["value"], r["lower"], r["upper"]),
            tuple(f for f in r["flags"].split(",") if f),
            r["label"],
            r["sheet"],
            r["source_row"],
            r["codes"] or "",
        )
        for r in frame.filter(repeated).iter_rows(named=True)
    ]
    parts, apart = keep_apart(parts)
    combined, count = combine_repeats(parts, head)
    return singles, combined, count, apart


def split_releases(releases: list[dict[str, Any]], new_id: int) -> tuple[list[int], list[int]]:
    """(older, newer) dataset ids of the same source, relative to the new dataset.

    Two releases that both carry a version (GLOTIP's release date, a Eurostat file's year
    span, a mapping's declared version) are ordered by it; otherwise import order decides.
    """
    new = next(r for r in releases if r["id"] == new_id)
    older: list[int] = []
    newer: list[int] = []
    for r in releases:
        if r["id"] == new_id:
            continue
        if r["version"] and new["version"] and r["version"] != new["version"]:
            is_newer = r["version"] > new["version"]
        else:
            is_newer = r["id"] > new_id
        (newer if is_newer else older).append(r["id"])
    return older, newer


def store(
    db: Database,
    *,
    importer: str,
    path: Path,
    meta: dict[str, Any],
    parsed: Parsed,
    progress: Progress = no_progress,
) -> ImportSummary:
    if parsed.rows_read == 0:
        # A header alone (an empty template, a failed export) is a mistake, not a release
        # with no figures: storing it would register a source and an empty dataset.
        raise ValidationError(Location(path.name), "no rows under the header; nothing was stored")
    summary = ImportSummary(importer, path.name, rows_read=parsed.rows_read)
    summary.notes.extend(parsed.notes)
    if parsed.version and not meta.get("version"):
        meta = {**meta, "version": parsed.version}
    with db.begin() as conn:
        source_id, _ = register_source(conn, meta)
        if q.dataset_for_source(conn, source_id) is not None:
            summary.unchanged = True
            summary.notes.append("already imported; nothing changed")
            return summary
        dataset_id = q.create_dataset(
            conn,
            {
                "source_id": source_id,
                "source_key": meta["key"],
                "importer": importer,
                "file_name": meta.get("file_name") or path.name,
                "version": meta.get("version"),
                "file_checksum": meta.get("file_checksum") or meta["checksum"],
                "rows_read": parsed.rows_read,
                "rows_stored": 0,
                "summary": {},
            },
        )
        head = (dataset_id, meta["key"])
        singles: pl.DataFrame | None = None
        if parsed.frame is not None:
            singles, rows, repeated, apart = frame_rows(parsed.frame, head)
        else:
            kept, apart = keep_apart(parsed.rows)
            rows, repeated = combine_repeats(kept, head)
        if apart:
            summary.notes.append(
                f"{apart} cells whose different source codes resolve to one concept are kept "
                "apart under their own codes (extra codes=...), not added up"
            )
        if repeated:
            summary.notes.append(
                f"{repeated} keys repeated in the file: each stored as the sum (flag `summed`) "
                "plus its parts (dimension part=N)"
            )
        statuses = Counter(r[_STATUS] for r in rows)
        total = len(rows)
        if singles is not None:
            total += singles.height
            statuses.update(dict(singles["status"].value_counts().iter_rows()))
            q.insert_observation_frame(conn, singles, lambda done: progress(done, total))
        q.insert_observations(
            conn, COLUMNS, rows, lambda done: progress(total - len(rows) + done, total)
        )
        releases = q.releases(conn, meta["key"])
        older, newer = split_releases(releases, dataset_id)
        # The same data file read before through another mapping: that reading is replaced
        # whole, or a cell the corrected mapping no longer produces would stay current.
        file_sha = next(r["file_checksum"] for r in releases if r["id"] == dataset_id)
        rereads = [r["id"] for r in releases if r["id"] in older and r["file_checksum"] == file_sha]
        replaced = q.retire_all(conn, rereads)
        if replaced:
            summary.notes.append(
                f"{replaced} cells of an earlier reading of this file (another mapping) are "
                "no longer current"
            )
        superseded = q.retire(conn, older, dataset_id)
        if superseded:
            summary.notes.append(f"{superseded} cells of an older release are no longer current")
        kept_back = sum(q.retire(conn, [dataset_id], later) for later in newer)
        if kept_back:
            summary.notes.append(
                f"this is an older release than one already imported: {kept_back} of its "
                "cells are kept as history, the newer release serves them"
            )
        summary.rows_stored = total
        summary.by_status = dict(statuses)
        q.finish_dataset(conn, dataset_id, total, summary.as_dict())
    return summary
