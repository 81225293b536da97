"""Case records as the privacy package sees them: the analysis frame of the cases area
(``thbhub.cases.service.case_frame``, docs/cases.md) turned into categorical columns.

Concept ids are kept as they are (``sex:female``, ``age:18-20``, ``country:UA``); the
hierarchies and the CTDC/HTCDS layouts understand them.  The main forms of exploitation are
yes/no columns, so that counts by form stay additive (a record with two forms is counted
once in each form's yes/no table, never twice in one table).
"""

from __future__ import annotations

import polars as pl

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
