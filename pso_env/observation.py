"""Observation modes of the environment and the scale-free swarm features of ``obs_mode="features"``."""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

import numpy as np
from gymnasium import spaces

from .actions import ActionConfig
from .reward import Reward

if TYPE_CHECKING:
    from .env import PSOEnv

OBS_MODES = ("viterbi", "belief", "features")
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


def _unit(value: float, low: float, high: float) -> float:
    return min(max((value - low) / (high - low), 0.0), 1.0) if high > low else 0.0


class FeatureTracker:
    """Builds the 11-entry "features" observation; every entry lies in [0, 1].

    - 0-3 ``p_*``: the HMM's filtered posterior over exploration, exploitation, convergence,
      jumping-out.
    - 4 ``f``: the evolutionary factor (where the best particle sits in the swarm).
    - 5 ``progress``: ``t / max_iterations``, the share of the budget spent.
    - 6 ``w``: the current inertia weight, scaled over ``[w_min, w_max]``.
    - 7, 8 ``c1``, ``c2``: the current coefficients, scaled over ``[c_min, c_max]``.
    - 9 ``recent_improvement``: ``log10(e[t-10] / e[t]) / 10``, clipped to [0, 1]: decades the error
      fell over the last 10 iterations (``e`` is the reward's floored error, so it is scale-free).
    - 10 ``stagnation``: ``log(1 + k) / log(1 + max_iterations)`` with ``k`` the iterations since the
      best value last improved.
    """

    def __init__(self, max_iterations: int, actions: ActionConfig) -> None:
        self.max_iterations = max_iterations
        self.actions = actions
        self._log_t = math.log1p(max_iterations)

    def reset(self, reward: Reward) -> None:
        """Start an episode; ``reward`` supplies the floored error (it has been reset already)."""
        self._reward = reward
        self._log_errors: deque[float] = deque(maxlen=IMPROVEMENT_WINDOW + 1)
        self._since = 0
        self._last_best = math.inf

    def observe(self, env: PSOEnv) -> np.ndarray:
        """The features after the latest reset or step of ``env``."""
        swarm, a = env.swarm, self.actions
        best = swarm.gbest_fitness[0]
        self._since = 0 if best < self._last_best else self._since + 1
        self._last_best = min(best, self._last_best)
        e = self._reward.error_proxy(best)
        self._log_errors.append(math.log10(e) if math.isfinite(e) else 400.0)
        recent = min(max((self._log_errors[0] - self._log_errors[-1]) / 10.0, 0.0), 1.0)
        out = np.empty(len(FEATURE_NAMES), dtype=np.float32)
        out[:4] = env.tracker.posterior
        out[4:] = (
            env.f,
            swarm.iteration[0] / self.max_iterations,
            _unit(env.w, a.w_min, a.w_max),
            _unit(env.c1, a.c_min, a.c_max),
            _unit(env.c2, a.c_min, a.c_max),
            recent,
            math.log1p(self._since) / self._log_t if self._log_t > 0 else 0.0,
        )
        return out
