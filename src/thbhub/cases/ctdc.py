"""CTDC files: the 2017 global dataset (58 columns) and the v2024 synthetic layout (27).

Column-wise with Polars, so that the 47,106-row global file imports in about the time it
takes to parse it.  The traps of the real file are handled here:

* three missing notions: an empty cell (the original -99) is ``not-recorded``, the literal
  ``Unknown`` is ``unknown`` and the literal ``Missing`` is ``missing`` — never a zero;
* age bands written ``18--20`` (the v2024 codebook prints them with a dash: both accepted);
* ``RecruiterRelationship`` holds several values separated by ``; ``;
* junk rows at the end (no year, or years such as 1667367) break the year rule and are
  reported with their line numbers;
* ``LT`` as country in 211 rows of 2002 may be a recoding of CTDC's ``Y1``: kept as
  recorded, flagged ``ctdc-lt-2002`` on each record and counted in the import notes.
"""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import polars as pl

from thbhub import csvio
from thbhub.cases.ctdc_columns import (
    EXTRA,
    MASK,
    answers_json,
    one,
    seen,
    with_concept_masks,
    with_extra_json,
    with_flag_booleans,
    zero,
)
from thbhub.cases.parsed import InvalidRow, Parsed
from thbhub.cases.vocab import Vocab
from thbhub.domain.cases import (
    AGE_BANDS,
    FORM_CODES,
    MEANS_CODES,
    RECRUITER_CODES,
    SECTOR_CODES,
    SEX_CODES,
    Identification,
    Problem,
    ValueStatus,
)
from thbhub.domain.errors import UserError
from thbhub.ingest.rules import check_unique_header
from thbhub.ingest.textfile import (
    cell_counts,
    read_sample,
    require_utf8,
    sniff_delimiter,
)

GLOBAL_2017_MARKERS = ("meansOfControlNotSpecified", "isSexAndLabour", "RecruiterRelationship")
SYNTHETIC_2024_MARKERS = ("meansThreats", "meansAbusePsyPhySex", "traffickMonths")
REQUIRED = ("yearOfRegistration", "gender", "ageBroad", "citizenship", "CountryOfExploitation")

FIRST_YEAR = 2000
FLAG_VALUES = ("0", "1", "-99")
UNKNOWN_WORDS = {"Unknown": ValueStatus.unknown, "Missing": ValueStatus.missing}
MAJORITY = ("Adult", "Minor", "Unknown")
DATASOURCES = {"Case Management": Identification.identified, "Hotline": Identification.presumed}

_ROW = "__row"
CTDC_SEX = ("Female", "Male", "Woman", "Man", "Trans/Transgender/NonConforming")


_CTDC_FLAG = re.compile(r"(is|meansOfControl|typeOfLabour|typeOfSex|recruiterRelation)[A-Z]")


def missing_required(columns: list[str]) -> list[str]:
    """The required columns a header lacks when it is otherwise clearly CTDC's (its flag
    columns), so that such a file is not taken for another format and read as nothing."""
    flags = sum(1 for c in columns if _CTDC_FLAG.match(c))
    if flags < 8:
        return []
    return [c for c in REQUIRED if c not in columns]


def detect(columns: list[str]) -> str | None:
    if all(c in columns for c in REQUIRED):
        if any(c in columns for c in SYNTHETIC_2024_MARKERS):
            return "ctdc2024"
        return "ctdc"
    return None


def _from_csv_text(cell: pl.Expr) -> pl.Expr:
    """export.from_csv_text, column-wise."""
    # starts_with first: far cheaper than a pattern over every cell of the file
    escaped = cell.str.starts_with("'") & cell.str.slice(1, 1).is_in(
        ["=", "+", "-", "@", "\t", "\r"]
    )
    return pl.when(escaped).then(cell.str.slice(1)).otherwise(cell).name.keep()


