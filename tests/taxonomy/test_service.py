"""Taxonomy stored on both backends: browse, show, deprecate, resolve source codes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from thbhub.domain.errors import NotFoundError
from thbhub.storage import Database
from thbhub.storage.concepts import mapping_index
from thbhub.taxonomy.loader import default_data_dir
from thbhub.taxonomy.service import get_concept, install_taxonomy, list_concepts, list_schemes


def test_schemes_and_concepts(db: Database) -> None:
    schemes = {s["id"]: s for s in list_schemes(db)}
    assert schemes["form"]["concepts"] >= 12
    forms = list_concepts(db, "form")
    ids = [c["id"] for c in forms]
    assert "form:forced-criminality" in ids
    servitude = next(c for c in forms if c["id"] == "form:domestic-servitude")
    assert "form:labour-exploitation" in servitude["broader"].split(";")


def test_concept_detail_has_languages_links_and_mappings(db: Database) -> None:
    labour = get_concept(db, "form:labour-exploitation")
    assert len(labour["labels"]) == 11
    assert labour["labels"]["sv"] and labour["labels"]["lt"]
    assert "form:domestic-servitude" in [n["id"] for n in labour["narrower"]]
    assert any(m["source"] == "unodc" for m in labour["mappings"])
    servitude = get_concept(db, "form:domestic-servitude")
    assert [b["id"] for b in servitude["broader"]] == ["form:labour-exploitation"]


def test_unknown_concept_and_scheme(db: Database) -> None:
    with pytest.raises(NotFoundError, match="no concept 'form:nope'"):
        get_concept(db, "form:nope")
    with pytest.raises(NotFoundError, match="no concept scheme 'nope'"):
        list_concepts(db, "nope")


def test_country_codes_resolve(db: Database) -> None:
    with db.connect() as conn:
        iso3 = mapping_index(conn, "iso3166")
        unodc = mapping_index(conn, "unodc")
    assert iso3["LTU"] == ["country:LT"]
    assert "country:DE" in unodc["Germany"]


def test_removed_concept_is_deprecated_not_deleted(db: Database, tmp_path: Path) -> None:
    data = tmp_path / "tax"
    data.mkdir()
    for f in default_data_dir().glob("*.yaml"):
        raw = yaml.safe_load(f.read_text(encoding="utf-8"))
        if raw["scheme"] == "doctype":
            raw["concepts"] = [c for c in raw["concepts"] if c["id"] != raw["concepts"][-1]["id"]]
            dropped = yaml.safe_load(f.read_text(encoding="utf-8"))["concepts"][-1]["id"]
        (data / f.name).write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    result = install_taxonomy(db, data)
    assert result["concepts_deprecated"] == 1
    assert get_concept(db, dropped)["deprecated"] is True
    assert dropped not in [c["id"] for c in list_concepts(db, "doctype")]
    # Restoring the file brings the concept back.
    install_taxonomy(db)
    assert get_concept(db, dropped)["deprecated"] is False
