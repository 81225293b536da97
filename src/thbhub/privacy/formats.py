"""Write releases as plain CSV or in the layout of a source format (CTDC, HTCDS), so that a
release can be compared column by column with the file it came from.

Internal column names (those of the case-records frame) map to each layout; columns already
named as in the layout pass through.  Missing values are written as empty cells, as in the
CTDC files (where an empty cell stands for -99).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from thbhub.domain.errors import UserError
from thbhub.privacy.combinations import MISSING

FORMATS = ("csv", "ctdc", "htcds")

CTDC_LAYOUT: dict[str, str] = {
    "year": "yearOfRegistration",
    "datasource": "Datasource",
    "sex": "gender",
    "age": "ageBroad",
    "citizenship": "citizenship",
    "country": "CountryOfExploitation",
}
CTDC_ORDER = [
    "yearOfRegistration",
    "Datasource",
    "gender",
    "ageBroad",
    "citizenship",
    "CountryOfExploitation",
    "isSexualExploit",
    "isForcedLabour",
    "isOtherExploit",
]
#: CTDC's three exploitation flags from THB Hub's forms of exploitation.
CTDC_FLAGS = {
    "isSexualExploit": ("form:sexual-exploitation",),
    "isForcedLabour": ("form:labour-exploitation", "form:domestic-servitude"),
}

HTCDS_LAYOUT: dict[str, str] = {
    "year": "hte_Date",
    "sex": "prs_Gender",
    "age": "vic_AgeWhenTrafficked",
    "citizenship": "prs_Citizenship",
    "country": "hte_Country",
    "forms": "vic_TypeOfExploitation",
}


def in_layout(frame: pl.DataFrame, fmt: str) -> pl.DataFrame:
    if fmt not in FORMATS:
        raise UserError(f"format must be one of {', '.join(FORMATS)} (got {fmt!r})")
    out = frame.with_columns(
        [pl.col(c).cast(pl.Utf8).replace(MISSING, None) for c in frame.columns]
    )
    if fmt == "csv":
        return out
    if fmt == "htcds":
        return out.rename({k: v for k, v in HTCDS_LAYOUT.items() if k in out.columns})
    out = out.rename({k: v for k, v in CTDC_LAYOUT.items() if k in out.columns})
    if "forms" in out.columns:
        forms = pl.col("forms").fill_null("")
        known = [f for ids in CTDC_FLAGS.values() for f in ids]
        flags = {
            name: pl.any_horizontal([forms.str.contains(f, literal=True) for f in ids])
            for name, ids in CTDC_FLAGS.items()
        }
        other = (
            forms.str.split(";")
            .list.eval(pl.element().str.strip_chars().is_in(known).not_() & (pl.element() != ""))
            .list.any()
        )
        out = out.with_columns(
            [
                pl.when(forms == "").then(None).otherwise(expr.cast(pl.Int8).cast(pl.Utf8)).alias(n)
                for n, expr in flags.items()
            ]
            + [
                pl.when(forms == "")
                .then(None)
                .otherwise(other.cast(pl.Int8).cast(pl.Utf8))
                .alias("isOtherExploit")
            ]
        ).drop("forms")
    first = [c for c in CTDC_ORDER if c in out.columns]
    return out.select(first + [c for c in out.columns if c not in first])


def write(frame: pl.DataFrame, path: Path, fmt: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    in_layout(frame, fmt).write_csv(path)
    return path
