"""Observation modes of the environment and the scale-free swarm features of ``obs_mode="features"``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from gymnasium import spaces

from ._jit import jit
from .actions import ActionConfig
from .reward import Reward, error

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

    ``Features(batch_size, max_iterations, actions)`` (``actions``: the ranges of w, c1, c2); ``floats``
    (12, B) and ``ints`` (2, B), optional, store the best value seen and the last 11 log errors (a ring
    buffer), and the counts (observations, iterations since the best improved).
    """

    def __init__(self, batch_size: int, max_iterations: int, actions: ActionConfig, floats: np.ndarray | None = None,
                 ints: np.ndarray | None = None) -> None:
        a = actions
        self.params = np.array([max_iterations, math.log1p(max_iterations), a.w_min, a.w_max, a.c_min, a.c_max])
        self.floats = np.zeros((IMPROVEMENT_WINDOW + 2, batch_size)) if floats is None else floats
        self.ints = np.zeros((2, batch_size), dtype=np.int64) if ints is None else ints
        self.last_best = self.floats[0]
        self.reset(slice(None))

    def reset(self, idx: Any) -> None:
        """Start episodes ``idx``: empty windows, no improvement seen."""
        self.ints[:, idx] = 0
        self.last_best[idx] = np.inf

    def observe(self, idx: Any, posterior: np.ndarray, f: np.ndarray, iteration: np.ndarray, w: np.ndarray,
                c1: np.ndarray, c2: np.ndarray, best: np.ndarray, reward: Reward) -> np.ndarray:
        """The features of episodes ``idx`` (a slice or indices) after their latest reset or step, shape (k, 11).

        ``posterior`` (k, 4), the other arrays (k,): the state of those episodes; ``reward`` supplies the
        floored error. Advances the episodes' windows, so call it once per step.
        """
        rows = np.arange(self.ints.shape[1])[idx]
        out = np.empty((rows.size, len(FEATURE_NAMES)), dtype=np.float32)
        cols = [np.asarray(v, dtype=float).tolist() for v in (f, iteration, w, c1, c2, best)]
        for k, r in enumerate(rows.tolist()):
            f_k, t_k, w_k, c1_k, c2_k, b_k = (c[k] for c in cols)
            feature_row(out[k], r, np.asarray(posterior[k], dtype=float), f_k, t_k, w_k, c1_k, c2_k, b_k,
                        error(b_k, reward.params, r), self.floats, self.ints, self.params)
        return out


@jit()
def _unit(value: float, low: float, high: float) -> float:
    if not high > low:
        return 0.0
    return min(max((value - low) / (high - low), 0.0), 1.0)


@jit()
def feature_row(out, r, posterior, f, iteration, w, c1, c2, best, e, floats, ints, params):
    """Episode ``r``'s features into ``out`` (11,), each in [0, 1], from its state after a reset or step
    (``e``: the floored error); advances its window (:class:`Features`' arrays)."""
    size = floats.shape[0] - 1
    t = ints[0, r]
    # the first observation of an episode counts as an improvement, so since <= iteration <= max_iterations
    s = 0 if (best < floats[0, r] or t == 0) else ints[1, r] + 1
    ints[1, r] = s
    floats[0, r] = min(best, floats[0, r])
    le = math.log10(e) if math.isfinite(e) else 400.0
    floats[1 + t % size, r] = le
    ints[0, r] = t + 1
    past = floats[1 + max(t - (size - 1), 0) % size, r]
    for j in range(4):
        out[j] = posterior[j]
    out[4] = 1.0 if math.isnan(f) else min(max(f, 0.0), 1.0)  # NaN reads as the top symbol, as the HMM's
    out[5] = min(max(iteration / params[0], 0.0), 1.0)
    out[6] = _unit(w, params[2], params[3])
    out[7] = _unit(c1, params[4], params[5])
    out[8] = _unit(c2, params[4], params[5])
    out[9] = min(max((past - le) / 10.0, 0.0), 1.0)
    out[10] = min(math.log1p(s) / params[1], 1.0)
