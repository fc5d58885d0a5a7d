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

The continuous mode (``EnvConfig(action_mode="continuous")``, **our choice**, for Gaussian and squashed
policies: SAC, TD3, PPO) sets the three parameters directly from an action ``a`` in ``[-1, 1]^3``, each
component clipped to [-1, 1] and mapped affinely onto its range (:func:`continuous_parameters`):

=========  ====================================================
parameter  value
=========  ====================================================
w          ``w_min + (a[0] + 1) / 2 * (w_max - w_min)``
c1         ``c_min + (a[1] + 1) / 2 * (c_max - c_min)``
c2         ``c_min + (a[2] + 1) / 2 * (c_max - c_min)``
=========  ====================================================

then, as in the discrete mode, both coefficients are rescaled by ``c_sum_max / (c1 + c2)`` when their sum
exceeds ``c_sum_max`` (4): both modes reach the same parameter set. No random draw is involved.

The particle mode (``EnvConfig(action_mode="particle")``, **our choice**, after GLEET (Ma et al. 2024), which sets
each particle's coefficients) takes one such row per particle, an action ``a`` in ``[-1, 1]^(N, 3)``: particle
``i`` moves with the ``w``, ``c1``, ``c2`` that row ``a[i]`` sets by the table above (:func:`particle_parameters`).
With ``EnvConfig(elitist=True)`` each row has a 4th entry, the particle's vote on elitist learning (read by the
environment, not here: see :class:`pso_env.PSOEnv`); with ``EnvConfig(random_factors="action")`` a last entry, the
particle's choice of r1, r2 (> 0: one per particle for all its dimensions; also read by the environment).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from ._jit import jit
from .config import check_real

N_ACTIONS = 4
#: Length of a continuous action, and of a particle's row of a particle action: (w, c1, c2).
N_CONTINUOUS = 3
#: Names of the continuous action components; "elitist" is the 4th with ``EnvConfig(elitist=True)``.
CONTINUOUS_NAMES = ("w", "c1", "c2", "elitist")
#: Short names of the actions, index 0..3 (the paper's actions 1..4).
ACTION_NAMES = ("random-w", "adaptive-w", "max-w", "min-w")


def action_columns(elitist: bool, random_factors: str) -> tuple[str, ...]:
    """Names of a continuous action's components, or of a particle action's columns, in order: w, c1, c2, then
    "elitist" with ``elitist`` and "shared_factors" (the draw choice) with ``random_factors="action"``."""
    return CONTINUOUS_NAMES[:3 + bool(elitist)] + (("shared_factors",) if random_factors == "action" else ())


def check_continuous(value: object, shape: tuple[int, ...], name: str, *, per_particle: bool,
                     columns: tuple[str, ...], copy: bool = False) -> np.ndarray:
    """``value`` as a float64 array of ``shape`` (a copy with ``copy``); ValueError naming ``name`` unless it has
    that shape and only finite numbers. The one check of continuous and particle actions: one (``PSOEnv``, ``(3,)``,
    ``(4,)``, per particle ``(N, 3)``, ``(N, 4)``, ``(N, 5)``) or a batch (``PSOVectorEnv``, a leading ``B``);
    ``columns``: the components' names for the message (:func:`action_columns`)."""
    try:
        a = (np.array if copy else np.asarray)(value, dtype=np.float64)
    except (TypeError, ValueError):
        a = None
    if a is None or a.shape != tuple(shape) or not np.isfinite(a).all():
        names = ", ".join(columns)
        if per_particle:
            what = f"an array of shape {tuple(shape)} of finite numbers (per particle {names}"
        elif len(shape) == 1:
            what = f"{shape[0]} finite numbers ({names}"
        else:
            what = f"{shape[0]} rows of {shape[1]} finite numbers ({names}"
        raise ValueError(f"{name} must be {what} in [-1, 1]; beyond it clipped), got {value!r}")
    return a


# Moves of c1 and of c2 in units of delta, per action (constant tuples: numba reads them as constants).
_M1 = (1.0, 1.0, 0.5, -1.0)
_M2 = (-1.0, -0.5, -1.0, 1.0)


@jit()
def adaptive_inertia(f: float) -> float:
    """Zhan's sigmoid inertia ``w(f) = 1 / (1 + 1.5 exp(-2.6 f))``, about 0.4 at f = 0 and 0.9 at f = 1."""
    return 1.0 / (1.0 + 1.5 * math.exp(-2.6 * f))


