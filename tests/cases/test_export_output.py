"""Where an export of case records may be written: refused before anything is read or
audited when the file cannot be right, and created readable by its owner only."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy import func, select

from case_support import ctdc_row, make_org, member, write_ctdc
from thbhub.cases import exports, service
from thbhub.domain.errors import UserError
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.schema import audit_log


def _audit_rows(db: Database) -> int:
    with db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())


@pytest.fixture
def org(settings: Settings, db: Database, tmp_path: Path) -> int:
    org = make_org(db, "Alpha")
    rows = [ctdc_row(X="1"), ctdc_row(X="2", yearOfRegistration="20155")]
    path = write_ctdc(tmp_path / "in.csv", rows)
    service.import_cases(db, settings, member(org), path, org, quarantine=True)
    return org


def test_unwritable_outputs_are_refused_before_reading(
    db: Database, org: int, tmp_path: Path
) -> None:
    before = _audit_rows(db)
    refusals = [
        (
            lambda: exports.export_cases(db, member(org), org, "ctdc", tmp_path / "c.xlsx"),
            "written as .csv",
        ),
        (
            lambda: exports.export_cases(db, member(org), org, "htcds", tmp_path / "c.txt"),
            ".csv or .xlsx",
        ),
        (
            lambda: exports.export_cases(db, member(org), org, "htcds", tmp_path / "no" / "c.csv"),
            "does not exist",
        ),
        (lambda: exports.export_cases(db, member(org), org, "htcds", tmp_path), "is a directory"),
        (
            lambda: exports.export_quarantine(db, member(org), org, tmp_path / "no" / "fix.csv"),
            "does not exist",
        ),
    ]
    for call, message in refusals:
        with pytest.raises(UserError, match=message):
            call()
    assert _audit_rows(db) == before  # nothing read, nothing audited
    assert not (tmp_path / "no").exists() and not (tmp_path / "c.xlsx").exists()


def test_exports_are_readable_by_their_owner_only(db: Database, org: int, tmp_path: Path) -> None:
    for name, fmt in (("h.csv", "htcds"), ("h.xlsx", "htcds"), ("c.csv", "ctdc")):
        exports.export_cases(db, member(org), org, fmt, tmp_path / name)
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name
    exports.export_quarantine(db, member(org), org, tmp_path / "fix.csv")
    assert stat.S_IMODE((tmp_path / "fix.csv").stat().st_mode) == 0o600
    # An existing file written over loses what others could read.
    old = tmp_path / "old.csv"
    old.write_text("x")
    old.chmod(0o644)
    exports.export_cases(db, member(org), org, "ctdc", old)
    assert stat.S_IMODE(old.stat().st_mode) == 0o600


def test_a_failed_export_leaves_no_file(db: Database, org: int, tmp_path: Path) -> None:
    other = make_org(db, "Beta")
    with pytest.raises(UserError):
        exports.export_cases(db, member(other), org, "ctdc", tmp_path / "theirs.csv")
    assert not (tmp_path / "theirs.csv").exists()


def test_list_filters_take_codes_and_refuse_unknown_concepts(db: Database, org: int) -> None:
    by_code = service.list_cases(db, member(org), org, country="pl", sex="Female")
    by_id = service.list_cases(db, member(org), org, country="country:PL", sex="sex:female")
    assert by_code == by_id and len(by_id) == 1
    with pytest.raises(UserError, match="--sex sex:bogus: no such sex concept"):
        service.list_cases(db, member(org), org, sex="sex:bogus")
    with pytest.raises(UserError, match="--country XX: no such country concept"):
        service.list_cases(db, member(org), org, country="XX")
