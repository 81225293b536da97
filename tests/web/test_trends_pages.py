"""The Trends and Alerts pages, and the alert sections of country and topic pages, show what
the API answers (`GET /api/v1/trends`, `/api/v1/alerts`: the same services) on the bundled
real data and on small stored series with a break, suppressed cells and too few years; both
backends."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import altair as alt
import pytest
from fastapi.testclient import TestClient

from a11y_support import problems
from stats_support import glotip_row, write_glotip_csv, write_tsv
from thbhub.demo import load_sample
from thbhub.ingest.registry import get_importer
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.app import create_app

# ---------------------------------------------------------------------------------------------
# A small DOM of the served HTML (the standard library's parser; no HTML library is a
# dependency), enough to read the cells, lists and chart specs a reader sees.

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text() for c in self.children]
        return re.sub(r"\s+", " ", "".join(parts)).strip()

    def raw(self) -> str:
        return "".join(c if isinstance(c, str) else c.raw() for c in self.children)

    def all(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list[Node]:
        found = []
        for c in self.children:
            if isinstance(c, str):
                continue
            classes = c.attrs.get("class", "").split()
            if (
                (tag is None or c.tag == tag)
                and (cls is None or cls in classes)
                and all(c.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())
            ):
                found.append(c)
            found += c.all(tag, cls, **attrs)
        return found

    def one(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> Node:
        (found,) = self.all(tag, cls, **attrs)
        return found


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def dom(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    return builder.root


# ---------------------------------------------------------------------------------------------
# How the pages write the API's numbers (a change of format fails here, as it should).


def pct(v: float | None) -> str:
    return "–" if v is None else f"{v:+.1f}%"


def interval(r: dict[str, Any]) -> str:
    return f"{r['ci_low']:+.1f}% to {r['ci_high']:+.1f}%"


def p_text(v: float) -> str:
    return f"{v:.1e}" if v < 0.001 else f"{v:.3f}"


def page(client: TestClient, url: str, status: int = 200) -> Node:
    response = client.get(url)
    assert response.status_code == status, response.text[:500]
    assert not problems(response.text), problems(response.text)
    return dom(response.text)


def api(client: TestClient, url: str, **params: Any) -> list[dict[str, Any]]:
    # (httpx drops the query string of a URL given with params, even empty ones)
    response = client.get(url, params=params) if params else client.get(url)
    assert response.status_code == 200, response.text
    answer: list[dict[str, Any]] = response.json()
    return answer


def table_rows(doc: Node) -> dict[str, Node]:
    return {tr.attrs["data-series"]: tr for tr in doc.one("table", "trends").all("tr")[1:]}


def specs(doc: Node) -> dict[str, dict[str, Any]]:
    """The Vega-Lite specs on a page, by the id the chart's div names."""
    return {s.attrs["id"]: json.loads(s.raw()) for s in doc.all("script", type="application/json")}


