"""`thbhub import documents` on real files built in the test, on SQLite and PostgreSQL: text
with page numbers, skipped bad files, the same file twice, near-duplicates, all-or-nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from library_support import write_docx, write_encrypted_pdf, write_html, write_pdf
from thbhub.domain.principals import Principal, Role
from thbhub.library import service
from thbhub.storage import Database
from thbhub.storage.schema_library import library_documents, library_passages, library_tags

CLI = Principal(role=Role.admin, email="cli:test", origin="cli")

REPORT_PAGES = [
    ["Annual report on trafficking in human beings 2025", "Introduction and methods."],
    [
        "Men from Ukraine were subjected to forced labour in construction in Poland.",
        "Identified victims were recruited with false job offers.",
    ],
    ["Women may be at risk of sex trafficking in the future."],
]


def _count(db: Database, table) -> int:  # type: ignore[no-untyped-def]
    with db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    (root / "sub").mkdir(parents=True)
    pdf = write_pdf(root / "report.pdf", REPORT_PAGES, title="Annual report 2025")
    write_encrypted_pdf(root / "sub" / "locked.pdf", pdf)
    (root / "sub" / "broken.pdf").write_bytes(b"%PDF-1.4\nthis is not a pdf at all")
    (root / "empty.txt").write_text("   \n", encoding="utf-8")
    write_docx(
        root / "handbook.docx",
        "Handbok om människohandel",
        ["Kvinnor utsätts för tvångsarbete i restauranger i Sverige.", "Barn är offer."],
    )
    write_html(
        root / "brief.html",
        "Policy brief: forced begging",
        ["Children were forced into begging on the streets of Riga by a criminal network."],
    )
    (root / "notes.md").write_text(
        "# Notatka\n\nKobiety z Ukrainy są ofiarami pracy przymusowej w rolnictwie w Polsce.\n",
        encoding="utf-8",
    )
    return root


def test_import_folder_reads_every_format_and_skips_bad_files(db: Database, folder: Path) -> None:
    summary = service.import_documents(db, CLI, [folder], service.ImportOptions())
    skipped = {Path(s["file"]).name: s["reason"] for s in summary.skipped}
    # The encrypted, the damaged and the empty file are named and skipped; the batch goes on.
    assert set(skipped) == {"locked.pdf", "broken.pdf", "empty.txt"}
    assert "encrypted" in skipped["locked.pdf"]
    assert "empty" in skipped["empty.txt"]
    assert summary.stored == 4
    with db.connect() as conn:
        docs = {
            r.file_name: r
            for r in conn.execute(select(library_documents)).all()  # noqa: S608
        }
        pdf = docs["report.pdf"]
        assert (pdf.media_type, pdf.pages, pdf.title) == ("pdf", 3, "Annual report 2025")
        pages = conn.execute(
            select(library_passages.c.page, library_passages.c.text).where(
                library_passages.c.document_id == pdf.id
            )
        ).all()
        tags = {
            r.concept_id: r
            for r in conn.execute(
                select(library_tags).where(library_tags.c.document_id == pdf.id)
            ).all()
        }
    assert [p for p, _ in pages] == [1, 2, 3]
    assert "forced labour" in pages[1][1]
    # The evidence of a tag is its sentence, on its page.
    assert tags["form:labour-exploitation"].page == 2
    assert "Ukraine were subjected to forced labour" in tags["form:labour-exploitation"].evidence
    assert "sector:f" in tags and "country:PL" in tags
    # Page 3 only says women "may be at risk of" sex trafficking: no evidence.
    assert "form:sexual-exploitation" not in tags
    assert docs["handbook.docx"].language == "sv"
    assert docs["notes.md"].language == "pl"
    assert docs["brief.html"].title == "Policy brief: forced begging"
    with db.connect() as conn:
        html_text = " ".join(
            conn.execute(
                select(library_passages.c.text).where(
                    library_passages.c.document_id == docs["brief.html"].id
                )
            ).scalars()
        )
    assert "forced into begging" in html_text and "Cookie settings" not in html_text


def test_the_same_file_twice_is_one_document(db: Database, folder: Path) -> None:
    first = service.import_documents(db, CLI, [folder], service.ImportOptions())
    again = service.import_documents(db, CLI, [folder], service.ImportOptions())
    assert (first.stored, again.stored, again.already) == (4, 0, 4)
    assert _count(db, library_documents) == 4


def test_near_duplicates_are_linked(db: Database, tmp_path: Path) -> None:
    text = " ".join(
        f"Paragraph {i}: victims of trafficking were identified in the region and referred "
        f"to support services by the national referral mechanism."
        for i in range(40)
    )
    (tmp_path / "edition1.txt").write_text("Report, first edition.\n\n" + text, encoding="utf-8")
    (tmp_path / "edition2.txt").write_text("Report, second edition.\n\n" + text, encoding="utf-8")
    (tmp_path / "other.txt").write_text(
        "An unrelated text about forced begging in large cities of the region, with "
        "recommendations for social workers and police officers." * 3,
        encoding="utf-8",
    )
    summary = service.import_documents(db, CLI, [tmp_path], service.ImportOptions())
    assert summary.stored == 3 and summary.linked == 1
    ids = dict(zip(["edition1", "edition2", "other"], summary.documents, strict=True))
    doc = service.get_document(db, CLI, ids["edition2"])
    assert [d["id"] for d in doc["near_duplicates"]] == [ids["edition1"]]
    assert service.get_document(db, CLI, ids["other"])["near_duplicates"] == []


def test_a_bad_jsonl_line_stores_nothing_of_its_file(db: Database, tmp_path: Path) -> None:
    good = json.dumps({"title": "One", "text": "Forced labour in agriculture was found."})
    path = tmp_path / "records.jsonl"
    path.write_text(f"{good}\n{good.replace('One', 'Two')}\n{{not json\n", encoding="utf-8")
    summary = service.import_documents(db, CLI, [path], service.ImportOptions())
    assert summary.stored == 0
    assert summary.skipped == [
        {
            "file": str(path),
            "reason": "records.jsonl: line 3: not JSON (Expecting property "
            "name enclosed in double quotes)",
        }
    ]
    assert _count(db, library_documents) == 0 and _count(db, library_passages) == 0


def test_factbook_jsonl_imports(db: Database) -> None:
    from support import shared_file

    path = shared_file("factbook-tip-text/factbook_trafficking_in_persons.jsonl")
    summary = service.import_documents(db, CLI, [path], service.ImportOptions())
    # 251 records; line 35 has neither text field and is reported, not stored.
    assert summary.stored == 250
    assert [s["reason"] for s in summary.skipped] == [
        "factbook_trafficking_in_persons.jsonl: line 35: no text (fields text, body, content, "
        "current_situation_text, tier_rating_text are empty or missing)"
    ]
    # The same country's text in consecutive snapshots is mostly the same: linked.
    assert summary.linked > 50
    result = service.search(db, CLI, "Thailand fishing")
    # Both words in one passage: Thailand's texts (others name Thailand as a destination).
    assert "country:TH" in {r["country"] for r in result["results"][:3]}
    # Every snippet marks a matched word.
    assert all("\x02" in r["snippet"] for r in result["results"])
