"""HTCDS files through the user's path: synthetic rows (no real person) that fill every field
are imported with `thbhub import cases` and exported in the layout they came in with
`thbhub export cases`; the export is compared with the original file, field by field, read
as plain CSV or with openpyxl (none of the hub's normalisation).

The only differences allowed (docs/cases.md, "Export and the round trip"): direct
identifiers are never stored, so their columns come back empty, and a row that gave them
comes back with its person key (``thb_PersonKey``).
"""

from __future__ import annotations

import csv
import shutil
import warnings
from datetime import date, datetime
from itertools import takewhile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from case_support import make_org
from support import shared_file
from thbhub.cases.htcds_fields import FIELDS
from thbhub.cli import main
from thbhub.storage import Database

ROWS = 24  # more than the longest code list of a multi-select field (21)
FREE_TEXT = [f.name for f in FIELDS if f.kind == "freetext"]
IDENTIFIERS = {f.name for f in FIELDS if f.kind == "identifier"}
COUNTRIES = ["UA", "PL", "LT", "VN", "NG", "MD", "RO", "BY", "LV", "SE", "DE", "PH"]
LANGUAGES = ["uk", "pl", "lt", "vi", "en", "ro"]
SEX_PROFILE = {"vic_TypeOfExploitation": "SexualExploitation"}


def _codes(name: str) -> list[str]:
    field = next(f for f in FIELDS if f.name == name)
    return list(dict.fromkeys(code.strip() for code, _ in field.codes))


def _several(name: str, i: int, most: int = 3) -> list[str]:
    """1 to ``most`` values of a multi-select, so that every value appears over the rows."""
    codes = _codes(name)
    return list(dict.fromkeys(codes[(i + k * 7) % len(codes)] for k in range(1 + i % most)))


def person(i: int) -> dict[str, str]:
    """Synthetic direct identifiers: never stored, they come back empty."""
    return {
        "cas_CaseOwner": f"Case worker {i % 4}",
        "prs_Salutation": "Ms" if i % 2 else "Mr",
        "prs_FirstName": f"Testė{i}",
        "prs_SecondName": "Synthetic",
        "prs_Birthdate": f"{1975 + i % 30}-{1 + i % 12:02d}-{1 + i % 28:02d}",
        "prs_Title": "Dr" if i % 5 == 0 else "",
        "prs_Email": f"person{i}@example.org",
        "prs_HomePhone": f"+370 5 000 {i:04d}",
        "prs_MobilePhone": f"+48 600 000 {i:03d}",
        "prs_MailingCity": "Vilnius",
        "prs_MailingCountry": "LT",
        "prs_MailingState": "Vilniaus apskritis",
        "prs_MailingStreet": f"Example g. {i + 1}",
        "prs_MailingPostalCode": f"LT-0{1000 + i}",
        "cas_ReferringPrimaryCaseWorker": f"Referrer {i % 3}",
        "cas_ReferredPrimaryCaseWorker": f"Receiver {i % 3}",
    }


