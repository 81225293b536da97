"""The library's commands as a user runs them: `thbhub tag` prints concepts with evidence and
stores nothing; `thbhub import documents` reports skipped files and exits 1 when nothing
could be imported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from thbhub.cli import main


def test_tag_prints_concepts_with_evidence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "note.txt"
    path.write_text(
        "Victims were subjected to forced begging in Riga. "
        "Women may be at risk of sex trafficking.",
        encoding="utf-8",
    )
    assert main(["tag", str(path), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    concepts = {c["id"]: c for c in out[0]["concepts"]}
    assert out[0]["file"] == str(path)
    assert (
        concepts["form:forced-begging"]["evidence"]
        == "Victims were subjected to forced begging in Riga."
    )
    assert "form:sexual-exploitation" not in concepts


def test_import_of_only_bad_files_exits_1_naming_them(
    tmp_path: Path, cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'hub.db'}"
    assert main(["--db", db, "init"]) == 0
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4 not really")
    assert main(["--db", db, "import", "documents", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "broken.pdf" in err and "Traceback" not in err


def test_embed_then_search_says_how_far_the_embeddings_are(
    tmp_path: Path, cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'hub.db'}"
    assert main(["--db", db, "init"]) == 0
    for n in range(2):
        (tmp_path / f"r{n}.txt").write_text(f"Men were forced to work on fishing boats, {n}.")
    assert main(["--db", db, "import", "documents", str(tmp_path / "r0.txt")]) == 0
    assert main(["--db", db, "import", "documents", str(tmp_path / "r1.txt")]) == 0
    capsys.readouterr()
    assert main(["--db", db, "embed", "--limit", "1", "--format", "json"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert (done["embedded_now"], done["embedded"], done["documents"]) == (1, 1, 2)
    assert main(["--db", db, "search", "fiskebåtar"]) == 0
    assert "meaning: 1 of 2 documents embedded" in capsys.readouterr().err
    assert main(["--db", db, "embed", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["state"] == "ready"
