"""HTCDS historic trafficking events (hte_*) and support plans (spl_*): one-to-many with a
case, read from plain, numbered and XLSForm repeat-group columns; only the type, the country
and the year are kept; the round trip; validation and quarantine."""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from case_support import ctdc_row, make_org, member, write_csv, write_ctdc
from support import shared_file
from thbhub.cases import exports, service
from thbhub.cases.htcds_events import column_key
from thbhub.cases.htcds_fields import BY_NAME, NOT_KEPT
from thbhub.settings import Settings
from thbhub.storage import Database

THIS_YEAR = date.today().year

HEADER = [
    "prs_FirstName",
    "prs_SecondName",
    "prs_Gender",
    "prs_Citizenship",
    "vic_TypeOfExploitation",
    "cas_IncomingReferralDate",
    "hte_Type",
    "hte_Country",
    "hte_Date",
    "hte_City",
    "hte_Description",
    "hte_Type_2",
    "hte_Country_2",
    "hte_Date_2",
    "hte_Street_2",
    "historic_events[3]/hte_Type",
    "historic_events[3]/hte_Country",
    "historic_events[3]/hte_Latitude",
    "spl_Type",
    "spl_PlannedEndDate",
    "spl_ActualEndDate",
    "spl_Objectives",
    "spl_Type_2",
    "spl_PlannedEndDate_2",
    "org_Name",
    "Internal note",
]


def rows() -> list[dict[str, Any]]:
    """A Ukrainian woman recruited at home, moved through Poland, exploited in Sweden, with
    two support plans; a man with one event only; a record without events or plans."""
    return [
        {
            "prs_FirstName": "Olena",
            "prs_SecondName": "Prykladna",
            "prs_Gender": "Feminine",
            "prs_Citizenship": "UA",
            "vic_TypeOfExploitation": "SexualExploitation",
            "cas_IncomingReferralDate": "2023-02-01",
            "hte_Type": "Recruitment",
            "hte_Country": "UA",
            "hte_Date": "2021-03-14",
            "hte_City": "Vyshneve",
            "hte_Description": "Answered a job advert for a cafe",
            "hte_Type_2": "transit",  # value names are matched whatever their case
            "hte_Country_2": "Poland",  # a country name, as for prs_Citizenship
            "hte_Date_2": "14.06.2021",
            "hte_Street_2": "Dworcowa 3",
            "historic_events[3]/hte_Type": "Exploitation",
            "historic_events[3]/hte_Country": "SE",
            "historic_events[3]/hte_Latitude": "59.33258",
            "spl_Type": "Social Care",  # the value label
            "spl_PlannedEndDate": "2024-06-30",
            "spl_ActualEndDate": "2024-09-15",
            "spl_Objectives": "Safe housing away from the recruiter",
            "spl_Type_2": "Legal",
            "spl_PlannedEndDate_2": str(THIS_YEAR + 2),
            "org_Name": "La Strada",
            "Internal note": "x",
        },
        {
            "prs_FirstName": "Ivan",
            "prs_SecondName": "Zrazok",
            "prs_Gender": "Masculine",
            "cas_IncomingReferralDate": "2024-05-05",
            "hte_Type": "Exploitation",
            "hte_Country": "FI",
            "hte_Date": "2023",
        },
        {"prs_Gender": "Masculine", "cas_IncomingReferralDate": "2024-07-07"},
    ]


FIRST_EVENTS = [
    {"type": "Recruitment", "country": "country:UA", "year": 2021},
    {"type": "Transit", "country": "country:PL", "year": 2021},
    {"type": "Exploitation", "country": "country:SE", "year": None},
]
FIRST_SUPPORT = [
    {"type": "SocialCare", "planned_end_year": 2024, "actual_end_year": 2024},
    {"type": "Legal", "planned_end_year": THIS_YEAR + 2, "actual_end_year": None},
]


