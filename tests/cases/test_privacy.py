"""No direct identifier reaches the database; pseudonyms link within an organisation only."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import JSON, String, Text, column, inspect, select, table

from case_support import HTCDS_HEADER, PLANTED, htcds_rows, make_org, member, write_csv
from thbhub.cases import exports, service
from thbhub.cases.htcds import FREE_TEXT_FIELDS
from thbhub.cases.htcds_events import field_name
from thbhub.settings import Settings
from thbhub.storage import Database


def _all_text(db: Database) -> list[tuple[str, str, str]]:
    """(table, column, value) for every text-like cell of every table in the database."""
    found = []
    with db.connect() as conn:
        insp = inspect(conn)
        for name in insp.get_table_names():
            cols = [
                c
                for c in insp.get_columns(name)
                if isinstance(c["type"], String | Text | JSON) or "JSON" in str(c["type"])
            ]
            if not cols:
                continue
            t = table(name, *[column(c["name"]) for c in cols])
            for row in conn.execute(select(*t.columns)):
                for c, value in zip(cols, row, strict=True):
                    if value is not None:
                        found.append((name, c["name"], str(value)))
    return found


def _needles() -> list[str]:
    out = []
    for value in PLANTED.values():
        out += [value, value.casefold()]
    # parts too: a surname alone, the digits of a phone number
    out += [
        "Zbigniewa",
        "Qwerty",
        "601 555 017",
        "601555017",
        "ABX123987",
        "1994-03-17",
        "Kowalczykowa",
        "Brzęczyszczykiewicz",
        "Zmyslona",
        "Fabryczna",
        "Wolomierzyce",
        "Zachodniopomorze",
        "62-871",
        "52.40692",
        "16.92993",
        "bakery",
    ]
    return out


def test_planted_identifiers_never_reach_any_text_column(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    org = make_org(db, "Planted")
    csv_path = write_csv(tmp_path / "planted.csv", HTCDS_HEADER, htcds_rows())
    service.import_cases(db, settings, member(org), csv_path, org)
    # an invalid row in the quarantine keeps its cells: still no identifier
    rows = htcds_rows()
    rows[0]["vic_MethodsOfControl"] = "Beatings"
    bad = write_csv(tmp_path / "planted-bad.csv", HTCDS_HEADER, rows)
    result = service.import_cases(db, settings, member(org), bad, org, quarantine=True)
    assert result["rows_quarantined"] == 1
    # further events and plans of the record: numbered columns and an XLSForm repeat path,
    # once stored and once quarantined (a bad country in the third event)
    repeated = {k: v for k, v in PLANTED.items() if k.startswith(("hte_", "spl_"))}
    more = {f"{k}_2": v for k, v in repeated.items()}
    more |= {f"events[3]/{k}": v for k, v in repeated.items() if k.startswith("hte_")}
    more |= {"hte_Type_2": "Transit", "events[3]/hte_Country": "DE", "spl_Type_2": "Legal"}
    rows = htcds_rows()
    rows[0].update(more)
    header = [*HTCDS_HEADER, *more]
    result = service.import_cases(
        db, settings, member(org), write_csv(tmp_path / "planted-events.csv", header, rows), org
    )
    (events,) = [
        r["events"]
        for r in service.list_cases(db, member(org), org, full=True)
        if len(r["events"]) == 3
    ]
    assert [(e["type"], e["country"]) for e in events] == [
        ("Exploitation", "country:PL"),
        ("Transit", None),
        (None, "country:DE"),
    ]
    rows[0]["events[3]/hte_Country"] = "Atlantis"
    bad = write_csv(tmp_path / "planted-events-bad.csv", header, rows)
    result = service.import_cases(db, settings, member(org), bad, org, quarantine=True)
    assert result["rows_quarantined"] == 1
    cells = _all_text(db)
    assert any(t == "case_records" for t, _, _ in cells)  # the search does see the records
    assert any(t == "case_quarantine" for t, _, _ in cells)
    for needle in _needles():
        hits = [(t, c) for t, c, v in cells if needle.casefold() in v.casefold()]
        assert not hits, f"{needle!r} found in {hits}"


def test_free_text_only_when_opted_in(db: Database, settings: Settings, tmp_path: Path) -> None:
    org = make_org(db, "Opt in")
    path = write_csv(tmp_path / "text.csv", HTCDS_HEADER, htcds_rows())
    service.import_cases(
        db, settings, member(org), path, org, keep_text=["cas_IncomingReferralDetails"]
    )
    first = service.list_cases(db, member(org), org, full=True)[0]
    assert first["free_text"] == {
        "cas_IncomingReferralDetails": PLANTED["cas_IncomingReferralDetails"]
    }
    assert "cco_CaseComment" not in first["free_text"]


def test_dropped_free_text_is_reported_only_when_there_was_some(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    # The published templates have free-text columns; empty ones lose nothing to report.
    org = make_org(db, "Notes")
    text = [c for c in HTCDS_HEADER if field_name(c) in FREE_TEXT_FIELDS]
    rows = [{**r, **dict.fromkeys(text, "")} for r in htcds_rows()]
    empty = write_csv(tmp_path / "empty.csv", HTCDS_HEADER, rows)
    notes = service.import_cases(db, settings, member(org), empty, org)["notes"]
    assert not [n for n in notes if "free text" in n]
    rows[1]["cco_CaseComment"] = "called back"
    some = write_csv(tmp_path / "some.csv", HTCDS_HEADER, rows)
    notes = service.import_cases(db, settings, member(org), some, org)["notes"]
    assert [n for n in notes if "free text" in n] == [
        "free text was dropped (opt in per field with --keep-text): cco_CaseComment"
    ]


def test_person_key_links_within_an_organisation_only(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    a, b = make_org(db, "Org A"), make_org(db, "Org B")
    first = htcds_rows()[:1]
    again = [
        {
            **first[0],
            "prs_FirstName": "ZBIGNIEWA ",
            "prs_SecondName": "Qwertynska",
            "vic_TypeOfExploitation": "SexualExploitation",
        }
    ]
    service.import_cases(
        db, settings, member(a), write_csv(tmp_path / "1.csv", HTCDS_HEADER, first), a
    )
    service.import_cases(
        db, settings, member(a), write_csv(tmp_path / "2.csv", HTCDS_HEADER, again), a
    )
    service.import_cases(
        db, settings, member(b), write_csv(tmp_path / "3.csv", HTCDS_HEADER, first), b
    )
    keys_a = [r["person_key"] for r in service.list_cases(db, member(a), a)]
    (key_b,) = [r["person_key"] for r in service.list_cases(db, member(b), b)]
    assert keys_a[0] == keys_a[1]  # case, accents and spacing do not make another person
    assert key_b != keys_a[0]  # another organisation cannot join on the pseudonym
    other_secret = settings.model_copy(
        update={"secret_key": SecretStr("another-deployment-secret-000")}
    )
    service.import_cases(db, other_secret, member(a), tmp_path / "1.csv", a, again=True)
    assert service.list_cases(db, member(a), a)[-1]["person_key"] != keys_a[0]


def test_a_malformed_identifier_is_not_repeated_by_its_problem(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    # The value of a direct identifier that breaks a rule is still the identifier: the
    # rejection, the stored quarantine and its fix file name the rule, not the value.
    org = make_org(db, "Malformed")
    rows = htcds_rows()
    rows[0]["prs_Birthdate"] = "born 1991-07-08 in Vilnius to Zzmother"
    path = write_csv(tmp_path / "malformed.csv", HTCDS_HEADER, rows)
    with pytest.raises(service.CaseFileRejected) as rejected:
        service.import_cases(db, settings, member(org), path, org)
    shown = str(rejected.value) + repr([p.as_dict() for p in rejected.value.problems])
    assert "prs_Birthdate" in shown and "it may identify a person" in shown
    result = service.import_cases(db, settings, member(org), path, org, quarantine=True)
    assert result["rows_quarantined"] == 1
    fix = tmp_path / "fix.csv"
    exports.export_quarantine(db, member(org), org, fix)
    for needle in ("Zzmother", "Vilnius", "1991-07-08"):
        assert needle not in shown
        assert needle not in repr(result)
        assert needle not in fix.read_text(encoding="utf-8")
        hits = [(t, c) for t, c, v in _all_text(db) if needle in v]
        assert not hits, f"{needle!r} found in {hits}"