def case(i: int) -> dict[str, str]:
    """One synthetic case in HTCDS value names: sexual exploitation on even rows, forced
    labour with an industry on odd ones; every code of every list appears over the rows."""
    sexual = i % 2 == 0
    types = ["SexualExploitation"] if sexual else ["ForcedLabour"]
    types += [t for t in _several("vic_TypeOfExploitation", i, 2) if t not in types]
    row = {
        "con_Consent": "TRUE" if i % 3 else "FALSE",
        "prs_Gender": _codes("prs_Gender")[i % 6],
        "prs_Citizenship": ";".join(COUNTRIES[i % 12 : i % 12 + 1 + (i % 4 == 0)]),
        "vic_TraffickingStatus": _codes("vic_TraffickingStatus")[i % 3],
        "vic_TraffickingStatusDecisionMakingOrg": _codes("vic_TraffickingStatusDecisionMakingOrg")[
            i % 5
        ],
        "vic_MethodOfRecruitment": ";".join(_several("vic_MethodOfRecruitment", i)),
        "vic_LocationOfRecruitment": COUNTRIES[i % 12],
        "vic_MethodsOfControl": ";".join(_several("vic_MethodsOfControl", i)),
        "vic_TypeOfExploitation": ";".join(types),
        "vic_ForcedLabourIndustry": ""
        if sexual
        else ";".join(_several("vic_ForcedLabourIndustry", i)),
        "vic_TypeOfSexExploitation": ";".join(_several("vic_TypeOfSexExploitation", i, 2))
        if sexual or i % 4 == 1
        else "",
        "vic_LocationOfExploitation": COUNTRIES[(i + 5) % 12],
        "cas_Status": _codes("cas_Status")[i % 4],
        "cas_ReferringOrganisation": f"Referring NGO {i % 5}",
        "cas_IncomingReferralDate": f"{2015 + i % 9}-{1 + i % 12:02d}-{1 + i % 27:02d}",
        "cas_ReasonForIncomingReferral": _codes("cas_ReasonForIncomingReferral")[i % 3],
        "cas_ReferredOrganisation": f"Shelter {i % 4}",
        "cas_ReasonForOutgoingReferral": _codes("cas_ReasonForOutgoingReferral")[(i + 1) % 3],
        "cas_OutgoingReferralDate": f"{2024}-{1 + i % 12:02d}-{1 + i % 27:02d}",
        "cas_IncomingReferralDetails": f"Referred by the hotline after call {i}.",
        "cas_OutgoingReferralDetails": f"Moved to shelter {i % 4} for medical care.",
        "cas_ReasonForCaseClosure": "Returned home safely." if i % 3 == 0 else "",
    }
    return row


def hub_row(i: int) -> dict[str, str]:
    """Every field of the hub's HTCDS CSV layout, with one event and one support plan."""
    row = {**person(i), **case(i)}
    # a person's middle name and document number are identifiers the templates lack
    row |= {
        "prs_MiddleName": "M" if i % 2 else "",
        "prs_IdentityNumber": f"ID{i:06d}",
        "prs_MailingLatitude": "54.6872",
        "prs_MailingLongitude": "25.2797",
    }
    row |= {
        "prs_Deceased": "FALSE" if i % 7 else "TRUE",
        "prs_MaritalStatus": _codes("prs_MaritalStatus")[i % 6],
        "prs_NumberOfChildren": str(i % 4),
        "prs_PrimaryLanguage": LANGUAGES[i % 6],
        "prs_SecondaryLanguage": LANGUAGES[(i + 3) % 6],
        "prs_HighestLevelOfEducation": _codes("prs_HighestLevelOfEducation")[i % 9],
        "vic_RelationshipToTrafficker": _codes("vic_RelationshipToTrafficker")[i % 3],
        "vic_RecruitmentWebsitesAndApps": ";".join(_several("vic_RecruitmentWebsitesAndApps", i)),
        "vic_ExploitationWebsitesAndApps": ";".join(
            _several("vic_ExploitationWebsitesAndApps", i + 1)
        ),
        "vic_Vulnerabilities": ";".join(_several("vic_Vulnerabilities", i)),
        "per_RoleInProcess": ";".join(_several("per_RoleInProcess", i)),
        "vic_DetailsOfVulnerabilities": f"Lost work in {2014 + i % 9}.",
        "per_RoleDetails": "Recruiter known from the village." if i % 2 else "",
        "cco_CaseComment": f"Follow-up call planned ({i}).",
        "hte_Type": _codes("hte_Type")[i % 3],
        "hte_Country": COUNTRIES[(i + 2) % 12],
        "hte_Date": str(2014 + i % 9),
        "hte_City": "Kaunas",
        "hte_State": "Kauno apskritis",
        "hte_Street": "Laisvės al. 1",
        "hte_PostalCode": "LT-44001",
        "hte_Latitude": "54.8985",
        "hte_Longitude": "23.9036",
        "hte_Description": f"Met the recruiter at a bus station ({i}).",
        "spl_Type": _codes("spl_Type")[i % 9],
        "spl_PlannedEndDate": str(2025 + i % 3),
        "spl_ActualEndDate": str(2024) if i % 2 else "",
        "spl_Objectives": "Safe housing and a job interview.",
        "spl_ActionPlan": "Weekly meetings with a social worker.",
    }
    # the age either in years or (no birth date then) as a band
    if i % 3 == 2:
        row |= {"prs_Birthdate": "", "thb_AgeBand": ["18--20", "9--17", "30--38"][i % 3]}
    else:
        row |= {"vic_AgeWhenTrafficked": str(16 + i % 30)}
    row["thb_YearOfRegistration"] = row["cas_IncomingReferralDate"][:4]
    return row