@jit()
def clamp_coefficients(c1: float, c2: float, c_min: float, c_max: float, c_sum_max: float) -> tuple[float, float]:
    """``(c1, c2)`` clamped to ``[c_min, c_max]`` and, when their sum exceeds ``c_sum_max``, both scaled by
    ``c_sum_max / (c1 + c2)`` (Zhan et al. 2009, IV-B)."""
    c1 = min(max(c1, c_min), c_max)
    c2 = min(max(c2, c_min), c_max)
    total = c1 + c2
    if total > c_sum_max:
        c1, c2 = c1 * c_sum_max / total, c2 * c_sum_max / total
    return c1, c2


@dataclass(frozen=True)
class ActionConfig:
    """Ranges used by :func:`apply_actions` (defaults: SPEC section 4).

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

    Raises
    ------
    ValueError
        A value that is not a finite real number >= 0 (> 0 for ``c_sum_max``; Python or numpy, not a
        bool), or a range whose low end exceeds its high end.
    """

    w_min: float = 0.4
    w_max: float = 0.9
    delta_low: float = 0.05
    delta_high: float = 0.1
    c_min: float = 1.5
    c_max: float = 2.5
    c_sum_max: float = 4.0

    def __post_init__(self) -> None:
        for f in fields(self):
            check = check_real(positive=True) if f.name == "c_sum_max" else check_real(0.0)
            object.__setattr__(self, f.name, check(f.name, getattr(self, f.name)))  # np.float32 -> float
        for low, high in (("w_min", "w_max"), ("delta_low", "delta_high"), ("c_min", "c_max")):
            lo, hi = getattr(self, low), getattr(self, high)
            if lo > hi:
                raise ValueError(f"{low} must be <= {high}, got {low}={lo}, {high}={hi}")

    def as_array(self) -> np.ndarray:
        """The seven fields in declaration order, as the kernels read them."""
        return np.array([getattr(self, f.name) for f in fields(self)])