def read(path: Path, vocab: Vocab, *, name: str | None = None) -> Parsed:
    require_utf8(path)
    file = name or path.name
    sample = read_sample(path)
    separator = sniff_delimiter(sample)
    header = next(csvio.reader(io.StringIO(sample), file, delimiter=separator), [])
    check_unique_header(header, file, 1)
    ragged = cell_counts(path, separator)  # reported per row below
    try:
        df = pl.read_csv(path, infer_schema=False, separator=separator, truncate_ragged_lines=True)
    except (pl.exceptions.PolarsError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"{file}: not a readable CSV file ({first})") from exc
    fmt = detect(df.columns) or "ctdc"
    parsed = Parsed(format=fmt, file=file, rows_read=df.height)
    df = df.with_row_index(_ROW, offset=2).with_columns(pl.col(_ROW).cast(pl.Int64))
    # Stripped, and a cell our own CSV export protected against formula injection
    # (export.csv_text: "'=..." ) read back as it was.
    text = [c for c in df.columns if c != _ROW]
    df = df.with_columns(pl.col(c).str.strip_chars() for c in text)
    quoted = df.select(pl.col(c).str.starts_with("'").any() for c in text).row(0)
    df = df.with_columns(_from_csv_text(pl.col(c)) for c, q in zip(text, quoted, strict=True) if q)
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        parsed.invalid.append(
            InvalidRow(
                1, {}, None, [Problem(file, 1, m, None, "required column missing") for m in missing]
            )
        )
        return parsed

    errors: list[Problem] = []
    this_year = date.today().year

    checks: list[tuple[pl.Expr, str, str, str]] = []

    def report(mask: pl.Expr, column: str, rule: str, severity: str = "error") -> None:
        # Collected, then evaluated in one pass over the frame (see below).
        checks.append((mask, column, rule, severity))

    year = pl.col("yearOfRegistration").cast(pl.Int64, strict=False)
    report(pl.col("yearOfRegistration").is_null(), "yearOfRegistration", "a year is required")
    report(
        pl.col("yearOfRegistration").is_not_null() & year.is_null(),
        "yearOfRegistration",
        "must be a whole year (YYYY)",
    )
    report(
        year.is_not_null() & ((year < FIRST_YEAR) | (year > this_year)),
        "yearOfRegistration",
        f"year must be between {FIRST_YEAR} and {this_year}",
    )

    sex_map = {
        code: cid for code in CTDC_SEX if (cid := vocab.concept("ctdc", code, "sex", SEX_CODES))
    }
    report(
        pl.col("gender").is_not_null() & ~pl.col("gender").is_in([*sex_map, "Unknown"]),
        "gender",
        "not a CTDC gender (Female, Male, Unknown; v2024: Woman, Man, "
        "Trans/Transgender/NonConforming)",
    )

    band = pl.col("ageBroad").str.replace_all(r"\s*[-\u2013\u2014]+\s*", "--")
    age_map: dict[str, str] = {}
    for low, high, cid in AGE_BANDS:
        code = f"{low}+" if high is None else f"{low}--{high}"
        age_map[code] = vocab.concept("ctdc", code, "age", {code: cid}) or cid
    df = df.with_columns(band.alias("__band"))
    report(
        pl.col("__band").is_not_null() & ~pl.col("__band").is_in([*age_map, "Unknown"]),
        "ageBroad",
        "not a CTDC age band (0--8, 9--17, 18--20, 21--23, 24--26, 27--29, 30--38, 39--47, "
        "48+, Unknown)",
    )

    country_values = set(df["citizenship"].drop_nulls().unique()) | set(
        df["CountryOfExploitation"].drop_nulls().unique()
    )
    country_map = {v: c for v in country_values if (c := vocab.country(v))}
    if "00" in country_values:
        country_map.pop("00", None)
    for column in ("citizenship", "CountryOfExploitation"):
        report(
            pl.col(column).is_not_null()
            & ~pl.col(column).is_in([*country_map, *UNKNOWN_WORDS, "00"]),
            column,
            "not an ISO 3166 country code (or Unknown / Missing)",
        )

    for column in ("majorityStatus", "majorityStatusAtExploit", "majorityEntry"):
        if column in df.columns:
            report(
                pl.col(column).is_not_null() & ~pl.col(column).is_in(MAJORITY),
                column,
                "must be Adult, Minor or Unknown",
            )
    if "Datasource" in df.columns:
        report(
            pl.col("Datasource").is_not_null() & ~pl.col("Datasource").is_in(list(DATASOURCES)),
            "Datasource",
            "must be Case Management or Hotline",
        )

    flag_columns = [
        c
        for c in df.columns
        if c.startswith(("meansOfControl", "means", "is", "typeOf", "recruiterRelation"))
        and c not in ("meansOfControlConcatenated",)
        and not c.endswith("Concatenated")
    ]
    for column in flag_columns:
        report(
            pl.col(column).is_not_null() & ~pl.col(column).is_in(FLAG_VALUES),
            column,
            "a flag must be 1, 0 or -99 (or empty)",
        )
    eq1 = {c: pl.col(c) == "1" for c in flag_columns}  # flag is 1 (validation only)

    means_cols = [c for c in flag_columns if c.startswith("means") and "NotSpecified" not in c]
    if "meansOfControlNotSpecified" in df.columns:
        report(
            eq1["meansOfControlNotSpecified"] & pl.any_horizontal([eq1[c] for c in means_cols]),
            "meansOfControlNotSpecified",
            "exclusive flag: 'not specified' together with a specific means of control",
        )
    if "isSexAndLabour" in df.columns:
        report(
            eq1["isSexAndLabour"] & ~(eq1["isForcedLabour"] & eq1["isSexualExploit"]),
            "isSexAndLabour",
            "isSexAndLabour = 1 needs isForcedLabour = 1 and isSexualExploit = 1",
        )
    labour_cols = [c for c in flag_columns if c.startswith("typeOfLabour")]
    if "typeOfLabourNotSpecified" in df.columns:
        specific = [c for c in labour_cols if c != "typeOfLabourNotSpecified"]
        report(
            eq1["typeOfLabourNotSpecified"] & pl.any_horizontal([eq1[c] for c in specific]),
            "typeOfLabourNotSpecified",
            "'not specified' together with a specific type of labour: the specific type is kept",
            "warning",
        )
    rel_cols = [c for c in flag_columns if c.startswith("recruiterRelation")]
    if "recruiterRelationUnknown" in df.columns:
        specific = [c for c in rel_cols if c != "recruiterRelationUnknown"]
        report(
            eq1["recruiterRelationUnknown"] & pl.any_horizontal([eq1[c] for c in specific]),
            "recruiterRelationUnknown",
            "'unknown' together with a known recruiter relation: the known one is kept",
            "warning",
        )
    if "majorityStatus" in df.columns:
        minor_band = pl.col("__band").is_in(["0--8", "9--17"])
        adult_band = pl.col("__band").is_not_null() & pl.col("__band").is_in(
            [c for c in age_map if c not in ("0--8", "9--17")]
        )
        report(
            ((pl.col("majorityStatus") == "Minor") & adult_band)
            | ((pl.col("majorityStatus") == "Adult") & minor_band),
            "majorityStatus",
            "majority status disagrees with the age band: the age band is kept",
            "warning",
        )
    relationship_values = {"Unknown", *relationship_words()}
    if "RecruiterRelationship" in df.columns:
        parts = (
            pl.col("RecruiterRelationship").str.split(";").list.eval(pl.element().str.strip_chars())
        )
        report(
            pl.col("RecruiterRelationship").is_not_null()
            & ~parts.list.eval(pl.element().is_in(list(relationship_values))).list.all(),
            "RecruiterRelationship",
            "values must be Family/Relative, Intimate Partner, Friend, Other or Unknown, "
            "separated by '; '",
        )

    masks = df.select(
        [m.fill_null(False).alias(f"__check{i}") for i, (m, _, _, _) in enumerate(checks)]
    )
    failing = [i for i, hit in enumerate(masks.select(pl.all().any()).row(0)) if hit]
    for i in failing:
        _, column, rule, severity = checks[i]
        hits = df.filter(masks[f"__check{i}"]).select(_ROW, pl.col(column).alias("v"))
        target = errors if severity == "error" else parsed.warnings
        target.extend(Problem(file, int(r), column, v, rule, severity) for r, v in hits.iter_rows())

    errors.extend(
        Problem(file, row, "(row)", None, f"has {cells} cells, the header {len(header)}")
        for row, cells in sorted(ragged.items())
    )
    bad_rows = {p.row for p in errors}
    by_row: dict[int, list[Problem]] = {}
    for p in errors:
        by_row.setdefault(p.row, []).append(p)
    if bad_rows:
        invalid = df.filter(pl.col(_ROW).is_in(list(bad_rows)))
        for cells in invalid.drop("__band").to_dicts():
            row = int(cells.pop(_ROW))
            kept = {k: v for k, v in cells.items() if v is not None}
            parsed.invalid.append(InvalidRow(row, kept, None, by_row[row]))
        df = df.filter(~pl.col(_ROW).is_in(list(bad_rows)))

    if "thb_QuarantineId" in df.columns:
        ids = df["thb_QuarantineId"].cast(pl.Int64, strict=False).drop_nulls()
        parsed.resubmitted = [int(i) for i in ids]
    parsed.records = _records(df, fmt, vocab, sex_map, age_map, country_map, flag_columns)
    flagged = parsed.records.filter(pl.col("flags").str.contains("ctdc-lt-2002")).height
    if flagged:
        parsed.notes.append(
            f"{flagged} rows of 2002 give LT as a country; CTDC may have recoded its Y1 code to "
            "LT: kept as recorded and flagged 'ctdc-lt-2002'"
        )
    return parsed


