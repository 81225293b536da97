"""Keyed pseudonyms for persons: the same person in two files of one organisation gets the
same key; nobody without the server's secret can compute or reverse it.

The organisation's key is derived from the deployment secret (HMAC-SHA256 of the
organisation id), so pseudonyms of two organisations cannot be joined with each other.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

_CONTEXT = b"thbhub/cases/person-key/v1/organisation/"


def organisation_key(secret: str, organisation_id: int) -> bytes:
    return hmac.new(
        secret.encode("utf-8"), _CONTEXT + str(organisation_id).encode(), hashlib.sha256
    ).digest()


def normalise(value: str) -> str:
    """Case, accents, spacing and punctuation do not make a different person."""
    text = unicodedata.normalize("NFKD", value.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text).split())


def person_key(key: bytes, identifiers: dict[str, str]) -> str | None:
    """The pseudonym of the person described by ``identifiers`` (field -> value).

    Names with the birth date identify a person best; failing names, an identity number,
    then an e-mail address, then a phone number.  Returns None when nothing identifies.
    """
    get = {k: normalise(v) for k, v in identifiers.items() if v and normalise(v)}
    name = " ".join(get[f] for f in ("first", "middle", "second") if f in get)
    material = None
    if name:
        material = f"name:{name}|born:{get.get('birthdate', '')}"
    elif "identity" in get:
        material = f"id:{get['identity']}"
    elif "email" in get:
        material = f"email:{get['email']}"
    elif "phone" in get:
        material = f"phone:{''.join(ch for ch in get['phone'] if ch.isdigit())}"
    if material is None:
        return None
    return hmac.new(key, material.encode("utf-8"), hashlib.sha256).hexdigest()
