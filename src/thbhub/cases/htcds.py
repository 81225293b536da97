"""HTCDS v2.0 files in: CSV with HTCDS field names, the two Excel templates as published and
exports of the XLSForm (ODK / KoboToolbox).  See htcds_fields.py for the spellings accepted.

Direct identifiers become a keyed person pseudonym (and the birth date an age band) and
are then forgotten; free-text fields are dropped unless the contributor opted in per field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from thbhub.cases import htcds_events, pseudonym
from thbhub.cases.htcds_fields import BY_NAME, FIELDS, NOT_KEPT, REPEATED, XLSFORM_META, Field
from thbhub.cases.htcds_table import LABELS, field_for, load_rows, parse_date
from thbhub.cases.parsed import InvalidRow, Parsed, records_frame
from thbhub.cases.vocab import Vocab, norm
from thbhub.domain.cases import (
    AGE_BANDS,
    FORM_CODES,
    IDENTIFICATION_CODES,
    MEANS_CODES,
    RECRUITER_CODES,
    SECTOR_CODES,
    SEX_CODES,
    CaseRecord,
    Problem,
    ValueStatus,
    age_band,
)
from thbhub.domain.errors import UserError
from thbhub.ingest.rules import check_unique_header
from thbhub.ingest.workbook import DEFAULT_LIMITS, SheetLimits

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_IDENTITY_PARTS = {
    "prs_FirstName": "first",
    "prs_MiddleName": "middle",
    "prs_SecondName": "second",
    "prs_Birthdate": "birthdate",
    "prs_IdentityNumber": "identity",
    "prs_Email": "email",
    "prs_MobilePhone": "phone",
    "prs_HomePhone": "phone",
}
FREE_TEXT_FIELDS = tuple(f.name for f in FIELDS if f.kind == "freetext")


def _codes(field: Field) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, label in field.codes:
        out.setdefault(norm(name), name.strip())
        out.setdefault(norm(label), name.strip())
    return out


_CODE_INDEX = {f.name: _codes(f) for f in FIELDS if f.codes}
_EXTRA_SPELLINGS = {
    "cas_Status": {"follow up": "FollowUp"},
    "cas_ReasonForIncomingReferral": {
        "migration or change of location": "MigrationOrChangeOfLocation"
    },
}


# --- values ---------------------------------------------------------------------------------


def _split_multi(value: str, index: dict[str, str]) -> list[str] | None:
    """Split a multi-select cell; None if some part is not a code.

    ``;`` separates values in CSV and the Excel templates (labels such as "Water supply;
    sewerage, ..." contain one, so adjacent parts are re-joined greedily); an XLSForm
    export separates value names with spaces.
    """
    if norm(value) in index:
        return [index[norm(value)]]
    parts = [p.strip() for p in value.split(";") if p.strip()]
    out: list[str] = []
    i = 0
    while i < len(parts):
        for j in range(len(parts), i, -1):
            joined = norm("; ".join(parts[i:j]))
            if joined in index:
                out.append(index[joined])
                i = j
                break
        else:
            break
    else:
        return out
    if ";" not in value:
        words = value.split()
        if all(norm(w) in index for w in words):
            return [index[norm(w)] for w in words]
        if "," in value:
            items = [p.strip() for p in value.split(",") if p.strip()]
            if all(norm(p) in index for p in items):
                return [index[norm(p)] for p in items]
    return None


def _form(vocab: Vocab, code: str) -> str | None:
    return vocab.concept("htcds", code, "form", FORM_CODES)


def _means(vocab: Vocab, code: str) -> str | None:
    return vocab.concept("htcds", code, "means", MEANS_CODES)


def _sector(vocab: Vocab, code: str) -> str | None:
    return vocab.concept("htcds", code, "sector", {code: SECTOR_CODES[code[0]]})


def _recruiter(code: str) -> str | None:
    found = RECRUITER_CODES.get(code)
    return found.value if found else None


#: The fields answered item by item: HTCDS field -> (the record's list, code -> concept).
_ANSWERED: tuple[tuple[str, str, Callable[[Vocab, str], str | None]], ...] = (
    ("vic_TypeOfExploitation", "forms", _form),
    ("vic_TypeOfSexExploitation", "forms", _form),
    ("vic_MethodsOfControl", "means", _means),
    ("vic_ForcedLabourIndustry", "sectors", _sector),
    ("vic_RelationshipToTrafficker", "recruiter", lambda _vocab, code: _recruiter(code)),
)


def answered_no(extra: dict[str, Any], said_yes: Any, vocab: Vocab) -> dict[str, list[str]]:
    """``forms_no``, ``means_no``, ``sectors_no``, ``recruiter_no`` of an HTCDS record from
    the value names it keeps in ``extra``: a multi-select lists what applies, so a filled
    field says no to every other value of its code list (in the list's order; a concept
    ``said_yes`` — a record or row with the yes-lists as attributes or keys — lists is
    never a no).  Used by the reader and by migration cases_0006 for records stored before."""
    out: dict[str, list[str]] = {}
    for name, listed, concept in _ANSWERED:
        if not extra.get(name):
            continue
        yes = said_yes[listed] if isinstance(said_yes, dict) else getattr(said_yes, listed)
        no = out.setdefault(f"{listed}_no", [])
        for code, _ in BY_NAME[name].codes:
            cid = concept(vocab, code.strip())
            if cid and cid not in yes and cid not in no:
                no.append(cid)
    return out


class _Row:
    """Validates and maps one data row into a CaseRecord, collecting located problems."""

    def __init__(self, ctx: _Context, line: int, cells: dict[str, str]) -> None:
        self.ctx, self.line, self.cells = ctx, line, cells
        self.problems: list[Problem] = []
        self.cache: dict[str, Any] = {}
        self.links: dict[int, str] = {}

    def problem(self, column: str, value: str | None, rule: str, severity: str = "error") -> None:
        field = BY_NAME.get(htcds_events.field_name(column))
        if value is not None and field is not None and field.kind == "identifier":
            # A malformed birth date is still a birth date: problems are shown, stored in
            # the quarantine and written to the fix file, so they never carry the value.
            value, rule = None, f"{rule} (the value is not repeated: it may identify a person)"
        p = Problem(
            self.ctx.file,
            self.line,
            self.ctx.header_of.get(column, column),
            value,
            rule,
            severity,
            self.ctx.sheet,
        )
        (self.problems if severity == "error" else self.ctx.parsed.warnings).append(p)

    def pick(self, name: str) -> str | None:
        if name in self.cache:
            cached: str | None = self.cache[name]
            return cached
        value = self.cells.get(name)
        found = None
        if value is not None:
            index = {**_CODE_INDEX[name], **_EXTRA_SPELLINGS.get(name, {})}
            found = index.get(norm(value))
            if found is None:
                self.problem(name, value, f"not in the HTCDS v2.0 code list of {name}")
        self.cache[name] = found
        return found

    def multi(self, name: str) -> list[str]:
        if name in self.cache:
            return list(self.cache[name])
        value = self.cells.get(name)
        result: list[str] = []
        if value is not None:
            found = _split_multi(value, _CODE_INDEX[name])
            if found is None:
                self.problem(
                    name,
                    value,
                    f"not in the HTCDS v2.0 code list of {name} "
                    "(several values are separated by ';')",
                )
            else:
                result = list(dict.fromkeys(found))
        self.cache[name] = result
        return list(result)

    def number(self, name: str, low: int, high: int) -> int | None:
        value = self.cells.get(name)
        if value is None:
            return None
        try:
            number = int(float(value))
            if number != float(value):
                raise ValueError
        except ValueError:
            self.problem(name, value, "must be a whole number")
            return None
        if not low <= number <= high:
            self.problem(name, value, f"must be between {low} and {high}")
            return None
        return number

    def date(self, name: str) -> date | None:
        value = self.cells.get(name)
        if value is None:
            return None
        parsed = parse_date(value)
        if parsed is None:
            self.problem(name, value, "must be a date (YYYY-MM-DD)")
        elif not 1900 <= parsed.year <= date.today().year:
            self.problem(name, value, f"date must lie between 1900 and {date.today().year}")
            return None
        return parsed

    def build(self) -> CaseRecord:
        ctx, c = self.ctx, self.cells
        r = CaseRecord(source_format="htcds", source_row=self.line)
        extra: dict[str, Any] = {}
        # person key: from the identifiers, or carried over from a THB Hub export
        given_key = c.get("thb_PersonKey")
        if given_key:
            if _HEX64.match(given_key.lower()):
                r.person_key = given_key.lower()
            else:
                self.problem("thb_PersonKey", None, "not a THB Hub person key (64 hex digits)")
        else:
            parts = {part: c[f] for f, part in _IDENTITY_PARTS.items() if c.get(f)}
            r.person_key = pseudonym.person_key(ctx.key, parts)
            # the same identifiers under each linkage project's key (estimation.linkage)
            for project_id, project_key in ctx.link_keys.items():
                linked = pseudonym.person_key(project_key, parts)
                if linked is not None:
                    self.links[project_id] = linked
        # sex
        gender = self.pick("prs_Gender") if "prs_Gender" in c else None
        if gender == "NonSpecifiedUnknown":
            r.sex_status = ValueStatus.unknown
        elif gender:
            r.sex = ctx.vocab.concept("htcds", gender, "sex", SEX_CODES)
            r.sex_status = ValueStatus.observed
        # citizenship (multi-select: the first is the record's citizenship)
        if c.get("prs_Citizenship"):
            codes = []
            for part in re.split(r"[;]", c["prs_Citizenship"]):
                if not part.strip():
                    continue
                cid = ctx.vocab.country(part)
                if cid is None:
                    self.problem(
                        "prs_Citizenship",
                        part.strip(),
                        "not an ISO 3166 country code or country name",
                    )
                else:
                    codes.append(cid)
            if codes:
                r.citizenship, r.citizenship_status = codes[0], ValueStatus.observed
                extra["prs_Citizenship"] = [x.split(":", 1)[1] for x in codes]
        # country of exploitation (a lookup in HTCDS: only a country is kept)
        for name, target in (
            ("vic_LocationOfExploitation", "country"),
            ("vic_LocationOfRecruitment", "recruitment"),
        ):
            value = c.get(name)
            if value:
                cid = ctx.vocab.country(value)
                if cid is None:
                    self.problem(
                        name,
                        None,
                        "not a country: the location text was not stored "
                        "(give an ISO 3166 code or a country name)",
                        "warning",
                    )
                elif target == "country":
                    r.country, r.country_status = cid, ValueStatus.observed
                else:
                    extra[name] = cid.split(":", 1)[1]
        # identification
        status = self.pick("vic_TraffickingStatus") if "vic_TraffickingStatus" in c else None
        if status:
            r.identification = IDENTIFICATION_CODES[status].value
            r.identification_status = ValueStatus.observed
        # recruiter relation
        relation = (
            self.pick("vic_RelationshipToTrafficker")
            if "vic_RelationshipToTrafficker" in c
            else None
        )
        if relation:
            r.recruiter = [RECRUITER_CODES[relation].value]
            r.recruiter_status = ValueStatus.observed
        # forms, means, sectors
        forms = self.multi("vic_TypeOfExploitation") + self.multi("vic_TypeOfSexExploitation")
        if c.get("vic_TypeOfExploitation") or c.get("vic_TypeOfSexExploitation"):
            r.forms_status = ValueStatus.observed
        for code in forms:
            cid = _form(ctx.vocab, code)
            if cid and cid not in r.forms:
                r.forms.append(cid)
        means = self.multi("vic_MethodsOfControl")
        if means:
            r.means_status = ValueStatus.observed
        for code in means:
            cid = _means(ctx.vocab, code)
            if cid and cid not in r.means:
                r.means.append(cid)
        industries = self.multi("vic_ForcedLabourIndustry")
        if industries:
            r.sectors_status = ValueStatus.observed
        for code in industries:
            cid = _sector(ctx.vocab, code)
            if cid and cid not in r.sectors:
                r.sectors.append(cid)
        # age: given in years, or from the birth date at registration, or a band
        referral_in = self.date("cas_IncomingReferralDate")
        year = self.number("thb_YearOfRegistration", 1900, date.today().year)
        if year is None and referral_in is not None:
            year = referral_in.year
        if year is not None:
            r.year, r.year_status = year, ValueStatus.observed
        age = self.number("vic_AgeWhenTrafficked", 0, 120)
        born = self.date("prs_Birthdate") if c.get("prs_Birthdate") else None
        if age is not None:
            r.age_years, r.age, r.age_status = age, age_band(age), ValueStatus.observed
        elif born is not None and (referral_in or year):
            at = referral_in or date(year or born.year, 7, 1)
            years = at.year - born.year - ((at.month, at.day) < (born.month, born.day))
            if years >= 0:
                r.age, r.age_status = age_band(years), ValueStatus.observed
        elif c.get("thb_AgeBand"):
            band = c["thb_AgeBand"].replace("--", "-").replace("+", "-plus")
            known = {cid.split(":", 1)[1]: cid for _, _, cid in AGE_BANDS}
            if band in known:
                r.age, r.age_status = known[band], ValueStatus.observed
            elif band.lower() == "unknown":
                r.age_status = ValueStatus.unknown
            else:
                self.problem("thb_AgeBand", c["thb_AgeBand"], "not a CTDC age band")
        if r.age:
            r.age = ctx.vocab.concept("ctdc", _ctdc_band(r.age), "age", {_ctdc_band(r.age): r.age})
        # referral
        referral: dict[str, Any] = {}
        if referral_in:
            referral["incoming_date"] = referral_in.isoformat()
        outgoing = self.date("cas_OutgoingReferralDate")
        if outgoing:
            referral["outgoing_date"] = outgoing.isoformat()
        for name, key in (
            ("cas_ReasonForIncomingReferral", "incoming_reason"),
            ("cas_ReasonForOutgoingReferral", "outgoing_reason"),
        ):
            if name in c:
                value = self.pick(name)
                if value:
                    referral[key] = value
        for name, key in (
            ("cas_ReferringOrganisation", "referring_organisation"),
            ("cas_ReferredOrganisation", "referred_organisation"),
        ):
            if c.get(name):
                referral[key] = c[name]
        r.referral = referral
        # other coded fields, kept as value names for a faithful export
        for f in FIELDS:
            if f.name not in c or f.name in extra:
                continue
            if f.kind == "pick":
                value = self.pick(f.name)
                if value:
                    extra[f.name] = value
            elif f.kind == "multi":
                values = self.multi(f.name)
                if values:
                    extra[f.name] = values
            elif f.kind == "bool":
                value = self.pick(f.name)
                if value:
                    extra[f.name] = value == "TRUE"
            elif f.kind == "number" and f.name == "prs_NumberOfChildren":
                n = self.number(f.name, 0, 30)
                if n is not None:
                    extra[f.name] = n
            elif f.kind == "code":
                extra[f.name] = c[f.name]
        r.extra = extra
        for name, no in answered_no(r.extra, r, ctx.vocab).items():
            setattr(r, name, no)
        # the free text of events and plans is kept inside them (htcds_events)
        r.free_text = {k: c[k] for k in ctx.keep_text if k not in REPEATED and c.get(k)}
        htcds_events.read(
            r, c, ctx.vocab, ctx.keep_text, lambda key, value, rule: self.problem(key, value, rule)
        )
        return r


def _ctdc_band(concept_id: str) -> str:
    tail = concept_id.split(":", 1)[1]
    return "48+" if tail == "48-plus" else tail.replace("-", "--")


class _Context:
    def __init__(
        self,
        parsed: Parsed,
        vocab: Vocab,
        key: bytes,
        keep_text: set[str],
        sheet: str | None,
        link_keys: Mapping[int, bytes] | None = None,
    ) -> None:
        self.parsed, self.vocab, self.key, self.keep_text = parsed, vocab, key, keep_text
        self.link_keys = dict(link_keys or {})
        self.file = parsed.file
        self.sheet = sheet
        self.header_of: dict[str, str] = {}


def read(
    path: Path,
    vocab: Vocab,
    key: bytes,
    *,
    keep_text: set[str] | None = None,
    name: str | None = None,
    limits: SheetLimits = DEFAULT_LIMITS,
    link_keys: Mapping[int, bytes] | None = None,
) -> Parsed:
    """Read an HTCDS file into records; every problem is located (file, row, column).

    ``link_keys`` (linkage project id -> project key) adds each valid row's project
    linkage keys to ``parsed.link_keys`` (docs/estimation.md)."""
    keep = set(keep_text or ())
    unknown_keep = keep - set(FREE_TEXT_FIELDS)
    if unknown_keep:
        raise UserError(
            f"--keep-text {', '.join(sorted(unknown_keep))}: not an HTCDS free-text field; "
            f"choose from {', '.join(FREE_TEXT_FIELDS)}"
        )
    sheet, rows = load_rows(path, limits)
    parsed = Parsed(format="htcds", file=name or path.name)
    ctx = _Context(parsed, vocab, key, keep, sheet, link_keys)
    if not rows:
        raise UserError(f"{parsed.file}: the file is empty")
    header_line, header = rows[0]
    body = rows[1:]
    # The published templates put labels under the field names in row 2, and leave some
    # field names blank (the label alone says which field it is).
    labels: list[str | None] = []
    if body and sum(1 for v in body[0][1] if v and norm(v) in LABELS) >= 3:
        labels = body[0][1]
        body = body[1:]
    check_unique_header(header, parsed.file, 1, sheet)
    columns: dict[int, str] = {}
    for i, h in enumerate(header):
        # events and plans repeat: hte_Type, hte_Type_2 ... are the cell keys of their columns
        cell_key = htcds_events.column_key(h) if h else None
        if cell_key is not None:
            if cell_key not in columns.values():
                columns[i] = cell_key
                ctx.header_of[cell_key] = h or cell_key
            continue
        field_name, split = field_for(h) if h else (None, False)
        if field_name is None and not h and i < len(labels) and labels[i]:
            field_name = LABELS.get(norm(labels[i] or ""))
        if field_name is None:
            if h and not split and h not in XLSFORM_META:
                parsed.dropped_columns.append(h)
            continue
        if field_name in columns.values():
            continue
        columns[i] = field_name
        ctx.header_of[field_name] = h or (labels[i] if i < len(labels) else None) or field_name
    if not columns:
        raise UserError(f"{parsed.file}: no HTCDS field names in the header row")
    records: list[CaseRecord] = []
    filled: set[str] = set()  # columns with a value in some row: only those were dropped
    for line, values in body:
        cells = {columns[i]: v for i, v in enumerate(values) if i in columns and v is not None}
        if not cells:
            continue  # the templates' empty numbered rows
        filled.update(k for k, v in cells.items() if str(v).strip())
        parsed.rows_read += 1
        row = _Row(ctx, line, cells)
        record = row.build()
        if sheet is None and len(values) != len(header):
            # A CSV row with fewer or more cells than the header: its values cannot be
            # trusted to sit under the right columns.
            row.problem("(row)", None, f"has {len(values)} cells, the header {len(header)}")
        if row.problems:
            kept = htcds_events.quarantine_cells(cells, keep)
            parsed.invalid.append(InvalidRow(line, kept, record.person_key, row.problems))
        else:
            if row.number("thb_QuarantineId", 1, 2**31 - 1):
                parsed.resubmitted.append(int(float(cells["thb_QuarantineId"])))
            records.append(record)
            if row.links:
                parsed.link_keys[line] = row.links
    parsed.records = records_frame(records)
    # HTCDS fields the hub does not keep are told apart from columns that are not HTCDS
    standard = [d for d in parsed.dropped_columns if d.rpartition("/")[2] in NOT_KEPT]
    for label, names in (
        ("HTCDS fields not kept", standard),
        (
            "columns not in HTCDS v2.0 were not stored",
            [d for d in parsed.dropped_columns if d not in standard],
        ),
    ):
        if names:
            parsed.notes.append(
                f"{label}: {', '.join(names[:10])}" + (" ..." if len(names) > 10 else "")
            )
    in_file = {htcds_events.field_name(k) for k in filled}
    locations = [
        ctx.header_of[k]
        for k in columns.values()
        if k in filled
        and k.startswith("hte_")
        and BY_NAME[htcds_events.field_name(k)].kind == "identifier"
    ]
    for note in (
        htcds_events.location_note(locations),
        htcds_events.repeat_sheet_note(path, sheet, limits),
    ):
        if note:
            parsed.notes.append(note)
    not_kept = [f for f in FREE_TEXT_FIELDS if f in in_file and f not in keep]
    if not_kept:
        parsed.notes.append(
            "free text was dropped (opt in per field with --keep-text): " + ", ".join(not_kept)
        )
    return parsed
