"""Report text blocks: versions, audit, who may write, stale figures after new data."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from narrative_support import *  # noqa: F403
from narrative_support import Hub
from thbhub.domain.errors import NotFoundError, PermissionDenied, UserError
from thbhub.domain.principals import PUBLIC, Role
from thbhub.ingest.registry import get_importer
from thbhub.ingest.sample import sample_dir
from thbhub.reports.narrative import blocks_for, history, list_blocks, stale_blocks
from thbhub.reports.narrative_edit import add_block, edit_block, set_state
from thbhub.storage import Database
from thbhub.storage.schema import audit_log
from thbhub.storage.schema_narrative import report_text_versions, report_texts


def _counts(db: Database) -> tuple[int, int]:
    with db.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(report_texts)).scalar_one(),
            conn.execute(select(func.count()).select_from(report_text_versions)).scalar_one(),
        )


def _glotip_with(tmp_path: Path, lv_2020: str) -> Path:
    """The bundled GLOTIP extract as a new release in which Latvia's 2020 victims changed."""
    src = (sample_dir() / "unodc_glotip_bsr.csv").read_text(encoding="utf-8")
    row = (
        "LVA,Latvia,Europe,Northern Europe,Detected trafficking victims,"
        "Total,Total,Total,Total,2020,Counts,"
    )
    assert src.count(row + "48,") == 1
    path = tmp_path / "glotip_next.csv"
    path.write_text(src.replace(row + "48,", row + lv_2020 + ","), encoding="utf-8")
    return path


def test_stale_figures_are_pointed_out_after_new_statistics(hub: Hub, tmp_path: Path) -> None:
    analyst = hub.analyst()
    text = (
        "Latvia identified {{ victims LV 2020 }} victims in 2020 ({{ rate LV 2020 }} per 100,000)."
    )
    saved = add_block(hub.db, hub.settings, analyst, "country:LV", "trends", text, publish=True)
    (block,) = blocks_for(hub.db, hub.settings, analyst, "country:LV", "trends")
    assert block.stale == [] and "identified 48 victims" in block.markdown
    # A new release imported as `thbhub import glotip FILE` does.
    get_importer("glotip").run(hub.db, hub.settings, _glotip_with(tmp_path, "50"))
    (block,) = blocks_for(hub.db, hub.settings, analyst, "country:LV", "trends")
    assert "identified 50 victims" in block.markdown  # always the current number ...
    assert block.stale == [  # ... and the analyst is told what changed
        "LV 2020 victims was 48 when written, now 50",
        "LV 2020 rate was 2.50 when written, now 2.60",
    ]
    assert [r["changed"] for r in stale_blocks(hub.db, hub.settings, analyst)] == block.stale
    # The public reads the same text without the editorial notes.
    (public,) = blocks_for(hub.db, hub.settings, PUBLIC, "country:LV", "trends")
    assert public.markdown == block.markdown and public.stale == []
    # Saving again (an edit) records the new numbers: nothing is stale any more.
    edit_block(hub.db, hub.settings, analyst, saved["id"], text)
    (block,) = blocks_for(hub.db, hub.settings, analyst, "country:LV", "trends")
    assert block.stale == [] and block.version == 2


