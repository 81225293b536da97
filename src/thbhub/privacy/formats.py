"""Write releases as plain CSV or in the layout of a source format (CTDC, HTCDS), so that a
release can be compared column by column with the file it came from.

Internal column names (those of the case-records frame) map to each layout; columns already
named as in the layout pass through.  Missing values are written as empty cells, as in the
CTDC files (where an empty cell stands for -99).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from thbhub.domain.cases import SEX_TO_HTCDS, ctdc_band_code
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

#: THB Hub's yes/no form columns (privacy.cases) -> CTDC's flags; other forms count as
#: CTDC's "other exploitation".
CTDC_FORM_FLAGS = {
    "form_sexual_exploitation": "isSexualExploit",
    "form_labour_exploitation": "isForcedLabour",
}
#: CTDC's data source from the identification status (docs/cases.md).
CTDC_DATASOURCE = {"identified": "Case Management", "presumed": "Hotline"}

#: The fields `export cases --format htcds` writes these columns to (cases.export.htcds_row):
#: the year of registration and the age band are THB Hub's own ``thb_`` fields (HTCDS's
#: ``hte_Date`` is an event's date and ``vic_AgeWhenTrafficked`` a number of years), the
#: country of exploitation is ``vic_LocationOfExploitation``.
HTCDS_LAYOUT: dict[str, str] = {
    "year": "thb_YearOfRegistration",
    "sex": "prs_Gender",
    "age": "thb_AgeBand",
    "citizenship": "prs_Citizenship",
    "country": "vic_LocationOfExploitation",
    "forms": "vic_TypeOfExploitation",
    "identification": "vic_TraffickingStatus",
}


def _band_code(value: str) -> str:
    return ctdc_band_code(value) if value.startswith("age:") else value


def _source_codes(frame: pl.DataFrame) -> pl.DataFrame:
    """Concept ids back to source codes: country:UA -> UA, sex:female -> Female,
    age:18-20 -> 18--20 (CTDC's band spelling)."""
    exprs = []
    for c in frame.columns:
        col = pl.col(c)
        stripped = col.str.replace(r"^[a-z-]+:", "")
        if c == "sex":
            expr = stripped.str.slice(0, 1).str.to_uppercase() + stripped.str.slice(1)
        elif c == "age":
            # the CTDC spelling of the band (18--20, 48+): domain.cases.ctdc_band_code
            expr = col.map_elements(_band_code, return_dtype=pl.Utf8)
        else:
            expr = stripped
        exprs.append(pl.when(col.str.contains(r"^[a-z-]+:")).then(expr).otherwise(col).alias(c))
    return frame.with_columns(exprs)


def _htcds_values(frame: pl.DataFrame) -> pl.DataFrame:
    """Sexes and identification statuses as HTCDS names them (as the HTCDS export writes
    them: ``Feminine``, ``ActualVictimOfTrafficking``), not as CTDC does."""
    from thbhub.cases.export import IDENTIFICATION_TO_HTCDS

    names = {"sex": SEX_TO_HTCDS, "identification": IDENTIFICATION_TO_HTCDS}
    return frame.with_columns([pl.col(c).replace(names[c]) for c in frame.columns if c in names])


def in_layout(frame: pl.DataFrame, fmt: str) -> pl.DataFrame:
    if fmt not in FORMATS:
        raise UserError(f"format must be one of {', '.join(FORMATS)} (got {fmt!r})")
    out = frame.with_columns(
        [pl.col(c).cast(pl.Utf8).replace(MISSING, None) for c in frame.columns]
    )
    if fmt == "csv":
        return out
    if fmt == "htcds":
        out = _htcds_values(out)
    out = _source_codes(out)
    if fmt == "htcds":
        return out.rename({k: v for k, v in HTCDS_LAYOUT.items() if k in out.columns})
    if "identification" in out.columns:
        out = out.with_columns(
            pl.col("identification")
            .replace_strict(CTDC_DATASOURCE, default=None)
            .alias("datasource")
        ).drop("identification")
    form_cols = [c for c in out.columns if c.startswith("form_")]
    if form_cols:
        flag = {
            c: pl.col(c).replace_strict({"yes": "1", "no": "0"}, default=None) for c in form_cols
        }
        others = [c for c in form_cols if c not in CTDC_FORM_FLAGS]
        out = out.with_columns(
            [flag[c].alias(name) for c, name in CTDC_FORM_FLAGS.items() if c in flag]
            + (
                [pl.max_horizontal([flag[c] for c in others]).alias("isOtherExploit")]
                if others
                else []
            )
        ).drop(form_cols)
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
    """``frame`` in the layout as a formula-safe CSV file readable by its owner only
    (:func:`thbhub.privacy.records.write_csv`); the directory must exist."""
    from thbhub.privacy.records import write_csv

    return write_csv(in_layout(frame, fmt), path)