def _import(
    db: Database, settings: Settings, path: Path, name: str, **options: Any
) -> tuple[int, dict[str, Any]]:
    org = make_org(db, name)
    return org, service.import_cases(db, settings, member(org), path, org, **options)


def _records(db: Database, org: int) -> list[dict[str, Any]]:
    return service.list_cases(db, member(org), org, full=True)


def test_column_names_of_events_and_plans() -> None:
    assert column_key("hte_Type") == column_key("hte_Type_1") == "hte_Type"
    assert column_key("hte_Country_2") == "hte_Country_2"
    assert column_key("historic_events[3]/hte_Date") == "hte_Date_3"
    assert column_key("grp_plans/spl_Type") == "spl_Type"  # a group that does not repeat
    assert column_key("spl_ActionPlan_12") == "spl_ActionPlan_12"
    for other in ("hte_Type_0", "hte_Colour_2", "prs_Gender", "vic_MethodsOfControl_2", "Type"):
        assert column_key(other) is None, other


def test_field_table_sections_are_known() -> None:
    """Every field of the standard's table is either read or named as not kept, and the
    two picklists are the table's."""
    with shared_file("htcds/DERIVED_HTCDS_Field_Standards_2.0.csv").open(encoding="utf-8") as fh:
        table = [r for r in csv.DictReader(fh) if r["Field Name including Prefix"]]
    names = {r["Field Name including Prefix"] for r in table}
    assert names - set(BY_NAME) == set(NOT_KEPT)
    for r in table:
        if r["Field Name including Prefix"] in ("hte_Type", "spl_Type"):
            wanted = [
                (n.strip(), label.strip())
                for n, label in zip(
                    r["Value Names (if picklist)"].split("\n"),
                    r["Value Labels (if picklist)"].split("\n"),
                    strict=True,
                )
                if n.strip()
            ]
            assert list(BY_NAME[r["Field Name including Prefix"]].codes) == wanted


def test_events_and_plans_are_imported(db: Database, settings: Settings, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "events.csv", HEADER, rows())
    org, result = _import(db, settings, path, "NGO routes")
    assert result["rows_stored"] == 3
    first, second, third = _records(db, org)
    assert first["events"] == FIRST_EVENTS and first["events_status"] == "observed"
    assert first["support"] == FIRST_SUPPORT and first["support_status"] == "observed"
    assert second["events"] == [{"type": "Exploitation", "country": "country:FI", "year": 2023}]
    assert (second["support"], second["support_status"]) == ([], "not-recorded")
    # missing is not zero: no events recorded is not an empty route
    assert (third["events"], third["events_status"]) == ([], "not-recorded")
    assert "hte_Description" not in first["free_text"]
    notes = result["notes"]
    assert "HTCDS fields not kept: org_Name" in notes
    assert "columns not in HTCDS v2.0 were not stored: Internal note" in notes
    (located,) = [n for n in notes if n.startswith("event locations")]
    assert located.endswith("dropped: hte_City, hte_Street_2, historic_events[3]/hte_Latitude")
    (text,) = [n for n in notes if n.startswith("free text was dropped")]
    assert "hte_Description" in text and "spl_Objectives" in text


