"""Observation modes of the environment and the scale-free swarm features of ``obs_mode="features"``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from gymnasium import spaces
from numba import njit

from .actions import ActionConfig
from .reward import Reward

#: Names of the entries of a "features" observation, in order.
FEATURE_NAMES = (
    "p_exploration", "p_exploitation", "p_convergence", "p_jumping_out",
    "f", "progress", "w", "c1", "c2", "recent_improvement", "stagnation",
)
#: Window of the recent-improvement feature, in iterations.
IMPROVEMENT_WINDOW = 10


def observation_space(mode: str) -> spaces.Box:
    """``Box(0, 1, (n,), float32)``: n = 4 for "viterbi" and "belief", 11 for "features"."""
    n = len(FEATURE_NAMES) if mode == "features" else 4
    return spaces.Box(0.0, 1.0, (n,), dtype=np.float32)


class Features:
    """Builds the 11-entry "features" observations of B episodes; every entry lies in [0, 1] for any objective values.

    - 0-3 ``p_*``: the HMM's filtered posterior over exploration, exploitation, convergence,
      jumping-out.
    - 4 ``f``: the evolutionary factor (where the best particle sits in the swarm).
    - 5 ``progress``: ``t / max_iterations``, the share of the budget spent.
    - 6 ``w``: the current inertia weight, scaled over ``[w_min, w_max]``.
    - 7, 8 ``c1``, ``c2``: the current coefficients, scaled over ``[c_min, c_max]``.
    - 9 ``recent_improvement``: ``log10(e[t-10] / e[t]) / 10``, clipped to [0, 1]: decades the error
      fell over the last 10 iterations (``e`` is the reward's floored error, so it is scale-free).
    - 10 ``stagnation``: ``log(1 + k) / log(1 + max_iterations)`` with ``k`` the iterations since the
      best value last improved (the first observation of an episode counts as an improvement, so
      ``k <= t``).

    Parameters
    ----------
    batch_size : int
        B.
    max_iterations : int
        Iterations per episode.
    actions : ActionConfig
        Ranges of w, c1 and c2.
    """

    def __init__(self, batch_size: int, max_iterations: int, actions: ActionConfig) -> None:
        self.max_iterations = max_iterations
        self.actions = actions
        self._log_t = math.log1p(max_iterations)
        self._hist = np.zeros((batch_size, IMPROVEMENT_WINDOW + 1))  # ring buffer of the last log errors
        self._count, self._since = np.zeros((2, batch_size), dtype=np.int64)
        self._last_best = np.full(batch_size, np.inf)

    def reset(self, idx: Any) -> None:
        """Start episodes ``idx``: empty windows, no improvement seen."""
        self._count[idx] = self._since[idx] = 0
        self._last_best[idx] = np.inf

    def observe(self, idx: Any, posterior: np.ndarray, f: np.ndarray, iteration: np.ndarray, w: np.ndarray,
                c1: np.ndarray, c2: np.ndarray, best: np.ndarray, reward: Reward) -> np.ndarray:
        """The features of episodes ``idx`` (a slice or indices) after their latest reset or step, shape (k, 11).

        ``posterior`` (k, 4), the other arrays (k,): the state of those episodes; ``reward`` supplies the
        floored error. Advances the episodes' windows, so call it once per step.
        """
        a = self.actions
        rows = np.arange(self._hist.shape[0])[idx]
        out = np.empty((rows.size, len(FEATURE_NAMES)), dtype=np.float32)
        _features_into(out, rows, np.ascontiguousarray(posterior, dtype=float), _f64(f), _f64(iteration), _f64(w),
                       _f64(c1), _f64(c2), _f64(best), _f64(reward.error_proxy(best, idx)), self._hist, self._count,
                       self._since, self._last_best, float(self.max_iterations), self._log_t, a.w_min, a.w_max,
                       a.c_min, a.c_max)
        return out


def _f64(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x, dtype=np.float64)


@njit(cache=True, nogil=True)
def _unit1(value: float, low: float, high: float) -> float:
    if not high > low:
        return 0.0
    return min(max((value - low) / (high - low), 0.0), 1.0)


@njit(cache=True, nogil=True)
def _features_into(out, rows, posterior, f, iteration, w, c1, c2, best, e, hist, count, since, last_best,
                   max_iterations, log_t, w_min, w_max, c_min, c_max):
    """One feature row per episode ``rows[k]`` into ``out[k]`` (the class docstring's entries, each in [0, 1])."""
    size = hist.shape[1]
    for k in range(rows.shape[0]):
        r = rows[k]
        t = count[r]
        # the first observation of an episode counts as an improvement, so since <= iteration <= max_iterations
        s = 0 if (best[k] < last_best[r] or t == 0) else since[r] + 1
        since[r] = s
        last_best[r] = min(best[k], last_best[r])
        le = math.log10(e[k]) if math.isfinite(e[k]) else 400.0
        hist[r, t % size] = le
        count[r] = t + 1
        past = hist[r, max(t - (size - 1), 0) % size]
        for j in range(4):
            out[k, j] = posterior[k, j]
        fk = f[k]
        out[k, 4] = 1.0 if math.isnan(fk) else min(max(fk, 0.0), 1.0)  # NaN reads as the top symbol, as the HMM's
        out[k, 5] = min(max(iteration[k] / max_iterations, 0.0), 1.0)
        out[k, 6] = _unit1(w[k], w_min, w_max)
        out[k, 7] = _unit1(c1[k], c_min, c_max)
        out[k, 8] = _unit1(c2[k], c_min, c_max)
        out[k, 9] = min(max((past - le) / 10.0, 0.0), 1.0)
        out[k, 10] = min(math.log1p(s) / log_t, 1.0)
