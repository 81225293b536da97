"""Case records as the privacy package sees them.

Two frames, both text columns with missing as null:

- :func:`release_frame`: the analysis frame of the cases area
  (``thbhub.cases.service.case_frame``, docs/cases.md) turned into categorical columns.
  Concept ids are kept as they are (``sex:female``, ``age:18-20``, ``country:UA``); the
  hierarchies and the CTDC/HTCDS layouts understand them.  The main forms of exploitation
  are yes/no columns, so that counts by form stay additive (a record with two forms is
  counted once in each form's yes/no table, never twice in one table).
- :func:`ctdc_frame`: the records in the CTDC layout, cell for cell as `thbhub export cases
  --format ctdc` writes them (``thbhub.cases.export.ctdc_row``).  `release cases --as ctdc`
  releases these columns themselves rather than mapping the analysis frame's columns to
  CTDC's after the release: the mapping loses what the analysis frame does not hold ("not
  recorded" flags, ``Unknown`` apart from ``Missing`` apart from empty), and merging two
  released columns into one CTDC flag both adds a column to the release (more noise: one
  record touches C(m, k) combinations) and writes combinations no aggregate constrained.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from thbhub.access import audit
from thbhub.access.policy import may_read_raw_records
from thbhub.domain.errors import PermissionDenied
from thbhub.domain.principals import Principal
from thbhub.privacy.formats import CTDC_ORDER
from thbhub.storage import Database

#: The quasi-identifiers and other single-valued columns released from case records.
BASE_COLUMNS: tuple[str, ...] = ("year", "sex", "age", "citizenship", "country", "identification")

#: Forms of exploitation released as yes/no columns (those of CTDC's flags and the most
#: frequent others); a record may have several.
FORM_COLUMNS: tuple[str, ...] = (
    "form_sexual_exploitation",
    "form_labour_exploitation",
    "form_forced_criminality",
    "form_other",
)

#: Every column `thbhub release cases` can release (its default).
RELEASE_COLUMNS: tuple[str, ...] = (*BASE_COLUMNS, *FORM_COLUMNS)

#: Dimensions of public tables of case records (one lattice per organisation's dataset).
TABLE_DIMENSIONS: tuple[str, ...] = ("year", "sex", "age", "citizenship", "country")

#: `release cases --as ctdc`: the CTDC columns released by default, those that stand for
#: :data:`RELEASE_COLUMNS` (the two "other" forms are CTDC's one ``isOtherExploit``).
CTDC_RELEASE_COLUMNS: tuple[str, ...] = tuple(CTDC_ORDER)
#: The release frame's column names as CTDC's (``--columns`` may use either).
CTDC_NAMES: dict[str, str] = {
    "year": "yearOfRegistration",
    "identification": "Datasource",
    "sex": "gender",
    "age": "ageBroad",
    "citizenship": "citizenship",
    "country": "CountryOfExploitation",
    "form_sexual_exploitation": "isSexualExploit",
    "form_labour_exploitation": "isForcedLabour",
    "form_forced_criminality": "isOtherExploit",
    "form_other": "isOtherExploit",
}

#: The frame `release cases` reads for each output layout (``--as``); HTCDS and plain CSV
#: are written from the analysis frame (privacy.formats.in_layout).
LAYOUT_OF_FORMAT: dict[str, str] = {"csv": "cases", "ctdc": "ctdc", "htcds": "cases"}


def release_frame(cases: pl.DataFrame, columns: tuple[str, ...] | None = None) -> pl.DataFrame:
    """The categorical columns of ``cases`` to release (text; missing stays null)."""
    wanted = columns or RELEASE_COLUMNS
    present = [c for c in wanted if c in cases.columns]
    exprs = []
    for c in present:
        dtype = cases.schema[c]
        if dtype == pl.Boolean:
            # null (the source did not say) stays missing: never a "no"
            exprs.append(
                pl.when(pl.col(c))
                .then(pl.lit("yes"))
                .when(pl.col(c).not_())
                .then(pl.lit("no"))
                .otherwise(None)
                .alias(c)
            )
        elif isinstance(dtype, pl.List):
            exprs.append(pl.col(c).list.sort().list.join(";").alias(c))
        else:
            exprs.append(pl.col(c).cast(pl.Utf8).alias(c))
    return cases.select(exprs)


def available_columns(layout: str) -> tuple[str, ...]:
    """The columns `release cases` may release from stored records in ``layout``."""
    if layout == "ctdc":
        from thbhub.cases.export import CTDC_COLUMNS

        return tuple(CTDC_COLUMNS)
    return RELEASE_COLUMNS


def layout_columns(layout: str, columns: Sequence[str] | None) -> tuple[str, ...] | None:
    """``--columns`` in ``layout``'s names: the release frame's names become CTDC's (once
    each); other names are left for the release's plan to accept or refuse.  None: the
    layout's default (every release column; for CTDC those of :data:`CTDC_RELEASE_COLUMNS`)."""
    if layout != "ctdc":
        return tuple(columns) if columns else None
    if not columns:
        return CTDC_RELEASE_COLUMNS
    return tuple(dict.fromkeys(CTDC_NAMES.get(c, c) for c in columns))


def ctdc_frame(
    db: Database, principal: Principal, org_id: int, columns: Sequence[str]
) -> pl.DataFrame:
    """The organisation's records in the CTDC layout, ``columns`` only (text; an empty cell
    is null).  For the organisation's own members (it feeds a release); an audited read."""
    from thbhub.cases.export import ctdc_row
    from thbhub.storage import cases as store

    if not may_read_raw_records(principal, org_id):
        raise PermissionDenied("only members of the owning organisation may release its records")
    with db.read() as conn:  # no write lock for the read; its audit entry follows it
        rows = store.record_rows(conn, org_id)
        audit.record(
            conn,
            principal,
            "read",
            "case_records",
            organisation_id=org_id,
            rows=len(rows),
            detail={"layout": "ctdc", "purpose": "release"},
        )
    cells = [ctdc_row(r, i) for i, r in enumerate(rows, start=1)]
    return pl.DataFrame(
        {c: [row[c] or None for row in cells] for c in columns},
        schema={c: pl.Utf8 for c in columns},
    )


def stored_records(
    db: Database,
    principal: Principal,
    org_id: int,
    layout: str,
    columns: Sequence[str] | None,
) -> pl.DataFrame:
    """The organisation's records to release in ``layout`` ("cases" or "ctdc"; see
    :data:`LAYOUT_OF_FORMAT`), ``columns`` only (None: the layout's default)."""
    if layout == "ctdc":
        return ctdc_frame(db, principal, org_id, columns or CTDC_RELEASE_COLUMNS)
    from thbhub.cases.service import case_frame

    return release_frame(case_frame(db, principal, org_id), tuple(columns) if columns else None)
