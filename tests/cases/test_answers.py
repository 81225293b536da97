"""Multi-valued fields answered item by item: yes, no, or not recorded, on both backends.

What the source said is stored as it said it (``answers``: CTDC flag -> 1, 0, -99) and as
concepts (``forms`` yes, ``forms_no`` no, neither: not recorded); every analysis reads the
same stored answers: the owner's summaries and filters, the analysis frame and the release
frame never count "not recorded" as "no".
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from case_support import ctdc_row, make_org, member, write_ctdc
from thbhub.cases import exports, service
from thbhub.privacy.cases import release_frame
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.schema_cases import case_records

ROWS = [
    # answered no to labour, nothing about marriage; two source categories of one sector
    ctdc_row(
        X="10",
        isForcedLabour="1",
        isSexualExploit="0",
        isForcedMarriage="",
        typeOfLabourAgriculture="0",
        typeOfLabourAquafarming="1",
        typeOfLabourOther="1",
        typeOfLabourNotSpecified="0",
        meansOfControlDebtBondage="1",
        meansOfControlThreats="0",
        meansOfControlNotSpecified="0",
        RecruiterRelationship="Friend; Family/Relative",
        recruiterRelationFriend="1",
        recruiterRelationFamily="0",
        recruiterRelationUnknown="0",
    ),
    # every form asked about answered no; the original -99 of CTDC kept as written
    ctdc_row(
        X="11",
        isSexualExploit="0",
        isForcedLabour="0",
        isOtherExploit="0",
        isForcedMarriage="-99",
        meansOfControlNotSpecified="1",
        # not specified, the rest 0: the 0s are kept, but this is not "no sector"
        typeOfLabourNotSpecified="1",
        typeOfLabourConstruction="0",
    ),
    # nothing recorded about any item (and no majority status beside the age band)
    ctdc_row(
        X="12",
        isSexualExploit="",
        isForcedLabour="",
        RecruiterRelationship="",
        recruiterRelationUnknown="",
        majorityStatus="",
    ),
]


def _import(db: Database, settings: Settings, tmp_path: Path) -> int:
    org = make_org(db, "Answers")
    service.import_cases(db, settings, member(org), write_ctdc(tmp_path / "in.csv", ROWS), org)
    return org


def test_each_item_is_stored_as_the_source_answered_it(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    org = _import(db, settings, tmp_path)
    first, second, third = service.list_cases(db, member(org), org, full=True)
    # two source categories mapped to one concept stay apart in the answers
    # (the taxonomy maps Agriculture to ISIC division A01, Aquafarming to section A)
    assert first["sectors"] == ["sector:a", "sector:other"]
    assert first["sectors_no"] == ["sector:a01"]
    assert first["answers"]["typeOfLabourAgriculture"] == 0
    assert first["answers"]["typeOfLabourAquafarming"] == 1
    assert first["answers"]["typeOfLabourOther"] == 1
    assert first["answers"]["typeOfLabourNotSpecified"] == 0
    assert "isForcedMarriage" not in first["answers"]  # an empty cell: not recorded
    assert first["forms"] == ["form:labour-exploitation"]
    assert first["forms_no"] == ["form:sexual-exploitation"]
    assert "form:forced-marriage" not in first["forms_no"]
    assert first["means"] == ["means:debt-bondage"]
    assert first["means_no"] == ["means:physical-threats"]
    assert (first["recruiter"], first["recruiter_no"]) == (["friend", "family"], [])
    assert first["extra"]["RecruiterRelationship"] == "Friend; Family/Relative"
    assert second["answers"]["isForcedMarriage"] == -99
    assert second["answers"]["meansOfControlNotSpecified"] == 1  # data, not recomputed
    assert second["forms"] == [] and len(second["forms_no"]) == 3
    assert (second["sectors_no"], second["sectors_status"]) == (["sector:f"], "unknown")
    assert (third["forms"], third["forms_no"], third["answers"]) == ([], [], {})


def test_the_ctdc_export_writes_every_answer_back(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    org = _import(db, settings, tmp_path)
    out = tmp_path / "out.csv"
    exports.export_cases(db, member(org), org, "ctdc", out)
    with out.open(encoding="utf-8", newline="") as fh:
        written = list(csv.DictReader(fh))
    with (tmp_path / "in.csv").open(encoding="utf-8", newline="") as fh:
        original = list(csv.DictReader(fh))
    assert written == original


def test_summaries_count_not_recorded_apart_from_no(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    org = _import(db, settings, tmp_path)
    who = member(org)
    by_form = {r["form"]: r["count"] for r in service.summary(db, who, org, ["form"])}
    # record 11 answered no to every form asked: form:none; record 12 said nothing: None
    assert by_form == {"form:labour-exploitation": 1, "form:none": 1, None: 1}
    by_sector = {r["sector"]: r["count"] for r in service.summary(db, who, org, ["sector"])}
    assert by_sector == {"sector:a": 1, "sector:other": 1, None: 2}
    assert [
        r["source_ref"] for r in service.list_cases(db, who, org, form="form:none", full=True)
    ] == ["11"]
    total, (forms,) = service.faceted_summary(db, who, org, ["form"], {"form": "form:none"})
    assert total == 1 and {r["form"]: r["count"] for r in forms}[None] == 1


def test_the_analysis_and_release_frames_keep_not_recorded_missing(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    org = _import(db, settings, tmp_path)
    frame = service.case_frame(db, member(org), org)
    assert frame["form_labour_exploitation"].to_list() == [True, False, None]
    assert frame["form_sexual_exploitation"].to_list() == [False, False, None]
    assert frame["form_forced_marriage"].to_list() == [None, None, None]
    released = release_frame(frame)
    assert released["form_labour_exploitation"].to_list() == ["yes", "no", None]
    assert released["form_other"].to_list() == [None, "no", None]


def test_records_stored_before_the_migration_read_as_not_recorded(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    # A record as cases_0005 stored it: the yes-lists and statuses only; the columns of
    # cases_0006 hold their server defaults (nothing answered no, no source answers).
    org = _import(db, settings, tmp_path)
    with db.begin() as conn:
        import_id = conn.execute(
            case_records.select().where(case_records.c.organisation_id == org)
        ).first()
        assert import_id is not None
        conn.execute(
            case_records.insert().values(
                organisation_id=org,
                import_id=import_id.import_id,
                state="draft",
                source_format="ctdc",
                source_row=99,
                source_ref="99",
                year=2016,
                created_at=datetime.now(UTC),
                forms=["form:sexual-exploitation"],
                means=[],
                sectors=[],
                recruiter=[],
                referral={},
                extra={"Datasource": "Hotline"},
                free_text={},
                flags=["answers-before-cases-0006"],  # as the migration flags them
                **{
                    c.name: "observed"
                    for c in case_records.columns
                    if c.name.endswith("_status")
                    and c.name not in ("events_status", "support_status")
                },
            )
        )
    old = service.list_cases(db, member(org), org, full=True)[-1]
    assert (old["forms_no"], old["answers"]) == ([], {})
    frame = service.case_frame(db, member(org), org)
    assert frame.filter(pl.col("record_id") == old["id"])["form_labour_exploitation"][0] is None
    # the export derives its flags from the lists and statuses, as before the migration
    out = tmp_path / "out.csv"
    exports.export_cases(db, member(org), org, "ctdc", out)
    with out.open(encoding="utf-8", newline="") as fh:
        last = list(csv.DictReader(fh))[-1]
    assert (last["isSexualExploit"], last["isForcedLabour"]) == ("1", "0")


def test_the_migration_adds_the_answers_to_existing_records(empty_db_url: str) -> None:
    from alembic import command
    from sqlalchemy import column, insert, select, table, text

    from thbhub.storage.cases import add_organisation
    from thbhub.storage.migrate import _config

    db = Database(empty_db_url)
    config = _config(db)
    command.upgrade(config, "cases_0005")
    with db.begin() as conn:
        org = add_organisation(conn, "A")
        conn.execute(
            text(
                "INSERT INTO case_imports (organisation_id, file_name, format, checksum, "
                "rows_read, rows_stored, rows_quarantined, options, created_at, state) "
                "VALUES (:org, 'old.csv', 'ctdc', 'x', 1, 1, 0, '{}', :at, 'draft')"
            ),
            {"org": org, "at": datetime.now(UTC)},
        )
        old_columns = [c for c in case_records.columns if c.name not in _NEW]
        conn.execute(
            # case_records as cases_0005 has it: not through today's metadata
            insert(table("case_records", *[column(c.name, c.type) for c in old_columns])),
            {
                "organisation_id": org,
                "import_id": 1,
                "state": "draft",
                "source_format": "ctdc",
                "source_row": 2,
                "created_at": datetime.now(UTC),
                "forms": ["form:sexual-exploitation"],
                **{c.name: "observed" for c in old_columns if c.name.endswith("_status")},
                **{c: [] for c in ("means", "sectors", "recruiter", "flags", "events", "support")},
                **{c: {} for c in ("referral", "extra", "free_text")},
            },
        )
        conn.execute(
            insert(table("case_records", *[column(c.name, c.type) for c in old_columns])),
            {
                "organisation_id": org,
                "import_id": 1,
                "state": "draft",
                "source_format": "htcds",
                "source_row": 3,
                "created_at": datetime.now(UTC),
                "forms": ["form:labour-exploitation"],
                "means": ["means:debt-bondage"],
                "extra": {
                    "vic_TypeOfExploitation": ["ForcedLabour"],
                    "vic_MethodsOfControl": ["DebtBondage"],
                },
                **{c.name: "observed" for c in old_columns if c.name.endswith("_status")},
                **{c: [] for c in ("sectors", "recruiter", "flags", "events", "support")},
                **{c: {} for c in ("referral", "free_text")},
            },
        )
    command.upgrade(config, "heads")
    with db.connect() as conn:
        ctdc, htcds = conn.execute(
            select(*[case_records.c[n] for n in _NEW]).order_by(case_records.c.id)
        ).all()
    # CTDC: whether an item was answered no was never stored: nothing is guessed, and the
    # record says so (the export derives its flags for it, as before)
    assert tuple(ctdc) == ([], [], [], [], {})
    with db.connect() as conn:
        flags = conn.execute(select(case_records.c.flags).order_by(case_records.c.id)).scalars()
        assert list(flags) == [["answers-before-cases-0006"], []]
    # HTCDS: the value names the record kept say what it answered no to
    forms_no, means_no, sectors_no, recruiter_no, answers = htcds
    assert "means:debt-bondage" not in means_no and "means:physical-threats" in means_no
    assert "form:sexual-exploitation" in forms_no and "form:labour-exploitation" not in forms_no
    assert (sectors_no, recruiter_no, answers) == ([], [], {})
    command.downgrade(config, "cases_0005")
    command.upgrade(config, "heads")
    db.dispose()


_NEW = ("forms_no", "means_no", "sectors_no", "recruiter_no", "answers")


def test_an_htcds_multi_select_says_no_to_the_values_it_does_not_list(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    from case_support import HTCDS_HEADER, htcds_rows, write_csv

    org = make_org(db, "HTCDS answers")
    source = write_csv(tmp_path / "h.csv", HTCDS_HEADER, htcds_rows())
    service.import_cases(db, settings, member(org), source, org)
    records = service.list_cases(db, member(org), org, full=True)
    assert any(r["means"] for r in records)
    for r in records:
        for field in ("forms", "means", "sectors", "recruiter"):
            assert not set(r[field]) & set(r[f"{field}_no"])
            # a filled field answers every value of its list; an empty one nothing
            assert bool(r[f"{field}_no"]) == bool(r[field]), (field, r[field])
