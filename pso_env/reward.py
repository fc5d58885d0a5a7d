"""Reward modes of the environment: the paper's raw improvement and two scale-free variants.

The raw improvement of the best fitness differs by orders of magnitude between functions and along a
run (SPEC section 5), so an agent trained on several functions needs a scale-free reward too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .config import REWARD_MODES  # noqa: F401 - the modes, listed with the configuration

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

    Notes
    -----
    Every reward is finite: a difference that is not finite (for example while every particle's value
    is non-finite, so the best is +inf) gives 0.
    """

    def __init__(self, mode: str, batch_size: int) -> None:
        self.mode = mode
        self.f_star = np.full(batch_size, np.nan)  # NaN: f* unknown
        self.best0 = np.zeros(batch_size)
        self.scale0 = np.ones(batch_size)
        self.e0 = np.ones(batch_size)

    def reset(self, idx: Any, best: np.ndarray, f_star: np.ndarray) -> None:
        """Start episodes ``idx`` from their initial best values and optimum values (NaN: unknown)."""
        self.f_star[idx] = f_star
        self.best0[idx] = best
        finite = np.isfinite(best)
        self.scale0[idx] = np.where(finite, np.maximum(np.abs(np.where(finite, best, 0.0)), 1.0), 1.0)
        e0 = self.error_proxy(best, idx)
        self.e0[idx] = np.where(np.isfinite(e0), e0, 1.0)

    def error_proxy(self, best: np.ndarray, idx: Any = slice(None)) -> np.ndarray:
        """The floored error that the log and relative modes measure, for episodes ``idx``."""
        f_star, best0, scale0 = self.f_star[idx], self.best0[idx], self.scale0[idx]
        known = ~np.isnan(f_star)
        with np.errstate(invalid="ignore"):
            rel = np.where(np.isfinite(best0), 1.0 + (best - best0) / scale0, np.inf)
            e = np.where(known, best - np.where(known, f_star, 0.0), rel)
        return np.maximum(e, ERROR_FLOOR)

    def __call__(self, previous: np.ndarray, best: np.ndarray) -> np.ndarray:
        """The rewards of a step of all B episodes that moved their best values from ``previous`` to ``best``."""
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            if self.mode == "improvement":
                r = previous - best
            elif self.mode == "log":
                r = np.log10(self.error_proxy(previous)) - np.log10(self.error_proxy(best))
            else:
                r = (self.error_proxy(previous) - self.error_proxy(best)) / self.e0
        return np.where(np.isfinite(r), r, 0.0)