def test_versions_history_and_audit(hub: Hub) -> None:
    analyst = hub.analyst()
    with hub.db.connect() as conn:  # the log before this test (the sample wrote in it too)
        start = conn.execute(select(func.coalesce(func.max(audit_log.c.id), 0))).scalar_one()
    first = add_block(hub.db, hub.settings, analyst, "region", "overview", "First *draft*.")
    assert first == {
        "id": first["id"],
        "report": "region",
        "section": "overview",
        "version": 1,
        "state": "draft",
    }
    assert blocks_for(hub.db, hub.settings, PUBLIC, "region", "overview") == []  # a draft
    edit_block(hub.db, hub.settings, analyst, first["id"], "Second, {{ victims EE 2019 }}.")
    set_state(hub.db, hub.settings, analyst, first["id"], "published")
    (shown,) = blocks_for(hub.db, hub.settings, PUBLIC, "region", "overview")
    assert shown.html.startswith('<p>Second, <span class="figure status-ok"')
    set_state(hub.db, hub.settings, analyst, first["id"], "withdrawn")
    assert blocks_for(hub.db, hub.settings, PUBLIC, "region", "overview") == []
    steps = history(hub.db, analyst, first["id"])
    assert [(s["version"], s["action"], s["state"]) for s in steps] == [
        (1, "create", "draft"),
        (2, "edit", "draft"),
        (3, "publish", "published"),
        (4, "withdraw", "withdrawn"),
    ]
    assert steps[0]["markdown"] == "First *draft*."
    assert steps[1]["figures"]["victims EE 2019"]["status"] == "ok"
    assert all(s["author"] == analyst.email for s in steps)
    # Withdrawn is a soft delete: the history stays, for its organisation only.
    with pytest.raises(NotFoundError):
        history(hub.db, PUBLIC, first["id"])
    with pytest.raises(NotFoundError):
        history(hub.db, hub.analyst(hub.other_secretariat), first["id"])
    with pytest.raises(UserError, match="withdrawn"):
        edit_block(hub.db, hub.settings, analyst, first["id"], "again")
    with hub.db.connect() as conn:
        logged = conn.execute(
            select(audit_log.c.action, audit_log.c.detail["version"].as_integer())
            .where(audit_log.c.object_type == "report_text")
            .where(audit_log.c.object_id == str(first["id"]))
            .where(audit_log.c.id > start)
            .order_by(audit_log.c.id)
        ).all()
    assert [tuple(r) for r in logged] == [
        ("create", 1),
        ("edit", 2),
        ("publish", 3),
        ("withdraw", 4),
    ]


def test_who_may_write(hub: Hub) -> None:
    sec = hub.analyst()
    saved = add_block(
        hub.db,
        hub.settings,
        sec,
        "topic:form:forced-criminality",
        "statistics",
        "Ours.",
        publish=True,
    )
    draft = add_block(hub.db, hub.settings, sec, "review", "summary", "Not yet.")
    before = _counts(hub.db)
    for who in (PUBLIC, hub.analyst(hub.agency), hub.analyst(hub.agency, Role.contributor)):
        with pytest.raises(PermissionDenied):
            add_block(hub.db, hub.settings, who, "region", "overview", "x")
        with pytest.raises(PermissionDenied):
            edit_block(hub.db, hub.settings, who, saved["id"], "theirs")
    admin = hub.analyst(hub.secretariat, Role.admin)
    with pytest.raises(PermissionDenied):
        add_block(hub.db, hub.settings, admin, "region", "overview", "x")
    # Another secretariat may write its own text, never change ours; our draft it cannot see.
    other = hub.analyst(hub.other_secretariat)
    with pytest.raises(PermissionDenied, match="organisation that wrote"):
        edit_block(hub.db, hub.settings, other, saved["id"], "theirs")
    with pytest.raises(PermissionDenied):
        set_state(hub.db, hub.settings, other, saved["id"], "withdrawn")
    with pytest.raises(NotFoundError):
        edit_block(hub.db, hub.settings, other, draft["id"], "theirs")
    assert [b.id for b in list_blocks(hub.db, hub.settings, other)] == [saved["id"]]
    with pytest.raises(PermissionDenied):  # earlier versions may be unpublished drafts
        history(hub.db, other, saved["id"])
    assert _counts(hub.db) == before
    assert {b.id for b in list_blocks(hub.db, hub.settings, sec)} == {saved["id"], draft["id"]}


@pytest.mark.parametrize(
    ("report", "section", "rule"),
    [
        ("country:XX", "trends", "give country:LV"),
        ("country:LV", "overview", "not a section of a country report"),
        ("topic:form:no-such-form", "statistics", "no such concept"),
        ("plan", "summary", "give country:LV"),
    ],
)
def test_places_are_checked(hub: Hub, report: str, section: str, rule: str) -> None:
    with pytest.raises(UserError, match=rule):
        add_block(hub.db, hub.settings, hub.analyst(), report, section, "Text.")
    assert _counts(hub.db) == (0, 0)