def test_formats_without_events_store_them_as_not_recorded(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    """The CTDC reader does not know these columns: the server defaults fill them."""
    org, _ = _import(db, settings, write_ctdc(tmp_path / "c.csv", [ctdc_row()]), "CTDC org")
    (r,) = _records(db, org)
    assert (r["events"], r["events_status"], r["support"], r["support_status"]) == (
        [],
        "not-recorded",
        [],
        "not-recorded",
    )
    assert service.summary(db, member(org), org, ["route"]) == [{"route": None, "count": 1}]


def test_invalid_events_and_plans_are_named_precisely(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    bad = rows()
    bad[0]["hte_Type"] = "Smuggling"
    bad[0]["hte_Country_2"] = "Atlantis"
    bad[1]["hte_Date"] = "2021-13-45"
    bad[2]["spl_Type"] = "Therapy"
    bad[2]["spl_ActualEndDate"] = str(THIS_YEAR + 1)  # a plan cannot have ended next year
    bad[2]["spl_PlannedEndDate_2"] = "1899-12-31"
    path = write_csv(tmp_path / "bad-events.csv", HEADER, bad)
    org = make_org(db, "NGO bad events")
    with pytest.raises(service.CaseFileRejected) as caught:
        service.import_cases(db, settings, member(org), path, org)
    assert {(p.file, p.row, p.column, p.value, p.rule) for p in caught.value.problems} == {
        (
            "bad-events.csv",
            2,
            "hte_Type",
            "Smuggling",
            "not in the HTCDS v2.0 code list of hte_Type",
        ),
        (
            "bad-events.csv",
            2,
            "hte_Country_2",
            "Atlantis",
            "not an ISO 3166 country code or country name",
        ),
        (
            "bad-events.csv",
            3,
            "hte_Date",
            "2021-13-45",
            "must be a date (YYYY-MM-DD) or a year (YYYY)",
        ),
        ("bad-events.csv", 4, "spl_Type", "Therapy", "not in the HTCDS v2.0 code list of spl_Type"),
        (
            "bad-events.csv",
            4,
            "spl_ActualEndDate",
            str(THIS_YEAR + 1),
            f"date must lie between 1900 and {THIS_YEAR}",
        ),
        (
            "bad-events.csv",
            4,
            "spl_PlannedEndDate_2",
            "1899-12-31",
            f"date must lie between 1900 and {THIS_YEAR + 10}",
        ),
    }
    assert service.list_cases(db, member(org), org) == []  # nothing stored


def test_a_bad_event_row_is_quarantined_without_its_locations(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    bad = rows()
    bad[0]["historic_events[3]/hte_Country"] = "Narnia"
    path = write_csv(tmp_path / "q.csv", HEADER, bad)
    org, result = _import(db, settings, path, "NGO quarantine", quarantine=True)
    assert (result["rows_stored"], result["rows_quarantined"]) == (2, 1)
    (entry,) = service.quarantine(db, member(org), org)
    assert entry["problems"][0]["column"] == "historic_events[3]/hte_Country"
    cells = entry["cells"]
    assert cells["hte_Country_3"] == "Narnia"  # what to fix stays as given
    assert (cells["hte_Date"], cells["hte_Date_2"], cells["spl_ActualEndDate"]) == (
        "2021",
        "2021",
        "2024",
    )  # a valid date keeps its year only
    for dropped in ("hte_City", "hte_Street_2", "hte_Latitude_3", "hte_Description"):
        assert dropped not in cells, dropped
    # fixed and re-submitted through the fix file, the row becomes the same record
    fix = tmp_path / "fix.csv"
    exports.export_quarantine(db, member(org), org, fix)
    with fix.open(encoding="utf-8", newline="") as fh:
        fixed = list(csv.DictReader(fh))
    fixed[0]["hte_Country_3"] = "SE"
    write_csv(fix, list(fixed[0]), fixed)
    again = service.import_cases(db, settings, member(org), fix, org)
    assert again["quarantine_resolved"] == 1
    record = _records(db, org)[-1]
    assert record["events"] == FIRST_EVENTS and record["support"] == FIRST_SUPPORT


def test_free_text_of_events_and_plans_only_when_opted_in(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    given = rows()
    given[0]["hte_Description_2"] = "Crossed at night by minibus"
    path = write_csv(tmp_path / "text.csv", [*HEADER, "hte_Description_2"], given)
    org, result = _import(db, settings, path, "NGO text", keep_text=["hte_Description"])
    first = _records(db, org)[0]
    assert [e.get("description") for e in first["events"]] == [
        "Answered a job advert for a cafe",
        "Crossed at night by minibus",
        None,
    ]
    assert all("objectives" not in p for p in first["support"])
    assert first["free_text"] == {}
    (text,) = [n for n in result["notes"] if n.startswith("free text was dropped")]
    assert "spl_Objectives" in text and "hte_Description" not in text


def test_round_trip_keeps_events_and_plans(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "in.csv", HEADER, rows())
    org, _ = _import(db, settings, path, "NGO trip", keep_text=["spl_Objectives"])
    out = tmp_path / "out.csv"
    exports.export_cases(db, member(org), org, "htcds", out)
    with out.open(encoding="utf-8", newline="") as fh:
        exported = list(csv.DictReader(fh))
    first = exported[0]
    assert (first["hte_Type"], first["hte_Country"], first["hte_Date"]) == (
        "Recruitment",
        "UA",
        "2021",
    )
    assert (first["hte_Type_3"], first["hte_Country_3"]) == ("Exploitation", "SE")
    assert "hte_Date_3" not in first  # no record has a date for a third event
    assert (first["spl_Type"], first["spl_Type_2"]) == ("SocialCare", "Legal")
    assert first["spl_Objectives"] == "Safe housing away from the recruiter"
    assert not any(c.startswith(("hte_City", "hte_Street", "hte_Lat")) for c in exported[0])
    xlsx = tmp_path / "out.xlsx"
    exports.export_cases(db, member(org), org, "htcds", xlsx)
    skip = {"id", "import_id", "source_row", "source_format"}
    stored = []
    for i, again in enumerate((out, xlsx)):
        # free text is opted in again on the re-import, as for any HTCDS free text
        other, _ = _import(db, settings, again, f"NGO trip {i}", keep_text=["spl_Objectives"])
        stored.append([{k: v for k, v in r.items() if k not in skip} for r in _records(db, other)])
    original = [{k: v for k, v in r.items() if k not in skip} for r in _records(db, org)]
    assert original[0]["support"][0]["objectives"]
    assert stored[0] == stored[1] == original


def test_summary_by_route_and_support(db: Database, settings: Settings, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "s.csv", HEADER, rows())
    org, _ = _import(db, settings, path, "NGO summary")
    assert service.summary(db, member(org), org, ["route"]) == [
        {"route": "Exploitation:country:FI", "count": 1},
        {"route": "Exploitation:country:SE", "count": 1},
        {"route": "Recruitment:country:UA", "count": 1},
        {"route": "Transit:country:PL", "count": 1},
        {"route": None, "count": 1},
    ]
    assert service.summary(db, member(org), org, ["support", "sex"]) == [
        {"support": "Legal", "sex": "sex:female", "count": 1},
        {"support": "SocialCare", "sex": "sex:female", "count": 1},
        {"support": None, "sex": "sex:male", "count": 2},
    ]


def test_excel_template_with_event_columns(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    """The published templates have no event columns; added at the end they are read, and
    a repeat group in a sheet of its own is named in the notes rather than lost silently."""
    import openpyxl

    target = tmp_path / "template.xlsx"
    shutil.copyfile(shared_file("htcds/HTCDS Excel Spreadsheet v2.0.xlsx"), target)
    wb = openpyxl.load_workbook(target)
    ws = wb["Sheet1"]
    names = [c.value for c in ws[1]]
    end = len(names)
    for offset, (field, value) in enumerate(
        [("hte_Type", "Exploitation"), ("hte_Country", "Norway"), ("hte_Date", date(2022, 8, 1))]
    ):
        ws.cell(row=1, column=end + 1 + offset, value=field)
        ws.cell(row=3, column=end + 1 + offset, value=value)
    ws.cell(row=3, column=names.index("prs_Gender") + 1, value="Feminine")
    repeat = wb.create_sheet("historic_events")
    repeat.append(["hte_Type", "hte_Country", "_parent_index"])
    repeat.append(["Transit", "DK", 1])
    wb.save(target)
    org, result = _import(db, settings, target, "NGO template")
    (r,) = _records(db, org)
    assert r["events"] == [{"type": "Exploitation", "country": "country:NO", "year": 2022}]
    assert any("'historic_events'" in n and "not read" in n for n in result["notes"])
