"""What the monitor computes from a portfolio (pure functions, no I/O): the coverage
matrices, indicator progress, the projects with small prospects and the review report.

Counting rules (docs/plan.md): within a window of dates (a year, a presidency, the plan),
a *project* counts when it is not cancelled and its period overlaps the window; an
*activity* counts by its start date, an *output* by its date, each for the objectives (or
principles) of its project.  A cell is a *gap* when all three are zero.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from thbhub.plan.sheets import Portfolio

#: A project that started this long ago and has no activity yet has small prospects.
NO_ACTIVITY_DAYS = 90
#: An indicator is off track when its progress is this far behind a straight line from
#: baseline to target (a fraction of the way).
OFF_TRACK_MARGIN = 0.10


@dataclass(frozen=True)
class Window:
    starts: date
    ends: date

    def years(self) -> list[int]:
        return list(range(self.starts.year, self.ends.year + 1))

    def year(self, year: int) -> Window:
        return Window(max(self.starts, date(year, 1, 1)), min(self.ends, date(year, 12, 31)))

    def holds(self, day: date) -> bool:
        return self.starts <= day <= self.ends

    def overlaps(self, starts: date, ends: date) -> bool:
        return starts <= self.ends and ends >= self.starts


def by_project(rows: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r["project"], []).append(r)
    return out


def coverage(
    portfolio: Portfolio, ids: list[str], field: str, window: Window, name: str = "objective"
) -> list[dict[str, Any]]:
    """One row per concept id (objective or principle) and year of the window."""
    activities = by_project(portfolio["activities"])
    outputs = by_project(portfolio["outputs"])
    out = []
    for concept in ids:
        projects = [p for p in portfolio["projects"] if concept in p[field]]
        for year in window.years():
            w = window.year(year)
            n_projects = sum(
                1
                for p in projects
                if p["status"] != "cancelled" and w.overlaps(p["starts"], p["ends"])
            )
            n_activities = sum(
                1 for p in projects for a in activities.get(p["id"], []) if w.holds(a["starts"])
            )
            n_outputs = sum(
                1 for p in projects for o in outputs.get(p["id"], []) if w.holds(o["date"])
            )
            out.append(
                {
                    name: concept,
                    "year": year,
                    "projects": n_projects,
                    "activities": n_activities,
                    "outputs": n_outputs,
                    "gap": n_projects == 0 and n_activities == 0 and n_outputs == 0,
                }
            )
    return out


def projects_in(portfolio: Portfolio, window: Window) -> list[dict[str, Any]]:
    return [p for p in portfolio["projects"] if window.overlaps(p["starts"], p["ends"])]


def participants_of(portfolio: Portfolio, activity_keys: set[str]) -> dict[str, int]:
    """Participants of the activities: total and by sex (``unknown`` where not recorded)."""
    by_sex: Counter[str] = Counter()
    for r in portfolio["participants"]:
        if r["activity"] in activity_keys:
            by_sex[(r["sex"] or "sex:unknown").removeprefix("sex:")] += r["count"]
    return {"total": sum(by_sex.values()), **dict(sorted(by_sex.items()))}


def indicator_progress(
    indicator: dict[str, Any], values: list[dict[str, Any]], as_of: date
) -> dict[str, Any]:
    """The latest value (on or before ``as_of``) against the target.

    ``progress`` is the share of the way from baseline to target covered; ``expected`` the
    share of the time from baseline date to target date passed at the latest value's date;
    the status is ``no data``, ``achieved`` (progress >= 1), ``off track`` (progress more than
    :data:`OFF_TRACK_MARGIN` behind expected) or ``on track``."""
    series = sorted((v for v in values if v["date"] <= as_of), key=lambda v: v["date"])
    base, target = indicator["baseline"], indicator["target"]
    out: dict[str, Any] = {
        "indicator": indicator["id"],
        "title": indicator["title"],
        "unit": indicator["unit"],
        "baseline": base,
        "baseline_date": indicator["baseline_date"],
        "target": target,
        "target_date": indicator["target_date"],
        "latest": None,
        "latest_date": None,
        "progress": None,
        "expected": None,
        "status": "no data",
    }
    if not series:
        return out
    latest = series[-1]
    span = (indicator["target_date"] - indicator["baseline_date"]).days
    passed = (latest["date"] - indicator["baseline_date"]).days
    expected = 1.0 if span <= 0 else min(1.0, max(0.0, passed / span))
    if target == base:
        progress = 1.0 if latest["value"] == target else 0.0
    else:
        progress = (latest["value"] - base) / (target - base)
    status = (
        "achieved"
        if progress >= 1
        else "off track"
        if progress < expected - OFF_TRACK_MARGIN
        else "on track"
    )
    out.update(
        latest=latest["value"],
        latest_date=latest["date"],
        progress=round(progress, 4),
        expected=round(expected, 4),
        status=status,
    )
    return out


def small_prospects(portfolio: Portfolio, as_of: date) -> list[dict[str, Any]]:
    """Projects still planned or ongoing that show small prospects of implementation (the
    plan's words): no activity although started :data:`NO_ACTIVITY_DAYS` days ago, past
    their end, or without a budget or funder."""
    activities = by_project(portfolio["activities"])
    out = []
    for p in portfolio["projects"]:
        if p["status"] not in ("planned", "ongoing"):
            continue
        reasons = []
        done = [a for a in activities.get(p["id"], []) if a["starts"] <= as_of]
        if not done and p["starts"] <= as_of - timedelta(days=NO_ACTIVITY_DAYS):
            reasons.append(f"no activity since it started on {p['starts'].isoformat()}")
        if p["ends"] < as_of:
            reasons.append(f"overdue: ended on {p['ends'].isoformat()} but is still {p['status']}")
        if p["budget"] is None or p["funder"] is None:
            reasons.append("no funding recorded (budget or funder missing)")
        if reasons:
            out.append({"project": p["id"], "title": p["title"], "reasons": reasons})
    return out


def review_report(
    portfolio: Portfolio, objectives: list[dict[str, str]], window: Window, as_of: date
) -> dict[str, Any]:
    """The review report for the Committee of Senior Officials over ``window``."""
    within = Window(window.starts, min(window.ends, as_of))
    activities = by_project(portfolio["activities"])
    outputs = by_project(portfolio["outputs"])
    progress = []
    for obj in objectives:
        projects = [
            p
            for p in portfolio["projects"]
            if obj["id"] in p["objectives"] and within.overlaps(p["starts"], p["ends"])
        ]
        acts = [
            a
            for p in portfolio["projects"]
            if obj["id"] in p["objectives"]
            for a in activities.get(p["id"], [])
            if within.holds(a["starts"])
        ]
        outs = [
            o
            for p in portfolio["projects"]
            if obj["id"] in p["objectives"]
            for o in outputs.get(p["id"], [])
            if within.holds(o["date"])
        ]
        status = Counter(p["status"] for p in projects)
        progress.append(
            {
                "objective": obj["id"],
                "label": obj["label"],
                "projects": len(projects),
                "by_status": dict(sorted(status.items())),
                "activities": len(acts),
                "outputs": len(outs),
                "participants": participants_of(portfolio, {a["id"] for a in acts}),
                "project_titles": [p["title"] for p in projects],
            }
        )
    values: dict[str, list[dict[str, Any]]] = {}
    for v in portfolio["indicator_values"]:
        values.setdefault(v["indicator"], []).append(v)
    indicators = [
        indicator_progress(i, values.get(i["id"], []), as_of) for i in portfolio["indicators"]
    ]
    ids = [o["id"] for o in objectives]
    labels = {o["id"]: o["label"] for o in objectives}
    gaps = [
        {**r, "label": labels[r["objective"]]}
        for r in coverage(portfolio, ids, "objectives", within)
        if r["gap"]
    ]
    produced = sorted(
        (o for o in portfolio["outputs"] if within.holds(o["date"])), key=lambda o: o["date"]
    )
    earlier = [r for r in portfolio["reviews"] if r["date"] <= as_of]
    previous = max(earlier, key=lambda r: r["date"]) if earlier else None
    return {
        "as_of": as_of,
        "starts": within.starts,
        "ends": within.ends,
        "objectives": progress,
        "indicators": indicators,
        "off_track": [i for i in indicators if i["status"] == "off track"],
        "gaps": gaps,
        "outputs": produced,
        "small_prospects": small_prospects(portfolio, as_of),
        "previous_review": previous,
    }
