"""The trend of each series: its annual change in % with a 95% interval and a p-value.

Model (docs/trends.md): ``log E[count_t] = a + b * (t - centre)`` by Poisson maximum
likelihood, suppressed cells entering by their bounds (analytics.model); the dispersion
``phi`` (Pearson) marks an over-dispersed series when it exceeds 1: it then takes
quasi-Poisson or the negative binomial (analytics.dispersion states the choice) and tests use
Student's t on the residual degrees of freedom.  The annual change is ``100 (e^b - 1)``.

A series gives no number, only a reason, when after the latest break in series it has
fewer than :data:`MIN_YEARS` years with a known cell, fewer than :data:`MIN_POSITIVE` cells
known to be above zero (a series of zeros and `<5` cells says nothing about a rate of
change), or a fit that diverges.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import special, stats

from thbhub.analytics import dispersion, model, profile
from thbhub.analytics.series import Point, Series, comparable_stretch

#: Years with a known cell a trend needs (after the latest break in series).
MIN_YEARS = 5
#: Cells known to be above zero a trend needs.
MIN_POSITIVE = 2
LEVEL = 0.95
Z975 = float(stats.norm.ppf(0.5 + LEVEL / 2))

#: The fields every trend result prints, in order (CLI, API, CSV header).
RESULT_FIELDS = (
    "series",
    "annual_change",
    "ci_low",
    "ci_high",
    "p_value",
    "change_points",
    "alert",
    "reason",
    "q_value",
    "status",
    "first_year",
    "last_year",
    "years",
    "suppressed_years",
    "break_year",
    "model",
    "dispersion",
    "shifts",
    "link",
)


@dataclass
class ChangePoint:
    """A level shift: from ``year`` on the series is ``ratio`` times what its trend was."""

    year: int
    ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    #: "trend": the ratio is to what the trend alone gives; "before": to the level before.
    relative_to: str = "trend"
    #: with "trend": the annual change in % of the trend fitted beside the shift
    slope_change: float | None = None


@dataclass
class Trend:
    series: str
    status: str  # "ok", "not enough data" or "not estimable"
    reason: str
    points: list[Point]
    labels: dict[str, str] = field(default_factory=dict)
    first_year: int | None = None
    last_year: int | None = None
    years: int = 0
    suppressed_years: int = 0
    break_year: int | None = None
    slope: float | None = None
    slope_se: float | None = None
    annual_change: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    model: str | None = None
    dispersion: float | None = None
    #: the negative binomial's alpha (variance mu + alpha mu^2) when that model was used
    alpha: float | None = None
    df: int = 0
    intercept: float | None = None
    centre: float | None = None
    loglik: float | None = None
    change_points: list[ChangePoint] = field(default_factory=list)
    alert: bool = False
    q_value: float | None = None

    def fitted(self, year: int) -> float | None:
        """The fitted mean count in ``year`` (None without a fit)."""
        if self.slope is None or self.intercept is None or self.centre is None:
            return None
        return math.exp(self.intercept + self.slope * (year - self.centre))

    def row(self) -> dict[str, Any]:
        """The printed result: one flat record."""

        def r(v: float | None, digits: int) -> float | None:
            return None if v is None or not math.isfinite(v) else round(v, digits)

        return {
            "series": self.series,
            "annual_change": r(self.annual_change, 2),
            "ci_low": r(self.ci_low, 2),
            "ci_high": r(self.ci_high, 2),
            "p_value": None if self.p_value is None else float(f"{self.p_value:.4g}"),
            "change_points": [c.year for c in self.change_points],
            "alert": self.alert,
            "reason": self.reason,
            "q_value": None if self.q_value is None else float(f"{self.q_value:.4g}"),
            "status": self.status,
            "first_year": self.first_year,
            "last_year": self.last_year,
            "years": self.years,
            "suppressed_years": self.suppressed_years,
            "break_year": self.break_year,
            "model": self.model,
            "dispersion": r(self.dispersion, 3),
            "link": self.labels.get("link"),
            "shifts": [
                {
                    "year": c.year,
                    "ratio": r(c.ratio, 3),
                    "ci_low": r(c.ci_low, 3),
                    "ci_high": r(c.ci_high, 3),
                    "p_value": float(f"{c.p_value:.4g}"),
                    "relative_to": c.relative_to,
                    "trend_beside": r(c.slope_change, 2),
                }
                for c in self.change_points
            ],
        }


def pct(b: float) -> float:
    """A log-scale coefficient as a % change."""
    return 100.0 * math.expm1(b)


def arrays(
    stretches: Sequence[Sequence[Point]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Padded ``(S, T)`` arrays of years, counts, bounds and kinds for the model."""
    width = max((len(s) for s in stretches), default=1) or 1
    S = len(stretches)
    years = np.zeros((S, width))
    y = np.zeros((S, width))
    lo = np.zeros((S, width))
    hi = np.zeros((S, width))
    kind = np.zeros((S, width), dtype=np.int64)
    for i, pts in enumerate(stretches):
        for j, p in enumerate(pts):
            years[i, j] = p.year
            if p.status == "value" and p.count is not None:
                kind[i, j] = model.EXACT
                y[i, j] = p.count
            elif p.status == "zero":
                kind[i, j] = model.EXACT
            elif p.status == "suppressed" and p.upper is not None:
                kind[i, j] = model.CENSORED
                lo[i, j] = p.lower or 0.0
                hi[i, j] = p.upper
    return years, y, lo, hi, kind


