"""Who may see which library document: one rule, used by every list, search, facet count and
page.

- ``public`` and published: everyone.
- ``member`` and published: logged-in users of an organisation of a CBSS member state (or of
  the secretariat), and admins.
- ``owner``, or not yet published: the owning organisation's own users only; admins also see
  public and member documents submitted for publication (they publish them).
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ColumnElement, Connection, and_, false, or_

from thbhub.domain.concepts import CBSS_MEMBER_STATES
from thbhub.domain.principals import Principal, Role
from thbhub.domain.publication import State
from thbhub.storage import library as q
from thbhub.storage.schema_library import library_documents as docs


class Level(StrEnum):
    public = "public"
    member = "member"
    owner = "owner"


def visible(conn: Connection, principal: Principal) -> ColumnElement[bool]:
    published = docs.c.state == State.published.value
    rules: list[ColumnElement[bool]] = [
        and_(published, docs.c.access == Level.public.value),
    ]
    if principal.role in (Role.public, Role.pending):
        return rules[0]
    org = principal.organisation_id
    if org is not None:
        rules.append(docs.c.organisation_id == org)
    member = principal.role is Role.admin or (
        org is not None and q.member_state_org(conn, org, CBSS_MEMBER_STATES)
    )
    if member:
        rules.append(and_(published, docs.c.access == Level.member.value))
    if principal.role is Role.admin:
        # The secretariat reviews what owners submit for publication (never owner-only ones).
        rules.append(
            and_(
                docs.c.state == State.submitted.value,
                docs.c.access.in_([Level.public.value, Level.member.value]),
            )
        )
    return or_(*rules) if rules else false()
