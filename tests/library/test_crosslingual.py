"""A query in one of the region's languages finds an English document on the same subject,
through the taxonomy concepts the query names and the document is tagged with (both
backends).  Semantic (embedding) search is not built: see docs/library.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from thbhub.domain.principals import PUBLIC, Principal, Role
from thbhub.library import service
from thbhub.storage import Database

CLI = Principal(role=Role.admin, email="cli:test", origin="cli")


@pytest.fixture
def ids(db: Database, tmp_path: Path) -> dict[str, int]:
    (tmp_path / "labour.txt").write_text(
        "Men from Ukraine were subjected to forced labour on construction sites in Poland.",
        encoding="utf-8",
    )
    (tmp_path / "sex.txt").write_text(
        "Women from Nigeria were subjected to sex trafficking in hotels in Italy.",
        encoding="utf-8",
    )
    summary = service.import_documents(db, CLI, [tmp_path], service.ImportOptions())
    return dict(zip(["labour", "sex"], summary.documents, strict=True))


@pytest.mark.parametrize(
    "query",
    ["praca przymusowa", "tvångsarbete", "Zwangsarbeit", "pakkotyö", "piespiedu darbs"],
)
def test_a_query_in_the_regions_languages_finds_the_english_report(
    db: Database, ids: dict[str, int], query: str
) -> None:
    result = service.search(db, PUBLIC, query)
    assert [r["id"] for r in result["results"]] == [ids["labour"]]
    # The snippet is the evidence sentence of the concept it was found by.
    assert "forced labour" in result["results"][0]["snippet"]


def test_words_and_concepts_are_fused(db: Database, ids: dict[str, int]) -> None:
    # "hotels" is a word of the second text; "tvångsarbete" names the first one's concept.
    result = service.search(db, PUBLIC, "hotels tvångsarbete")
    assert {r["id"] for r in result["results"]} == set(ids.values())