def _positive(p: Point) -> bool:
    if p.status == "value":
        return (p.count or 0) > 0
    return p.status == "suppressed" and (p.lower or 0) > 0


def _check(points: list[Point], cut: int | None) -> str | None:
    """Why a stretch gives no trend, or None."""
    known = [p for p in points if p.known]
    after = f" since the break in series in {cut}" if cut is not None else ""
    if len(known) < MIN_YEARS:
        return (
            f"not enough data: {len(known)} year(s) with a known count{after}; "
            f"a trend needs {MIN_YEARS}"
        )
    positive = sum(1 for p in known if _positive(p))
    if positive < MIN_POSITIVE:
        return (
            f"not enough data: {positive} year(s) known to be above zero{after}; "
            f"a trend needs {MIN_POSITIVE}"
        )
    return None


def num(x: float) -> str:
    """A number as a sentence shows it."""
    return _num(x)


def _num(x: float) -> str:
    return f"{x:.0f}" if abs(x) >= 1 else f"{x:.1f}"


def interval_text(change: float, low: float, high: float) -> str:
    """The 95% interval in words: a rise, a fall, or a range that holds both."""
    if low > 0:
        return f"95% CI {_num(low)}% to {_num(high)}% a year"
    if high < 0:
        return f"95% CI {_num(-high)}% to {_num(-low)}% a year"
    return f"95% CI from a fall of {_num(-low)}% to a rise of {_num(high)}% a year"


def describe(t: Trend) -> str:
    """One plain sentence: the counts at both ends and the change with its interval."""
    known = [p for p in t.points if p.known]
    first, last = known[0], known[-1]
    change = t.annual_change or 0.0
    direction = "rose" if change > 0 else "fell"
    since = f" (since the break in series in {t.break_year})" if t.break_year else ""
    p = t.p_value if t.p_value is not None else 1.0
    return (
        f"{t.labels.get('subject', t.series)} {direction} from {first.shown()} in {first.year} "
        f"to {last.shown()} in {last.year}{since}: about {_num(abs(change))}% a year "
        f"({interval_text(change, t.ci_low or 0.0, t.ci_high or 0.0)}; p = {p:.2g})."
    )


def fit_trends(series: Sequence[Series], *, across_breaks: bool = False) -> list[Trend]:
    """The trend of every series, fitted together (one vectorised model for all)."""
    results: list[Trend] = []
    to_fit: list[tuple[Trend, list[Point]]] = []
    for s in series:
        points = [p for p in s.sorted_points() if p.known]
        stretch, cut = comparable_stretch(s.sorted_points(), across_breaks)
        stretch = [p for p in stretch if p.known]
        t = Trend(series=s.key, status="ok", reason="", points=stretch, labels=s.labels)
        t.break_year = cut
        t.years = len(stretch)
        t.suppressed_years = sum(1 for p in stretch if p.status == "suppressed")
        if stretch:
            t.first_year, t.last_year = stretch[0].year, stretch[-1].year
        why = _check(stretch, cut)
        if why is not None:
            t.status, t.reason = "not enough data", why
            if not points:
                t.reason = "not enough data: no year with a known count"
        else:
            to_fit.append((t, stretch))
        results.append(t)
    if to_fit:
        _fit_all(to_fit)
    return results


