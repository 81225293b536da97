"""An EXAMPLE linkage project for `make run`: synthetic persons on three example
organisations' lists, so that /estimates/projects shows an estimate from the hub's own
records (the bundled CTDC records carry no identifiers and cannot be linked).

Everything here is made up and says so: the organisations are named "EXAMPLE ...
(synthetic)", the project's purpose starts with "EXAMPLE", and the persons' names are
invented strings.  The records go through the ordinary HTCDS import, so their identifiers
are never stored (only the organisation's pseudonym and the project's keyed hash are), and
are published so that the public sees the gated estimate.

The numbers of persons per combination of lists are fixed (:data:`PATTERNS`), large enough
in each of the two years for every cell of the overlap table by year to pass the disclosure
gate; the project offers the year as its one public split.
"""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from thbhub import csvio
from thbhub.cases.publication import publish_sample_once
from thbhub.cases.service import import_cases
from thbhub.domain.principals import Principal, Role
from thbhub.estimation import linkage
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.cases import add_organisation, organisation_id
from thbhub.storage.schema import organisations
from thbhub.storage.schema_cases import case_imports
from thbhub.storage.schema_estimation import linkage_projects

PROJECT = "example-linkage"
PURPOSE = (
    "EXAMPLE with synthetic persons: how many victims did none of three example "
    "organisations identify? (shown by `make run`; not real data)"
)
ORGANISATIONS = (
    "EXAMPLE Police (synthetic)",
    "EXAMPLE Shelter NGO (synthetic)",
    "EXAMPLE Labour Inspectorate (synthetic)",
)
LOADER = "system:linkage-sample"
NOTE = "EXAMPLE records (synthetic) of the linkage sample, published by the sample loader"
#: Persons per combination of the three lists (bit 0 police, 1 NGO, 2 inspectorate), by the
#: year they were first recorded: 352 persons, 524 records.
PATTERNS: dict[int, dict[int, int]] = {
    2023: {1: 62, 2: 44, 4: 30, 3: 19, 5: 12, 6: 10, 7: 8},
    2024: {1: 55, 2: 41, 4: 27, 3: 16, 5: 11, 6: 9, 7: 8},
}
_HEADER = (
    "prs_FirstName",
    "prs_SecondName",
    "prs_Birthdate",
    "prs_IdentityNumber",
    "prs_Gender",
    "vic_TraffickingStatus",
    "vic_TypeOfExploitation",
    "cas_IncomingReferralDate",
)


def _letters(i: int) -> str:
    # names of letters only, so that the import's normalisation keeps every person distinct
    return "".join("klmnopqrst"[int(d)] for d in f"{i:04d}")


def _rows() -> list[list[dict[str, str]]]:
    """Each organisation's records: a person on several lists is on each of them, written
    as each organisation would (the NGO in capitals: linked all the same)."""
    lists: list[list[dict[str, str]]] = [[] for _ in ORGANISATIONS]
    i = 0
    for year, patterns in PATTERNS.items():
        for pattern, count in patterns.items():
            for _ in range(count):
                person = {
                    "prs_FirstName": f"Example{_letters(i)}",
                    "prs_SecondName": f"Synthetic{_letters(i)}",
                    "prs_Birthdate": f"19{70 + i % 30}-0{1 + i % 9}-1{i % 10}",
                    "prs_IdentityNumber": f"EXAMPLE{i:05d}",
                    "prs_Gender": "Feminine" if i % 3 else "Masculine",
                    "vic_TraffickingStatus": "ActualVictimOfTrafficking",
                    "vic_TypeOfExploitation": "ForcedLabour" if i % 2 else "SexualExploitation",
                    "cas_IncomingReferralDate": f"{year}-0{1 + i % 9}-15",
                }
                for k in range(len(ORGANISATIONS)):
                    if pattern >> k & 1:
                        row = dict(person)
                        if k == 1:
                            row["prs_FirstName"] = row["prs_FirstName"].upper()
                        lists[k].append(row)
                i += 1
    return lists


def _system(role: Role, org: int | None) -> Principal:
    return Principal(role=role, email=LOADER, organisation_id=org, origin="cli")


def _publish_existing(db: Database) -> None:
    """A database loaded before imports were published: publish the example imports."""
    with db.connect() as conn:
        rows = conn.execute(
            select(case_imports.c.id, case_imports.c.organisation_id)
            .join(organisations, organisations.c.id == case_imports.c.organisation_id)
            .where(organisations.c.name.in_(ORGANISATIONS))
        ).all()
    for import_id, org in rows:
        publish_sample_once(db, org, import_id, loader=LOADER, note=NOTE)


def load_linkage_sample(db: Database, settings: Settings) -> bool:
    """Create the example organisations, project and records once; True if it did now."""
    with db.connect() as conn:
        loaded = conn.execute(
            select(linkage_projects.c.id).where(linkage_projects.c.name == PROJECT)
        ).first()
    if loaded is not None:
        _publish_existing(db)
        return False
    orgs = []
    with db.begin() as conn:
        for name in ORGANISATIONS:
            found = organisation_id(conn, name)
            orgs.append(found if found is not None else add_organisation(conn, name, kind="ngo"))
    owners = [_system(Role.contributor, org) for org in orgs]
    until = date.today() + timedelta(days=365)
    linkage.create(db, owners[0], PROJECT, PURPOSE, until, public_by=("year",))
    for owner in owners[1:]:
        linkage.join(db, owner, PROJECT)
    with tempfile.TemporaryDirectory(prefix="thbhub-linkage-sample-") as tmp:
        for k, rows in enumerate(_rows()):
            path = Path(tmp) / f"example_list_{k + 1}.csv"
            with path.open("w", encoding="utf-8", newline="") as fh:
                writer = csvio.DictWriter(fh, fieldnames=_HEADER)
                writer.writeheader()
                writer.writerows(rows)
            done = import_cases(db, settings, owners[k], path, orgs[k], fmt="htcds")
            publish_sample_once(db, orgs[k], done["import_id"], loader=LOADER, note=NOTE)
    return True
