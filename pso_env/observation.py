"""Observation modes of the environment: the scale-free swarm features of ``obs_mode="features"`` and the
per-particle inputs of ``obs_mode="particle"``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from gymnasium import spaces

from ._jit import jit
from .actions import ActionConfig

#: Names of the entries of a "features" observation, in order.
FEATURE_NAMES = (
    "p_exploration", "p_exploitation", "p_convergence", "p_jumping_out",
    "f", "progress", "w", "c1", "c2", "recent_improvement", "stagnation", "diversity", "fdc",
)
#: Names of the entries of each particle's row of a "particle" observation, in order: three of the particle, then
#: four of its swarm (three "features" entries of those names, then the median particle's distance to the global best).
PARTICLE_FEATURE_NAMES = ("rank", "distance", "own_stagnation", "progress", "stagnation", "diversity",
                          "median_distance")
#: The "features" entries that a "particle" observation repeats in every particle's row (its entries 3-5).
PARTICLE_SWARM_FEATURES = tuple(FEATURE_NAMES.index(name) for name in PARTICLE_FEATURE_NAMES[3:6])
#: Columns of :func:`particle_inputs_into`'s output: a row's entries 0-2 (the particle's) and 6 (its swarm's median
#: distance), the rest being "features" entries.
PARTICLE_COLUMNS = 4
#: Window of the recent-improvement feature, in iterations.
IMPROVEMENT_WINDOW = 10
#: Decades of shrinkage of the swarm's diversity that the diversity feature spans (0 beyond).
DIVERSITY_DECADES = 12.0
# Rows of Features.floats: the best so far, a ring of the last IMPROVEMENT_WINDOW + 1 best values, the best and the
# diversity at reset, then the current diversity and fitness-distance correlation (written by swarm_statistics_into).
_RING = IMPROVEMENT_WINDOW + 1
_BEST0, _DIV0, _DIV, _FDC = _RING + 1, _RING + 2, _RING + 3, _RING + 4
#: Rows of per-episode values that :class:`Features` keeps (its ``floats`` argument).
FEATURE_FLOATS = _RING + 5


def observation_space(mode: str, swarm_size: int) -> spaces.Box:
    """``Box(0, 1, shape, float32)``: shape (4,) for "viterbi" and "belief", (13,) for "features", (N, 7) for
    "particle" (N = ``swarm_size``)."""
    if mode == "particle":
        return spaces.Box(0.0, 1.0, (swarm_size, len(PARTICLE_FEATURE_NAMES)), dtype=np.float32)
    n = len(FEATURE_NAMES) if mode == "features" else 4
    return spaces.Box(0.0, 1.0, (n,), dtype=np.float32)


class Features:
    """Builds the 13-entry "features" observations of B episodes; every entry lies in [0, 1] for any objective values,
    and none needs the optimum value f*.

    - 0-3 ``p_*``: the HMM's filtered posterior over exploration, exploitation, convergence,
      jumping-out.
    - 4 ``f``: the evolutionary factor (where the best particle sits in the swarm).
    - 5 ``progress``: ``t / max_iterations``, the share of the budget spent; with ``max_evaluations`` B, the
      evaluations spent / B.
    - 6 ``w``: the current inertia weight, scaled over ``[w_min, w_max]``.
    - 7, 8 ``c1``, ``c2``: the current coefficients, scaled over ``[c_min, c_max]``.
    - 9 ``recent_improvement``: ``(best[t-10] - best[t]) / (best[0] - best[t])``, the share of the episode's
      improvement made in the last 10 iterations (0 before any improvement; invariant to shifting and
      positively scaling the objective).
    - 10 ``stagnation``: ``log(1 + k) / log(1 + max_iterations)`` (the planned iterations with a budget), clipped to
      1, with ``k`` the iterations since the best value last improved (the first observation of an episode counts
      as an improvement, so ``k <= t``).
    - 11 ``diversity``: ``1 + log10(div[t] / div[0]) / 12`` clipped to [0, 1], with ``div`` the particles' mean
      Euclidean distance to their centroid: 1 at reset (and above), 0 once the swarm has shrunk 12 decades.
    - 12 ``fdc``: ``(1 + r) / 2`` with ``r`` the fitness-distance correlation (Jones & Forrest 1995) of the current
      swarm: Pearson's correlation of the particles' current values with their distances to the global best
      position, over the particles with finite values; 0.5 where it is undefined (fewer than two such
      particles, equal values or equal distances). Near 1: the better particles sit near the best.

    ``Features(batch_size, max_iterations, actions, max_evaluations=None, horizon=None)`` (``actions``: the ranges
    of w, c1, c2; with ``max_evaluations`` B, :meth:`observe`'s ``iteration`` is the evaluations spent;
    ``horizon``: the iterations that scale ``stagnation``, default ``max_iterations``, with a budget
    :attr:`pso_env.config.EnvConfig.horizon`, so that ``max_iterations`` is only a cap); ``floats``
    (:data:`FEATURE_FLOATS`, B) and ``ints`` (2, B), optional, store the best so far, a ring of the last 11 best
    values, the best and diversity at reset and the current diversity and correlation
    (:func:`swarm_statistics_into`), and the counts (observations, iterations since the best improved).
    """

    def __init__(self, batch_size: int, max_iterations: int, actions: ActionConfig, floats: np.ndarray | None = None,
                 ints: np.ndarray | None = None, *, max_evaluations: int | None = None,
                 horizon: int | None = None) -> None:
        a = actions
        # progress's clock (its length, and 1 where it counts evaluations), the stagnation scale, the ranges
        clock = (max_iterations, 0.0) if max_evaluations is None else (max_evaluations, 1.0)
        horizon = max_iterations if horizon is None else horizon
        self.params = np.array([clock[0], math.log1p(horizon), a.w_min, a.w_max, a.c_min, a.c_max, clock[1]])
        self.floats = np.zeros((FEATURE_FLOATS, batch_size)) if floats is None else floats
        self.ints = np.zeros((2, batch_size), dtype=np.int64) if ints is None else ints
        self.last_best = self.floats[0]
        self.statistics = self.floats[_DIV:_FDC + 1]  # (2, B): diversity and correlation of the current swarms
        self.reset(slice(None))

    def reset(self, idx: Any) -> None:
        """Start episodes ``idx``: empty windows, no improvement seen."""
        self.ints[:, idx] = 0
        self.last_best[idx] = np.inf

    def observe(self, idx: Any, posterior: np.ndarray, f: np.ndarray, iteration: np.ndarray, w: np.ndarray,
                c1: np.ndarray, c2: np.ndarray, best: np.ndarray, diversity: np.ndarray, fdc: np.ndarray) -> np.ndarray:
        """The features of episodes ``idx`` (a slice or indices) after their latest reset or step, shape (k, 13).

        ``posterior`` (k, 4), the other arrays (k,): the state of those episodes (``diversity``, ``fdc``: the raw
        values of :func:`swarm_statistics`). Advances the episodes' windows, so call it once per step.
        """
        rows = np.arange(self.ints.shape[1])[idx]
        self.statistics[:, rows] = np.asarray(diversity, dtype=float), np.asarray(fdc, dtype=float)
        out = np.empty((rows.size, len(FEATURE_NAMES)), dtype=np.float32)
        cols = [np.asarray(v, dtype=float).tolist() for v in (f, iteration, w, c1, c2, best)]
        for k, r in enumerate(rows.tolist()):
            f_k, t_k, w_k, c1_k, c2_k, b_k = (c[k] for c in cols)
            feature_row(out[k], r, np.asarray(posterior[k], dtype=float), f_k, t_k, w_k, c1_k, c2_k, b_k,
                        self.floats, self.ints, self.params)
        return out


def swarm_statistics(positions: np.ndarray, fitness: np.ndarray, gbest: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Diversity and fitness-distance correlation of B swarms, arrays (B,): the raw inputs of features 11 and 12.

    ``positions`` (B, N, D), ``fitness`` (B, N) (current values; non-finite ones are left out of the
    correlation), ``gbest`` (B, D). The diversity is the mean Euclidean distance of the particles to their centroid;
    the correlation is Pearson's, of the values with the distances to ``gbest``, NaN where undefined.
    """
    x = np.asarray(positions, dtype=np.float64)
    out = np.empty((2, x.shape[0]))
    swarm_statistics_into(x, np.asarray(fitness, dtype=np.float64), np.asarray(gbest, dtype=np.float64),
                          np.arange(x.shape[0]), out)
    return out[0], out[1]


