"""A release from stored records is the release of the file they came from.

On an extract of the real CTDC file (rows chosen so that it holds every spelling of "not
known": ``Unknown``, ``Missing``, an empty cell, the flags' empty "not recorded", and the
``48+`` band and both data sources): `thbhub import cases --quarantine`, then `thbhub release
cases --as ctdc`, beside `thbhub release file` of the extract itself, with the same seed.
With an epsilon so large that the noise rounds away, both releases must publish the same
aggregates and the same synthetic file, and the aggregates must be the extract's own counts
read as plain CSV, with ``Unknown`` and ``Missing`` apart from an empty cell.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import select

from case_support import make_org, member
from support import shared_file
from thbhub.cases.service import import_cases
from thbhub.cli import main
from thbhub.domain.errors import PermissionDenied
from thbhub.domain.principals import Principal, Role
from thbhub.ingest.sample import sample_dir
from thbhub.privacy.cases import CTDC_RELEASE_COLUMNS, ctdc_frame
from thbhub.privacy.dp import DpConfig, default_delta, dp_aggregates
from thbhub.privacy.release import ReleaseRequest, release
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.schema import audit_log

CTDC_FILE = "ctdc-global-2018/ctdc_global_individual_database_2018.csv"
COLUMNS = [
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
#: (column, cell) pairs the extract must hold a few rows of.
SPECIAL = [
    ("gender", "Unknown"),
    ("ageBroad", "Unknown"),
    ("ageBroad", ""),
    ("ageBroad", "48+"),
    ("citizenship", "Unknown"),
    ("citizenship", "Missing"),
    ("CountryOfExploitation", "Missing"),
    ("CountryOfExploitation", "Unknown"),
    ("isSexualExploit", ""),
    ("isForcedLabour", ""),
    ("isOtherExploit", ""),
    ("Datasource", "Hotline"),
]
#: So large that the discrete Gaussian's deviation is far below 1/2: counts come out exact.
HUGE_EPSILON = "10000"


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
    return list(reader.fieldnames or []), rows


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every 400th record of the real file, and the first 4 records with each SPECIAL cell
    (about 160 records, all 58 columns as the file writes them)."""
    header, rows = _read(shared_file(CTDC_FILE))
    rows = [r for r in rows if r["X"]]  # the 4 junk rows at the end have no row number
    chosen = set(range(0, len(rows), 400))
    for column, cell in SPECIAL:
        chosen.update([i for i, r in enumerate(rows) if r[column] == cell][:4])
    path = tmp_path_factory.mktemp("parity") / "ctdc_extract.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows[i] for i in sorted(chosen))
    return path


def _release(db_url: str, *args: str) -> None:
    common = ["--method", "dp", "--epsilon", HUGE_EPSILON, "-R", "2", "--seed", "7"]
    assert main(["--db", db_url, "release", *args, *common, "--as", "ctdc", "-f", "json"]) == 0


def _aggregates(path: Path) -> dict[str, int]:
    _, rows = _read(path)
    return {r["combination"]: int(r["count"]) for r in rows}


