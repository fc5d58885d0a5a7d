"""Reward modes of the environment: the paper's raw improvement and two scale-free variants.

The raw improvement of the best fitness differs by orders of magnitude between functions and along a
run (SPEC section 5), so an agent trained on several functions needs a scale-free reward too.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._jit import jit
from .config import REWARD_MODES

#: Errors below this count as solved (the CEC convention), so the log reward stays finite.
ERROR_FLOOR = 1e-8


class Reward:
    """Turns the best fitness of B episodes before and after a step into finite rewards, shape (B,).

    Parameters
    ----------
    mode : {"improvement", "log", "relative"}
        - ``"improvement"`` (the paper's): ``best[t-1] - best[t]``.
        - ``"log"``: ``log10(e[t-1]) - log10(e[t])`` with ``e = max(best - f*, ERROR_FLOOR)``. When f*
          is unknown, ``e = max(1 + (best - best[0]) / max(|best[0]|, 1), ERROR_FLOOR)``: the share of the
          initial best that is left (exactly ``best / best[0]`` for a function whose optimum is 0).
          A whole run's rewards sum to the number of decades the error fell.
        - ``"relative"``: ``(e[t-1] - e[t]) / e[0]``, the improvement in units of the error at reset
          (with f* known and errors above the floor this is ``(best[t-1] - best[t]) / e[0]``).
    batch_size : int
        B.
    params : ndarray of shape (4, B), optional
        Storage of f*, the best at reset, its scale and the error at reset, per episode.

    Notes
    -----
    Every reward is finite: a difference that is not finite (for example while every particle's value
    is non-finite, so the best is +inf) gives 0.
    """

    def __init__(self, mode: str, batch_size: int, params: np.ndarray | None = None) -> None:
        self.mode = mode
        self.code = REWARD_MODES.index(mode)
        # per episode: f* (NaN: unknown), best at reset, its scale max(|best0|, 1), floored error at reset
        self.params = np.empty((4, batch_size)) if params is None else params
        self.f_star, self.best0, self.scale0, self.e0 = self.params
        self.params[:] = ((np.nan,), (0.0,), (1.0,), (1.0,))

    def reset(self, idx: Any, best: np.ndarray, f_star: np.ndarray) -> None:
        """Start episodes ``idx`` from their initial best values and optimum values (NaN: unknown)."""
        self.f_star[idx] = f_star
        self.best0[idx] = best
        self.scale0[idx] = np.maximum(np.abs(np.where(np.isfinite(best), best, 0.0)), 1.0)
        e0 = self.error_proxy(best, idx)
        self.e0[idx] = np.where(np.isfinite(e0), e0, 1.0)

    def error_proxy(self, best: np.ndarray, idx: Any = slice(None)) -> np.ndarray:
        """The floored error that the log and relative modes measure, for episodes ``idx``."""
        rows = np.arange(self.params.shape[1])[idx]
        return np.array([error(b, self.params, r) for b, r in zip(np.asarray(best, dtype=float).tolist(), rows)])

    def __call__(self, previous: np.ndarray, best: np.ndarray) -> np.ndarray:
        """The rewards of a step of all B episodes that moved their best values from ``previous`` to ``best``."""
        return np.array([reward(self.code, p, b, self.params, r)
                         for r, (p, b) in enumerate(zip(np.asarray(previous, dtype=float).tolist(),
                                                        np.asarray(best, dtype=float).tolist()))])


@jit()
def error(best: float, params: np.ndarray, r: int) -> float:
    """The floored error of episode ``r`` at best value ``best`` (``params``: :attr:`Reward.params`)."""
    f_star, best0 = params[0, r], params[1, r]
    if not math.isnan(f_star):
        e = best - f_star
    elif math.isfinite(best0):
        e = 1.0 + (best - best0) / params[2, r]
    else:
        e = math.inf
    return max(e, ERROR_FLOOR) if not math.isnan(e) else e


@jit()
def reward(code: int, previous: float, best: float, params: np.ndarray, r: int) -> float:
    """The reward of episode ``r`` (mode ``code``: index in ``REWARD_MODES``) for a step from ``previous`` to ``best``."""
    if code == 0:
        v = previous - best
    else:
        ep, eb = error(previous, params, r), error(best, params, r)
        v = math.log10(ep) - math.log10(eb) if code == 1 else (ep - eb) / params[3, r]
    return v if math.isfinite(v) else 0.0
