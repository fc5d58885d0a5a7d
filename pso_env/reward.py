"""Reward modes of the environment: the paper's raw improvement and two scale-free variants.

The raw improvement of the best fitness differs by orders of magnitude between functions and along a
run (SPEC section 5), so an agent trained on several functions needs a scale-free reward too.
"""

from __future__ import annotations

import math

REWARD_MODES = ("improvement", "log", "relative")
#: Errors below this count as solved (the CEC convention), so the log reward stays finite.
ERROR_FLOOR = 1e-8


class Reward:
    """Turns the best fitness before and after a step into a finite reward.

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

    Notes
    -----
    Every reward is finite: a difference that is not finite (for example while every particle's value
    is non-finite, so the best is +inf) gives 0.
    """

    def __init__(self, mode: str = "improvement") -> None:
        if mode not in REWARD_MODES:
            raise ValueError(f"reward_mode must be one of {REWARD_MODES}, got {mode!r}")
        self.mode = mode
        self._f_star: float | None = None
        self._best0 = 0.0
        self._scale0 = 1.0

    def reset(self, best: float, f_star: float | None) -> None:
        """Start an episode from the initial best value and the optimum value (None if unknown)."""
        self._f_star = f_star
        self._best0 = best
        self._scale0 = max(abs(best), 1.0) if math.isfinite(best) else 1.0
        e0 = self.error_proxy(best)
        self._e0 = e0 if math.isfinite(e0) else 1.0

    def error_proxy(self, best: float) -> float:
        """The floored error that the log and relative modes measure (see the class docstring)."""
        if self._f_star is not None:
            e = best - self._f_star
        elif math.isfinite(self._best0):
            e = 1.0 + (best - self._best0) / self._scale0
        else:
            e = math.inf
        return max(e, ERROR_FLOOR)

    def __call__(self, previous_best: float, best: float) -> float:
        """The reward of a step that moved the best value from ``previous_best`` to ``best``."""
        if self.mode == "improvement":
            r = previous_best - best
        elif self.mode == "log":
            r = math.log10(self.error_proxy(previous_best)) - math.log10(self.error_proxy(best))
        else:
            r = (self.error_proxy(previous_best) - self.error_proxy(best)) / self._e0
        return r if math.isfinite(r) else 0.0
