"""Placeholders: the grammar, the numbers they stand for (the country page's), and the gate."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from case_support import publish
from narrative_support import *  # noqa: F403
from narrative_support import Hub
from stats_support import write_tsv
from thbhub.access import users
from thbhub.cases import service as cases
from thbhub.domain.errors import UserError
from thbhub.domain.principals import Principal, Role
from thbhub.ingest.registry import get_importer
from thbhub.ingest.sample import sample_dir
from thbhub.privacy.public import ProtectedTables, public_table, set_published
from thbhub.reports.narrative import blocks_for, list_blocks
from thbhub.reports.narrative_edit import add_block
from thbhub.reports.placeholders import Resolver, parse
from thbhub.settings import Settings
from thbhub.stats.profile import country_profile
from thbhub.stats.query import build_query, query_observations
from thbhub.storage import Database
from thbhub.storage.schema_narrative import report_text_versions


@pytest.mark.parametrize(
    ("text", "where", "rule"),
    [
        ("{{ victim LV 2020 }}", "line 1, column 1", "unknown figure 'victim'"),
        ("One.\n  Two {{ victims LV }}", "line 2, column 7", "needs a country code and a year"),
        ("{{ victims LV 2020 2021 }}", "line 1, column 1", "give one year only"),
        ("{{ victims LV 2020 colour:red }}", "line 1, column 1", "victims takes no colour:"),
        ("{{ cases form:labour-exploitation }}", "line 1, column 1", "no form-of-exploitation"),
        ("{{ rate LV 2020 lv }}", "line 1, column 1", "neither a country code"),
        ("{{ }}", "line 1, column 1", "empty placeholder"),
        ("a\nb {{ victims LV 2020", "line 2, column 3", "'{{' without its pair"),
        ("x }} y", "line 1, column 3", "'}}' without its pair"),
    ],
)
def test_bad_placeholders_are_refused_in_one_line(text: str, where: str, rule: str) -> None:
    with pytest.raises(UserError) as caught:
        parse(text, "text.md")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"text.md: {where}: ")
    assert rule in message


def test_the_canonical_form_ignores_order_and_spacing() -> None:
    (_, a), (_, b) = parse(
        "{{victims 2020 LV sex:female form:labour-exploitation}} "
        "{{ VICTIMS  LV 2020 form:labour-exploitation sex:female }}"
    )
    assert a.key == b.key == "victims LV 2020 form:labour-exploitation sex:female"
    assert a.label == "LV 2020 victims form:labour-exploitation sex:female"


def test_placeholders_equal_the_country_page(hub: Hub) -> None:
    """The numbers filled in are those the country page shows (stats.profile), for the
    bundled real GLOTIP and Eurostat data."""
    profile = country_profile(hub.db, "LV")
    section = {s["id"]: s for s in profile["sections"]}
    resolver = Resolver(hub.db, hub.settings)

    def figure(text: str) -> tuple[float | None, str, str]:
        ((_, ph),) = parse("{{ " + text + " }}")
        f = resolver.check(ph, "t")
        return f.value, f.status, f.shown

    for year in (2015, 2019, 2020):
        (row,) = [r for r in section["victims"]["rows"] if r["year"] == year]
        value, status, _ = figure(f"victims LV {year}")
        assert (value, status) == (row["value"], "ok")
    assert figure("victims LV 2020")[2] == "48"  # the file's cell (unodc_glotip_bsr.csv)
    labour = [
        r
        for r in section["victims-form"]["rows"]
        if r["year"] == 2020 and r["form"] == "form:labour-exploitation"
    ]
    assert figure("victims LV 2020 form:labour-exploitation")[0] == labour[0]["value"] == 37
    # A cell the publisher suppressed (`<5`) is shown as such, never as a number.
    (pros,) = [
        r
        for r in section["justice"]["rows"]
        if r["year"] == 2020 and r["indicator"] == "indicator:prosecuted"
    ]
    assert pros["status"] == "suppressed"
    assert figure("prosecutions LV 2020") == (None, "suppressed", "<5")
    # The rate is the explore page's per-100,000 figure (population of the nearest year).
    (rated,) = query_observations(
        hub.db, build_query(indicator="victims", country="LV", year=2020, by="year", per_100k=True)
    )
    value, status, shown = figure("rate LV 2020")
    assert value == rated["rate_per_100k"] == 2.5 and shown == "2.50"
    # Source and versions come with every figure.
    ((_, ph),) = parse("{{ victims LV 2020 }}")
    f = resolver.check(ph, "t")
    assert (f.source, f.source_version) == ("unodc-glotip", "2023-05-30")
    assert f.data_version == hub.db.data_version()
    # Unknown categories are refused with the position.
    with pytest.raises(UserError, match=r"^t: line 1, column 1: .*unknown form 'form:nope'"):
        ((_, bad),) = parse("{{ victims LV 2020 form:nope }}")
        resolver.check(bad, "t")


def _small_ctdc(tmp_path: Path) -> Path:
    """Real CTDC rows: all of Poland's, and two of Lithuania's (a count under the threshold)."""
    src = sample_dir() / "ctdc_global_bsr.csv"
    with src.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header = list(reader.fieldnames or [])
        rows = list(reader)
    pl = [r for r in rows if r["CountryOfExploitation"] == "PL"]
    lt = [r for r in rows if r["CountryOfExploitation"] == "LT"][:2]
    path = tmp_path / "small.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerows(pl + lt)
    return path


@pytest.mark.slow
def test_a_gated_case_placeholder_never_reveals_a_small_count(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    op = users.operator()
    sec = users.add_organisation(db, op, "CBSS Secretariat", "SE", "secretariat")["id"]
    agency = users.add_organisation(db, op, "Alpha Agency", "PL", "agency")["id"]
    owner = Principal(role=Role.contributor, email="c@alpha.pl", organisation_id=agency)
    result = cases.import_cases(
        db, settings, owner, _small_ctdc(tmp_path), agency, fmt="ctdc", quarantine=True
    )
    publish(db, owner, result["import_id"])
    set_published(db, owner, agency, True)
    k = settings.disclosure_threshold
    tables = ProtectedTables()
    truth = public_table(db, settings, ("country",), None, tables)
    shown = {r["country"]: r for r in truth.rows()}
    assert shown["country:LT"]["status"] == "suppressed"  # 2 records: under the threshold

    analyst = Principal(role=Role.analyst, email="a@sec", organisation_id=sec)
    text = "Poland {{ cases PL }}, Lithuania {{ cases LT }}, all {{ cases }}."
    saved = add_block(
        db, settings, analyst, "region", "overview", text, publish=True, tables=tables
    )
    (block,) = blocks_for(db, settings, analyst, "region", "overview", tables=tables)
    figures = {f.key: f for f in block.figures}
    assert (figures["cases LT"].status, figures["cases LT"].value) == ("suppressed", None)
    assert "Lithuania suppressed," in block.markdown
    assert '<span class="figure status-suppressed"' in block.html
    for f in figures.values():  # every number shown is the gate's, and none below k
        assert f.value is None or f.value == 0 or f.value >= k
    pl = shown["country:PL"]
    assert figures["cases PL"].value == pl["count"]  # None when suppressed secondarily
    assert figures["cases"].value == truth.total.count
    # What is stored with the version holds no count for a suppressed cell either.
    with db.connect() as conn:
        stored = conn.execute(
            select(report_text_versions.c.figures).where(
                report_text_versions.c.text_id == saved["id"]
            )
        ).scalar_one()
    assert stored["cases LT"]["value"] is None
    assert all(f["value"] is None or not 0 < f["value"] < k for f in stored.values())
    assert json.dumps(stored).count('"status": "suppressed"') >= 1


def test_an_estimated_population_makes_an_estimated_rate(hub: Hub, tmp_path: Path) -> None:
    """Eurostat's `e` on the population the rate divides by qualifies the rate: the text
    says so, and the number that changed is pointed out."""
    analyst = hub.analyst()
    add_block(hub.db, hub.settings, analyst, "country:LV", "rates", "{{ rate LV 2020 }}")
    path = write_tsv(
        tmp_path / "demo_pjan.tsv", "unit,age,sex,geo\\time\t2020 ", ["NR,TOTAL,T,LV\t1907675 e"]
    )
    get_importer("eurostat").run(hub.db, hub.settings, path)
    ((_, ph),) = parse("{{ rate LV 2020 }}")
    figure = Resolver(hub.db, hub.settings).check(ph, "t")
    assert figure.status == "estimated" and figure.value == round(48 * 100_000 / 1907675, 4)
    assert figure.shown == "2.52 (estimated)"
    assert figure.source == "unodc-glotip / eurostat-demo-pjan"
    (block,) = list_blocks(hub.db, hub.settings, analyst, "country:LV", "rates")
    assert block.stale == ["LV 2020 rate was 2.50 when written, now 2.52 (estimated)"]
    assert block.markdown == "2.52 (estimated)"
