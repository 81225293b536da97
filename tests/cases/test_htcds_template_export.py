"""Export into IOM's two published HTCDS Excel templates, exactly as published, and the round
trip through them: import -> export with a template -> re-import gives the same records for
every field the template holds (on SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import re
import shutil
import warnings
from datetime import date, datetime
from itertools import takewhile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from access_support import bearer, build_world
from case_support import HTCDS_HEADER, htcds_rows, make_org, member, write_csv
from support import shared_file
from thbhub.cases import exports, service
from thbhub.cases.export import htcds_row
from thbhub.cases.htcds_template import COLUMNS, XLSX_MEDIA_TYPE
from thbhub.cases.vocab import Vocab
from thbhub.cli import main
from thbhub.ingest.sample import sample_dir
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.schema import audit_log
from thbhub.web.app import create_app

PUBLISHED = {
    "plain": ("htcds/HTCDS Excel Spreadsheet v2.0.xlsx", "Sheet1"),
    "single-select": (
        "htcds/HTCDS Excel Spreadsheet single select with validation v2.0.xlsx",
        "Case Sheet",
    ),
}
TEMPLATES = list(PUBLISHED)
CTDC_SAMPLE = sample_dir() / "ctdc_global_bsr.csv"  # the bundled real CTDC rows
#: Stored columns no template holds, and the bookkeeping of an import (ids, the file's line).
NOT_HELD = {
    "id",
    "import_id",
    "source_row",
    "source_ref",
    "person_key",
    "age",
    "age_status",
    "age_years",
    "recruiter",
    "recruiter_status",
    "recruiter_no",
    # historic trafficking events and support plans: no template has their columns
    "events",
    "events_status",
    "support",
    "support_status",
}


def _open(path: Path) -> Any:
    with warnings.catch_warnings():
        # openpyxl warns that it drops the published file's extended data validation
        warnings.simplefilter("ignore", UserWarning)
        return openpyxl.load_workbook(path)


def published(template: str) -> tuple[Any, Any]:
    """(workbook, case sheet) of IOM's published template."""
    relative, sheet = PUBLISHED[template]
    wb = _open(shared_file(relative))
    return wb, wb[sheet]


def _lists(ws: Any = None) -> dict[str, list[Any]]:
    """A validation sheet's lists (by default the published one's): header (row 3) -> the
    values below it, column B on."""
    ws = ws or published("single-select")[0]["validation"]
    columns = ws.iter_cols(min_row=3, min_col=2, values_only=True)
    return {c[0]: list(takewhile(lambda v: v is not None, c[1:])) for c in columns}


def fill(template: str, target: Path, rows: list[dict[str, Any]]) -> Path:
    """A copy of the published template with ``rows`` (field -> cell) from row 3; a field
    is found by its published name in row 1, else (blank name) by its label in row 2."""
    relative, sheet = PUBLISHED[template]
    shutil.copyfile(shared_file(relative), target)
    wb = _open(target)
    ws = wb[sheet]
    names = [c.value for c in ws[1]]
    labels = [c.value for c in ws[2]]
    label_of = {"cas_ReasonForOutgoingReferral": "Reason for Outgoing Referral"}
    for i, row in enumerate(rows):
        for name, value in row.items():
            col = names.index(name) if name in names else labels.index(label_of[name])
            ws.cell(row=3 + i, column=col + 1, value=value)
    wb.save(target)
    return target


