"""A sharing agreement's end date is its last day of access, inclusive: the form, the stored
value, the listing, the API and the policy agree, to the microsecond at the boundary; an
identical agreement in force is not granted twice; and rows stored under the old meaning
(next midnight) are moved by the migration."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from alembic import command
from sqlalchemy import insert, select

from access_support import World, browser_client, build_world, page_csrf
from thbhub.access import agreements, policy
from thbhub.domain.errors import UserError
from thbhub.domain.principals import Principal, Role
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.migrate import _config, upgrade
from thbhub.storage.schema import organisations
from thbhub.storage.schema_access import sharing_agreements
from thbhub.web.app import create_app


@pytest.fixture
def world(settings: Settings, db: Database) -> World:
    return build_world(settings, db)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def test_access_ends_after_the_last_day_entered(db: Database, world: World) -> None:
    last_day = date.today() + timedelta(days=40)
    row = agreements.grant(
        db, world.principal("contributor"), "Beta NGO", last_day, "evaluation of referrals"
    )
    assert row["valid_until"] == datetime.combine(last_day, time.max, tzinfo=UTC)
    assert row["valid_until"].date() == last_day
    beta = Principal(role=Role.analyst, user_id=99, organisation_id=world.orgs["beta"])
    alpha = world.orgs["alpha"]
    evening = datetime.combine(last_day, time(23, 59), tzinfo=UTC)
    last_instant = datetime.combine(last_day, time.max, tzinfo=UTC)
    next_morning = datetime.combine(last_day + timedelta(days=1), time(0, 0), tzinfo=UTC)
    with db.connect() as conn:
        assert alpha in policy.readable_owners(conn, beta, at=evening)
        assert alpha in policy.readable_owners(conn, beta, at=last_instant)
        assert alpha not in policy.readable_owners(conn, beta, at=next_morning)
        stored = conn.execute(
            select(sharing_agreements.c.valid_until).where(sharing_agreements.c.id == row["id"])
        ).scalar_one()
    assert _aware(stored) == last_instant
    # Today is a valid last day (access through tonight); yesterday is not.
    agreements.grant(db, world.principal("contributor"), "Gamma Police", date.today(), "audit")
    with pytest.raises(UserError, match="future"):
        agreements.grant(
            db,
            world.principal("contributor"),
            "Beta NGO",
            date.today() - timedelta(days=1),
            "too late",
        )


def test_the_form_the_listing_and_the_api_show_the_date_entered(
    settings: Settings, db: Database, world: World
) -> None:
    app = create_app(settings, db)
    contributor = browser_client(app, world, "contributor")
    last_day = (date.today() + timedelta(days=200)).isoformat()
    r = contributor.post(
        "/agreements",
        data={
            "grantee": "Beta NGO",
            "until": last_day,
            "purpose": "referral statistics",
            "csrf_token": page_csrf(contributor),
        },
    )
    assert r.status_code == 200
    row = re.search(r"<td>referral statistics</td>\s*<td>([^<]+)</td>", r.text)
    assert row and row.group(1) == last_day
    api = [a for a in contributor.get("/api/v1/agreements").json() if a["grantee"] == "Beta NGO"]
    assert api[0]["valid_until"].startswith(f"{last_day}T23:59:59.999999")
    # The grantee lists the same last day.
    beta = browser_client(app, world, "foreign")
    assert f"<td>{last_day}</td>" in beta.get("/agreements").text


def test_an_identical_agreement_in_force_is_refused(db: Database, world: World) -> None:
    alpha = world.principal("contributor")
    until = date.today() + timedelta(days=90)
    first = agreements.grant(db, alpha, "Beta NGO", until, "Joint  study of 2025 cases")
    with pytest.raises(UserError, match=f"agreement {first['id']} already shares case records"):
        agreements.grant(
            db, alpha, "Beta NGO", until + timedelta(days=1), "joint study of 2025 cases"
        )
    # Another purpose or another grantee is another agreement.
    agreements.grant(db, alpha, "Beta NGO", until, "training of labour inspectors")
    agreements.grant(db, alpha, "Gamma Police", until, "joint study of 2025 cases")
    # Once revoked (or ended), the same agreement may be granted again.
    agreements.revoke(db, alpha, first["id"])
    again = agreements.grant(db, alpha, "Beta NGO", until, "joint study of 2025 cases")
    assert again["id"] != first["id"]


def test_the_migration_moves_old_ends_to_the_last_day(empty_db_url: str) -> None:
    db = Database(empty_db_url)
    try:
        command.upgrade(_config(db), "access_0001")
        at = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
        old_end = datetime(2027, 7, 1, 0, 0, tzinfo=UTC)  # "until 2027-06-30", old meaning
        odd_end = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)  # not a midnight: left alone
        with db.begin() as conn:
            ids = [
                conn.execute(
                    insert(organisations).returning(organisations.c.id),
                    {"name": name, "kind": "agency", "created_at": at},
                ).scalar_one()
                for name in ("Owner", "Grantee")
            ]
            common = {
                "owner_organisation_id": ids[0],
                "grantee_organisation_id": ids[1],
                "object_type": "case_records",
                "purpose": "study",
                "valid_from": at,
                "created_at": at,
                "created_by": "someone@example.org",
            }
            conn.execute(
                insert(sharing_agreements),
                [{**common, "valid_until": old_end}, {**common, "valid_until": odd_end}],
            )
        upgrade(db)
        with db.connect() as conn:
            ends = [
                _aware(v)
                for v in conn.scalars(
                    select(sharing_agreements.c.valid_until).order_by(sharing_agreements.c.id)
                )
            ]
        assert ends == [datetime.combine(date(2027, 6, 30), time.max, tzinfo=UTC), odd_end]
    finally:
        db.dispose()