def apply_actions(actions: np.ndarray, w: np.ndarray, c1: np.ndarray, c2: np.ndarray, f: np.ndarray,
                  u: np.ndarray, config: ActionConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The new ``(w, c1, c2)``, arrays (B,), of B controllers after ``actions`` (B,) 0..3 (not validated; the
    environments do), by the table in the module docstring.

    ``w``, ``c1``, ``c2``, ``f`` (B,) are the current parameters and evolutionary factors; ``u`` (2, B) holds
    uniform draws in [0, 1): ``u[0]`` gives ``delta``, ``u[1]`` the random inertia weight of action 0.
    """
    wc = np.array([w, c1, c2, f], dtype=float)
    actions_into(np.asarray(actions, dtype=np.int64), np.asarray(u, dtype=float)[None], 0, wc, config.as_array(),
                 np.empty((0, 0)))
    return wc[0], wc[1], wc[2]


@jit(inline="always")
def _fill_particle(coefs, i, j, w, c1, c2):
    """Particle ``j`` of swarm ``i`` in the numpy swarm's coefficient buffer ``coefs`` (3N + 1, B;
    ``Swarm._coefficient_buffer``: rows w, c1, c2 per particle, then chi): its ``w``, ``c1``, ``c2``, and chi = 1."""
    n = (coefs.shape[0] - 1) // 3
    coefs[j, i], coefs[n + j, i], coefs[2 * n + j, i] = w, c1, c2
    coefs[3 * n, i] = 1.0


@jit(inline="always")
def _fill_coefficients(coefs, i, w, c1, c2):
    """Swarm ``i``'s column of the coefficient buffer ``coefs``: the same ``w``, ``c1``, ``c2`` for each particle."""
    for j in range((coefs.shape[0] - 1) // 3):
        _fill_particle(coefs, i, j, w, c1, c2)


@jit()
def actions_into(actions, u, t, wc, cfg, coefs):
    """:func:`apply_actions` in place on ``wc`` (4+, B) = (w, c1, c2, f) with the draws ``u[t]`` (``u``: (T, 2, B));
    ``cfg`` is :meth:`ActionConfig.as_array`. ``coefs`` (3N + 1, B), unless empty, receives them as the numpy
    swarm's coefficient buffer (:func:`_fill_coefficients`)."""
    w_min, w_max, delta_low, delta_high, c_min, c_max, c_sum_max = cfg[0], cfg[1], cfg[2], cfg[3], cfg[4], cfg[5], cfg[6]
    for i in range(actions.shape[0]):
        a = actions[i]
        delta = delta_low + (delta_high - delta_low) * u[t, 0, i]
        if a == 0:
            wc[0, i] = w_min + (w_max - w_min) * u[t, 1, i]
        elif a == 1:
            wc[0, i] = adaptive_inertia(wc[3, i])
        elif a == 2:
            wc[0, i] = w_max
        else:
            wc[0, i] = w_min
        wc[1, i], wc[2, i] = clamp_coefficients(wc[1, i] + _M1[a] * delta, wc[2, i] + _M2[a] * delta, c_min, c_max,
                                                c_sum_max)
        if coefs.shape[0]:
            _fill_coefficients(coefs, i, wc[0, i], wc[1, i], wc[2, i])


def continuous_parameters(actions: np.ndarray, config: ActionConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``(w, c1, c2)``, arrays (B,), that continuous ``actions`` (B, 3) in [-1, 1] set (the module docstring's
    table; components outside [-1, 1] are clipped to it, none is validated: the environments check finiteness)."""
    a = np.asarray(actions, dtype=float).reshape(-1, N_CONTINUOUS)
    wc = np.zeros((4, a.shape[0]))
    continuous_into(a, wc, config.as_array(), np.empty((0, 0)))
    return wc[0], wc[1], wc[2]


@jit()
def continuous_into(actions, wc, cfg, coefs):
    """:func:`continuous_parameters` in place on ``wc`` (3+, B) = (w, c1, c2); ``actions`` (B, 3) float64, ``cfg``
    :meth:`ActionConfig.as_array`, ``coefs`` as in :func:`actions_into`."""
    for i in range(actions.shape[0]):
        wc[0, i], wc[1, i], wc[2, i] = _continuous_row(actions[i, 0], actions[i, 1], actions[i, 2], cfg)
        if coefs.shape[0]:
            _fill_coefficients(coefs, i, wc[0, i], wc[1, i], wc[2, i])


@jit(inline="always")
def _continuous_row(a0, a1, a2, cfg):
    """The ``(w, c1, c2)`` of one continuous action row (the module docstring's table)."""
    w_min, w_max, c_min, c_max, c_sum_max = cfg[0], cfg[1], cfg[4], cfg[5], cfg[6]
    u0 = (min(max(a0, -1.0), 1.0) + 1.0) * 0.5
    u1 = (min(max(a1, -1.0), 1.0) + 1.0) * 0.5
    u2 = (min(max(a2, -1.0), 1.0) + 1.0) * 0.5
    c1, c2 = clamp_coefficients(c_min + u1 * (c_max - c_min), c_min + u2 * (c_max - c_min), c_min, c_max, c_sum_max)
    return w_min + u0 * (w_max - w_min), c1, c2


def particle_parameters(actions: np.ndarray, config: ActionConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The per-particle ``(w, c1, c2)``, arrays (B, N), that particle ``actions`` (B, N, 3) in [-1, 1] set: each
    particle's row mapped as a continuous action (the module docstring's table; components outside [-1, 1] are
    clipped, none is validated: the environments check shape and finiteness)."""
    a = np.asarray(actions, dtype=float)
    if a.ndim != 3 or a.shape[2] != N_CONTINUOUS:
        raise ValueError(f"actions must have shape (B, N, {N_CONTINUOUS}), got {a.shape}")
    out = np.empty((3, a.shape[0], a.shape[1]))
    particle_into(a, np.zeros((3, a.shape[0])), config.as_array(), np.empty((0, 0)), out)
    return out[0], out[1], out[2]


@jit()
def particle_into(actions, wc, cfg, coefs, out):
    """:func:`particle_parameters`: ``actions`` (B, N, 3+) float64 (later columns, the elitist vote and the draw
    choice, are not read here)
    into ``out`` (3, B, N) and, unless ``coefs`` is empty, the numpy swarm's coefficient buffer ``coefs`` (3N + 1, B);
    ``wc`` (3+, B) receives each swarm's mean w, c1, c2 (what the environment reports and the features observation
    reads)."""
    n = actions.shape[1]
    for b in range(actions.shape[0]):
        sw = s1 = s2 = 0.0
        for j in range(n):
            w, c1, c2 = _continuous_row(actions[b, j, 0], actions[b, j, 1], actions[b, j, 2], cfg)
            out[0, b, j], out[1, b, j], out[2, b, j] = w, c1, c2
            sw, s1, s2 = sw + w, s1 + c1, s2 + c2
            if coefs.shape[0]:
                _fill_particle(coefs, b, j, w, c1, c2)
        wc[0, b], wc[1, b], wc[2, b] = sw / n, s1 / n, s2 / n
