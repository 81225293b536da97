"""HTCDS v2.0: CSV, both published Excel templates, XLSForm exports; the round trip."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from case_support import HTCDS_HEADER, htcds_rows, make_org, member, write_csv
from support import shared_file
from thbhub.cases import exports, service
from thbhub.cases.htcds_fields import FIELDS
from thbhub.settings import Settings
from thbhub.storage import Database

IDENTIFIERS = {f.name for f in FIELDS if f.kind in ("identifier", "freetext")}


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_csv_maps_onto_the_model(db: Database, settings: Settings, tmp_path: Path) -> None:
    org = make_org(db, "Police PL")
    path = write_csv(tmp_path / "cases.csv", HTCDS_HEADER, htcds_rows())
    result = service.import_cases(db, settings, member(org), path, org)
    assert (result["format"], result["rows_stored"]) == ("htcds", 3)
    assert any("free text was dropped" in n for n in result["notes"])
    first, second, third = service.list_cases(db, member(org), org, full=True)
    assert first["sex"] == "sex:female" and first["citizenship"] == "country:UA"
    assert first["country"] == "country:PL" and first["age"] == "age:27-29"
    assert first["identification"] == "identified" and first["year"] == 2023
    assert first["means"] == [
        "means:debt-bondage",
        "means:withholds-documents",
        "means:excessive-working-hours",
    ]
    assert first["forms"] == ["form:labour-exploitation"] and first["sectors"] == ["sector:f"]
    assert first["recruiter"] == ["acquaintance"] and len(first["person_key"]) == 64
    assert second["identification"] == "presumed" and second["age"] == "age:9-17"
    assert second["forms"] == [
        "form:sexual-exploitation",
        "form:forced-begging",
        "form:prostitution",
    ]
    assert third["sex"] is None and third["sex_status"] == "unknown"
    assert third["person_key"] is None


def test_round_trip_gives_back_the_same_records(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    org = make_org(db, "NGO round trip")
    source = write_csv(tmp_path / "in.csv", HTCDS_HEADER, htcds_rows())
    service.import_cases(db, settings, member(org), source, org)
    out = tmp_path / "out.csv"
    assert exports.export_cases(db, member(org), org, "htcds", out)["rows"] == 3
    exported = _read(out)
    for given, back in zip(htcds_rows(), exported, strict=True):
        for field, value in given.items():
            if field not in IDENTIFIERS:
                assert back[field] == value, field
        assert not IDENTIFIERS & {k for k, v in back.items() if v}
    # and the export imports again to the same stored records, person keys included
    other = make_org(db, "NGO round trip 2")
    service.import_cases(db, settings, member(other), out, other)
    xlsx = tmp_path / "out.xlsx"
    exports.export_cases(db, member(org), org, "htcds", xlsx)
    third = make_org(db, "NGO round trip 3")
    service.import_cases(db, settings, member(third), xlsx, third)
    skip = {"id", "import_id", "source_row", "source_format"}
    records = [
        [
            {k: v for k, v in r.items() if k not in skip}
            for r in service.list_cases(db, member(o), o, full=True)
        ]
        for o in (org, other, third)
    ]
    assert records[0] == records[1] == records[2]


def _fill(template: Path, target: Path, rows: list[dict[str, str]], sheet: str) -> Path:
    import openpyxl

    shutil.copyfile(template, target)
    wb = openpyxl.load_workbook(target)
    ws = wb[sheet]
    names = [c.value for c in ws[1]]
    labels = [c.value for c in ws[2]]
    for i, row in enumerate(rows):
        for field, value in row.items():
            # the templates leave some field names blank; the label row says which
            col = names.index(field) if field in names else labels.index(value_label(field))
            ws.cell(row=3 + i, column=col + 1, value=value)
    wb.save(target)
    return target


def value_label(field: str) -> str:
    return {f.name: f.label for f in FIELDS}[field]


def test_plain_excel_template(db: Database, settings: Settings, tmp_path: Path) -> None:
    template = shared_file("htcds/HTCDS Excel Spreadsheet v2.0.xlsx")
    rows = [
        {
            "prs_FirstName": "Ona",
            "prs_SecondName": "Testaitė",
            "prs_Gender": "Feminine",
            "prs_Citizenship": "LT",
            "vic_TraffickinStatusDecisionMakingOrg": "NGO",
            "vic_TraffickingStatus": "ActualVictimOfTrafficking",
            "vic_MethodsOfControl": "FalsePromises;PhysicalAbuse",
            "vic_TypeOfExploitation": "ForcedLabour",
            "vic_LocationOfExploitation": "NO",
            "cas_ReasonForOutgoingReferral": "Other",
            "cas_IncomingReferralDate": "2022-09-01",
        },
    ]
    path = _fill(template, tmp_path / "plain.xlsx", rows, "Sheet1")
    org = make_org(db, "NGO LT")
    result = service.import_cases(db, settings, member(org), path, org)
    assert result["rows_stored"] == 1  # the 999 empty numbered rows are not records
    (r,) = service.list_cases(db, member(org), org, full=True)
    assert (r["citizenship"], r["country"], r["year"]) == ("country:LT", "country:NO", 2022)
    assert r["extra"]["vic_TraffickingStatusDecisionMakingOrg"] == "NGO"
    assert r["referral"]["outgoing_reason"] == "Other"


def test_single_select_template_with_labels(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    """The validation template stores labels and country names, in its own spellings."""
    template = shared_file("htcds/HTCDS Excel Spreadsheet single select with validation v2.0.xlsx")
    rows = [
        {
            "prs_Gender": "Masculine",
            "prs_Citizenship": "Latvia",
            "vic_TraffickingStatus": "Possible victim of trafficking",
            "vic_MethodsOfControl": "Debt bondage ",
            "vic_TypeOfExploitation": "Forced labour",
            "vic_ForcedLabourIndustry": "Water supply; sewerage, waste management and remediation",
            "vic_TypeOfSexExploitation": "Remote Interactive Services",
            "cas_Status": "Follow up",
            "cas_ReasonForIncomingReferral": "Migration Or Change Of Location",
            "vic_LocationOfExploitation": "Finland",
        },
    ]
    path = _fill(template, tmp_path / "single.xlsx", rows, "Case Sheet")
    org = make_org(db, "Police LV")
    service.import_cases(db, settings, member(org), path, org)
    (r,) = service.list_cases(db, member(org), org, full=True)
    assert (r["sex"], r["citizenship"], r["country"]) == ("sex:male", "country:LV", "country:FI")
    assert r["means"] == ["means:debt-bondage"] and r["sectors"] == ["sector:e"]
    assert r["extra"]["cas_Status"] == "FollowUp"
    assert r["referral"]["incoming_reason"] == "MigrationOrChangeOfLocation"


def test_xlsform_export(db: Database, settings: Settings, tmp_path: Path) -> None:
    """A KoboToolbox/ODK export of the XLSForm: its own field names, group paths, metadata
    columns, space-separated multi-selects and split 0/1 columns."""
    header = [
        "start",
        "end",
        "con_Consent",
        "prs_First_Name",
        "prs_Second_Name",
        "prs_Gender",
        "prs_Citizenship",
        "group_victim/vic_Methods_of_Control",
        "vic_Methods_of_Control/PhysicalThreats",
        "vic_Methods_of_Control/TakesEarnings",
        "vic_TypeOfExploitation",
        "vic_TraffickingStatus",
        "cas_IncomingReferralDate",
        "_id",
        "_uuid",
        "_submission_time",
        "__version__",
        "meta/instanceID",
    ]
    row = {
        "start": "2024-02-01T10:00:00",
        "end": "2024-02-01T10:20:00",
        "con_Consent": "TRUE",
        "prs_First_Name": "Mikk",
        "prs_Second_Name": "Näidis",
        "prs_Gender": "Masculine",
        "prs_Citizenship": "EE",
        "group_victim/vic_Methods_of_Control": "PhysicalThreats TakesEarnings",
        "vic_Methods_of_Control/PhysicalThreats": "1",
        "vic_Methods_of_Control/TakesEarnings": "1",
        "vic_TypeOfExploitation": "ForcedLabour ForcedBegging",
        "vic_TraffickingStatus": "ActualVictimOfTrafficking",
        "cas_IncomingReferralDate": "2024-02-01",
        "_id": "17",
        "_uuid": "ab-cd",
        "_submission_time": "2024-02-01T10:21:00",
        "__version__": "vSmt4GQA3C9uBMLPEVfgND",
        "meta/instanceID": "uuid:1",
    }
    path = write_csv(tmp_path / "kobo.csv", header, [row])
    org = make_org(db, "NGO EE")
    result = service.import_cases(db, settings, member(org), path, org)
    assert result["rows_stored"] == 1
    (r,) = service.list_cases(db, member(org), org, full=True)
    assert r["means"] == ["means:physical-threats", "means:takes-earnings"]
    assert r["forms"] == ["form:labour-exploitation", "form:forced-begging"]
    assert r["citizenship"] == "country:EE" and r["person_key"]


def test_xlsform_definition_is_refused(db: Database, settings: Settings) -> None:
    path = shared_file("htcds/htcds_xlsform.xlsx")
    org = make_org(db, "NGO X")
    with pytest.raises(service.UserError, match="XLSForm definition"):
        service.import_cases(db, settings, member(org), path, org)


def test_htcds_problems_are_located(db: Database, settings: Settings, tmp_path: Path) -> None:
    rows = htcds_rows()
    rows[1]["vic_MethodsOfControl"] = "Beatings"
    rows[2]["vic_AgeWhenTrafficked"] = "-3"
    rows[2]["prs_Citizenship"] = "Atlantis"
    path = write_csv(tmp_path / "bad.csv", HTCDS_HEADER, rows)
    org = make_org(db, "NGO bad")
    with pytest.raises(service.CaseFileRejected) as caught:
        service.import_cases(db, settings, member(org), path, org)
    assert {(p.row, p.column, p.value) for p in caught.value.problems} == {
        (3, "vic_MethodsOfControl", "Beatings"),
        (4, "vic_AgeWhenTrafficked", "-3"),
        (4, "prs_Citizenship", "Atlantis"),
    }


def test_excel_export_never_writes_formulas(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    import openpyxl

    rows = htcds_rows()[:1]
    rows[0]["cas_ReferringOrganisation"] = '=HYPERLINK("http://evil.example","x")'
    org = make_org(db, "Formula")
    service.import_cases(
        db, settings, member(org), write_csv(tmp_path / "f.csv", HTCDS_HEADER, rows), org
    )
    out = tmp_path / "f.xlsx"
    exports.export_cases(db, member(org), org, "htcds", out)
    ws = openpyxl.load_workbook(out).active
    assert ws is not None
    cells = [c for row in ws.iter_rows(min_row=3) for c in row if c.value]
    assert cells and all(c.data_type != "f" for c in cells)
    assert any(str(c.value).startswith("=HYPERLINK") for c in cells)
