"""A log-linear Poisson model fitted to many count series at once, with interval-censored cells.

Each series is a row of padded ``(S, T)`` arrays; ``kind`` says what a cell is:

- :data:`ABSENT` — no cell (missing, not applicable, padding): left out of the likelihood;
- :data:`EXACT` — a published count ``y`` (a true zero included): Poisson log-likelihood;
- :data:`CENSORED` — a suppressed cell known only to lie in ``[lower, upper]`` (``<5`` is
  0..4): its likelihood is ``P(lower <= Y <= upper)``, never a zero and never a midpoint.

For the Poisson family the censored cell's score and information have a closed form: the
score of ``eta = log mu`` is ``E[Y | interval] - mu`` and the information is
``mu - Var[Y | interval]`` (both from the Poisson probabilities of the interval, via the
regularised incomplete gamma function).  So every series takes Newton steps on its own small
``P x P`` system while all series are stepped together with NumPy: one fit of many series
costs a few dozen array passes, not one optimiser call per series.

Over-dispersion: the Pearson statistic (a censored cell contributes its expected value given
its interval) over the residual degrees of freedom gives ``phi``; the covariance is scaled by
``max(1, phi)`` and tests use Student's t on those degrees of freedom (quasi-Poisson).  A
series with ``phi <= 1`` keeps the Poisson covariance (the dispersion is never shrunk below
Poisson's on a handful of points).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special

ABSENT = 0
EXACT = 1
CENSORED = 2

#: Newton iterations at most; a regular series converges in fewer than ten.
MAX_ITER = 60
#: Relative change of the log-likelihood taken as converged.
TOLERANCE = 1e-10
#: |eta| beyond this is a diverging fit (a series zero at one end), not a rate.
ETA_LIMIT = 30.0

Array = NDArray[np.float64]


@dataclass
class Fit:
    """The fits of S series with P coefficients each."""

    beta: Array  # (S, P)
    cov: Array  # (S, P, P), scaled by the dispersion where it exceeds 1
    loglik: Array  # (S,) Poisson log-likelihood at beta
    dispersion: Array  # (S,) Pearson phi (nan without residual degrees of freedom)
    df: NDArray[np.int64]  # (S,) residual degrees of freedom: cells in the fit - P
    converged: NDArray[np.bool_]  # (S,)
    mu: Array  # (S, T) fitted means
    pearson: Array  # (S, T) each cell's Pearson term under Poisson (zeros for the NB family)


def _interval_prob(lo: Array, hi: Array, mu: Array) -> Array:
    """P(lo <= Y <= hi) for Y ~ Poisson(mu), elementwise; lo may be negative (then 0)."""
    lo_c = np.maximum(lo, 0.0)
    # F(k) = Q(k + 1, mu), the regularised upper incomplete gamma; F(k) = 0 for k < 0.
    upper = np.where(hi >= 0, special.gammaincc(np.maximum(hi, 0.0) + 1.0, mu), 0.0)
    below = np.where(lo_c > 0, special.gammaincc(lo_c, mu), 0.0)  # F(lo - 1)
    return np.asarray(np.maximum(upper - below, 0.0), dtype=np.float64)


def _censored_moments(lo: Array, hi: Array, mu: Array) -> tuple[Array, Array, Array]:
    """(P, E[Y | interval], Var[Y | interval]) for each cell."""
    p0 = _interval_prob(lo, hi, mu)
    p1 = _interval_prob(lo - 1.0, hi - 1.0, mu)
    p2 = _interval_prob(lo - 2.0, hi - 2.0, mu)
    safe = np.maximum(p0, 1e-300)
    mean = mu * p1 / safe
    second = mu * mu * p2 / safe  # E[Y(Y-1)]
    # Where the interval is far in the tail the ratios lose precision: keep them inside it.
    mean = np.clip(mean, lo, hi)
    var = np.clip(second + mean - mean * mean, 0.0, ((hi - lo) / 2.0) ** 2)
    return p0, mean, var


def _nb_interval_logprob(lo: Array, hi: Array, mu: Array, alpha: Array) -> Array:
    """log P(lo <= Y <= hi) for Y negative binomial (mean mu, variance mu + alpha mu^2)."""
    r = 1.0 / alpha
    p = r / (r + mu)
    # F(k) = I_p(r, k + 1), the regularised incomplete beta; F(k) = 0 for k < 0.
    upper = np.where(hi >= 0, special.betainc(r, np.maximum(hi, 0.0) + 1.0, p), 0.0)
    below = np.where(lo > 0, special.betainc(r, np.maximum(lo, 1.0), p), 0.0)
    return np.asarray(np.log(np.maximum(upper - below, 1e-300)), dtype=np.float64)


def _evaluate(
    X: Array,
    beta: Array,
    y: Array,
    lo: Array,
    hi: Array,
    kind: NDArray[np.int64],
    alpha: Array | None = None,
    offset: Array | None = None,
) -> tuple[Array, Array, Array, Array, Array]:
    """(loglik, score per cell, information weight, mu, censored variance) at beta.

    The score and weight are with respect to ``eta = log mu``; ``alpha`` (one per series)
    makes the family negative binomial, else Poisson.
    """
    eta = np.einsum("stp,sp->st", X, beta)
    if offset is not None:
        eta = eta + offset
    eta = np.clip(eta, -ETA_LIMIT, ETA_LIMIT)
    mu = np.exp(eta)
    exact = kind == EXACT
    cens = kind == CENSORED
    if alpha is None:
        p0, mean, var = _censored_moments(lo, hi, mu)
        ll_exact = np.where(exact, y * eta - mu - special.gammaln(y + 1.0), 0.0)
        ll_cens = np.where(cens, np.log(np.maximum(p0, 1e-300)), 0.0)
        loglik = (ll_exact + ll_cens).sum(axis=1)
        ytilde = np.where(exact, y, np.where(cens, mean, 0.0))
        weight = np.where(exact, mu, np.where(cens, np.maximum(mu - var, 1e-12), 0.0))
        score = np.where(exact | cens, ytilde - mu, 0.0)
        return loglik, score, weight, mu, np.where(cens, var, 0.0)
    a = np.maximum(alpha, 1e-8)[:, None]
    r = 1.0 / a
    ll_exact = (
        special.gammaln(y + r)
        - special.gammaln(r)
        - special.gammaln(y + 1.0)
        + r * np.log(r / (r + mu))
        + y * np.log(mu / (r + mu))
    )
    # A censored cell's score and information by central differences in eta (the negative
    # binomial's interval probability has no closed-form derivative as Poisson's has).
    h = 1e-4
    l0 = _nb_interval_logprob(lo, hi, mu, a)
    lp = _nb_interval_logprob(lo, hi, mu * math.exp(h), a)
    lm = _nb_interval_logprob(lo, hi, mu * math.exp(-h), a)
    g = (lp - lm) / (2 * h)
    curv = -(lp - 2 * l0 + lm) / (h * h)
    loglik = (np.where(exact, ll_exact, 0.0) + np.where(cens, l0, 0.0)).sum(axis=1)
    score = np.where(exact, (y - mu) / (1 + a * mu), np.where(cens, g, 0.0))
    weight = np.where(exact, mu / (1 + a * mu), np.where(cens, np.maximum(curv, 1e-12), 0.0))
    return loglik, score, weight, mu, np.zeros_like(mu)


def fit(
    X: Array,
    y: Array,
    lower: Array,
    upper: Array,
    kind: NDArray[np.int64],
    alpha: Array | None = None,
    offset: Array | None = None,
    beta0: Array | None = None,
    max_iter: int = MAX_ITER,
) -> Fit:
    """Fit ``log mu = X beta`` to every series (rows of the ``(S, T)`` arrays) at once.

    ``X`` is ``(S, T, P)``; ``y`` holds exact counts (ignored elsewhere); ``lower`` and
    ``upper`` hold the censored cells' inclusive bounds.  With ``alpha`` (one per series)
    the family is negative binomial with that dispersion (variance ``mu + alpha mu^2``), its
    covariance the inverse information (not rescaled), else Poisson / quasi-Poisson.
    ``offset`` (``(S, T)``) is added to ``X beta`` (a coefficient held fixed: the profile
    likelihood of analytics.profile).
    """
    S, T, P = X.shape
    present = kind != ABSENT
    n = present.sum(axis=1)
    # Starting values only: the log of the mean count, a censored cell taken at its middle.
    start = np.where(kind == EXACT, y, np.where(kind == CENSORED, (lower + upper) / 2.0, 0.0))
    mean0 = start.sum(axis=1) / np.maximum(n, 1)
    beta = np.zeros((S, P))
    beta[:, 0] = np.log(mean0 + 0.5)
    if beta0 is not None:  # a warm start (the profile's neighbouring fit)
        beta = np.array(beta0, dtype=np.float64, copy=True)
    # Only the series still moving are evaluated: one slow series must not cost the others
    # dozens of passes over their cells.
    act = np.arange(S)
    converged = np.zeros(S, dtype=bool)
    ridge = 1e-9 * np.eye(P)
    loglik, resid, weight, mu, _ = _evaluate(X, beta, y, lower, upper, kind, alpha, offset)
    for _ in range(max_iter):
        if act.size == 0:
            break
        Xa, ya, la, ha, ka = X[act], y[act], lower[act], upper[act], kind[act]
        aa = None if alpha is None else alpha[act]
        oa = None if offset is None else offset[act]
        Xw = Xa * weight[act][:, :, None]
        info = np.einsum("stp,stq->spq", Xw, Xa) + ridge
        score = np.einsum("stp,st->sp", Xa, resid[act])
        step = np.linalg.solve(info, score[:, :, None])[:, :, 0]
        old_ll = loglik[act]
        new_beta = beta[act] + step
        new = list(_evaluate(Xa, new_beta, ya, la, ha, ka, aa, oa))
        # Step halving where the likelihood fell (it cannot, near the optimum of a concave
        # problem; far from it a full Newton step can overshoot), for those series only.
        worse = np.flatnonzero(new[0] < old_ll - 1e-12 * np.abs(old_ll))
        for _halving in range(20):
            if worse.size == 0:
                break
            step[worse] /= 2.0
            new_beta[worse] = beta[act[worse]] + step[worse]
            part = _evaluate(
                Xa[worse],
                new_beta[worse],
                ya[worse],
                la[worse],
                ha[worse],
                ka[worse],
                None if aa is None else aa[worse],
                None if oa is None else oa[worse],
            )
            for slot, values in zip(new, part, strict=True):
                slot[worse] = values
            worse = worse[part[0] < old_ll[worse] - 1e-12 * np.abs(old_ll[worse])]
        # Still worse after 20 halvings: no step improves on the current beta to the
        # precision of the likelihood, so the series stays where it is, done.
        stuck = np.zeros(act.size, dtype=bool)
        if worse.size:
            stuck[worse] = True
            new_beta[stuck] = beta[act[stuck]]
            back = _evaluate(
                Xa[stuck],
                new_beta[stuck],
                ya[stuck],
                la[stuck],
                ha[stuck],
                ka[stuck],
                None if aa is None else aa[stuck],
                None if oa is None else oa[stuck],
            )
            for slot, values in zip(new, back, strict=True):
                slot[stuck] = values
        change = np.abs(new[0] - old_ll) <= TOLERANCE * (np.abs(old_ll) + 1.0)
        small = np.abs(step).max(axis=1) < 1e-8
        beta[act] = new_beta
        loglik[act], resid[act], weight[act], mu[act] = new[0], new[1], new[2], new[3]
        # A series whose fitted mean runs to the limit is diverging (zeros or `<5` cells
        # at one end): more steps only walk further; the check below marks it.
        eta = np.einsum("stp,sp->st", Xa, new_beta) + (0.0 if oa is None else oa)
        running = ((np.abs(eta) >= ETA_LIMIT - 1e-6) & (ka != ABSENT)).any(axis=1)
        done = change | small | running | stuck
        converged[act[done]] = True
        act = act[~done]
    loglik, resid, weight, mu, cvar = _evaluate(X, beta, y, lower, upper, kind, alpha, offset)
    Xw = X * weight[:, :, None]
    info = np.einsum("stp,stq->spq", Xw, X) + ridge
    cov = np.linalg.inv(info)
    pieces = pearson_pieces(y, kind, mu, resid + mu, cvar) if alpha is None else None
    df = (n - P).astype(np.int64)
    if pieces is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            phi = np.where(df > 0, pieces.sum(axis=1) / np.maximum(df, 1), np.nan)
        scale = np.where(np.isfinite(phi), np.maximum(phi, 1.0), 1.0)
        cov = cov * scale[:, None, None]
    else:
        phi = np.ones(S)
    eta = np.einsum("stp,sp->st", X, beta) + (0.0 if offset is None else offset)
    diverged = (np.abs(eta) >= ETA_LIMIT - 1e-6) & present
    converged &= ~diverged.any(axis=1)
    pieces = np.zeros_like(mu) if pieces is None else pieces
    return Fit(beta, cov, loglik, phi, df, converged, mu, pieces)


def pearson_pieces(
    y: Array, kind: NDArray[np.int64], mu: Array, ytilde: Array, cvar: Array
) -> Array:
    """Each cell's Pearson term ``(y - mu)^2 / mu``; a censored cell's is its expected value
    given its interval, ``(Var[Y | interval] + (E[Y | interval] - mu)^2) / mu``."""
    with np.errstate(invalid="ignore", divide="ignore"):
        exact = np.where(kind == EXACT, (y - mu) ** 2 / mu, 0.0)
        cens = np.where(kind == CENSORED, (cvar + (ytilde - mu) ** 2) / mu, 0.0)
    return np.asarray(exact + cens, dtype=np.float64)
