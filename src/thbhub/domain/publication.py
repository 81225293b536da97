"""Publication states of contributed objects and who may move an object between them.

    draft ──► submitted ──► published
      ▲  ◄──┘   (send back)     │
      └── withdrawn ◄───────────┘ (and from draft or submitted)

The owner's contributors prepare and submit; the secretariat's admins publish (or send a
submission back); the owner may withdraw at any time — it stays in control of its data —
and an admin may withdraw a published object (e.g. after an error is found).
"""

from __future__ import annotations

from enum import StrEnum

from thbhub.domain.principals import Principal, Role


class State(StrEnum):
    draft = "draft"
    submitted = "submitted"
    published = "published"
    withdrawn = "withdrawn"


OWNER = "owner"  # a contributor of the owning organisation
ADMIN = "admin"

#: (from, to) -> who may make the move.
TRANSITIONS: dict[tuple[State, State], frozenset[str]] = {
    (State.draft, State.submitted): frozenset({OWNER}),
    (State.submitted, State.draft): frozenset({OWNER, ADMIN}),
    (State.submitted, State.published): frozenset({ADMIN}),
    (State.draft, State.withdrawn): frozenset({OWNER}),
    (State.submitted, State.withdrawn): frozenset({OWNER}),
    (State.published, State.withdrawn): frozenset({OWNER, ADMIN}),
    (State.withdrawn, State.draft): frozenset({OWNER}),
}


def refusal(principal: Principal, owner_organisation_id: int, old: State, new: State) -> str | None:
    """Why ``principal`` may not move an object from ``old`` to ``new``; None if it may."""
    allowed = TRANSITIONS.get((old, new))
    if allowed is None:
        moves = sorted(t.value for (f, t) in TRANSITIONS if f == old)
        return (
            f"an object in state {old.value!r} cannot become {new.value!r} (it can become: "
            f"{', '.join(moves)})"
        )
    is_owner = (
        principal.role is Role.contributor and principal.organisation_id == owner_organisation_id
    )
    if (OWNER in allowed and is_owner) or (ADMIN in allowed and principal.role is Role.admin):
        return None
    who = " or ".join(
        {OWNER: "a contributor of the owning organisation", ADMIN: "an admin"}[w]
        for w in sorted(allowed, reverse=True)
    )
    return f"only {who} may move an object from {old.value!r} to {new.value!r}"


def moves(principal: Principal, owner_organisation_id: int, state: State | str) -> list[State]:
    """The states ``principal`` may move an object in ``state`` to (the buttons a page
    offers), in the order of :data:`TRANSITIONS`."""
    old = State(state)
    return [
        new
        for (frm, new) in TRANSITIONS
        if frm == old and refusal(principal, owner_organisation_id, old, new) is None
    ]
