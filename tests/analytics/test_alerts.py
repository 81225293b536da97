"""Alerts: Benjamini–Hochberg across the series tested, a sentence each, no alert from
suppressed cells alone; `thbhub alerts`, GET /api/v1/trends and /api/v1/alerts on stored data."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from scipy import stats
from typer.testing import CliRunner

from stats_support import glotip_row, write_glotip_csv
from thbhub.analytics.alerts import bh_adjust
from thbhub.analytics.series import Point, Series
from thbhub.analytics.service import analyse
from thbhub.cli import app as cli_app
from thbhub.ingest.registry import get_importer
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.app import create_app


def values(counts: Sequence[float], start: int = 2010) -> list[Point]:
    return [Point(start + i, "value", float(c)) for i, c in enumerate(counts)]


def test_bh_adjustment() -> None:
    assert bh_adjust([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.02, 0.04, 0.04, 0.02])
    rng = np.random.default_rng(4)
    p = rng.uniform(0, 0.2, 60)
    assert bh_adjust(list(p)) == pytest.approx(list(stats.false_discovery_control(p)))
    assert bh_adjust([]) == []


MODERATE = [20, 24, 19, 27, 22, 30, 26, 33]  # a rise with p between 0.01 and 0.05


def test_a_rise_alerts_alone_but_not_among_many_flat_series() -> None:
    (alone,) = analyse([Series("m", values(MODERATE), {"subject": "Victims in Utopia"})])
    assert alone.p_value is not None and 0.001 < alone.p_value < 0.05
    assert alone.alert and alone.q_value == pytest.approx(alone.p_value)
    assert alone.reason.startswith("Victims in Utopia rose from 20 in 2010 to 33 in 2017: about")
    assert "Alert: a significant rise, allowing for the one series tested" in alone.reason
    flat = [Series(f"f{i}", values([20 + (j + i) % 3 for j in range(8)])) for i in range(49)]
    found = analyse([Series("m", values(MODERATE)), *flat])
    assert not found[0].alert and found[0].p_value == pytest.approx(alone.p_value)
    assert "not significant once the 50 series tested together are allowed for" in found[0].reason
    assert not any(t.alert for t in found)


def test_a_fall_does_not_alert() -> None:
    (t,) = analyse([Series("d", values(MODERATE[::-1]))])
    assert t.p_value is not None and t.p_value < 0.05 and not t.alert


def test_a_rise_in_suppressed_cells_only_does_not_alert() -> None:
    """Zeros, then cells published as 1 to 4: significant, but no published count shows it."""
    pts = [Point(2008 + i, "zero", 0.0) for i in range(6)]
    pts += [Point(2014 + i, "suppressed", None, 1, 4) for i in range(8)]
    (t,) = analyse([Series("s", pts)])
    assert t.status == "ok" and t.p_value is not None and t.p_value < 0.05
    assert (t.annual_change or 0) > 0 and not t.alert
    assert "the rise is in suppressed cells only" in t.reason


def test_null_series_rarely_alert() -> None:
    rng = np.random.default_rng(9)
    series = []
    for i in range(500):
        base = math.exp(rng.uniform(math.log(5), math.log(200)))
        mu = rng.gamma(5.0, base / 5.0, 12) if i % 2 else np.full(12, base)
        series.append(Series(str(i), values([float(c) for c in rng.poisson(mu)])))
    assert sum(t.alert for t in analyse(series)) <= 2


def load(db: Database, settings: Settings, tmp_path: Path) -> None:
    rows = []
    for i in range(12):
        year = 2010 + i
        rows.append(glotip_row("FIN", "Finland", year, str(round(10 * 1.3**i))))
        rows.append(
            glotip_row("FIN", "Finland", year, str(round(4 * 1.45**i)) if i > 5 else "<5",
                       dimension="by form of exploitation", category="Forced labour")
        )  # fmt: skip
        rows.append(glotip_row("EST", "Estonia", year, str(30 + (i % 3))))
    get_importer("glotip").run(db, settings, write_glotip_csv(tmp_path / "g.csv", rows))


def test_alerts_and_trends_from_the_cli_and_the_api(
    db: Database, db_url: str, settings: Settings, tmp_path: Path
) -> None:
    load(db, settings, tmp_path)
    result = CliRunner().invoke(cli_app, ["--db", db_url, "alerts", "-f", "json"])
    assert result.exit_code == 0, result.stderr
    cli_alerts = json.loads(result.stdout)
    assert {a["series"] for a in cli_alerts} == {
        "victims/FI/unodc-glotip",
        "victims/FI/form=labour-exploitation/unodc-glotip",
    }
    labour = next(a for a in cli_alerts if "form=" in a["series"])
    assert labour["reason"].startswith(
        "Victims of trafficking (Labour exploitation) in Finland rose from fewer than 5 in 2012"
    )  # the default window: the last 10 years of the data (2012-2021)
    assert labour["link"].startswith("/api/v1/observations?indicator=victims&country=FI&")
    client = TestClient(create_app(settings, db))
    answer = client.get("/api/v1/alerts")
    assert answer.status_code == 200 and answer.json() == cli_alerts
    data = client.get(labour["link"])
    assert data.status_code == 200 and len(data.json()) == 12
    trends = client.get("/api/v1/trends", params={"indicator": "victims", "country": "EE"})
    assert trends.status_code == 200
    (ee,) = trends.json()
    assert ee["series"] == "victims/EE/unodc-glotip" and not ee["alert"]
    assert ee["ci_low"] < 0 < ee["ci_high"]
    as_csv = client.get("/api/v1/alerts", params={"format": "csv", "country": "FI"})
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    assert [r["series"] for r in csv.DictReader(io.StringIO(as_csv.text))] == [
        a["series"] for a in cli_alerts
    ]
    assert client.get("/api/v1/alerts", params={"country": "XX"}).status_code == 422
    assert client.get("/api/v1/alerts", params={"window": 2}).status_code == 422
    result = CliRunner().invoke(cli_app, ["--db", db_url, "alerts", "--window", "2"])
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: --window 2: a number of years from 5 to 50"