def _fit_all(to_fit: list[tuple[Trend, list[Point]]]) -> None:
    years, y, lo, hi, kind = arrays([pts for _, pts in to_fit])
    present = kind != model.ABSENT
    centre = (years * present).sum(axis=1) / present.sum(axis=1)
    X = np.stack([present * 1.0, (years - centre[:, None]) * present], axis=2)
    f = model.fit(X, y, lo, hi, kind)
    over_all = np.isfinite(f.dispersion) & (f.dispersion > 1.0)
    # Over-dispersed series: quasi-Poisson or the negative binomial (analytics.dispersion).
    alpha = dispersion.moment_alpha(f.pearson, f.mu, f.df)
    phi0 = np.where(np.isfinite(f.dispersion), f.dispersion, 1.0)
    nb = over_all & dispersion.prefers_negative_binomial(y, kind, f.mu, phi0, alpha)
    b_all = f.beta[:, 1].copy()
    se_all = np.sqrt(np.maximum(f.cov[:, 1, 1], 0.0))
    intercept = f.beta[:, 0].copy()
    ll_alt = f.loglik.copy()
    ll_null = model.fit(X[:, :, :1], y, lo, hi, kind).loglik
    if nb.any():
        g = model.fit(X[nb], y[nb], lo[nb], hi[nb], kind[nb], alpha=alpha[nb])
        g0 = model.fit(X[nb][:, :, :1], y[nb], lo[nb], hi[nb], kind[nb], alpha=alpha[nb])
        ok = g.converged
        idx = np.flatnonzero(nb)
        # A negative-binomial fit that fails keeps the quasi-Poisson one.
        nb[idx[~ok]] = False
        b_all[idx[ok]] = g.beta[ok, 1]
        intercept[idx[ok]] = g.beta[ok, 0]
        se_all[idx[ok]] = np.sqrt(np.maximum(g.cov[ok, 1, 1], 0.0))
        ll_alt[idx[ok]] = g.loglik[ok]
        ll_null[idx[ok]] = g0.loglik[ok]
    # Likelihood-ratio p-values and profile-likelihood intervals (analytics.profile), all
    # series at once (scipy.special's ufuncs: one scipy.stats call per series would cost
    # more than the fit itself on thousands of series).
    df_all = np.maximum(f.df, 1).astype(float)
    crit_all = np.where(over_all, special.stdtrit(df_all, 0.5 + LEVEL / 2), Z975)
    scale = np.where(over_all & ~nb, f.dispersion, 1.0)
    root = np.sqrt(np.maximum(2 * (ll_alt - ll_null), 0.0) / scale)
    p_all = np.where(over_all, 2 * special.stdtr(df_all, -root), 2 * special.ndtr(-root))
    low_all, high_all = b_all.copy(), b_all.copy()
    drop = crit_all**2 * scale / 2.0
    for group, family in ((~nb & f.converged, None), (nb & f.converged, alpha)):
        if not group.any():
            continue
        low_all[group], high_all[group] = profile.interval(
            X[group], y[group], lo[group], hi[group], kind[group],
            None if family is None else family[group],
            b_all[group], ll_alt[group], se_all[group], drop[group], intercept[group],
        )  # fmt: skip
    for i, (t, _) in enumerate(to_fit):
        if not f.converged[i]:
            t.status = "not estimable"
            t.reason = (
                "not estimable: the counts are zero or below the suppression limit at one "
                "end of the series, so no finite rate of change fits them"
            )
            continue
        b, se = float(b_all[i]), float(se_all[i])
        phi = float(f.dispersion[i])
        over = bool(over_all[i])
        t.slope, t.slope_se, t.df = b, se, int(f.df[i])
        t.loglik = float(f.loglik[i])
        t.intercept, t.centre = float(intercept[i]), float(centre[i])
        t.annual_change = pct(b)
        t.ci_low, t.ci_high = pct(float(low_all[i])), pct(float(high_all[i]))
        t.p_value = float(p_all[i])
        t.model = "negative-binomial" if nb[i] else "quasi-poisson" if over else "poisson"
        t.alpha = float(alpha[i]) if nb[i] else None
        t.dispersion = phi if math.isfinite(phi) else None
        t.reason = describe(t)