def template_value_rows() -> list[dict[str, Any]]:
    """One row per country of the published lists, each list's values in turn in its column:
    every value the single-select template offers appears at least once."""
    lists = _lists()

    def pick(header: str, i: int) -> Any:
        values = lists[header]
        return values[i % len(values)]

    return [
        {
            "prs_FirstName": f"Ona{i}",
            "prs_SecondName": "Testaitė",
            "prs_Birthdate": date(1980 + i % 20, 1 + i % 12, 1 + i % 28),
            "con_Consent": "TRUE" if i % 2 else "FALSE",
            "prs_Gender": pick("Gender", i),
            "prs_Citizenship": pick("Country", i),
            "vic_TraffickingStatus": pick("Trafficking Status", i),
            "vic_TraffickinStatusDecisionMakingOrg": pick(
                "Trafficking Status Decision Making Organization", i
            ),
            "vic_MethodOfRecruitment": pick("Method of Recruitment", i),
            "vic_LocationOfRecruitment": pick("Country", i + 7),
            "vic_MethodsOfControl": pick("Methods of Control", i),
            "vic_TypeOfExploitation": pick("Type of Exploitation", i),
            "vic_ForcedLabourIndustry": pick("Forced Labour Industry", i),
            "vic_TypeOfSexExploitation": pick("Type of Sex Exploitation", i),
            "vic_LocationOfExploitation": pick("Country", i + 100),
            "cas_Status": pick("Status", i),
            "cas_ReferringOrganisation": f"Referring NGO {i % 9}",
            "cas_IncomingReferralDate": datetime(2001 + i % 24, 1 + i % 12, 1 + i % 28),
            "cas_ReasonForIncomingReferral": pick("Reason for Incoming Referral", i),
            "cas_ReferredOrganisation": f"Shelter {i % 5}",
            "cas_ReasonForOutgoingReferral": pick("Reason for Outgoing Referral", i + 1),
            "cas_OutgoingReferralDate": datetime(2025, 1 + i % 12, 1 + i % 28),
        }
        for i in range(len(lists["Country"]))
    ]


def _records(db: Database, org: int) -> list[dict[str, Any]]:
    return service.list_cases(db, member(org), org, full=True)


