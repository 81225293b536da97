"""Charts of a report: Vega-Lite specs (the same builders as the pages) rendered to SVG by
vl-convert, and the sentence that says what each shows (its alt text)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from thbhub.reports.cells import num

#: The Vega-Lite version of the specs (the pages' bundle: thbhub.web.vega).
VEGA_LITE = "v6.4"
WIDTH = 560


def fixed_width(spec: dict[str, Any], width: int = WIDTH) -> dict[str, Any]:
    """A spec sized for a page (the pages' specs fill their container, which a file has not)."""
    out = json.loads(json.dumps(spec))  # a deep copy: the caller's spec stays as it was
    if out.get("width") == "container" or "width" not in out:
        out["width"] = width
    for layer in out.get("layer", []):
        if layer.get("width") == "container":
            layer["width"] = width
    return out


def svg(spec: Mapping[str, Any]) -> str:
    """The chart as an SVG document (deterministic: the same spec gives the same bytes)."""
    import vl_convert as vlc

    text: str = vlc.vegalite_to_svg(fixed_width(dict(spec)), vl_version=VEGA_LITE)
    # The XML declaration would end up in the middle of the HTML page.
    if text.startswith("<?xml"):
        text = text[text.index("?>") + 2 :].lstrip()
    return text


def _known(row: Mapping[str, Any], measure: str) -> float | None:
    if row.get("status") in ("number", "zero") and row.get(measure) is not None:
        return float(row[measure])
    return None


def series_sentence(
    rows: Sequence[Mapping[str, Any]],
    *,
    what: str,
    where: str,
    by: str | None = None,
    labels: Mapping[str, str] | None = None,
    measure: str = "value",
    unit: str = "",
) -> str:
    """One sentence from the data: how the series (or its largest parts) went, e.g.
    "Detected victims in Latvia rose from 12 in 2015 to 45 in 2022"."""
    names = labels or {}
    if not rows:
        return f"No figures for {what.lower()} in {where}."
    if by is None:
        known = sorted(
            ((int(r["year"]), v) for r in rows if (v := _known(r, measure)) is not None),
            key=lambda p: p[0],
        )
        if not known:
            return f"{what} in {where}: no published number, only suppressed or missing cells."
        (y0, v0), (y1, v1) = known[0], known[-1]
        if y0 == y1:
            return f"{what} in {where}: {num(v0)}{unit} in {y0}, the only year with a number."
        verb = "rose" if v1 > v0 else "fell" if v1 < v0 else "stayed at"
        peak_year, peak = max(known, key=lambda p: (p[1], -p[0]))
        sentence = (
            f"{what} in {where} {verb} from {num(v0)}{unit} in {y0} to {num(v1)}{unit} in {y1}"
            if verb != "stayed at"
            else f"{what} in {where} stayed at {num(v0)}{unit} from {y0} to {y1}"
        )
        if peak > max(v0, v1):
            sentence += f", peaking at {num(peak)}{unit} in {peak_year}"
        return sentence + "."
    latest = max(int(r["year"]) for r in rows)
    parts = sorted(
        (
            (v, names.get(str(r.get(by)), str(r.get(by))))
            for r in rows
            if int(r["year"]) == latest and (v := _known(r, measure)) is not None
        ),
        key=lambda p: (-p[0], p[1]),
    )
    if not parts:
        return f"{what} in {where} by {by}: no published number in {latest}, the latest year."
    shown = ", ".join(f"{name} {num(v)}{unit}" for v, name in parts[:4])
    more = f" and {len(parts) - 4} more" if len(parts) > 4 else ""
    return f"{what} in {where} by {by} in {latest}, the latest year: {shown}{more}."


def countries_sentence(
    rows: Sequence[Mapping[str, Any]],
    *,
    what: str,
    names: Mapping[str, str],
    measure: str = "value",
    unit: str = "",
    shown: int = 5,
) -> str:
    """One sentence about a chart of one series per country: each country's latest number,
    largest first (countries' latest years differ, so each names its own)."""
    latest: dict[str, tuple[int, float]] = {}
    for r in rows:
        v = _known(r, measure)
        code = str(r.get("country"))
        if v is not None and (code not in latest or int(r["year"]) > latest[code][0]):
            latest[code] = (int(r["year"]), v)
    if not latest:
        return f"{what}: no published number, only suppressed or missing cells."
    ranked = sorted(latest.items(), key=lambda kv: (-kv[1][1], kv[0]))
    said = ", ".join(
        f"{names.get(f'country:{c}', c)} {num(v)}{unit} ({y})" for c, (y, v) in ranked[:shown]
    )
    more = f", and {len(ranked) - shown} more" if len(ranked) > shown else ""
    return f"{what} by country over the years; in each country's latest year: {said}{more}."
