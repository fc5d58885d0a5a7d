"""Observation modes of the environment and the scale-free swarm features of ``obs_mode="features"``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from gymnasium import spaces

from .actions import ActionConfig
from .config import OBS_MODES  # noqa: F401 - the modes, listed with the configuration
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


def _unit(value: np.ndarray, low: float, high: float) -> np.ndarray:
    if not high > low:
        return np.zeros_like(value)
    return np.clip((value - low) / (high - low), 0.0, 1.0)


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
        w = IMPROVEMENT_WINDOW + 1
        self._hist = np.zeros((batch_size, w))  # ring buffer of the last W log errors
        self._count = np.zeros(batch_size, dtype=np.int64)
        self._since = np.zeros(batch_size, dtype=np.int64)
        self._last_best = np.full(batch_size, np.inf)

    def reset(self, idx: np.ndarray) -> None:
        self._count[idx] = 0
        self._since[idx] = 0
        self._last_best[idx] = np.inf

    def observe(self, idx: Any, posterior: np.ndarray, f: np.ndarray, iteration: np.ndarray, w: np.ndarray,
                c1: np.ndarray, c2: np.ndarray, best: np.ndarray, reward: Reward) -> np.ndarray:
        a, size = self.actions, self._hist.shape[1]
        # the first observation of an episode counts as an improvement, so since <= iteration <= max_iterations
        since = np.where((best < self._last_best[idx]) | (self._count[idx] == 0), 0, self._since[idx] + 1)
        self._since[idx] = since
        self._last_best[idx] = np.minimum(best, self._last_best[idx])
        e = reward.error_proxy(best, idx)
        with np.errstate(divide="ignore"):
            le = np.where(np.isfinite(e), np.log10(e), 400.0)
        t = self._count[idx].copy()  # idx may be a slice: a view would see the increment below
        rows = np.arange(self._hist.shape[0])[idx]
        self._hist[rows, t % size] = le
        self._count[idx] = t + 1
        past = self._hist[rows, np.maximum(t - IMPROVEMENT_WINDOW, 0) % size]
        out = np.empty((rows.size, len(FEATURE_NAMES)), dtype=np.float32)
        out[:, :4] = posterior
        out[:, 4] = np.where(np.isnan(f), 1.0, np.clip(f, 0.0, 1.0))  # NaN reads as the top symbol, as the HMM's
        out[:, 5] = iteration / self.max_iterations
        out[:, 6] = _unit(w, a.w_min, a.w_max)
        out[:, 7] = _unit(c1, a.c_min, a.c_max)
        out[:, 8] = _unit(c2, a.c_min, a.c_max)
        out[:, 9] = np.clip((past - le) / 10.0, 0.0, 1.0)
        out[:, 10] = np.minimum(np.log1p(since) / self._log_t, 1.0)
        return out
