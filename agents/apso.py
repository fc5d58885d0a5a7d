"""Adaptive PSO (Zhan et al. 2009) and HMM-APSO, its variant with the state from the HMM.

Zhan, Zhang, Li & Chung (2009), "Adaptive Particle Swarm Optimization", IEEE Trans. Systems, Man, and
Cybernetics B 39(6), 1362-1381. At every iteration:

1. the evolutionary factor ``f`` (:mod:`pso_env.factor`) is classified into S1 exploration, S2
   exploitation, S3 convergence or S4 jumping-out (:func:`classify_state`; HMM-APSO: by the HMM belief);
2. ``w = 1 / (1 + 1.5 exp(-2.6 f))``;
3. ``c1``, ``c2`` (both 2.0 at the start) move by ``delta ~ U(0.05, 0.1)``, "slightly" by
   ``0.5 delta``: S1 c1 up / c2 down, S2 c1 up slightly / c2 down slightly, S3 both up slightly,
   S4 c1 down / c2 up; both are clamped to [1.5, 2.5] and rescaled by ``4 / (c1 + c2)`` when their
   sum exceeds 4;
4. in S3, elitist learning (:func:`pso_env.operators.elitist_learning`) on the global best, with ``sigma`` falling
   linearly from 1.0 to 0.1 over the run.

States are numbered 0..3 (S1..S4) as in :mod:`pso_env.belief`; one state and one (c1, c2) per swarm.
**(our choice: one ``delta`` draw per iteration and swarm shared by c1 and c2; elitist learning runs
after the move of an iteration whose state is S3, on the global best after that move.)**
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from pso_env._jit import jit
from pso_env.actions import adaptive_inertia, clamp_coefficients
from pso_env.operators import SIGMA_END, SIGMA_START, elitist_learning

from .variants import ParameterRule, Parameters, per_swarm

EXPLORATION, EXPLOITATION, CONVERGENCE, JUMPING_OUT = 0, 1, 2, 3

#: Signs of the c1 and c2 moves per state, in units of ``delta`` (0.5 = "slightly"); Zhan 2009, Table I.
C_MOVES = np.array([[1.0, -1.0], [0.5, -0.5], [0.5, 0.5], [-1.0, 1.0]])


@jit()
def _membership(f: float, k: int) -> float:
    if k == 0:
        return 0.0 if f <= 0.4 else 5 * f - 2 if f <= 0.6 else 1.0 if f <= 0.7 else -10 * f + 8 if f <= 0.8 else 0.0
    if k == 1:
        return 0.0 if f <= 0.2 else 10 * f - 2 if f <= 0.3 else 1.0 if f <= 0.4 else -5 * f + 3 if f <= 0.6 else 0.0
    if k == 2:
        return 1.0 if f <= 0.1 else -5 * f + 1.5 if f <= 0.3 else 0.0
    return 0.0 if f <= 0.7 else 5 * f - 3.5 if f <= 0.9 else 1.0


@jit()
def _memberships_into(f, mu):
    for i in range(f.shape[0]):
        for k in range(4):
            mu[i, k] = min(max(_membership(f[i], k), 0.0), 1.0)


@jit()
def _classify_into(f, previous, state):
    mu = np.empty((f.shape[0], 4))
    _memberships_into(f, mu)
    for i in range(f.shape[0]):
        prev, count, single, larger = previous[i], 0, 0, 0
        for k in range(4):
            if mu[i, k] > 0.0:
                count += 1
                single = k
            if mu[i, k] > 0.0 and (mu[i, larger] <= 0.0 or mu[i, k] > mu[i, larger]):
                larger = k  # the earlier state on a tie
        if count == 1:  # every f has a membership: S3's is 1 below 0.1, S4's above 0.9 and for NaN
            state[i] = single
        elif mu[i, prev] > 0.0:
            state[i] = prev
        elif mu[i, (prev + 1) % 4] > 0.0:
            state[i] = (prev + 1) % 4
        else:
            state[i] = larger


@jit()
def _adapt_into(c1, c2, state, delta, moves, c_min, c_max, c_sum_max, c1_out, c2_out):
    for i in range(c1.shape[0]):
        m = moves[state[i]]
        c1_out[i], c2_out[i] = clamp_coefficients(c1[i] + m[0] * delta[i], c2[i] + m[1] * delta[i], c_min, c_max,
                                                  c_sum_max)


@jit()
def _inertia_into(f, w):
    for i in range(f.shape[0]):
        w[i] = adaptive_inertia(f[i])


def _check_states(states: Any, name: str) -> np.ndarray:
    """``states`` as int64, ValueError naming ``name`` unless they are integers in 0..3."""
    a = np.asarray(states)
    if a.size and (not np.issubdtype(a.dtype, np.integer) or a.min() < 0 or a.max() > 3):
        raise ValueError(f"{name} must be integer states in 0..3, got {states!r}")
    return a.astype(np.int64)


def memberships(f: float | np.ndarray) -> np.ndarray:
    """Zhan et al.'s (2009) piecewise-linear fuzzy memberships of ``f`` (float or (B,)) in S1..S4 (their
    Fig. 5): shape (4,) or (B, 4), each in [0, 1], at most two nonzero."""
    arr = np.asarray(f, dtype=np.float64)
    mu = np.empty((arr.size, 4))
    _memberships_into(arr.ravel(), mu)
    return mu.reshape(*arr.shape, 4)


def classify_state(f: float | np.ndarray, previous: int | np.ndarray) -> int | np.ndarray:
    """Zhan et al.'s (2009) defuzzification of :func:`memberships` with the state history.

    The state(s) 0..3 for factor(s) ``f`` in [0, 1] (float or (B,)) after ``previous`` (S1 at the start):
    if one membership is nonzero, its state. Where two overlap: stay in ``previous`` if it is one of
    them; else take the one that follows ``previous`` on the cycle S1 -> S2 -> S3 -> S4 -> S1; else the
    larger membership (the earlier state on a tie). A NaN ``f`` is S4 (its membership there is 1).
    """
    arr = np.atleast_1d(np.asarray(f, dtype=np.float64))
    if arr.ndim != 1:
        raise ValueError(f"f must be a number or a 1-D array (one factor per swarm), got shape {arr.shape}")
    prev = np.ascontiguousarray(np.broadcast_to(_check_states(previous, "previous"), arr.shape))
    state = np.empty(arr.shape, dtype=np.int64)
    _classify_into(arr, prev, state)
    return int(state[0]) if np.ndim(f) == 0 else state


def adapt_coefficients(c1: Any, c2: Any, state: Any, delta: Any, c_min: float = 1.5, c_max: float = 2.5,
                       c_sum_max: float = 4.0) -> tuple[Any, Any]:
    """Move ``c1``, ``c2`` for ``state`` by ``delta`` (see :data:`C_MOVES`), clamp, and rescale.

    Zhan et al. (2009), section IV-B: both are clamped to ``[c_min, c_max]``; if ``c1 + c2 > c_sum_max``
    both are scaled by ``c_sum_max / (c1 + c2)``. Each argument is a number or one per swarm, (B,);
    returns two floats, or two (B,) arrays when any argument is an array.
    """
    a, b, s, d = np.broadcast_arrays(np.asarray(c1, dtype=np.float64), np.asarray(c2, dtype=np.float64),
                                     _check_states(state, "state"), np.asarray(delta, dtype=np.float64))
    flat = [np.ascontiguousarray(x).ravel() for x in (a, b, s, d)]
    out1, out2 = np.empty(flat[0].size), np.empty(flat[0].size)
    _adapt_into(*flat, C_MOVES, float(c_min), float(c_max), float(c_sum_max), out1, out2)
    if a.ndim == 0:
        return float(out1[0]), float(out2[0])
    return out1.reshape(a.shape), out2.reshape(a.shape)


class APSO(ParameterRule):
    """Adaptive PSO of Zhan et al. (2009); see the module docstring for the rules.

    Parameters
    ----------
    c_init : float
        Initial c1 and c2.
    c_min, c_max, c_sum_max : float
        Clamp range and sum bound of c1, c2.
    delta_range : (float, float)
        Range of the uniform step ``delta``.
    sigma_start, sigma_end : float
        Elitist-learning sigma at the first and last iteration.
    elitist : bool
        Run elitist learning in S3.
    """

    name = "APSO"

    def __init__(self, c_init: float = 2.0, c_min: float = 1.5, c_max: float = 2.5, c_sum_max: float = 4.0,
                 delta_range: tuple[float, float] = (0.05, 0.1), sigma_start: float = SIGMA_START, sigma_end: float = SIGMA_END,
                 elitist: bool = True) -> None:
        super().__init__(0.9, c_init, c_init)
        self.c_init, self.c_min, self.c_max, self.c_sum_max = map(float, (c_init, c_min, c_max, c_sum_max))
        self.delta_range = (float(delta_range[0]), float(delta_range[1]))
        self.sigma_start, self.sigma_end = float(sigma_start), float(sigma_end)
        self.elitist = bool(elitist)

    def reset(self, swarm: Any, iterations: int, max_evaluations: int | None = None) -> None:
        super().reset(swarm, iterations, max_evaluations)
        b = swarm.batch_size
        self.c1, self.c2 = np.full(b, self.c_init), np.full(b, self.c_init)
        self.state = np.full(b, EXPLORATION)
        self._states: list[np.ndarray] = []
        self._factors: list[np.ndarray] = []
        self._elitist_successes = np.zeros(b, dtype=np.int64)

    def classify(self, f: np.ndarray) -> np.ndarray:
        """The evolutionary states (B,) for factors ``f`` (B,)."""
        return classify_state(f, self.state)

    def parameters(self, swarm: Any, t: int) -> Parameters:
        f = np.asarray(swarm.evolutionary_factor(), dtype=float)
        self.state = np.asarray(self.classify(f), dtype=np.int64).reshape(f.shape)
        self._states.append(self.state)
        self._factors.append(f)
        delta = np.asarray(swarm.draw("uniform", *self.delta_range), dtype=np.float64)
        c1, c2, w = np.empty_like(self.c1), np.empty_like(self.c2), np.empty(f.shape)
        _adapt_into(self.c1, self.c2, self.state, np.broadcast_to(delta, c1.shape), C_MOVES, self.c_min, self.c_max,
                    self.c_sum_max, c1, c2)
        _inertia_into(f, w)
        self.c1, self.c2 = c1, c2
        return w, c1, c2, 1.0

    def after_step(self, swarm: Any, t: int) -> None:
        converging = np.flatnonzero(np.asarray(self.state) == CONVERGENCE) if self.elitist else ()
        if len(converging):
            share = self.share(swarm, t)
            sigma = self.sigma_start + (self.sigma_end - self.sigma_start) * (
                share[converging] if np.ndim(share) else share)
            self._elitist_successes[converging] += elitist_learning(swarm, sigma, converging)

    def trace(self) -> dict[str, Any]:
        """``state``, ``factor`` (per iteration) and ``elitist_successes`` (see :func:`per_swarm`)."""
        return per_swarm({"state": self._states, "factor": self._factors,
                          "elitist_successes": self._elitist_successes})


class HMMAPSO(APSO):
    """APSO's parameter rules with the state from the HMM belief's ``update(f)`` instead of the fuzzy rules
    (the DQNPSO paper's earlier work, SPEC sections 3 and 7).

    Parameters
    ----------
    tracker_factory : callable, optional
        ``factory(batch_size)`` returns a fresh tracker for each run, with ``reset()`` and
        ``update(f (B,)) -> states (B,)``; default :class:`pso_env.belief.Belief`.
    tracker_options : dict, optional
        Keyword arguments of the default tracker (e.g. ``{"refit_every": 0}``).
    **kwargs
        As :class:`APSO`.

    Raises
    ------
    ValueError
        When both ``tracker_factory`` and ``tracker_options`` are given.
    """

    name = "HMM-APSO"

    def __init__(self, tracker_factory: Callable[[int], Any] | None = None,
                 tracker_options: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if tracker_factory is not None and tracker_options:
            raise ValueError("tracker_options apply to the default tracker only")
        self.tracker_factory = tracker_factory
        self.tracker_options = dict(tracker_options or {})

    def reset(self, swarm: Any, iterations: int, max_evaluations: int | None = None) -> None:
        super().reset(swarm, iterations, max_evaluations)
        if self.tracker_factory is None:
            from pso_env.belief import Belief

            self.tracker = Belief(swarm.batch_size, **self.tracker_options)
        else:
            self.tracker = self.tracker_factory(swarm.batch_size)
        self.tracker.reset()

    def classify(self, f: np.ndarray) -> np.ndarray:
        return _check_states(self.tracker.update(f), "the tracker's states")
