"""Every report type on the bundled real data (UNODC GLOTIP for the ten member states, the
CTDC demo records, the example plan portfolio), on both backends: the numbers in the PDF are
the database's, gated counts are never below the threshold, pages are not blank, and the same
data version and edition give the same bytes."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from a11y_support import problems
from support import require
from thbhub.cli import app as cli_app
from thbhub.demo import load_sample
from thbhub.domain.errors import UserError
from thbhub.ingest.sample import sample_dir
from thbhub.privacy.public import ProtectedTables, public_table
from thbhub.reports import cases, narrative, service
from thbhub.reports.model import Items, Paragraph, Table
from thbhub.reports.narrative import NarrativeBlock
from thbhub.reports.render import render
from thbhub.reports.sections import BY_KIND
from thbhub.settings import Settings
from thbhub.stats.query import build_query, query_observations
from thbhub.storage import Database
from thbhub.storage.database import mark_changed

KINDS: tuple[tuple[str, str | None], ...] = (
    ("country", "LV"),
    ("region", None),
    ("topic", "form:forced-criminality"),
    ("review", None),
)


def pdf_text(path: Path, *, layout: bool = True) -> str:
    require(shutil.which("pdftotext") is not None, "no pdftotext: apt-get install poppler-utils")
    args = ["pdftotext", *(["-layout"] if layout else []), str(path), "-"]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def flat(text: str) -> str:
    """Whitespace as one space, none after a dash (a line may break there)."""
    return re.sub(r"([–-]) ", r"\1", " ".join(text.split()))


def pages_not_blank(path: Path, out: Path) -> int:
    """Render every page to PNG (pdftoppm); each must have ink on at least 1% of it."""
    from PIL import Image

    subprocess.run(["pdftoppm", "-r", "30", "-png", str(path), str(out / "page")], check=True)
    pages = sorted(out.glob("page-*.png"))
    assert pages
    for page in pages:
        image = Image.open(page).convert("L")
        dark = sum(image.histogram()[:200])
        assert dark / (image.width * image.height) > 0.01, f"{page.name} is blank"
    return len(pages)


def known(rows: list[dict[str, Any]]) -> dict[int, int]:
    return {int(r["year"]): int(r["value"]) for r in rows if r["status"] in ("number", "zero")}


def test_every_report_type_on_the_bundled_data(
    settings: Settings, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_sample(db, settings)
    tables = ProtectedTables()
    k = settings.disclosure_threshold

    # --- the country profile through the user's path: `thbhub report country LV -f pdf`
    monkeypatch.setenv("THBHUB_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("THBHUB_SECRET_KEY", settings.secret())
    out = tmp_path / "lv.pdf"
    result = CliRunner().invoke(
        cli_app,
        [
            "--db",
            settings.database_url or "",
            "report",
            "country",
            "LV",
            "--format",
            "pdf",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    text = pdf_text(out)
    # Its numbers are the database's, read with the query `thbhub query observations` runs.
    victims = query_observations(db, build_query(indicator="victims", country="LV", by="year"))
    by_year = known(victims)
    latest = max(int(r["year"]) for r in victims)
    years = sorted(int(r["year"]) for r in victims)[-10:]
    assert set(years) <= set(by_year)  # Latvia's totals of the years shown are all numbers
    # The table row of the totals: "Latvia" and the ten latest years' numbers.
    line = next(ln for ln in text.splitlines() if re.match(r"^\s*Latvia(\s+[\d,]+){10}\s*$", ln))
    assert [int(n) for n in line.split()[1:]] == [by_year[y] for y in years]
    # ... and the source file's as it is (the bundled GLOTIP extract), not only the hub's view.
    with (sample_dir() / "unodc_glotip_bsr.csv").open(encoding="utf-8", newline="") as fh:
        source = {
            int(r["Year"]): int(r["txtVALUE"])
            for r in csv.DictReader(fh)
            if r["Iso3_code"] == "LVA"
            and r["Indicator"] == "Detected trafficking victims"
            and r["Dimension"] == r["Category"] == r["Sex"] == r["Age"] == "Total"
        }
    assert [int(n) for n in line.split()[1:]] == [source[y] for y in years]
    assert re.search(rf"Victims of trafficking\s+{latest}\s+{by_year[latest]}\b", text)
    assert pages_not_blank(out, tmp_path) >= 3
    assert "Detected victims in Latvia rose from" in text  # the chart's sentence

    for kind, subject in KINDS:
        report = service.build_report(db, settings, kind, subject, tables=tables)
        assert [s.id for s in report.sections] == list(BY_KIND[kind])
        html1, md1 = render(report, "html"), render(report, "md")
        again = service.build_report(db, settings, kind, subject, tables=tables)
        assert again.edition == report.edition
        assert render(again, "html") == html1 and render(again, "md") == md1
        assert f"data version {report.edition.data_version}".encode() in md1
        # Accessible: one h1, headers in every table, a sentence for every chart.
        page = html1.decode()
        assert problems(page) == [], (kind, problems(page))
        assert page.count("<h1>") == 1 and page.count("<h2 ") == len(report.sections) + 3
        for alt in re.findall(r'<img src="data:image/svg\+xml;base64,[^"]*" alt="([^"]*)"', page):
            assert alt.endswith(".") and len(alt.split()) >= 6, alt
        pdf = tmp_path / f"{kind}.pdf"
        pdf.write_bytes(render(report, "pdf"))
        assert render(again, "pdf") == pdf.read_bytes()  # the edition's time, not the clock
        # The PDF has the same text as the HTML and Markdown: every paragraph and list item.
        said = flat(pdf_text(pdf, layout=False))
        for section in report.sections:
            for block in section.blocks:
                texts = (
                    [block.text]
                    if isinstance(block, Paragraph)
                    else (block.items if isinstance(block, Items) else [])
                )
                for t in texts:
                    assert flat(t) in said, (kind, t)
        (tmp_path / kind).mkdir()
        pages_not_blank(pdf, tmp_path / kind)
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        assert re.search(r"^Tagged:\s+yes", info, re.M), info
        for section in report.sections:
            for block in section.blocks:
                if isinstance(block, Table) and block.source == cases.SOURCE:
                    shown = [
                        int(c.text.replace(",", ""))
                        for row in block.rows
                        for c in row[1:]
                        if c.kind == "number"
                    ]
                    assert all(n == 0 or n >= k for n in shown), (kind, block.caption, shown)

    # The region's gated counts are those the public API serves.
    region = service.build_report(db, settings, "region", tables=tables)
    gated = [
        b
        for b in region.section("gender").blocks
        if isinstance(b, Table) and b.source == cases.SOURCE
    ]
    assert gated
    served = public_table(db, settings, ["sex"], {}, tables)
    by_sex = next(b for b in gated if b.caption.endswith("by sex"))
    assert by_sex.rows[-1][1].text == f"{served.total.count:,}"
    # A topic brief of a country: the gated tables of the records exploited there, cell by
    # cell those the API serves (`/api/v1/privacy/case-tables?by=age&where=country=...`).
    poland = service.build_report(db, settings, "topic", "country:PL", tables=tables)
    by_age = next(
        b
        for b in poland.section("cases").blocks
        if isinstance(b, Table) and b.caption.endswith("by age")
    )
    api = public_table(db, settings, ["age"], {"country": "country:PL"}, tables)
    expected = [c.count for c in api.cells] + [api.total.count]
    assert [row[1].text for row in by_age.rows] == [
        "c" if n is None else f"{n:,}" for n in expected
    ]
    assert all(n is None or n == 0 or n >= k for n in expected)


def test_editions_record_the_data_version(settings: Settings, db: Database) -> None:
    load_sample(db, settings)
    first = service.build_report(db, settings, "review")
    assert first.edition.number == 1
    with db.begin() as conn:  # the data changes
        mark_changed(conn)
    with pytest.raises(UserError, match="edition 1 of report review was made from data version"):
        service.build_report(db, settings, "review", edition=1)
    second = service.build_report(db, settings, "review")
    assert second.edition.number == 2
    assert second.edition.data_version == first.edition.data_version + 1
    assert service.build_report(db, settings, "review", edition=2).edition == second.edition
    with pytest.raises(UserError, match="the next is 3"):
        service.build_report(db, settings, "review", edition=5)


def test_every_section_shows_its_narrative(
    settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The seam the narrative branch fills: each section of each renderer shows the blocks
    `narrative.blocks_for` gives for it, and the placeholders that went stale."""

    def blocks(
        _db: Database, _s: Settings, _p: Any, key: str, section: str, **_kw: Any
    ) -> list[Any]:
        note = f"NOTE {key} {section}"
        return [
            NarrativeBlock(
                id=1,
                report_key=key,
                section=section,
                position=1,
                version=1,
                state="published",
                author=None,
                updated_at=datetime(2026, 1, 1),
                organisation_id=1,
                source=note,
                html=f"<p>{note}</p>",
                markdown=note,
                stale=["victims LV 2020"],
            )
        ]

    monkeypatch.setattr(narrative, "blocks_for", blocks)
    for kind, subject in (("review", None), ("topic", "form:forced-begging")):
        report = service.build_report(db, settings, kind, subject)
        html = render(report, "html").decode()
        md = render(report, "md").decode()
        for section in BY_KIND[kind]:
            assert f"<p>NOTE {report.key} {section}</p>" in html
            assert f"NOTE {report.key} {section}" in md
        assert "victims LV 2020" in md


def test_bad_requests_are_one_line_errors(settings: Settings, db: Database) -> None:
    with pytest.raises(UserError, match="CBSS member states"):
        service.build_report(db, settings, "country", "ZZ")
    with pytest.raises(UserError, match="one of country, region, topic, review"):
        service.build_report(db, settings, "nation", "LV")
    with pytest.raises(UserError, match="takes no subject"):
        service.build_report(db, settings, "region", "LV")