def _import_export(db_url: str, source: Path, out: Path, *options: str) -> None:
    keep = [a for name in FREE_TEXT for a in ("--keep-text", name)]
    args = ["--db", db_url]
    assert main([*args, "import", "cases", str(source), "--org", "HTCDS", *keep]) == 0
    assert main([*args, "export", "cases", "--org", "HTCDS", *options, "-o", str(out)]) == 0


def _differences(
    original: list[dict[str, str]], exported: list[dict[str, str]], columns: list[str]
) -> dict[str, list[tuple[int, str, str]]]:
    """Cells that differ, by column: (row, original, exported); identifiers must be empty."""
    out: dict[str, list[tuple[int, str, str]]] = {}
    assert len(exported) == len(original)
    for n, (mine, theirs) in enumerate(zip(exported, original, strict=True)):
        for c in columns:
            want = "" if c in IDENTIFIERS else theirs.get(c, "")
            if mine.get(c, "") != want:
                out.setdefault(c, []).append((n, theirs.get(c, ""), mine.get(c, "")))
    return out


def test_every_field_of_the_hub_csv_layout_round_trips(
    db: Database, db_url: str, tmp_path: Path, cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_org(db, "HTCDS")
    rows = [hub_row(i) for i in range(ROWS)]
    header = [f.name for f in FIELDS if f.name != "thb_QuarantineId"]
    # every field is filled somewhere (the person key comes from the identifiers)
    assert [c for c in header if not any(r.get(c) for r in rows)] == ["thb_PersonKey"]
    source = tmp_path / "cases.csv"
    with source.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, extrasaction="raise")
        writer.writeheader()
        writer.writerows(rows)
    out = tmp_path / "out.csv"
    _import_export(db_url, source, out, "--format", "htcds")
    capsys.readouterr()

    with source.open(encoding="utf-8", newline="") as fh:
        original = list(csv.DictReader(fh))
    with out.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        exported = list(reader)
        written = list(reader.fieldnames or [])
    # every field that holds data comes back, identifiers as empty or absent columns
    assert set(header) - set(written) <= IDENTIFIERS
    compared = [c for c in header if c != "thb_PersonKey"]
    assert _differences(original, exported, compared) == {}
    # identifiers become the person key, the same one for the same person
    keys = [r["thb_PersonKey"] for r in exported]
    assert all(len(k) == 64 for k in keys) and len(set(keys)) == ROWS


# --- IOM's published Excel templates ------------------------------------------------------

PUBLISHED = {
    "plain": ("htcds/HTCDS Excel Spreadsheet v2.0.xlsx", "Sheet1"),
    "single-select": (
        "htcds/HTCDS Excel Spreadsheet single select with validation v2.0.xlsx",
        "Case Sheet",
    ),
}
#: A field the published templates name only by its label (a blank name above it).
BLANK_NAMED = {"Reason for Outgoing Referral": "cas_ReasonForOutgoingReferral"}
#: Names the published templates misspell.
MISSPELT = {"vic_TraffickinStatusDecisionMakingOrg": "vic_TraffickingStatusDecisionMakingOrg"}


