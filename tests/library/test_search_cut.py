"""The full-text query joins only the engine's best 2 x limit passages to their documents;
when those are mostly hidden from the caller it runs again over every match, so a visible
document ranked below many hidden ones is still found (both backends)."""

from __future__ import annotations

from pathlib import Path

from thbhub.domain.principals import PUBLIC, Principal, Role
from thbhub.library import service
from thbhub.library.access import visible
from thbhub.storage import Database
from thbhub.storage import library as q

CLI = Principal(role=Role.admin, email="cli:test", origin="cli")


def test_a_visible_match_below_many_hidden_ones_is_found(db: Database, tmp_path: Path) -> None:
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    for n in range(6):  # the word many times: ranked first
        (hidden / f"h{n}.txt").write_text(f"Report {n}: " + "quokkamarker " * 8 + f"n{n}.")
    service.import_documents(db, CLI, [hidden], service.ImportOptions(access="member"))
    (tmp_path / "open.txt").write_text("The open report names quokkamarker once among words.")
    opened = service.import_documents(db, CLI, [tmp_path / "open.txt"], service.ImportOptions())
    with db.connect() as conn:
        where = visible(conn, PUBLIC)
        hits = q.matching_passages(conn, ["quokkamarker"], where, limit=2)
        everyone = q.matching_passages(conn, ["quokkamarker"], visible(conn, CLI), limit=2)
    assert [h["document_id"] for h in hits] == opened.documents
    # For the admin the hidden ones come first, two of them (the limit).
    assert len(everyone) == 2 and opened.documents[0] not in {h["document_id"] for h in everyone}
    assert service.search(db, PUBLIC, "quokkamarker")["total"] == 1
