"""The rules of who may read and manage owned data, in one place.

Raw case records are readable only by members of the owning organisation (contributor or
analyst), or of an organisation the owner granted access in a sharing agreement.  Admins
manage organisations, users and publication but do not thereby read raw case records.
"""

from __future__ import annotations

from collections.abc import Collection

from thbhub.domain.principals import Principal, Role


def may_read_raw_records(
    principal: Principal, owner_organisation_id: int, shared_with: Collection[int] = ()
) -> bool:
    if principal.role not in (Role.contributor, Role.analyst):
        return False
    if principal.organisation_id is None:
        return False
    return principal.organisation_id == owner_organisation_id or (
        principal.organisation_id in shared_with
    )


def may_write_records(principal: Principal, owner_organisation_id: int) -> bool:
    return principal.role is Role.contributor and (
        principal.organisation_id == owner_organisation_id
    )