@jit()
def swarm_statistics_into(x, fit, g, rows, out):
    """:func:`swarm_statistics` of swarms ``rows`` into ``out[0, r]`` (diversity) and ``out[1, r]`` (correlation).

    Values are scaled into [0, 1] before the correlation (halves first, so that no difference overflows) and
    distances by their largest, so that any finite values give a correlation in [-1, 1]."""
    n, d = x.shape[1], x.shape[2]
    dist, centre = np.empty(n), np.empty(d)
    for r in rows:
        xr, fr, gr = x[r], fit[r], g[r]
        # diversity (mean distance to the centroid) and the distances to g, in one pass over the swarm
        centre[:] = 0.0
        for i in range(n):
            for k in range(d):
                centre[k] += xr[i, k]
        for k in range(d):
            centre[k] = centre[k] / n
        total = 0.0
        for i in range(n):
            s = u = 0.0
            for k in range(d):
                t, e = xr[i, k] - centre[k], xr[i, k] - gr[k]
                s += t * t
                u += e * e
            total += math.sqrt(s)
            dist[i] = math.sqrt(u)
        out[0, r] = total / n
        # fitness-distance correlation over the finite values
        lo, hi, dmax, m = math.inf, -math.inf, 0.0, 0
        for i in range(n):
            v = fr[i]
            if math.isfinite(v):
                m += 1
                lo, hi = min(lo, v), max(hi, v)
                if dist[i] > dmax:  # noqa: PLR1730 - max() would differ on NaN
                    dmax = dist[i]
        span = 0.5 * hi - 0.5 * lo
        out[1, r] = np.nan
        if m < 2 or not span > 0.0 or not dmax > 0.0 or not math.isfinite(dmax):
            continue
        mz, my = 0.0, 0.0
        for i in range(n):
            if math.isfinite(fr[i]):
                mz += (0.5 * fr[i] - 0.5 * lo) / span
                my += dist[i] / dmax
        mz, my = mz / m, my / m
        szz, syy, szy = 0.0, 0.0, 0.0
        for i in range(n):
            if math.isfinite(fr[i]):
                z, y = (0.5 * fr[i] - 0.5 * lo) / span - mz, dist[i] / dmax - my
                szz += z * z
                syy += y * y
                szy += z * y
        if szz > 0.0 and syy > 0.0:
            out[1, r] = min(max(szy / math.sqrt(szz * syy), -1.0), 1.0)