def held(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The stored records without what no template holds."""
    out = []
    for r in records:
        kept = {k: v for k, v in r.items() if k not in NOT_HELD}
        kept["extra"] = {k: v for k, v in r["extra"].items() if k in COLUMNS}
        out.append(kept)
    return out


def projection(records: list[dict[str, Any]], single: bool) -> list[dict[str, Any]]:
    """Each record as the template's fields hold it (HTCDS value names); a single-select
    cell holds the first value of a multi-select."""
    out = []
    for r in records:
        m = htcds_row(r)
        p = {k: m[k] for k in COLUMNS if m.get(k) not in (None, "", [])}
        out.append({k: v[:1] if single and isinstance(v, list) else v for k, v in p.items()})
    return out


def export_and_reimport(
    db: Database, settings: Settings, org: int, template: str, tmp_path: Path
) -> tuple[dict[str, Any], int]:
    out = tmp_path / f"{template}.xlsx"
    result = exports.export_cases(db, member(org), org, "htcds", out, template=template)
    again = make_org(db, f"re-import {template} of {org}")
    imported = service.import_cases(db, settings, member(again), out, again)
    assert imported["rows_stored"] == result["rows"] and not imported["warnings"]
    return result, again


# --- the layout -------------------------------------------------------------------------------


@pytest.mark.parametrize("template", TEMPLATES)
def test_header_rows_are_the_published_ones(
    db: Database, settings: Settings, tmp_path: Path, template: str
) -> None:
    pub_wb, pub = published(template)
    org = make_org(db, "Header")
    source = write_csv(tmp_path / "in.csv", HTCDS_HEADER, htcds_rows())
    service.import_cases(db, settings, member(org), source, org)
    out = tmp_path / "out.xlsx"
    exports.export_cases(db, member(org), org, "htcds", out, template=template)
    wb = _open(out)
    assert wb.sheetnames == pub_wb.sheetnames
    ws = wb.worksheets[0]
    assert ws.title == pub.title
    for row in (1, 2):
        width = max(ws.max_column, pub.max_column)
        got = [ws.cell(row=row, column=c).value for c in range(1, width + 1)]
        want = [pub.cell(row=row, column=c).value for c in range(1, width + 1)]
        assert got == want, f"row {row}"
    assert ws.row_dimensions[1].hidden == pub.row_dimensions[1].hidden is True
    # records from row 3, numbered in column A as the template numbers its 1000 empty rows
    numbers = [ws.cell(row=r, column=1).value for r in (3, 4, 5, 1002, 1003)]
    assert numbers == [1, 2, 3, 1000, None]
    first = {pub.cell(row=1, column=c).value: ws.cell(row=3, column=c).value for c in range(2, 40)}
    assert first["prs_FirstName"] is None  # identifiers are never stored, never exported
    assert first["cas_IncomingReferralDate"] == datetime(2023, 5, 2)
    if template == "plain":
        assert first["vic_MethodsOfControl"] == (
            "DebtBondage;WithholdsDocuments;ExcessiveWorkingHours"
        )
        assert (first["prs_Gender"], first["prs_Citizenship"]) == ("Feminine", "UA")
    else:
        assert first["vic_MethodsOfControl"] == "Debt bondage "
        assert (first["prs_Gender"], first["prs_Citizenship"]) == ("Feminine", "Ukraine")
        assert first["vic_TraffickingStatus"] == "Actual victim of trafficking"
        about = [r[0] for r in wb["about"].iter_rows(values_only=True)]
        assert about[:2] == [r[0] for r in pub_wb["about"].iter_rows(values_only=True)]
        assert any("CC BY 4.0" in line and "IOM" in line for line in about)


def test_single_select_lists_follow_the_published_ones(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    pub = _lists()
    org = make_org(db, "Lists")
    exports.export_cases(db, member(org), org, "htcds", tmp_path / "s.xlsx", "single-select")
    wb = _open(tmp_path / "s.xlsx")
    ours = _lists(wb["validation"])
    assert list(ours) == list(pub) and wb["validation"]["A1"].value == "Validation Lookups"
    extra = {k: [v for v in ours[k] if v not in pub[k]] for k in ours}
    assert {k: v for k, v in extra.items() if v} == {
        "Country Code": ["XK"],
        "Country": ["Kosovo"],
        "Methods of Control": ["Restricts movement"],  # a value of Field Definitions.md
    }
    for header, values in pub.items():
        assert [v for v in ours[header] if v in values] == values, header
    with db.connect() as conn:  # every name offered reads back as its code
        vocab = Vocab.load(conn)
    pairs = zip(ours["Country"], ours["Country Code"], strict=True)
    assert all(vocab.country(name) == f"country:{code}" for name, code in pairs)


# --- the round trip ---------------------------------------------------------------------------


@pytest.mark.parametrize("template", TEMPLATES)
def test_round_trip_of_every_published_value(
    db: Database, settings: Settings, tmp_path: Path, template: str
) -> None:
    rows = template_value_rows()
    source = fill("single-select", tmp_path / "in.xlsx", rows)
    org = make_org(db, "Values")
    assert service.import_cases(db, settings, member(org), source, org)["rows_stored"] == 249
    result, again = export_and_reimport(db, settings, org, template, tmp_path)
    before, after = _records(db, org), _records(db, again)
    assert held(after) == held(before)
    assert {r["country"] for r in after} >= {"country:BO", "country:AX", "country:CI"}
    assert len({r["citizenship"] for r in after}) == 249
    # names and birth dates gave a person key and an age; the template keeps neither
    assert result["left_out"] == {"thb_AgeBand": 249, "thb_PersonKey": 249}
    assert result["single_valued"] == {}
    assert all(r["person_key"] is None and r["age"] is None for r in after)


@pytest.mark.parametrize("template", TEMPLATES)
def test_round_trip_of_multi_selects(
    db: Database, settings: Settings, tmp_path: Path, template: str
) -> None:
    org = make_org(db, "Multi")
    source = write_csv(tmp_path / "in.csv", HTCDS_HEADER, htcds_rows())
    service.import_cases(db, settings, member(org), source, org)
    result, again = export_and_reimport(db, settings, org, template, tmp_path)
    before, after = _records(db, org), _records(db, again)
    single = template == "single-select"
    assert projection(after, single) == projection(before, single)
    assert result["left_out"] == {
        "thb_PersonKey": 2,
        "vic_AgeWhenTrafficked": 2,
        "vic_RelationshipToTrafficker": 1,
        # the templates have no historic-event or support-plan columns
        "hte_Country": 1,
        "hte_Date": 1,
        "hte_Type": 1,
        "spl_PlannedEndDate": 1,
        "spl_Type": 1,
    }
    if single:
        assert result["single_valued"] == {
            "vic_MethodOfRecruitment": 1,
            "vic_MethodsOfControl": 1,
            "vic_TypeOfExploitation": 1,
        }
        assert after[0]["means"] == ["means:debt-bondage"]
        assert after[1]["forms"] == ["form:sexual-exploitation", "form:prostitution"]
    else:
        assert result["single_valued"] == {}
        assert held(after) == held(before)


def test_single_select_keeps_the_first_value_and_notes_the_others(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    org = make_org(db, "Notes")
    source = write_csv(tmp_path / "in.csv", HTCDS_HEADER, htcds_rows())
    service.import_cases(db, settings, member(org), source, org)
    out = tmp_path / "s.xlsx"
    exports.export_cases(db, member(org), org, "htcds", out, template="single-select")
    ws = _open(out)["Case Sheet"]
    col = {c.value: c.column for c in ws[1] if c.value}
    means = ws.cell(row=3, column=col["vic_MethodsOfControl"])
    assert means.value == "Debt bondage " and means.comment is not None
    assert "- Withholds documents\n- Excessive working hours" in means.comment.text
    forms = ws.cell(row=4, column=col["vic_TypeOfExploitation"])
    assert forms.value == "Sexual exploitation" and "- Forced begging" in forms.comment.text
    assert ws.cell(row=5, column=col["vic_TypeOfExploitation"]).comment is None
    about = " ".join(r[0] for r in _open(out)["about"].iter_rows(values_only=True))
    assert "vic_MethodsOfControl (1 record)" in about and "thb_PersonKey (2 records)" in about


def test_every_written_value_passes_the_sheets_own_validation(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    org = make_org(db, "Valid")
    source = fill("single-select", tmp_path / "in.xlsx", template_value_rows())
    service.import_cases(db, settings, member(org), source, org)
    service.import_cases(db, settings, member(org), CTDC_SAMPLE, org, quarantine=True)
    out = tmp_path / "s.xlsx"
    exports.export_cases(db, member(org), org, "htcds", out, template="single-select")
    wb = _open(out)
    ws, lists = wb["Case Sheet"], wb["validation"]
    checked = set()
    for dv in ws.data_validations.dataValidation:
        (span,) = str(dv.sqref).split()
        column = re.match(r"[A-Z]+", span)
        assert column and span.endswith("3:" + column.group() + "1048576")
        cells = [r[0] for r in ws[f"{column.group()}3:{column.group()}{ws.max_row}"]]
        values = [c.value for c in cells if c.value is not None]
        assert values, span  # every validated column is filled by this data
        if dv.type == "list":
            allowed = {c.value for row in lists[dv.formula1.split("!", 1)[1]] for c in row}
            assert set(values) <= allowed, span
        else:
            low = lists[dv.formula1.split("!", 1)[1].replace("$", "")].value
            high = lists[dv.formula2.split("!", 1)[1].replace("$", "")].value
            assert (low, high) == (datetime(1900, 1, 1), datetime(2100, 1, 1))
            assert all(low <= v <= high for v in values)
        checked.add(ws.cell(row=1, column=cells[0].column).value)
    assert checked == {
        "prs_Gender",
        "prs_Citizenship",
        "vic_TraffickingStatus",
        "vic_TraffickinStatusDecisionMakingOrg",
        "vic_MethodOfRecruitment",
        "vic_MethodsOfControl",
        "vic_TypeOfExploitation",
        "vic_ForcedLabourIndustry",
        "vic_TypeOfSexExploitation",
        "cas_Status",
        "cas_IncomingReferralDate",
        "cas_ReasonForIncomingReferral",
        None,  # the blank-named column: Reason for Outgoing Referral
        "cas_OutgoingReferralDate",
    }


@pytest.mark.parametrize("template", TEMPLATES)
def test_round_trip_of_the_ctdc_sample(
    db: Database, settings: Settings, tmp_path: Path, template: str
) -> None:
    org = make_org(db, "CTDC")
    service.import_cases(db, settings, member(org), CTDC_SAMPLE, org, quarantine=True)
    result, again = export_and_reimport(db, settings, org, template, tmp_path)
    before, after = _records(db, org), _records(db, again)
    single = template == "single-select"
    assert projection(after, single) == projection(before, single)
    assert [r["citizenship"] for r in after] == [r["citizenship"] for r in before]
    assert [r["identification"] for r in after] == [r["identification"] for r in before]
    # CTDC gives a year and an age band, which no HTCDS template column holds
    assert result["left_out"] == {
        "thb_AgeBand": sum(r["age"] is not None for r in before),
        "thb_YearOfRegistration": sum(r["year"] is not None for r in before),
    }
    several = sum(len(r["means"]) > 1 for r in before)
    assert several > 0
    assert result["single_valued"] == ({"vic_MethodsOfControl": several} if single else {})


def test_text_that_looks_like_a_formula_stays_text(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    risky = ['=HYPERLINK("http://evil.example","x")', "+48 22 555", "-1+1", "@SUM(A1)"]
    rows = [{**htcds_rows()[2], "cas_ReferringOrganisation": text} for text in risky]
    org = make_org(db, "Formula")
    service.import_cases(
        db, settings, member(org), write_csv(tmp_path / "f.csv", HTCDS_HEADER, rows), org
    )
    for template in [*TEMPLATES, None]:  # None: the hub layout guards the same way
        out = tmp_path / f"{template}.xlsx"
        exports.export_cases(db, member(org), org, "htcds", out, template=template)
        ws = _open(out).worksheets[0]
        cells = [c for row in ws.iter_rows(min_row=3) for c in row if c.value]
        assert all(c.data_type != "f" for c in cells)
        risky_cells = [c for c in cells if isinstance(c.value, str) and c.value[0] in "=+-@"]
        assert [c.value for c in risky_cells] == risky
        assert all(c.quotePrefix for c in risky_cells)
        again = make_org(db, f"Formula {template}")
        service.import_cases(db, settings, member(again), out, again)
        assert [r["referral"]["referring_organisation"] for r in _records(db, again)] == risky


def test_control_characters_do_not_break_the_workbook(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    # An .xlsx cell cannot hold most control characters (openpyxl raises): a pasted
    # organisation name with one must not make every export of the organisation fail.
    rows = [{**htcds_rows()[2], "cas_ReferringOrganisation": "La\x07 Strada\x1b"}]
    org = make_org(db, "Control")
    service.import_cases(
        db, settings, member(org), write_csv(tmp_path / "c.csv", HTCDS_HEADER, rows), org
    )
    for template in [*TEMPLATES, None]:
        out = tmp_path / f"control-{template}.xlsx"
        exports.export_cases(db, member(org), org, "htcds", out, template=template)
        cells = [c.value for row in _open(out).worksheets[0].iter_rows(min_row=3) for c in row]
        assert "La\ufffd Strada\ufffd" in cells


# --- the CLI and the API ----------------------------------------------------------------------


def test_cli_names_what_the_template_leaves_out(
    db: Database,
    db_url: str,
    tmp_path: Path,
    cli_env: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_org(db, "NGO CLI")
    base = ["--db", db_url]
    source = write_csv(tmp_path / "in.csv", HTCDS_HEADER, htcds_rows())
    assert main([*base, "import", "cases", str(source), "--org", "NGO CLI"]) == 0
    capsys.readouterr()
    out = tmp_path / "out.xlsx"
    args = [*base, "export", "cases", "--org", "NGO CLI", "-o", str(out)]
    assert main([*args, "--template", "single-select"]) == 0
    text = " ".join(capsys.readouterr().err.split())
    assert "Wrote 3 records to" in text and "(htcds, template single-select)" in text
    assert (
        "the template has no column for hte_Country (1 record), hte_Date (1 record), "
        "hte_Type (1 record), spl_PlannedEndDate (1 record), spl_Type (1 record), "
        "thb_PersonKey (2 records), vic_AgeWhenTrafficked (2 records), "
        "vic_RelationshipToTrafficker (1 record); those values were left out"
    ) in text
    assert "kept the first of several in vic_MethodOfRecruitment (1 record)" in text
    assert _open(out).sheetnames == ["Case Sheet", "about", "validation"]
    # the default layout loses nothing, so it names nothing
    assert main([*args[:-1], str(tmp_path / "hub.xlsx")]) == 0
    assert "no column" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "output", "message"),
    [
        (["--template", "plain"], "out.csv", "out.csv: --template plain writes an Excel workbook"),
        (["--template", "plain", "--format", "ctdc"], "out.xlsx", "CTDC has none"),
        (["--template", "fancy"], "out.xlsx", "unknown template 'fancy'"),
    ],
)
def test_cli_refuses_a_template_it_cannot_write(
    db: Database,
    db_url: str,
    tmp_path: Path,
    cli_env: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    output: str,
    message: str,
) -> None:
    make_org(db, "NGO CLI")
    out = tmp_path / output
    args = ["--db", db_url, "export", "cases", "--org", "NGO CLI", "-o", str(out), *extra]
    assert main(args) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: ") and message in err
    assert not out.exists()
    with db.connect() as conn:
        assert conn.execute(select(audit_log)).first() is None  # nothing was read


def test_api_export_with_a_template(db: Database, settings: Settings, tmp_path: Path) -> None:
    world = build_world(settings, db)
    alpha = world.orgs["alpha"]
    source = write_csv(tmp_path / "in.csv", HTCDS_HEADER, htcds_rows())
    service.import_cases(db, settings, member(alpha), source, alpha)
    with TestClient(create_app(settings, db)) as client:
        url = "/api/v1/cases/export"
        response = client.get(
            url, params={"template": "single-select"}, headers=bearer(world, "contributor")
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == XLSX_MEDIA_TYPE
        assert "cases-htcds-single-select.xlsx" in response.headers["content-disposition"]
        wb = openpyxl.load_workbook(io.BytesIO(response.content))
        assert wb.sheetnames == ["Case Sheet", "about", "validation"]
        assert wb["Case Sheet"]["I3"].value == "Ukraine"
        response = client.get(
            url,
            params={"template": "plain", "format": "ctdc"},
            headers=bearer(world, "contributor"),
        )
        assert response.status_code == 400 and "CTDC has none" in response.text
        response = client.get(
            url, params={"template": "plain", "org": alpha}, headers=bearer(world, "foreign")
        )
        assert response.status_code == 403 and "Ukraine" not in response.text
        plain = client.get(url, params={"template": "plain"}, headers=bearer(world, "analyst"))
        assert plain.status_code == 200
        ws = openpyxl.load_workbook(io.BytesIO(plain.content))["Sheet1"]
        assert ws["I3"].value == "UA"
    with db.connect() as conn:
        exported = select(audit_log.c.detail).where(audit_log.c.action == "export")
        templates = [d.get("template") for d in conn.execute(exported).scalars()]
    assert templates == ["single-select", "plain"]