def _open(path: Path) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the templates' extended validation
        return openpyxl.load_workbook(path)


def _columns(ws: Any) -> dict[str, int]:
    """Field name -> column number of a template's case sheet (row 1, else row 2's label)."""
    out: dict[str, int] = {}
    for cell, label in zip(ws[1], ws[2], strict=True):
        name = MISSPELT.get(cell.value, cell.value) or BLANK_NAMED.get(label.value or "")
        if name:
            out[name] = cell.column
    return out


def _as_cell(name: str, value: str) -> Any:
    """A CSV-style value as a template cell holds it: dates as dates, consent as a bool."""
    if not value:
        return None
    if name in ("cas_IncomingReferralDate", "cas_OutgoingReferralDate"):
        return datetime.fromisoformat(value)
    if name == "prs_Birthdate":
        return date.fromisoformat(value)
    if name == "con_Consent":
        return value == "TRUE"
    return value


def _template_rows(template: str, labels: list[str]) -> list[dict[str, Any]]:
    """The synthetic cases as a template's cells.  The single-select template holds one
    value per cell, spelt as its own validation lists spell it (``labels``: the case
    sheet's row-2 label of each field, which heads its list)."""
    lists = _validation_lists() if template == "single-select" else {}
    rows = []
    for i in range(ROWS):
        row: dict[str, Any] = {**person(i), **case(i)}
        for n, name in enumerate(list(row)):
            offered = lists.get(labels.get(name, "")) or (
                lists.get("Country") if name in _COUNTRY_FIELDS else None
            )
            if offered and row[name]:
                row[name] = offered[(i * 7 + n) % len(offered)]
        rows.append({k: _as_cell(k, v) if isinstance(v, str) else v for k, v in row.items()})
    return rows


_COUNTRY_FIELDS = ("prs_Citizenship", "vic_LocationOfRecruitment", "vic_LocationOfExploitation")


def _validation_lists() -> dict[str, list[Any]]:
    """The single-select template's lists: header (row 3 of `validation`) -> values."""
    wb = _open(shared_file(PUBLISHED["single-select"][0]))
    columns = wb["validation"].iter_cols(min_row=3, min_col=2, values_only=True)
    return {c[0]: list(takewhile(lambda v: v is not None, c[1:])) for c in columns}


@pytest.mark.parametrize("template", list(PUBLISHED))
def test_every_field_of_the_published_templates_round_trips(
    db: Database,
    db_url: str,
    tmp_path: Path,
    cli_env: Path,
    capsys: pytest.CaptureFixture[str],
    template: str,
) -> None:
    relative, sheet = PUBLISHED[template]
    source = tmp_path / "filled.xlsx"
    shutil.copyfile(shared_file(relative), source)
    wb = _open(source)
    ws = wb[sheet]
    columns = _columns(ws)
    labels = {name: ws.cell(row=2, column=col).value for name, col in columns.items()}
    rows = _template_rows(template, labels)
    for n, row in enumerate(rows):
        for name, value in row.items():
            ws.cell(row=3 + n, column=columns[name], value=value)
    wb.save(source)
    assert set(columns) == {name for row in rows for name, v in row.items() if v is not None}
    make_org(db, "HTCDS")
    out = tmp_path / "out.xlsx"
    _import_export(db_url, source, out, "--format", "htcds", "--template", template)
    capsys.readouterr()

    original, exported = _open(source)[sheet], _open(out)[sheet]
    differing: dict[str, list[tuple[int, Any, Any]]] = {}
    for name, col in columns.items():
        for line in range(1, 3 + ROWS):
            theirs = original.cell(row=line, column=col).value
            mine = exported.cell(row=line, column=col).value
            want = None if name in IDENTIFIERS and line > 2 else theirs
            if mine != want:
                differing.setdefault(name, []).append((line, theirs, mine))
    assert differing == {}, {c: (len(d), d[0]) for c, d in differing.items()}
