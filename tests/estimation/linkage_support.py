"""A linkage project across two organisations of the access world: Alpha Agency and Gamma
Police each import an HTCDS file of named persons, 15 of whom are on both lists; Beta NGO
stays outside the project."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from access_support import World, build_world
from case_support import publish, write_csv
from thbhub.access import users
from thbhub.cases.service import import_cases
from thbhub.domain.principals import Principal, Role
from thbhub.estimation import linkage
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.schema_estimation import linkage_keys

PROJECT = "baltic-2023"
HEADER = [
    "prs_FirstName",
    "prs_SecondName",
    "prs_Birthdate",
    "prs_IdentityNumber",
    "prs_Gender",
    "vic_TraffickingStatus",
    "vic_TypeOfExploitation",
    "cas_IncomingReferralDate",
]
#: Alpha's list: persons 0-39; Gamma's: 25-64 (15 on both, 65 seen); Lincoln-Petersen
#: gives 40 x 40 / 15 = 106.67.
ALPHA, GAMMA = range(0, 40), range(25, 65)


def person(i: int) -> dict[str, str]:
    # letters only in names, so normalisation keeps each distinct
    letters = "".join("abcdefghij"[int(d)] for d in f"{i:03d}")
    return {
        "prs_FirstName": f"Wieslawa{letters}",
        "prs_SecondName": f"Qzrtynska{letters}",
        "prs_Birthdate": f"1990-01-{i % 28 + 1:02d}",
        "prs_IdentityNumber": f"QX{i:05d}ZZ",
        "prs_Gender": "Feminine",
        "vic_TraffickingStatus": "ActualVictimOfTrafficking",
        "vic_TypeOfExploitation": "ForcedLabour" if i % 2 else "SexualExploitation",
        "cas_IncomingReferralDate": "2023-05-02" if i % 3 else "2022-05-02",
    }


def identifiers() -> list[str]:
    """Every identifier written into the files (names, birth dates with names, ids)."""
    out = []
    for i in range(65):
        p = person(i)
        out += [p["prs_FirstName"], p["prs_SecondName"], p["prs_IdentityNumber"]]
    return out


def write_list(
    path: Path,
    people: range,
    gamma_spelling: bool = False,
    changes: Mapping[int, Mapping[str, str]] | None = None,
) -> Path:
    rows = []
    for i in people:
        row = person(i) | dict((changes or {}).get(i, {}))
        if gamma_spelling:
            # another agency writes the same person differently: case and spacing
            row["prs_FirstName"] = f"  {row['prs_FirstName'].upper()} "
        rows.append(row)
    return write_csv(path, HEADER, rows)


@dataclass
class Project:
    world: World
    alpha: Principal
    gamma: Principal
    outsider: Principal
    imports: dict[str, int]


def gamma_contributor(world: World) -> Principal:
    # Gamma Police has no user in the world: its contributor acts at the CLI
    return users.operator(Role.contributor, world.orgs["gamma"])


def build_project(
    settings: Settings,
    db: Database,
    tmp_path: Path,
    *,
    published: bool = True,
    changes: Mapping[int, Mapping[str, str]] | None = None,
    public_by: tuple[str, ...] = ("year", "form"),
) -> Project:
    world = build_world(settings, db)
    alpha, gamma = world.principal("contributor"), gamma_contributor(world)
    linkage.create(
        db,
        alpha,
        PROJECT,
        "estimate hidden victims 2023",
        date.today() + timedelta(days=90),
        public_by=public_by,
    )
    linkage.join(db, gamma, PROJECT)
    imports = {}
    for who, principal, people, spelling in (
        ("alpha", alpha, ALPHA, False),
        ("gamma", gamma, GAMMA, True),
    ):
        path = write_list(tmp_path / f"{who}.csv", people, spelling, changes)
        done = import_cases(db, settings, principal, path, world.orgs[who], fmt="htcds")
        imports[who] = done["import_id"]
        if published:
            publish(db, principal, done["import_id"])
    return Project(world, alpha, gamma, world.principal("foreign"), imports)


def stored_link_keys(db: Database) -> list[str]:
    with db.connect() as conn:
        return list(conn.execute(select(linkage_keys.c.link_key)).scalars())
