"""Who is asking: the principal every service call that touches owned data receives."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    public = "public"  # anonymous visitor
    contributor = "contributor"  # uploads and manages its organisation's data
    analyst = "analyst"  # reads what its organisation may read
    admin = "admin"  # secretariat: manages organisations, users, publication; no raw records
    # A contributor's or analyst's account its organisation has not approved yet (created by
    # an administrator): logged in, but reads and changes nothing of the organisation's.
    # Never stored as a role: the principal of an unapproved account gets it.
    pending = "pending"


@dataclass(frozen=True)
class Principal:
    role: Role
    user_id: int | None = None
    email: str | None = None
    organisation_id: int | None = None
    # Where the call came from, for the audit log: web, api, cli
    origin: str = "web"
    address: str | None = None

    @property
    def is_public(self) -> bool:
        return self.role is Role.public


PUBLIC = Principal(role=Role.public)