def test_release_cases_equals_the_release_of_the_file(
    db: Database,
    db_url: str,
    extract: Path,
    tmp_path: Path,
    cli_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("THBHUB_PRIVACY_EPSILON_BUDGET", "1000000")
    make_org(db, "CTDC extract")
    org = ["--org", "CTDC extract"]
    assert main(["--db", db_url, "import", "cases", str(extract), *org, "--quarantine"]) == 0
    stored, direct = tmp_path / "stored.csv", tmp_path / "file.csv"
    _release(db_url, "cases", *org, "-o", str(stored))
    columns = ",".join(COLUMNS)
    _release(db_url, "file", "-i", str(extract), *org, "--columns", columns, "-o", str(direct))
    capsys.readouterr()

    _, original = _read(extract)
    for column, cell in SPECIAL:  # the extract holds what the test is about
        assert sum(r[column] == cell for r in original) >= 4, (column, cell)

    # the same aggregates, and from them (the same seed) the same synthetic records
    released = _aggregates(tmp_path / "stored.aggregates.csv")
    assert released == _aggregates(tmp_path / "file.aggregates.csv")
    header, synthetic = _read(stored)
    assert header == COLUMNS
    assert stored.read_text(encoding="utf-8") == direct.read_text(encoding="utf-8")

    # the counts of single cells are the extract's own, "Unknown" and "Missing" apart from
    # an empty cell (the aggregates' "(missing)"), flags' empty cells apart from 0
    for column in COLUMNS:
        truth = Counter(r[column] or "(missing)" for r in original)
        got = {
            key.split(":", 1)[1]: n
            for key, n in released.items()
            if key.split(":", 1)[0] == column and ";" not in key
        }
        assert got == dict(truth), column
    # the synthetic file writes the cells as the file does: the words, and empty cells
    for column, cell in SPECIAL:
        assert any(r[column] == cell for r in synthetic), (column, cell)

    utility = json.loads((tmp_path / "stored.utility.json").read_text())
    assert utility["aggregates"]["overall"]["suppressed_pct"] == 0
    assert utility["aggregates"]["overall"]["fabricated_pct"] == 0


def test_a_very_large_epsilon_is_calibrated_not_a_crash() -> None:
    """Calibrating epsilon 1e5 once made OpenDP overflow ("... inf_exp() is not finite"),
    which the CLI reported as a bug; the noise now stops at the smallest deviation OpenDP
    can account for, and the release says what it spent."""
    frame = pl.DataFrame({"a": ["x"] * 30 + ["y"] * 12, "b": ["1", "2"] * 21})
    release = dp_aggregates(frame, DpConfig(epsilon=1e5, reporting_length=2))
    assert 1e4 < release.epsilon <= 1e5
    counts = dict(release.aggregates[("a",)].iter_rows())
    assert counts == {"x": 30, "y": 12}


def test_ctdc_columns_by_either_name_and_k_anonymity_keeps_the_words(
    db: Database, db_url: str, extract: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_org(db, "CTDC extract")
    org = ["--org", "CTDC extract"]
    assert main(["--db", db_url, "import", "cases", str(extract), *org, "--quarantine"]) == 0
    out = tmp_path / "k.csv"
    base = ["--db", db_url, "release", "cases", *org, "--as", "ctdc", "-o", str(out)]
    # the release frame's names stand for CTDC's; other CTDC columns may be named as well
    columns = "year,sex,age,citizenship,country,majorityStatus"
    assert main([*base, "--method", "kanon", "--k", "2", "--columns", columns]) == 0
    header, rows = _read(out)
    assert header == [
        "yearOfRegistration",
        "gender",
        "ageBroad",
        "citizenship",
        "CountryOfExploitation",
        "majorityStatus",
    ]
    assert {"Unknown", "Missing"} <= {r["CountryOfExploitation"] for r in rows}
    capsys.readouterr()
    assert main([*base, "--method", "kanon", "--columns", "gender,nonsense"]) == 1
    err = capsys.readouterr().err
    assert "unknown column(s) 'nonsense'" in err and "'isForcedLabour'" in err


def test_the_ctdc_frame_is_read_by_the_owners_members_only_and_audited(
    db: Database, settings: Settings
) -> None:
    owner, other = make_org(db, "Owner"), make_org(db, "Other")
    sample = sample_dir() / "ctdc_global_bsr.csv"
    import_cases(db, settings, member(owner), sample, owner, fmt="ctdc", quarantine=True)
    admin = Principal(role=Role.admin, email="admin@secretariat.example", origin="web")
    for stranger in (member(other), admin):
        with pytest.raises(PermissionDenied):
            ctdc_frame(db, stranger, owner, CTDC_RELEASE_COLUMNS)
    frame = ctdc_frame(db, member(owner), owner, CTDC_RELEASE_COLUMNS)
    assert frame.height == 579 and tuple(frame.columns) == CTDC_RELEASE_COLUMNS
    with db.connect() as conn:
        reads = conn.execute(
            select(audit_log.c.rows, audit_log.c.detail).where(
                audit_log.c.action == "read", audit_log.c.object_type == "case_records"
            )
        ).all()
    assert [(r.rows, r.detail) for r in reads] == [(579, {"layout": "ctdc", "purpose": "release"})]


def test_the_default_delta_comes_from_the_noisy_count(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    """The published delta was 1/(n ln n) of the exact number of records n, which gives n
    away; it is now that of the release's noisy count (the count the release publishes)."""
    n = 20_000  # enough records for 1/(n ln n) to be below the 1e-5 cap
    frame = pl.DataFrame(
        {"year": ["2016", "2017"] * (n // 2), "sex": ["sex:female"] * n, "age": ["age:0-8"] * n}
    )
    org = make_org(db, "Many")
    request = ReleaseRequest(
        organisation_id=org, method="dp", output=tmp_path / "d.csv", epsilon=0.2, seed=1
    )
    result = release(db, settings, member(org), frame, request)
    assert result["delta"] < 1e-5
    assert result["delta"] == default_delta(result["noisy_records"])