@jit()
def particle_inputs_into(x, fit, g, pbest, rows, start, state, log_horizon, out):
    """The entries of ``obs_mode="particle"`` that are not "features" entries, of swarms ``rows``, into ``out``
    (B, N, 4), each in [0, 1]:

    - ``rank``: the particle's current value's rank in its swarm over N - 1 (0: the best; ties by index, so
      +inf values, the environment's reading of non-finite ones, rank last in index order);
    - ``distance``: its Euclidean distance to the global best ``g`` over the farthest particle's (all 0 when that
      is 0 or not finite);
    - ``own_stagnation``: ``log(1 + k) / log_horizon`` clipped to 1, ``k`` the iterations since its personal best
      last changed: improved, or replaced by an operator that puts a new particle in its place (the "features"
      stagnation, per particle);
    - ``median_distance`` (column 3, the same for every particle of a swarm; the observation's entry 6): the median
      over the particles of their distance to ``g`` (for even N the mean of the two middle ones), ``m``, as
      ``1 + log10(m[t] / m[0]) / 12`` clipped to [0, 1] (as the diversity feature): 1 at the episode's first
      observation, 0 once the median particle is 12 decades closer (or at ``g``); a NaN distance (a non-finite
      position, only with ``bounds="none"``) counts as +inf, so a swarm that diverges reads 1. **Our input**: unlike
      the diversity, a mean, one far particle cannot hold it up (APSO's elitist learning puts one there at every
      iteration it runs; results/learned-control, "Seed 135's unimodal gap at D = 30").

    ``x`` (B, N, D), ``fit``, ``pbest`` (B, N) (current and personal best values), ``g`` (B, D); ``state`` (3, B, N)
    holds each particle's last personal best value and ``k``, and (``state[2, r, 0]``) the episode's first median
    distance: with ``start`` they are set (``k`` = 0, an episode's first observation), else advanced by one
    iteration, so call it once per step.
    """
    n, d = x.shape[1], x.shape[2]
    dist = np.empty(n)
    for r in rows:
        far = 0.0
        for i in range(n):
            if start or pbest[r, i] != state[0, r, i]:  # improved, or replaced (Swarm.set_particles)
                state[0, r, i], state[1, r, i] = pbest[r, i], 0.0
            else:
                state[1, r, i] += 1.0
            out[r, i, 2] = _stagnation(state[1, r, i], log_horizon)
            below = 0
            for j in range(n):
                if fit[r, j] < fit[r, i] or (fit[r, j] == fit[r, i] and j < i):
                    below += 1
            out[r, i, 0] = below / (n - 1)
            u = 0.0
            for k in range(d):
                e = x[r, i, k] - g[r, k]
                u += e * e
            dist[i] = math.sqrt(u)
            if dist[i] > far:  # noqa: PLR1730 - max() would differ on NaN
                far = dist[i]
        for i in range(n):
            v = dist[i] / far if far > 0.0 and math.isfinite(far) else 0.0
            out[r, i, 1] = 0.0 if math.isnan(v) else min(max(v, 0.0), 1.0)
        for i in range(n):
            if math.isnan(dist[i]):  # a non-finite position (bounds="none"): as far as can be, as the rank puts it last
                dist[i] = math.inf
        median = np.median(dist)
        if start:
            state[2, r, 0] = median
        m = 1.0 if start else _decades(median, state[2, r, 0])
        for i in range(n):
            out[r, i, 3] = m