def valid(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec, checked against Vega-Lite's schema (Altair's validator: the hub writes the
    trend charts' JSON directly)."""
    alt.LayerChart.from_dict(spec, validate=True)
    return spec


def layer_data(spec: dict[str, Any], mark: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for layer in spec["layer"]:
        kind = layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
        if kind == mark:
            rows += layer["data"]["values"]
    return rows


# ---------------------------------------------------------------------------------------------


def test_the_pages_show_the_apis_numbers_on_the_bundled_real_data(
    settings: Settings, db: Database
) -> None:
    """One load of the bundled sample (UNODC GLOTIP for the ten member states), three
    checks: the Trends page, the Alerts page, the country and topic pages."""
    load_sample(db, settings)  # what `thbhub init --sample` loads (the taxonomy is there)
    client = TestClient(create_app(settings, db))
    check_trends_page(client)
    check_alerts_page(client)
    check_country_and_topic_pages(client)


def check_trends_page(client: TestClient) -> None:
    """Finland by form of exploitation (UNODC GLOTIP, bundled): each row's annual change,
    interval, p-value, change points and alert are the API's; the chart draws the stored
    cells and the fitted line the trend gives."""
    expected = api(client, "/api/v1/trends", indicator="victims", country="FI", by="form")
    assert len(expected) >= 3  # labour, sexual, other exploitation
    doc = page(client, "/trends?indicator=victims&country=FI&by=form")
    rows = table_rows(doc)
    assert set(rows) == {r["series"] for r in expected}
    for r in expected:
        row = rows[r["series"]]
        if r["status"] == "ok":
            assert row.one("td", "annual-change").text() == pct(r["annual_change"])
            assert row.one("td", "interval").text() == interval(r)
            assert row.one("td", "p-value").text() == p_text(r["p_value"])
        else:
            assert row.one("td", "no-trend").text() == r["status"]
        assert row.one("td", "reason").text() == r["reason"]
        assert ("alert" in row.text().split()) == r["alert"]
        cps = row.one("td", "change-points").text()
        assert [int(y) for y in re.findall(r"\b(\d{4}) \(×", cps)] == r["change_points"]

    labour = next(r for r in expected if "form=labour-exploitation" in r["series"])
    # The real series: 105 victims of labour exploitation in Finland in 2021, a rise.
    assert labour["status"] == "ok" and labour["annual_change"] > 0
    cells = api(client, labour["link"])
    charts = specs(doc)
    index = next(
        i
        for i, s in enumerate(doc.all("section", "trend"))
        if s.one("h3").text().startswith("Victims of trafficking (Labour exploitation)")
    )
    spec = valid(charts[f"trend-spec-{index}"])
    # Every published cell is a dot at its value; every suppressed one a range at its bounds.
    dots = {d["year"]: d["value"] for d in layer_data(spec, "point") if d.get("value") is not None}
    ranges = {d["year"]: (d["lower"], d["upper"]) for d in layer_data(spec, "bar")}
    for c in cells:
        if c["status"] in ("number", "zero"):
            assert dots[c["year"]] == c["value"]
        elif c["status"] == "suppressed":
            assert ranges[c["year"]] == (c["lower"], c["upper"])
    assert any(c["status"] == "suppressed" for c in cells)  # the 2007 cell is "<5"
    # The fitted line grows by the annual change each year; the band holds it.
    line = {d["year"]: d for d in layer_data(spec, "line")}
    first, last = labour["first_year"], labour["last_year"]
    assert min(line) == first and max(line) == last
    ratio = line[first + 1]["fitted"] / line[first]["fitted"]
    assert 100 * (ratio - 1) == pytest.approx(labour["annual_change"], abs=0.01)
    assert all(d["low"] < d["fitted"] < d["high"] for d in line.values())
    # The table under the chart holds the same cells, suppressed ones as what they hide.
    section = doc.all("section", "trend")[index]
    fallback = {int(tr.all("td")[0].text()): tr.all("td")[1].text() for tr in section.all("tr")[1:]}
    for c in cells:
        if c["status"] == "number":
            assert fallback[c["year"]] == f"{c['value']:g}"
        elif c["status"] == "suppressed":
            assert fallback[c["year"]] == f"suppressed, fewer than {c['upper'] + 1:g}"


def check_alerts_page(client: TestClient) -> None:
    """The Alerts page lists the API's alerts with their numbers, and each alert's link
    opens the Trends page that reproduces them."""
    expected = api(client, "/api/v1/alerts")
    assert len(expected) >= 5  # the real data gives ten (docs/trends.md)
    doc = page(client, "/alerts")
    items = doc.all("li", "alert-item")
    assert [li.attrs["data-series"] for li in items] == [a["series"] for a in expected]
    assert doc.one("h2", id="found").text().startswith(f"{len(expected)} alerts")
    charts = specs(doc)
    assert len(charts) == len(expected)
    for li, a in zip(items, expected, strict=True):
        assert li.one("p", "reason").text() == a["reason"]
        assert li.one("dd", "annual-change").text() == pct(a["annual_change"])
        assert li.one("dd", "interval").text() == interval(a)
        assert li.one("dd", "p-value").text() == p_text(a["p_value"])
        assert li.one("dd", "q-value").text() == p_text(a["q_value"])
        assert li.one("a", "data-link").attrs["href"] == a["link"]
        assert client.get(a["link"]).status_code == 200
    # The link of an alert opens the Trends page of its series over the same years: the same
    # annual change, interval and p-value (its q-value allows for that page's series).
    for li, a in list(zip(items, expected, strict=True))[:3]:
        link = li.one("a", "trend-link").attrs["href"]
        assert parse_qs(urlsplit(link).query)["series"] == [a["series"]]
        target = page(client, link)
        row = table_rows(target)[a["series"]]
        assert "selected" in row.attrs.get("class", "")
        assert row.one("td", "annual-change").text() == pct(a["annual_change"])
        assert row.one("td", "interval").text() == interval(a)
        assert row.one("td", "p-value").text() == p_text(a["p_value"])
        assert len(target.all("section", "trend")) == 1  # the series asked for, charted
    # Filter by country and window: the API's answer for the same parameters.
    for params in ({"country": "FI"}, {"country": "LV", "window": 8}, {"window": 5}):
        want = api(client, "/api/v1/alerts", **params)
        query = "&".join(f"{k}={v}" for k, v in params.items())
        got = page(client, f"/alerts?{query}").all("li", "alert-item")
        assert [li.attrs["data-series"] for li in got] == [a["series"] for a in want]


def check_country_and_topic_pages(client: TestClient) -> None:
    """A country page shows the API's alerts for that country; a topic page those of all
    countries that concern the topic."""
    for code in ("FI", "EE"):
        want = [a["series"] for a in api(client, "/api/v1/alerts", country=code)]
        doc = page(client, f"/countries/{code}")
        section = next(s for s in doc.all("section") if s.attrs.get("aria-labelledby") == "alerts")
        assert [li.attrs["data-series"] for li in section.all("li", "alert-item")] == want
        if not want:
            assert "No series of Estonia rises significantly" in section.text()
    everywhere = api(client, "/api/v1/alerts")
    labour = [a["series"] for a in everywhere if "/form=labour-exploitation/" in a["series"]]
    assert labour  # Finland's and Latvia's (docs/trends.md)
    doc = page(client, "/topics/form:labour-exploitation")
    shown = [li.attrs["data-series"] for li in doc.all("li", "alert-item")]
    assert shown == labour
    women = [a["series"] for a in everywhere if "/sex=female/" in a["series"]]
    assert [li.attrs["data-series"] for li in page(client, "/topics/sex:female").all("li")
            if "alert-item" in li.attrs.get("class", "")] == women  # fmt: skip
    # A concept no alert concerns has no alert section.
    quiet = page(client, "/topics/form:organ-removal")
    assert not quiet.all("li", "alert-item") and not quiet.all(id="topic-alerts")


def _break_and_gaps(db: Database, settings: Settings, tmp_path: Path) -> None:
    """Latvia (Eurostat): a break in series in 2016; Iceland (GLOTIP): three years only;
    Lithuania (GLOTIP): a rise with `<5` cells at the start."""
    years = list(range(2010, 2022))
    header = "unit,sex,age,citizen,leg_stat,geo\\time\t" + "\t".join(f"{y} " for y in years[::-1])
    cells = []
    for y in years[::-1]:
        value = 40 + 3 * (y - 2010) if y < 2016 else 12 + (y - 2016)
        cells.append(f"{value} b" if y == 2016 else f"{value} ")
    write_tsv(
        tmp_path / "crim_thb_vctz.tsv", header, ["NR,T,TOTAL,TOTAL,VICT,LV\t" + "\t".join(cells)]
    )
    get_importer("eurostat").run(db, settings, tmp_path / "crim_thb_vctz.tsv")
    rows = [glotip_row("ISL", "Iceland", y, str(10 + y % 3)) for y in (2019, 2020, 2021)]
    rows += [
        glotip_row("LTU", "Lithuania", 2010 + i, "<5" if i < 3 else str(5 + 4 * i))
        for i in range(10)
    ]
    get_importer("glotip").run(db, settings, write_glotip_csv(tmp_path / "g.csv", rows))


def test_breaks_suppressed_cells_and_too_few_years_are_shown_as_such(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    _break_and_gaps(db, settings, tmp_path)
    client = TestClient(create_app(settings, db))

    (lv,) = api(client, "/api/v1/trends", indicator="victims", country="LV")
    assert lv["break_year"] == 2016 and lv["first_year"] == 2016
    doc = page(client, "/trends?country=LV")
    row = table_rows(doc)[lv["series"]]
    assert "from the break in 2016" in row.text()
    assert row.one("td", "annual-change").text() == pct(lv["annual_change"])
    spec = valid(specs(doc)["trend-spec-0"])
    rules = {d["label"] for d in layer_data(spec, "rule")}
    assert "break in series in 2016" in rules
    assert min(d["year"] for d in layer_data(spec, "line")) == 2016  # no line across the break
    # The cells before the break are drawn (paler) and marked in the table as left out.
    assert {d["year"] for d in layer_data(spec, "point")} == set(range(2010, 2022))
    notes = {
        int(tr.all("td")[0].text()): tr.all("td")[4].text()
        for tr in doc.one("section", "trend").all("tr")[1:]
    }
    assert all("left out of the trend" in notes[y] for y in range(2010, 2016))
    assert notes[2016].startswith("break in series") and "left out" not in notes[2017]
    assert "pale marks" in spec["usermeta"]["legend"]
    # Across breaks, when asked: the same as the API's.
    (lv_all,) = api(
        client, "/api/v1/trends", indicator="victims", country="LV", across_breaks="true"
    )
    doc = page(client, "/trends?country=LV&across_breaks=true")
    assert table_rows(doc)[lv["series"]].one("td", "annual-change").text() == pct(
        lv_all["annual_change"]
    )
    assert lv_all["annual_change"] != lv["annual_change"]

    (iceland,) = api(client, "/api/v1/trends", indicator="victims", country="IS")
    assert iceland["status"] == "not enough data"
    doc = page(client, "/trends?country=IS")
    assert table_rows(doc)[iceland["series"]].one("td", "no-trend").text() == "not enough data"
    assert iceland["reason"] in doc.one("section", "trend").text()
    spec = valid(specs(doc)["trend-spec-0"])
    assert not layer_data(spec, "line") and not layer_data(spec, "area")
    assert spec["title"]["subtitle"] == "no trend: not enough data"

    (lt,) = api(client, "/api/v1/trends", indicator="victims", country="LT")
    doc = page(client, "/trends?country=LT")
    spec = valid(specs(doc)["trend-spec-0"])
    assert {d["year"]: (d["lower"], d["upper"]) for d in layer_data(spec, "bar")} == {
        2010: (0, 4),
        2011: (0, 4),
        2012: (0, 4),
    }
    assert lt["suppressed_years"] == 3
    assert "3 suppressed" in table_rows(doc)[lt["series"]].text()


def test_bad_choices_are_answered_on_the_page(db: Database, settings: Settings) -> None:
    client = TestClient(create_app(settings, db))
    doc = page(client, "/trends?country=XX", 422)
    assert "unknown country 'XX'" in doc.one(role="alert").text()
    assert doc.all("form", "filters")  # the form stays, to choose again
    assert page(client, "/alerts?country=XX", 422).one(role="alert").text()
    assert "window" in page(client, "/alerts?window=2", 422).text()
    assert "is not a valid value" in page(client, "/trends?by=colour", 422).text()
    doc = page(client, "/trends?series=victims%2FXX")
    assert "no series 'victims/XX'" in doc.one(role="alert").text()


def test_the_pages_are_cached_per_data_version(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    app = create_app(settings, db)
    client = TestClient(app)
    for url in ("/trends?country=IS", "/alerts"):
        client.get(url)
        misses = app.state.page_cache.misses
        client.get(url)
        assert app.state.page_cache.misses == misses  # the second came from the cache
    assert not table_rows_or_none(page(client, "/trends?country=IS"))
    _break_and_gaps(db, settings, tmp_path)  # an import moves the data version on
    assert table_rows_or_none(page(client, "/trends?country=IS"))


def table_rows_or_none(doc: Node) -> dict[str, Node]:
    tables = doc.all("table", "trends")
    return table_rows(doc) if tables else {}


def test_fitted_band_is_the_models_interval_of_the_mean() -> None:
    """The band of the fitted mean from an independent computation: for published counts the
    Poisson information is sum(mu x x'), its inverse the covariance of (intercept, slope)
    scaled by the dispersion when above 1."""
    from thbhub.analytics.series import Point, Series
    from thbhub.analytics.service import analyse
    from thbhub.analytics.views import bands_of

    counts = [12, 15, 11, 19, 24, 22, 30, 28, 41, 37]
    (t,) = analyse(
        [Series("s", [Point(2010 + i, "value", float(c)) for i, c in enumerate(counts)])]
    )
    (band,) = bands_of([t]).values()
    assert t.intercept is not None and t.slope is not None and t.centre is not None
    x = [2010 + i - t.centre for i in range(len(counts))]
    mu = [math.exp(t.intercept + t.slope * v) for v in x]
    s1 = sum(m * v for m, v in zip(mu, x, strict=True))
    s2 = sum(m * v * v for m, v in zip(mu, x, strict=True))
    info = [[sum(mu), s1], [s1, s2]]
    det = info[0][0] * info[1][1] - info[0][1] ** 2
    cov = [[info[1][1] / det, -info[0][1] / det], [-info[0][1] / det, info[0][0] / det]]
    phi = max(t.dispersion or 1.0, 1.0)
    crit = (math.log1p((t.ci_high or 0) / 100) - t.slope) / (t.slope_se or 1)
    by_year = {b["year"]: b for b in band}
    for i, v in enumerate(x):
        se = math.sqrt(phi * (cov[0][0] + 2 * v * cov[0][1] + v * v * cov[1][1]))
        b = by_year[2010 + i]
        assert b["fitted"] == pytest.approx(mu[i], rel=1e-9)
        assert b["low"] == pytest.approx(mu[i] * math.exp(-crit * se), rel=1e-4)
        assert b["high"] == pytest.approx(mu[i] * math.exp(crit * se), rel=1e-4)
    # Narrowest where the mean is best known: the year nearest -cov01/cov11 (later than the
    # middle year, as the larger counts of a rise weigh more); widest at an end.
    widths = [math.log(by_year[2010 + i]["high"] / by_year[2010 + i]["low"]) for i in range(10)]
    best = t.centre - cov[0][1] / cov[1][1]
    assert abs(2010 + widths.index(min(widths)) - best) <= 0.5
    assert max(widths) in (widths[0], widths[-1])
