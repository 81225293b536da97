"""Write case records as HTCDS v2.0 (CSV or Excel) or in the CTDC global-dataset layout.

Records imported from HTCDS keep their value names (``extra``), so an HTCDS import then
export gives back the same values.  Records from CTDC are mapped to HTCDS as documented in
docs/cases.md ("CTDC to HTCDS"); what HTCDS cannot express goes to ``thb_*`` columns.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from thbhub import csvio
from thbhub.cases.htcds_events import htcds_columns
from thbhub.cases.htcds_fields import FIELDS, INDUSTRY
from thbhub.domain.cases import (
    FORM_CODES,
    MEANS_CODES,
    SEX_TO_CTDC,
    SEX_TO_HTCDS,
    Identification,
    Recruiter,
    ctdc_band_code,
)
from thbhub.domain.spreadsheet import FORMULA_STARTS

_FIELD_TABLE_MEANS = [
    "PhysicalThreats",
    "ThreatsLawEnforcement",
    "ThreatensChildrenFamily",
    "DebtBondage",
    "FalsePromises",
    "PhysicalAbuse",
    "SexualAbuse",
    "TakesEarnings",
    "RestrictsFinancialAccess",
    "RestrictsMedicalCare",
    "WithholdsNecessities",
    "PsychologicalAbuse",
    "PsychoactiveSubstance",
    "ExcessiveWorkingHours",
    "WithholdsDocuments",
    "Other",
    "RestrictsMovement",
]
MEANS_TO_HTCDS = {MEANS_CODES[n]: n for n in reversed(_FIELD_TABLE_MEANS)}
_TYPES = [
    "ForcedLabour",
    "SexualExploitation",
    "ChildLabour",
    "ForcedMarriage",
    "Servitude",
    "ForcedMilitaryByNonStateActors",
    "OrganRemoval",
    "ForcedBegging",
    "ForcedAdoption",
    "Surrogacy",
    "Other",
]
_SEX_TYPES = ["Prostitution", "Pornography", "RemoteInteractiveServices", "PrivateSexualServices"]
FORM_TO_HTCDS = {FORM_CODES[n]: n for n in _TYPES}
SEXTYPE_TO_HTCDS = {FORM_CODES[n]: n for n in _SEX_TYPES}
# CTDC forms HTCDS has no own value for: the nearest HTCDS type of exploitation
FORM_TO_HTCDS.update(
    {
        "form:domestic-servitude": "Servitude",
        "form:forced-criminality": "Other",
        "form:child-soldiering": "ForcedMilitaryByNonStateActors",
    }
)
SECTOR_TO_HTCDS = {f"sector:{name[0].lower()}": name for name, _ in INDUSTRY}
IDENTIFICATION_TO_HTCDS = {
    Identification.presumed.value: "PossibleVictimOfTrafficking",
    Identification.identified.value: "ActualVictimOfTrafficking",
    Identification.not_victim.value: "NotAVictimOfTrafficking",
}
# HTCDS has one relationship: family -> Familial; anyone the victim knew -> Acquainted
RECRUITER_TO_HTCDS = {
    Recruiter.family.value: "Familial",
    Recruiter.intimate_partner.value: "Acquainted",
    Recruiter.friend.value: "Acquainted",
    Recruiter.acquaintance.value: "Acquainted",
    Recruiter.stranger.value: "Unaquainted",
}

# Events and support plans repeat (hte_Type, hte_Type_2 ...): written only as records have
# them (htcds_columns), like the free text, so the fixed columns stay as they were.
HTCDS_COLUMNS = [
    f.name
    for f in FIELDS
    if f.kind not in ("identifier", "freetext", "event") and f.name != "thb_QuarantineId"
]


def _isic_section(concept_id: str) -> str | None:
    """sector:a01 (an ISIC division) -> sector:a; None for sector:other and the like."""
    tail = concept_id.split(":", 1)[1]
    section = f"sector:{tail[0]}"
    return (
        section if section in SECTOR_TO_HTCDS and (len(tail) == 1 or tail[1:].isdigit()) else None
    )


def _code(concept_id: str | None) -> str | None:
    return concept_id.split(":", 1)[1] if concept_id else None


def htcds_row(r: dict[str, Any]) -> dict[str, Any]:
    """One stored record as HTCDS field -> value (multi-values as lists)."""
    extra = r.get("extra") or {}
    out: dict[str, Any] = {}
    if r["source_format"] == "htcds":
        out.update({k: v for k, v in extra.items() if k in HTCDS_COLUMNS})
    sex = r["sex"]
    if "prs_Gender" not in out:
        if sex in SEX_TO_HTCDS:
            out["prs_Gender"] = SEX_TO_HTCDS[sex]
        elif r["sex_status"] == "unknown":
            out["prs_Gender"] = "NonSpecifiedUnknown"
    if "prs_Citizenship" not in out and r["citizenship"]:
        out["prs_Citizenship"] = [_code(r["citizenship"])]
    if r["country"]:
        out["vic_LocationOfExploitation"] = _code(r["country"])
    if r["identification"]:
        out.setdefault("vic_TraffickingStatus", IDENTIFICATION_TO_HTCDS[r["identification"]])
    if "vic_RelationshipToTrafficker" not in out:
        # HTCDS holds one relationship: the closest one given (the table's order)
        for rel in RECRUITER_TO_HTCDS:
            if rel in r["recruiter"]:
                out["vic_RelationshipToTrafficker"] = RECRUITER_TO_HTCDS[rel]
                break
    if "vic_TypeOfExploitation" not in out:
        types = [FORM_TO_HTCDS[f] for f in r["forms"] if f in FORM_TO_HTCDS]
        if types:
            out["vic_TypeOfExploitation"] = list(dict.fromkeys(types))
    if "vic_TypeOfSexExploitation" not in out:
        sex_types = [SEXTYPE_TO_HTCDS[f] for f in r["forms"] if f in SEXTYPE_TO_HTCDS]
        if sex_types:
            out["vic_TypeOfSexExploitation"] = sex_types
    if "vic_MethodsOfControl" not in out:
        means = [MEANS_TO_HTCDS[m] for m in r["means"] if m in MEANS_TO_HTCDS]
        if means:
            out["vic_MethodsOfControl"] = list(dict.fromkeys(means))
    if "vic_ForcedLabourIndustry" not in out:
        sectors = [SECTOR_TO_HTCDS[s] for s in map(_isic_section, r["sectors"]) if s]
        if sectors:
            out["vic_ForcedLabourIndustry"] = list(dict.fromkeys(sectors))
    referral = r.get("referral") or {}
    for key, name in (
        ("incoming_date", "cas_IncomingReferralDate"),
        ("outgoing_date", "cas_OutgoingReferralDate"),
        ("incoming_reason", "cas_ReasonForIncomingReferral"),
        ("outgoing_reason", "cas_ReasonForOutgoingReferral"),
        ("referring_organisation", "cas_ReferringOrganisation"),
        ("referred_organisation", "cas_ReferredOrganisation"),
    ):
        if key in referral:
            out[name] = referral[key]
    if r["age_years"] is not None:
        out["vic_AgeWhenTrafficked"] = r["age_years"]
    elif r["age"]:
        out["thb_AgeBand"] = ctdc_band_code(r["age"])
    if r["year"] is not None:
        out["thb_YearOfRegistration"] = r["year"]
    if r["person_key"]:
        out["thb_PersonKey"] = r["person_key"]
    for name, text in (r.get("free_text") or {}).items():
        out[name] = text
    out.update(htcds_columns(r))
    return out


def _text(value: Any, sep: str) -> Any:
    if isinstance(value, list):
        return sep.join(str(v) for v in value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return value


#: Control characters an .xlsx cell cannot hold (XML 1.0 forbids them; openpyxl raises).
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def xlsx_value(value: Any) -> Any:
    """``value`` as an .xlsx cell can hold it: a control character in contributed text (a
    pasted organisation name, kept free text) becomes U+FFFD, visibly, instead of making
    the whole export fail."""
    if isinstance(value, str):
        return _XLSX_ILLEGAL.sub("\ufffd", value)
    return value


def keep_as_text(cell: Any) -> None:
    """Contributed text such as an organisation name must never become a formula: openpyxl
    writes a string starting with "=" as one, and Excel turns text starting with "+", "-" or
    "@" into one once the cell is edited (the quote prefix keeps it text then too)."""
    if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
        cell.data_type = "s"
        cell.quotePrefix = True


def write_htcds(rows: Sequence[dict[str, Any]], path: Path) -> int:
    mapped = [htcds_row(r) for r in rows]
    text_fields = sorted({k for m in mapped for k in m if k not in HTCDS_COLUMNS})
    columns = [*HTCDS_COLUMNS, *text_fields]
    if path.suffix.lower() == ".xlsx":
        import openpyxl

        labels = {f.name: f.label for f in FIELDS}
        wb = openpyxl.Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = "Case Sheet"
        ws.append(columns)
        ws.append([labels.get(c, c) for c in columns])  # as the published templates do
        for line, m in enumerate(mapped, start=3):
            values = [xlsx_value(_text(m.get(c), ";")) for c in columns]
            ws.append(values)
            # the cells by position: ws[ws.max_row] rescans every cell (quadratic export)
            for col, value in enumerate(values, start=1):
                if isinstance(value, str) and value.startswith(FORMULA_STARTS):
                    keep_as_text(ws.cell(row=line, column=col))
        wb.save(path)
    else:
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csvio.writer(fh)
            writer.writerow(columns)
            for m in mapped:
                writer.writerow(["" if m.get(c) is None else _text(m.get(c), ";") for c in columns])
    return len(mapped)


# --- CTDC global-dataset layout (2017, 58 columns) -----------------------------------------

CTDC_MEANS = [
    "DebtBondage",
    "TakesEarnings",
    "RestrictsFinancialAccess",
    "Threats",
    "PsychologicalAbuse",
    "PhysicalAbuse",
    "SexualAbuse",
    "FalsePromises",
    "PsychoactiveSubstances",
    "RestrictsMovement",
    "RestrictsMedicalCare",
    "ExcessiveWorkingHours",
    "UsesChildren",
    "ThreatOfLawEnforcement",
    "WithholdsNecessities",
    "WithholdsDocuments",
    "Other",
]
CTDC_FORMS = [
    "isForcedLabour",
    "isSexualExploit",
    "isOtherExploit",
    "isSexAndLabour",
    "isForcedMarriage",
    "isForcedMilitary",
    "isOrganRemoval",
]
CTDC_LABOUR = [
    "Agriculture",
    "Aquafarming",
    "Begging",
    "Construction",
    "DomesticWork",
    "Hospitality",
    "IllicitActivities",
    "Manufacturing",
    "MiningOrDrilling",
    "Peddling",
    "Transportation",
    "Other",
    "NotSpecified",
]
CTDC_SEX = ["Prostitution", "Pornography", "RemoteInteractiveServices", "PrivateSexualServices"]
CTDC_COLUMNS = [
    "X",
    "yearOfRegistration",
    "Datasource",
    "gender",
    "ageBroad",
    "majorityStatus",
    "majorityStatusAtExploit",
    "majorityEntry",
    "citizenship",
    *[f"meansOfControl{m}" for m in CTDC_MEANS],
    "meansOfControlNotSpecified",
    *CTDC_FORMS,
    *[f"typeOfLabour{t}" for t in CTDC_LABOUR],
    *[f"typeOfSex{t}" for t in CTDC_SEX],
    "isAbduction",
    "RecruiterRelationship",
    "CountryOfExploitation",
    "recruiterRelationIntimatePartner",
    "recruiterRelationFriend",
    "recruiterRelationFamily",
    "recruiterRelationOther",
    "recruiterRelationUnknown",
]
_MISSING_WORD = {"unknown": "Unknown", "missing": "Missing"}
_REL_TEXT = {
    "family": "Family/Relative",
    "intimate-partner": "Intimate Partner",
    "friend": "Friend",
    "other": "Other",
    "acquaintance": "Other",
    "stranger": "Other",
}
_CTDC_FORM_FLAGS = {v: k for k, v in FORM_CODES.items() if k.startswith(("is", "typeOf"))}
_CTDC_SECTOR = {
    "sector:a": "typeOfLabourAgriculture",
    "sector:f": "typeOfLabourConstruction",
    "sector:t": "typeOfLabourDomesticWork",
    "sector:i": "typeOfLabourHospitality",
    "sector:c": "typeOfLabourManufacturing",
    "sector:b": "typeOfLabourMiningOrDrilling",
    "sector:g": "typeOfLabourPeddling",
    "sector:h": "typeOfLabourTransportation",
}


def _flags(present: set[str], columns: list[str], status: str) -> dict[str, str]:
    if status == "not-recorded":
        return dict.fromkeys(columns, "")
    return {c: "1" if c in present else "0" for c in columns}


#: The flag migration cases_0006 gives the CTDC records stored before it: they have no
#: answers of their own (whether an item was 0 or empty was not kept).
OLD_ANSWERS = "answers-before-cases-0006"

#: The CTDC columns of the multi-valued fields, written from a record's own answers.
CTDC_ANSWER_COLUMNS = [
    c
    for c in CTDC_COLUMNS
    if c.startswith(("meansOfControl", "is", "typeOf", "recruiterRelation")) and c != "isAbduction"
]


def ctdc_row(r: dict[str, Any], index: int) -> dict[str, str]:
    """One record in the CTDC 2017 global layout.  A record read from that layout writes
    its own answers back as the file had them (:func:`_ctdc_as_read`); others are derived
    from their concepts and statuses."""
    if r["source_format"] == "ctdc" and OLD_ANSWERS not in (r.get("flags") or []):
        return _ctdc_as_read(r, index)
    return _ctdc_derived(r, index)


def _ctdc_as_read(r: dict[str, Any], index: int) -> dict[str, str]:
    extra = r.get("extra") or {}
    answers = r["answers"]
    out = _ctdc_derived(r, index)
    out["X"] = r.get("source_ref") or str(index)
    for k in ("majorityStatus", "majorityStatusAtExploit", "majorityEntry", "isAbduction"):
        out[k] = str(extra.get(k) or "")  # as given, never derived from the age band
    for c in CTDC_ANSWER_COLUMNS:
        out[c] = "" if answers.get(c) is None else str(answers[c])
    out["RecruiterRelationship"] = str(extra.get("RecruiterRelationship") or "")
    return out


def _ctdc_derived(r: dict[str, Any], index: int) -> dict[str, str]:
    extra = r.get("extra") or {}
    out: dict[str, str] = dict.fromkeys(CTDC_COLUMNS, "")
    out["X"] = str(index)
    out["yearOfRegistration"] = "" if r["year"] is None else str(r["year"])
    out["Datasource"] = extra.get("Datasource") or {
        "identified": "Case Management",
        "presumed": "Hotline",
    }.get(r["identification"] or "", "")
    out["gender"] = SEX_TO_CTDC.get(r["sex"] or "", _MISSING_WORD.get(r["sex_status"], ""))
    if r["sex"] and r["sex"] not in SEX_TO_CTDC:
        out["gender"] = "Unknown"
    out["ageBroad"] = (
        ctdc_band_code(r["age"]) if r["age"] else _MISSING_WORD.get(r["age_status"], "")
    )
    for k in ("majorityStatus", "majorityStatusAtExploit", "majorityEntry", "isAbduction"):
        out[k] = str(extra.get(k) or "")
    if not out["majorityStatus"] and r["age"]:
        out["majorityStatus"] = "Minor" if r["age"] in ("age:0-8", "age:9-17") else "Adult"
    for name, col in (("citizenship", "citizenship"), ("country", "CountryOfExploitation")):
        out[col] = _code(r[name]) or _MISSING_WORD.get(r[f"{name}_status"], "")
    means_flags = {
        f"meansOfControl{m}" for m in CTDC_MEANS if MEANS_CODES.get(m) in set(r["means"])
    }
    out.update(_flags(means_flags, [f"meansOfControl{m}" for m in CTDC_MEANS], r["means_status"]))
    if r["means_status"] != "not-recorded":
        out["meansOfControlNotSpecified"] = "1" if r["means_status"] == "unknown" else "0"
    forms = set(r["forms"])
    form_flags = {_CTDC_FORM_FLAGS[f] for f in forms if f in _CTDC_FORM_FLAGS}
    if "form:labour-exploitation" in forms and "form:sexual-exploitation" in forms:
        form_flags.add("isSexAndLabour")
    labour = [f"typeOfLabour{t}" for t in CTDC_LABOUR]
    form_flags |= {_CTDC_SECTOR[s] for s in r["sectors"] if s in _CTDC_SECTOR}
    out.update(_flags(form_flags, CTDC_FORMS, r["forms_status"]))
    out.update(
        _flags(
            form_flags,
            labour,
            r["sectors_status"]
            if r["sectors"] or r["sectors_status"] != "not-recorded"
            else r["forms_status"],
        )
    )
    if r["sectors_status"] == "unknown":
        out["typeOfLabourNotSpecified"] = "1"
    out.update(_flags(form_flags, [f"typeOfSex{t}" for t in CTDC_SEX], r["forms_status"]))
    rels = [_REL_TEXT[x] for x in r["recruiter"] if x in _REL_TEXT]
    out["RecruiterRelationship"] = "; ".join(dict.fromkeys(rels)) or _MISSING_WORD.get(
        r["recruiter_status"], ""
    )
    rel_cols = {
        "intimate-partner": "recruiterRelationIntimatePartner",
        "friend": "recruiterRelationFriend",
        "family": "recruiterRelationFamily",
    }
    if r["recruiter_status"] != "not-recorded":
        for rel_col in [*rel_cols.values(), "recruiterRelationOther"]:
            out[rel_col] = "0"
        for x in r["recruiter"]:
            out[rel_cols.get(x, "recruiterRelationOther")] = "1"
        out["recruiterRelationUnknown"] = "1" if r["recruiter_status"] == "unknown" else "0"
    return out


def write_ctdc(rows: Sequence[dict[str, Any]], path: Path) -> int:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csvio.writer(fh)
        writer.writerow(CTDC_COLUMNS)
        for i, r in enumerate(rows, start=1):
            out = ctdc_row(r, i)  # has every column, and only those
            writer.writerow([out[c] for c in CTDC_COLUMNS])
    return len(rows)