@jit(inline="always")
def _stagnation(k: float, log_horizon: float) -> float:
    """``log(1 + k) / log_horizon`` clipped to 1: ``k`` iterations without improvement on the log scale of the run."""
    return min(math.log1p(k) / log_horizon, 1.0)


@jit()
def _unit(value: float, low: float, high: float) -> float:
    if not high > low:
        return 0.0
    return min(max((value - low) / (high - low), 0.0), 1.0)


@jit()
def _share(past: float, best: float, first: float) -> float:
    """``(past - best) / (first - best)`` in [0, 1]: 0 without improvement since ``first``, 1 for one from +inf."""
    den = 0.5 * first - 0.5 * best  # halves: no overflow between finite values
    if not den > 0.0:
        return 0.0
    num = 0.5 * past - 0.5 * best
    if math.isinf(num):  # the first finite best arrived within the window
        return 1.0
    return min(max(num / den, 0.0), 1.0)


@jit()
def _decades(value: float, reference: float) -> float:
    """``1 + log10(value / reference) / DIVERSITY_DECADES`` clipped to [0, 1] (0 for value 0 or NaN)."""
    if not value > 0.0:
        return 0.0
    if not reference > 0.0:
        return 1.0
    v = 1.0 + (math.log10(value) - math.log10(reference)) / DIVERSITY_DECADES
    return 1.0 if math.isnan(v) else min(max(v, 0.0), 1.0)


@jit()
def feature_row(out, r, posterior, f, iteration, w, c1, c2, best, floats, ints, params):
    """Episode ``r``'s features into ``out`` (13,), each in [0, 1], from its state after a reset or step and its
    swarm statistics in ``floats`` (:func:`swarm_statistics_into`); advances its window (:class:`Features`' arrays)."""
    t = ints[0, r]
    # the first observation of an episode counts as an improvement, so since <= iteration <= max_iterations
    s = 0 if (best < floats[0, r] or t == 0) else ints[1, r] + 1
    ints[1, r] = s
    floats[0, r] = min(best, floats[0, r])
    if t == 0:
        floats[_BEST0, r], floats[_DIV0, r] = best, floats[_DIV, r]
    floats[1 + t % _RING, r] = best
    ints[0, r] = t + 1
    past = floats[1 + max(t - IMPROVEMENT_WINDOW, 0) % _RING, r]
    for j in range(4):
        out[j] = posterior[j]
    out[4] = 1.0 if math.isnan(f) else min(max(f, 0.0), 1.0)  # NaN reads as the top symbol, as the HMM's
    out[5] = min(max(iteration / params[0], 0.0), 1.0)
    out[6] = _unit(w, params[2], params[3])
    out[7] = _unit(c1, params[4], params[5])
    out[8] = _unit(c2, params[4], params[5])
    out[9] = _share(past, best, floats[_BEST0, r])
    out[10] = _stagnation(s, params[1])
    out[11] = _decades(floats[_DIV, r], floats[_DIV0, r])
    r_fdc = floats[_FDC, r]
    out[12] = 0.5 if math.isnan(r_fdc) else 0.5 + 0.5 * min(max(r_fdc, -1.0), 1.0)
