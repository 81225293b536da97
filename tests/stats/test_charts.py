"""Chart specs never hide what a cell means (no database, no browser)."""

from __future__ import annotations

from typing import Any

import altair as alt

from thbhub.stats.charts import chart_rows, series_chart


def _row(year: int, status: str, value: float | None, **extra: Any) -> dict[str, Any]:
    lower, upper = (0.0, 4.0) if status == "suppressed" else (value, value)
    return {
        "indicator": "indicator:victims",
        "country": "LT",
        "year": year,
        "value": value,
        "status": status,
        "lower": lower if status != "missing" else None,
        "upper": upper if status != "missing" else None,
        "flags": extra.get("flags", []),
    }


ROWS = [
    _row(2015, "number", 12),
    _row(2016, "suppressed", None),
    _row(2017, "number", 9, flags=["break"]),
    _row(2018, "missing", None),
    _row(2019, "number", 14),
    _row(2021, "number", 15),  # 2020 has no cell at all
]


def test_lines_break_at_unknown_cells_and_absent_years() -> None:
    data = chart_rows(ROWS, None, {"indicator:victims": "Victims"})
    known = [(d["year"], d["segment"]) for d in data if d["status"] == "number"]
    segments = [s for _, s in known]
    # 2015 | 2017 | 2019 | 2021: four separate pieces, never joined across a gap.
    assert len(set(segments)) == 4
    missing = next(d for d in data if d["status"] == "missing")
    assert missing["value"] is None and missing["lower"] is None  # a gap, never a zero
    suppressed = next(d for d in data if d["status"] == "suppressed")
    assert (suppressed["value"], suppressed["lower"], suppressed["upper"]) == (None, 0.0, 4.0)
    assert suppressed["shown"].startswith("suppressed (0–4)")


def test_spec_layers_ranges_points_and_breaks() -> None:
    spec = series_chart(ROWS, series_dim=None, labels={}, title="Victims, Lithuania")
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["bar", "line", "point", "point", "rule"]
    rule = spec["layer"][-1]
    assert [d["year"] for d in rule["data"]["values"]] == [2017]
    assert "suppressed" in spec["usermeta"]["legend"]
    # The charts skip Altair's check at run time (speed): the spec must pass it here.
    alt.TopLevelLayerSpec.from_dict(spec, validate=True)


def test_wide_breakdowns_chart_the_largest_series() -> None:
    from thbhub.stats.charts import top_series

    rows = [
        {**_row(2019, "number", float(n)), "citizenship": f"country:{n:02d}"} for n in range(30)
    ]
    kept, count = top_series(rows, "citizenship", 10)
    assert count == 30 and sorted(r["value"] for r in kept) == [float(n) for n in range(20, 30)]


def test_series_of_countries_are_named_by_the_country_label() -> None:
    labels = {"indicator:victims": "Victims", "country:LT": "Lithuania"}
    named = {d["series"] for d in chart_rows(ROWS, None, labels)}
    assert named == {"Victims (Lithuania)"}
    # Without a label the code stays: never an empty or invented name.
    assert {d["series"] for d in chart_rows(ROWS, None, {})} == {"indicator:victims (LT)"}