def _status(column: str) -> pl.Expr:
    c = pl.col(column)
    return (
        pl.when(c.is_null())
        .then(pl.lit(ValueStatus.not_recorded.value))
        .when(c == "Missing")
        .then(pl.lit(ValueStatus.missing.value))
        .when(c.is_in(["Unknown", "00"]))
        .then(pl.lit(ValueStatus.unknown.value))
        .otherwise(pl.lit(ValueStatus.observed.value))
    )


def _list_status(columns: list[str], not_specified: str | None) -> pl.Expr:
    if not columns:
        return pl.lit(ValueStatus.not_recorded.value)
    # a specific value given: observed; only "not specified" given: unknown
    specific = [c for c in columns if c != not_specified] or columns
    any_one = pl.any_horizontal([one(c) for c in specific])
    any_seen = pl.any_horizontal([seen(c) for c in columns])
    unknown = one(not_specified) if not_specified else pl.lit(False)
    return (
        pl.when(any_one)
        .then(pl.lit(ValueStatus.observed.value))
        .when(unknown)
        .then(pl.lit(ValueStatus.unknown.value))
        .when(any_seen)
        .then(pl.lit(ValueStatus.observed.value))
        .otherwise(pl.lit(ValueStatus.not_recorded.value))
    )


def _records(
    df: pl.DataFrame,
    fmt: str,
    vocab: Vocab,
    sex_map: dict[str, str],
    age_map: dict[str, str],
    country_map: dict[str, str],
    flag_columns: list[str],
) -> pl.DataFrame:
    # Each list's (concept, source column) pairs: the column's 1 says yes to the concept,
    # its 0 says no (a yes from another column of the same concept wins); an empty cell
    # says nothing.
    columns_of: dict[str, list[tuple[str, str]]] = {
        "forms": [],
        "means": [],
        "sectors": [],
        "recruiter": [],
    }
    df = with_flag_booleans(df, flag_columns)
    for c in flag_columns:
        if c.startswith(("is", "typeOf")) and (f := vocab.concept("ctdc", c, "form", FORM_CODES)):
            columns_of["forms"].append((f, c))
        if (
            c.startswith("typeOfLabour")
            and "NotSpecified" not in c
            and (s := vocab.concept("ctdc", c, "sector", SECTOR_CODES))
        ):
            columns_of["sectors"].append((s, c))
        if c.startswith("means") and "NotSpecified" not in c:
            short = c.removeprefix("meansOfControl")
            fallback = {c: MEANS_CODES.get(short) or MEANS_CODES.get(c) or ""}
            if m := vocab.concept("ctdc", c, "means", fallback):
                columns_of["means"].append((m, c))
        if c in RECRUITER_CODES:
            columns_of["recruiter"].append((RECRUITER_CODES[c].value, c))
    form_pairs = [(cid, one(c)) for cid, c in columns_of["forms"]]
    means_pairs = [(cid, one(c)) for cid, c in columns_of["means"]]
    sector_pairs = [(cid, one(c)) for cid, c in columns_of["sectors"]]
    rel_pairs = [(cid, one(c)) for cid, c in columns_of["recruiter"]]
    no_pairs = {
        f"{name}_no": [(cid, zero(c)) for cid, c in pairs] for name, pairs in columns_of.items()
    }
    form_cols = [c for c in flag_columns if c.startswith("is") and c != "isAbduction"]
    means_cols = [c for c in flag_columns if c.startswith("means")]
    labour_cols = [c for c in flag_columns if c.startswith("typeOfLabour")]

    rel_flag_cols = [c for c in flag_columns if c in RECRUITER_CODES]
    rel_status = _list_status(rel_flag_cols, None)
    if "RecruiterRelationship" in df.columns:
        # Multi-valued with "; ": each listed value counts, alongside the 0/1 flags.
        text = pl.col("RecruiterRelationship")
        for value, relation in RECRUITER_CODES.items():
            if value[0].isupper() and value in relationship_words():
                rel_pairs.append((relation.value, text.str.contains(value, literal=True)))
                # the text lists what applies; it says no to nothing
                no_pairs["recruiter_no"].append((relation.value, pl.lit(False)))
        known = pl.col(MASK + "recruiter") != 0
        rel_status = (
            pl.when(known)
            .then(pl.lit(ValueStatus.observed.value))
            .when(text.is_not_null())
            .then(_status("RecruiterRelationship"))
            .otherwise(rel_status)
        )
    df, lists = with_concept_masks(
        df,
        {
            "forms": form_pairs,
            "means": means_pairs,
            "sectors": sector_pairs,
            "recruiter": rel_pairs,
            **no_pairs,
        },
        minus={f"{name}_no": name for name in columns_of},
    )

    year = pl.col("yearOfRegistration").cast(pl.Int64)
    identification: pl.Expr
    if "Datasource" in df.columns:
        identification = pl.col("Datasource").replace_strict(
            {k: v.value for k, v in DATASOURCES.items()}, default=None
        )
    else:
        identification = pl.lit(None, dtype=pl.String)
    extra_fields = [
        c
        for c in (
            "Datasource",
            "majorityStatus",
            "majorityStatusAtExploit",
            "majorityEntry",
            "isAbduction",
            "traffickMonths",
            # as written: its order, and Unknown beside a relation (the flags say otherwise)
            "RecruiterRelationship",
        )
        if c in df.columns
    ]
    df = with_extra_json(df, extra_fields)
    lt2002 = (year == 2002) & (
        (pl.col("citizenship") == "LT") | (pl.col("CountryOfExploitation") == "LT")
    )
    ref = pl.col("X") if "X" in df.columns else pl.lit(None, dtype=pl.String)
    out = df.select(
        pl.lit(fmt).alias("source_format"),
        pl.col(_ROW).alias("source_row"),
        ref.alias("source_ref"),
        pl.lit(None, dtype=pl.String).alias("person_key"),
        year.alias("year"),
        pl.lit(ValueStatus.observed.value).alias("year_status"),
        pl.col("gender").replace_strict(sex_map, default=None).alias("sex"),
        _status("gender").alias("sex_status"),
        pl.col("__band").replace_strict(age_map, default=None).alias("age"),
        _status("__band").alias("age_status"),
        pl.lit(None, dtype=pl.Int64).alias("age_years"),
        pl.col("citizenship").replace_strict(country_map, default=None).alias("citizenship"),
        _status("citizenship").alias("citizenship_status"),
        pl.col("CountryOfExploitation").replace_strict(country_map, default=None).alias("country"),
        _status("CountryOfExploitation").alias("country_status"),
        lists["forms"].alias("forms"),
        _list_status(form_cols, None).alias("forms_status"),
        lists["means"].alias("means"),
        _list_status(
            means_cols,
            "meansOfControlNotSpecified" if "meansOfControlNotSpecified" in df.columns else None,
        ).alias("means_status"),
        lists["sectors"].alias("sectors"),
        _list_status(
            labour_cols,
            "typeOfLabourNotSpecified" if "typeOfLabourNotSpecified" in df.columns else None,
        ).alias("sectors_status"),
        lists["recruiter"].alias("recruiter"),
        rel_status.alias("recruiter_status"),
        *[lists[f"{name}_no"].alias(f"{name}_no") for name in columns_of],
        answers_json([c for c in flag_columns if c != "isAbduction"]).alias("answers"),
        identification.alias("identification"),
        pl.when(identification.is_null())
        .then(pl.lit(ValueStatus.not_recorded.value))
        .otherwise(pl.lit(ValueStatus.observed.value))
        .alias("identification_status"),
        pl.col(EXTRA).alias("extra"),
        pl.when(lt2002.fill_null(False))
        .then(pl.lit('["ctdc-lt-2002"]'))
        .otherwise(pl.lit("[]"))
        .alias("flags"),
    )
    return out.with_columns(
        pl.lit("{}").alias("referral"),
        pl.lit("{}").alias("free_text"),
    )


def relationship_words() -> set[str]:
    return {"Family/Relative", "Intimate Partner", "Friend", "Other"}