def test_a_bad_placeholder_changes_nothing(hub: Hub) -> None:
    sec = hub.analyst()
    saved = add_block(hub.db, hub.settings, sec, "country:LV", "headline", "{{ victims LV 2020 }}")
    before = _counts(hub.db)
    with pytest.raises(
        UserError, match=r"^t\.md: line 3, column 5: \{\{ victims LV 2031 \}\}: .*no such figure$"
    ):
        edit_block(
            hub.db, hub.settings, sec, saved["id"], "a\n\nb + {{ victims LV 2031 }}", name="t.md"
        )
    assert _counts(hub.db) == before


def test_text_is_escaped_and_ordered(hub: Hub) -> None:
    sec = hub.analyst()
    add_block(hub.db, hub.settings, sec, "region", "gender", "Second.", publish=True, position=2)
    add_block(
        hub.db,
        hub.settings,
        sec,
        "region",
        "gender",
        "<script>x</script> *Women*: {{ victims SE 2019 sex:female }}; [see](javascript:alert(1)) "
        "[UNODC](https://www.unodc.org/)",
        publish=True,
        position=1,
    )
    blocks = blocks_for(hub.db, hub.settings, PUBLIC, "region", "gender")
    assert [b.markdown for b in blocks][1] == "Second."
    first = blocks[0].html
    assert "<script>" not in first and "&lt;script&gt;" in first
    assert "<em>Women</em>" in first and '<a href="https://www.unodc.org/">UNODC</a>' in first
    assert "javascript:" not in first.split("[see]")[0] and '<a href="javascript' not in first
    # Moving a block is a new version too; the text stays as it was.
    moved = edit_block(hub.db, hub.settings, sec, blocks[0].id, None, position=3)
    assert moved["version"] == 2
    again = blocks_for(hub.db, hub.settings, PUBLIC, "region", "gender")
    assert [b.id for b in again] == [blocks[1].id, blocks[0].id]
    assert again[1].source == blocks[0].source and again[1].position == 3
    # A section no text can be written for simply has none (the generator asks for all).
    assert blocks_for(hub.db, hub.settings, PUBLIC, "region", "no-such-section") == []


def test_a_published_text_is_in_the_report_files_with_its_number(hub: Hub) -> None:
    """The generator and the narrative together, on the user's path: a text written for
    Latvia's trends section is in the country profile's Markdown, HTML and PDF, with the
    figure the data holds (48 victims in 2020 in the bundled GLOTIP file), not the typed one."""
    import re
    import subprocess

    from thbhub.reports.service import make

    text = "Latvia identified **{{ victims LV 2020 }}** victims in 2020."
    add_block(hub.db, hub.settings, hub.analyst(), "country:LV", "trends", text, publish=True)
    _, md = make(hub.db, hub.settings, "country", "LV", "md")
    _, page = make(hub.db, hub.settings, "country", "LV", "html")
    _, pdf = make(hub.db, hub.settings, "country", "LV", "pdf")
    assert "Latvia identified **48** victims in 2020." in md.decode()
    assert "Latvia identified <strong>" in page.decode()  # the analyst's emphasis, as markup
    assert "Latvia identified 48 victims in 2020." in re.sub(r"<[^>]+>", "", page.decode())
    pdf_text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert "Latvia identified 48 victims in 2020." in " ".join(pdf_text.split())


def test_the_sample_example_text_is_written_once_with_live_figures(hub: Hub) -> None:
    from thbhub.reports.sample import ORGANISATION, load_reports_sample

    assert _counts(hub.db) == (0, 0)
    assert load_reports_sample(hub.db, hub.settings)["written"] is True
    # The public reads it in Latvia's profile, its figure filled from the stored GLOTIP row
    # (48 victims in 2020 in the bundled file), and it says it is an example.
    (block,) = blocks_for(hub.db, hub.settings, PUBLIC, "country:LV", "victims")
    assert "identified 48 victims" in block.markdown
    assert block.markdown.startswith("*Example text written for the demo")
    assert load_reports_sample(hub.db, hub.settings)["written"] is False  # once only
    assert _counts(hub.db) == (1, 1)
    assert ORGANISATION.startswith("EXAMPLE")
