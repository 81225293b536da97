"""The taxonomy loader accepts the packaged files and rejects each kind of broken file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from thbhub.domain.concepts import CBSS_MEMBER_STATES, LANGUAGES, REQUIRED_FORM_IDS
from thbhub.taxonomy.loader import TaxonomyError, load_taxonomy


def _labels(text: str) -> dict[str, str]:
    return {lang: f"{text} ({lang})" for lang in LANGUAGES}


def minimal_forms() -> dict[str, Any]:
    return {
        "scheme": "form",
        "version": "1",
        "title": {"en": "Forms"},
        "concepts": [
            {
                "id": cid,
                "labels": _labels(cid),
                "broader": ["form:labour-exploitation"] if cid == "form:domestic-servitude" else [],
            }
            for cid in REQUIRED_FORM_IDS
        ],
    }


def write(directory: Path, scheme: dict[str, Any]) -> None:
    (directory / f"{scheme['scheme']}.yaml").write_text(
        yaml.safe_dump(scheme, allow_unicode=True), encoding="utf-8"
    )


def test_packaged_taxonomy_is_valid_and_complete() -> None:
    taxonomy = load_taxonomy()
    by_id = taxonomy.by_id()
    for cid in REQUIRED_FORM_IDS:
        assert cid in by_id
    assert "form:labour-exploitation" in by_id["form:domestic-servitude"].broader
    schemes = {s.id for s in taxonomy.schemes}
    for needed in (
        "form",
        "means",
        "group",
        "sector",
        "country",
        "sex",
        "age",
        "objective",
        "principle",
        "doctype",
        "indicator",
    ):
        assert needed in schemes
    # Every form, group and means of control is labelled in all eleven languages.
    for c in taxonomy.concepts():
        if c.scheme in ("form", "group", "means"):
            assert set(LANGUAGES) <= set(c.labels), c.id
    assert len([c for c in taxonomy.concepts() if c.scheme == "objective"]) == 8
    assert len([c for c in taxonomy.concepts() if c.scheme == "principle"]) == 8
    members = [
        c for c in taxonomy.concepts() if c.scheme == "country" and c.attributes.get("cbss_member")
    ]
    assert sorted(c.id.split(":")[1] for c in members) == sorted(CBSS_MEMBER_STATES)
    sectors = [c for c in taxonomy.concepts() if c.scheme == "sector"]
    assert len(sectors) >= 21  # ISIC Rev. 4 sections A-U


def test_minimal_taxonomy_loads(tmp_path: Path) -> None:
    write(tmp_path, minimal_forms())
    assert len(load_taxonomy(tmp_path).concepts()) == len(REQUIRED_FORM_IDS)


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (lambda s: s["concepts"].append(dict(s["concepts"][0])), "duplicate id"),
        (lambda s: s["concepts"][0].update(broader=["form:nowhere"]), "broader 'form:nowhere'"),
        (lambda s: s["concepts"][0].update(related=["group:nobody"]), "related 'group:nobody'"),
        (lambda s: s["concepts"][0]["labels"].update(xx="?"), "language 'xx'"),
        (lambda s: s["concepts"][0]["labels"].pop("lv"), "labels missing for lv"),
        (lambda s: s["concepts"][0]["labels"].pop("en"), "English label"),
        (lambda s: s["concepts"].pop(), "required concepts missing: form:other"),
        (lambda s: s["concepts"][0].update(id="forms:x"), "id must be 'form:'"),
        (
            lambda s: s["concepts"][0].update(mappings=[{"source": "nsa", "code": "1"}]),
            "mapping source 'nsa'",
        ),
        (
            lambda s: s["concepts"][0].update(
                mappings=[{"source": "ctdc", "code": "1", "relation": "kinda"}]
            ),
            "mapping relation 'kinda'",
        ),
        (
            lambda s: [
                c.update(mappings=[{"source": "unodc", "code": "Same"}]) for c in s["concepts"][:2]
            ],
            "exact mapping unodc:'Same'",
        ),
    ],
)
def test_broken_taxonomy_is_rejected(tmp_path: Path, breakage: Any, message: str) -> None:
    scheme = minimal_forms()
    breakage(scheme)
    write(tmp_path, scheme)
    with pytest.raises(TaxonomyError, match=message.replace("(", r"\(").replace(")", r"\)")) as err:
        load_taxonomy(tmp_path)
    assert "form.yaml" in str(err.value)


def test_broader_cycle_is_rejected(tmp_path: Path) -> None:
    scheme = minimal_forms()
    by_id = {c["id"]: c for c in scheme["concepts"]}
    by_id["form:labour-exploitation"]["broader"] = ["form:domestic-servitude"]
    write(tmp_path, scheme)
    with pytest.raises(TaxonomyError, match="broader cycle"):
        load_taxonomy(tmp_path)


def test_unquoted_norwegian_key_is_named(tmp_path: Path) -> None:
    text = yaml.safe_dump(minimal_forms(), allow_unicode=True).replace("'no':", "no:")
    (tmp_path / "form.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(TaxonomyError, match='write "no"'):
        load_taxonomy(tmp_path)


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "form.yaml").write_text("scheme: form\nconcepts: [\n  - id: x\n", encoding="utf-8")
    with pytest.raises(TaxonomyError, match=r"form.yaml line \d+: not valid YAML"):
        load_taxonomy(tmp_path)


def test_file_name_must_match_scheme(tmp_path: Path) -> None:
    scheme = minimal_forms()
    (tmp_path / "forms.yaml").write_text(yaml.safe_dump(scheme), encoding="utf-8")
    with pytest.raises(TaxonomyError, match="file name must be the scheme id"):
        load_taxonomy(tmp_path)
