"""The CLI over the same services, and the audit trail every read and export leaves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from case_support import HTCDS_HEADER, ctdc_row, htcds_rows, make_org, member, write_csv, write_ctdc
from thbhub.cases import exports, service
from thbhub.cli import main
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.schema import audit_log


def test_every_read_and_export_is_audited(db: Database, settings: Settings, tmp_path: Path) -> None:
    org = make_org(db, "Audited")
    who = member(org)
    service.import_cases(db, settings, who, write_ctdc(tmp_path / "a.csv", [ctdc_row()]), org)
    service.list_cases(db, who, org)
    service.summary(db, who, org, ["sex"])
    service.case_frame(db, who, org)
    exports.export_cases(db, who, org, "ctdc", tmp_path / "out.csv")
    with db.connect() as conn:
        log = conn.execute(select(audit_log).order_by(audit_log.c.id)).mappings().all()
    assert [(e["action"], e["object_type"]) for e in log] == [
        ("create", "case_records"),
        ("read", "case_records"),
        ("read", "case_summary"),
        ("read", "case_frame"),
        ("export", "case_records"),
    ]
    assert {e["organisation_id"] for e in log} == {org}
    assert {e["email"] for e in log} == {who.email}


def test_cli_import_list_summary_export(
    db: Database,
    db_url: str,
    settings: Settings,
    tmp_path: Path,
    cli_env: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_org(db, "NGO CLI")
    bad = write_ctdc(
        tmp_path / "bad.csv", [ctdc_row(), ctdc_row(X="2", yearOfRegistration="139912")]
    )
    assert main(["--db", db_url, "import", "cases", str(bad), "--org", "NGO CLI"]) == 1
    err = capsys.readouterr().err
    assert "row 3, column 'yearOfRegistration'" in err and "139912" in err
    assert err.strip().splitlines()[-1].startswith("error: bad.csv: rejected, nothing stored")
    assert (
        main(
            [
                "--db",
                db_url,
                "import",
                "cases",
                str(bad),
                "--org",
                "NGO CLI",
                "--quarantine",
                "--report",
                "json",
            ]
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert (report["rows_stored"], report["rows_quarantined"]) == (1, 1)
    htcds = write_csv(tmp_path / "h.csv", HTCDS_HEADER, htcds_rows())
    assert (
        main(
            ["--db", db_url, "import", "cases", str(htcds), "--org", "NGO CLI", "--format", "htcds"]
        )
        == 0
    )
    capsys.readouterr()
    assert (
        main(
            [
                "--db",
                db_url,
                "cases",
                "summary",
                "--org",
                "NGO CLI",
                "--by",
                "year,sex",
                "--format",
                "json",
            ]
        )
        == 0
    )
    rows = json.loads(capsys.readouterr().out)
    assert {"year", "sex", "count"} == set(rows[0]) and sum(r["count"] for r in rows) == 4
    assert main(["--db", db_url, "cases", "list", "--org", "NGO CLI", "--format", "csv"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].startswith("id,state,") and len(listed) == 5
    assert "Zbigniewa" not in "".join(listed)
    out = tmp_path / "export.csv"
    assert (
        main(
            [
                "--db",
                db_url,
                "export",
                "cases",
                "--org",
                "NGO CLI",
                "--format",
                "htcds",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    assert out.read_text(encoding="utf-8").startswith("con_Consent,")
    assert main(["--db", db_url, "cases", "list", "--org", "Nobody"]) == 1
    assert "thbhub orgs add" in capsys.readouterr().err
    assert main(["--db", db_url, "cases", "summary", "--org", "NGO CLI", "--by", "colour"]) == 1
    assert "not a dimension" in capsys.readouterr().err


def test_quarantine_fix_file_round(
    db: Database,
    db_url: str,
    tmp_path: Path,
    cli_env: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Quarantine, write the fix file, correct it, re-import: the quarantine empties."""
    import csv

    make_org(db, "Fixers")
    rows = htcds_rows()
    rows[1]["vic_MethodsOfControl"] = "Beatings"
    path = write_csv(tmp_path / "h.csv", HTCDS_HEADER, rows)
    base = ["--db", db_url]
    assert main([*base, "import", "cases", str(path), "--org", "Fixers", "--quarantine"]) == 0
    fix = tmp_path / "fix.csv"
    assert main([*base, "cases", "quarantine", "--org", "Fixers", "--fix-file", str(fix)]) == 0
    with fix.open(encoding="utf-8") as fh:
        (row,) = list(csv.DictReader(fh))
    assert "vic_MethodsOfControl" in row["thb_Problems"] and row["thb_PersonKey"]
    assert "prs_FirstName" not in row  # identifiers never come back
    row["vic_MethodsOfControl"] = "PhysicalAbuse"
    write_csv(fix, list(row), [row])
    capsys.readouterr()
    assert main([*base, "import", "cases", str(fix), "--org", "Fixers", "--report", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["quarantine_resolved"] == 1
    assert main([*base, "cases", "quarantine", "--org", "Fixers", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main([*base, "cases", "list", "--org", "Fixers", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed) == 3 and listed[2]["means"] == ["means:physical-abuse"]
    assert listed[2]["person_key"] == row["thb_PersonKey"]
