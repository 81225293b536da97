"""Editions on real storage (both backends): the regional overview says what changed since
the previous edition, from the figures each edition stored; and the sentences of charts."""

from __future__ import annotations

from pathlib import Path

from stats_support import glotip_row, write_glotip_csv
from thbhub.ingest.registry import get_importer
from thbhub.reports import service
from thbhub.reports.charts import countries_sentence, series_sentence
from thbhub.reports.editions import list_editions
from thbhub.reports.model import Items, Paragraph
from thbhub.reports.render import render
from thbhub.settings import Settings
from thbhub.storage import Database


def test_the_regional_overview_says_what_changed_since_the_previous_edition(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    first_rows = [glotip_row("ISL", "Iceland", y, str(v)) for y, v in ((2019, 10), (2020, 11))]
    get_importer("glotip").run(db, settings, write_glotip_csv(tmp_path / "a.csv", first_rows))
    first = service.build_report(db, settings, "region")
    assert first.edition.number == 1
    changes = first.section("changes").blocks
    assert changes == [Paragraph("This is the first edition: there is nothing to compare with.")]

    later = [glotip_row("ISL", "Iceland", 2021, "12"), glotip_row("LVA", "Latvia", 2021, "<5")]
    get_importer("glotip").run(db, settings, write_glotip_csv(tmp_path / "b.csv", later))
    second = service.build_report(db, settings, "region")
    assert second.edition.number == 2
    assert second.edition.data_version > first.edition.data_version
    (said,) = [b for b in second.section("changes").blocks if isinstance(b, Items)]
    # In the member states' order (CBSS_MEMBER_STATES: ... IS, LV ...).
    assert said.items == [
        "Iceland, victims: 11 (2020) before, 12 (2021) now.",
        "Latvia, victims: none before, c (0–4) (2021) now.",
    ]
    md = render(second, "md").decode()
    assert "Edition 2 of this report" in md and f"data version {second.edition.data_version}" in md
    stored = list_editions(db, "region")
    assert [(e["edition"], e["data_version"]) for e in stored] == [
        (1, first.edition.data_version),
        (2, second.edition.data_version),
    ]


def test_chart_sentences_follow_the_data() -> None:
    def row(year: int, value: float | None, status: str = "number", **more: str) -> dict:
        return {"year": year, "value": value, "status": status, **more}

    rows = [row(2015, 12), row(2016, None, "suppressed"), row(2018, 60), row(2022, 45)]
    assert series_sentence(rows, what="Detected victims", where="Latvia") == (
        "Detected victims in Latvia rose from 12 in 2015 to 45 in 2022, peaking at 60 in 2018."
    )
    assert series_sentence(rows[:1] + [row(2019, 3)], what="Victims", where="Iceland") == (
        "Victims in Iceland fell from 12 in 2015 to 3 in 2019."
    )
    by_country = [
        row(2020, 48, country="LV"),
        row(2021, 30, country="LV"),
        row(2020, 494, country="DE"),
        row(2021, 1, "suppressed", country="DE"),
    ]
    names = {"country:LV": "Latvia", "country:DE": "Germany"}
    assert countries_sentence(by_country, what="Victims", names=names) == (
        "Victims by country over the years; in each country's latest year: "
        "Germany 494 (2020), Latvia 30 (2021)."
    )
