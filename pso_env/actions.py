"""The paper's four parameter actions (DQNPSO, section 3.5; step sizes after Zhan et al. 2009).

Each action sets the inertia weight ``w`` and moves the acceleration coefficients ``c1`` and ``c2``:

=====  ==============================================  ==========================================
index  inertia weight                                  acceleration coefficients
=====  ==============================================  ==========================================
0      ``w_min + (w_max - w_min) * U(0, 1)``           c1 + delta, c2 - delta
1      ``1 / (1 + 1.5 exp(-2.6 f))`` (f: evol. factor)  c1 + delta, c2 - delta / 2
2      ``w_max``                                       c1 + delta / 2, c2 - delta
3      ``w_min``                                       c1 - delta, c2 + delta
=====  ==============================================  ==========================================

``delta ~ U(delta_low, delta_high)`` is drawn once per action; c1 and c2 are then clamped to
``[c_min, c_max]`` and, when ``c1 + c2 > c_sum_max``, both are rescaled by ``c_sum_max / (c1 + c2)``.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

N_ACTIONS = 4
#: Short names of the actions, index 0..3 (the paper's actions 1..4).
ACTION_NAMES = ("random-w", "adaptive-w", "max-w", "min-w")
# (c1 sign, c2 sign) in units of delta, per action.
_C_MOVES = ((1.0, -1.0), (1.0, -0.5), (0.5, -1.0), (-1.0, 1.0))


def adaptive_inertia(f: float) -> float:
    """Zhan's sigmoid inertia ``w(f) = 1 / (1 + 1.5 exp(-2.6 f))``, about 0.4 at f = 0 and 0.9 at f = 1."""
    return 1.0 / (1.0 + 1.5 * math.exp(-2.6 * f))


def clamp_coefficients(
    c1: float, c2: float, c_min: float, c_max: float, c_sum_max: float
) -> tuple[float, float]:
    """Clamp the acceleration coefficients to a range and bound their sum (Zhan et al. 2009, IV-B).

    Parameters
    ----------
    c1, c2 : float
        Cognitive and social acceleration coefficients.
    c_min, c_max : float
        Range each coefficient is clamped to.
    c_sum_max : float
        Upper limit of ``c1 + c2``: when the clamped sum exceeds it, both are scaled by
        ``c_sum_max / (c1 + c2)``.

    Returns
    -------
    (float, float)
        The clamped and, where needed, rescaled ``(c1, c2)``.
    """
    c1 = min(max(c1, c_min), c_max)
    c2 = min(max(c2, c_min), c_max)
    total = c1 + c2
    if total > c_sum_max:
        c1, c2 = c1 * c_sum_max / total, c2 * c_sum_max / total
    return c1, c2


@dataclass(frozen=True)
class ActionConfig:
    """Ranges used by :func:`apply_action` (defaults: SPEC section 4).

    Parameters
    ----------
    w_min, w_max : float
        Inertia weight range of actions 0, 2 and 3 (0.4 and 0.9: the range of ``adaptive_inertia``).
    delta_low, delta_high : float
        ``delta ~ U(delta_low, delta_high)``; "slightly" moves by ``delta / 2``.
    c_min, c_max : float
        Clamp of c1 and c2.
    c_sum_max : float
        Upper limit of c1 + c2, enforced by rescaling both.

    Every value must be a finite real number >= 0 (Python or numpy: ``numbers.Real``; not a bool).
    """

    w_min: float = 0.4
    w_max: float = 0.9
    delta_low: float = 0.05
    delta_high: float = 0.1
    c_min: float = 1.5
    c_max: float = 2.5
    c_sum_max: float = 4.0

    def __post_init__(self) -> None:
        for name in ("w_min", "w_max", "delta_low", "delta_high", "c_min", "c_max", "c_sum_max"):
            value = getattr(self, name)
            if not (
                isinstance(value, numbers.Real)
                and not isinstance(value, bool)
                and math.isfinite(value)
                and value >= 0
            ):
                raise ValueError(f"{name} must be a finite real number >= 0, got {value!r}")
            object.__setattr__(self, name, float(value))  # np.float32 etc. stored as a Python float
        if not self.w_min <= self.w_max:
            raise ValueError(f"w_min must be <= w_max, got w_min={self.w_min}, w_max={self.w_max}")
        if not self.delta_low <= self.delta_high:
            raise ValueError(
                f"delta_range must be (low, high) with low <= high, got ({self.delta_low}, {self.delta_high})"
            )
        if not self.c_min <= self.c_max:
            raise ValueError(f"c_min must be <= c_max, got c_min={self.c_min}, c_max={self.c_max}")
        if not self.c_sum_max > 0:
            raise ValueError(f"c_sum_max must be > 0, got {self.c_sum_max}")


def apply_action(
    action: int, w: float, c1: float, c2: float, f: float, rng: np.random.Generator, config: ActionConfig
) -> tuple[float, float, float]:
    """Return the new ``(w, c1, c2)`` after ``action`` (0..3) from the current coefficients.

    Parameters
    ----------
    action : int
        Action index 0..3 (the paper's actions 1..4); not validated here (the environment does).
    w, c1, c2 : float
        Current parameters (``w`` is replaced, ``c1``/``c2`` are moved).
    f : float
        Current evolutionary factor, used by action 1.
    rng : numpy.random.Generator
        Source of ``delta`` (one draw) and, for action 0, of the random inertia weight (a second draw).
    config : ActionConfig
        Ranges and clamps.
    """
    delta = config.delta_low + (config.delta_high - config.delta_low) * rng.random()
    if action == 0:
        w = config.w_min + (config.w_max - config.w_min) * rng.random()
    elif action == 1:
        w = adaptive_inertia(f)
    elif action == 2:
        w = config.w_max
    else:
        w = config.w_min
    m1, m2 = _C_MOVES[action]
    c1, c2 = clamp_coefficients(
        c1 + m1 * delta, c2 + m2 * delta, config.c_min, config.c_max, config.c_sum_max
    )
    return w, c1, c2
