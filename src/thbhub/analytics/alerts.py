"""Alerts: rises that stay significant when the many series tested at once are allowed for.

Among the series with a trend, the p-values are adjusted by Benjamini–Hochberg (the
expected share of false alerts among all alerts is kept at :data:`FDR`); a series alerts
when its adjusted p-value (``q``) is at most FDR, its trend is a rise, and the rise shows in
published counts: at least :data:`MIN_PUBLISHED` published (not suppressed) counts, one of
them in the later half of its years.  A rise carried only by suppressed cells (zeros, then
`<5`) says only that the count is now between its bounds: it does not alert.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from thbhub.analytics.trends import Trend

#: The false discovery rate of the alerts.
FDR = 0.05
#: Published counts a rise needs before it may alert.
MIN_PUBLISHED = 2


def bh_adjust(p_values: Sequence[float]) -> list[float]:
    """Benjamini–Hochberg adjusted p-values (q-values), in the order given."""
    p = np.asarray(p_values, dtype=float)
    m = len(p)
    if m == 0:
        return []
    order = np.argsort(p)
    ranked = p[order] * m / np.arange(1, m + 1)
    q_sorted = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty(m)
    q[order] = np.minimum(q_sorted, 1.0)
    return [float(v) for v in q]


def published_rise(t: Trend) -> bool:
    """Whether published counts (not only suppressed cells) carry the series' rise."""
    known = [p for p in t.points if p.known]
    published = [i for i, p in enumerate(known) if p.status == "value"]
    return len(published) >= MIN_PUBLISHED and published[-1] >= len(known) // 2


def mark_alerts(trends: Sequence[Trend], *, fdr: float = FDR) -> None:
    """Set ``q_value``, ``alert`` and the reason's last sentence of every fitted trend."""
    tested = [t for t in trends if t.status == "ok" and t.p_value is not None]
    qs = bh_adjust([t.p_value for t in tested if t.p_value is not None])
    m = len(tested)
    family = f"the {m} series tested together" if m != 1 else "the one series tested"
    for t, q in zip(tested, qs, strict=True):
        t.q_value = q
        rising = (t.annual_change or 0.0) > 0
        if q <= fdr and rising and published_rise(t):
            t.alert = True
            t.reason += f" Alert: a significant rise, allowing for {family} (q = {q:.2g})."
        elif q <= fdr and rising:
            t.reason += (
                " No alert: the rise is in suppressed cells only, so the published counts do "
                "not show it."
            )
        elif rising:
            t.reason += f" No alert: not significant once {family} are allowed for (q = {q:.2g})."
