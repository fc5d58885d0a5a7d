"""Adaptive PSO (Zhan et al. 2009) and HMM-APSO, its variant with the state from the HMM.

Zhan, Zhang, Li & Chung (2009), "Adaptive Particle Swarm Optimization", IEEE Trans. Systems, Man, and
Cybernetics B 39(6), 1362-1381. At every iteration:

1. evolutionary state estimation: the evolutionary factor ``f`` (:mod:`pso_env.factor`) is classified
   into S1 exploration, S2 exploitation, S3 convergence or S4 jumping-out by fuzzy memberships and a
   rule-based defuzzification that uses the previous state (:func:`memberships`,
   :func:`classify_state`); HMM-APSO takes the state from :class:`pso_env.belief.BeliefTracker`;
2. ``w = 1 / (1 + 1.5 exp(-2.6 f))``;
3. ``c1``, ``c2`` (both 2.0 at the start) move by ``delta ~ U(0.05, 0.1)``, "slightly" by
   ``0.5 delta``: S1 c1 up / c2 down, S2 c1 up slightly / c2 down slightly, S3 both up slightly,
   S4 c1 down / c2 up; both are clamped to [1.5, 2.5] and rescaled by ``4 / (c1 + c2)`` when their
   sum exceeds 4;
4. in S3, elitist learning (:func:`elitist_learning`) on the global best, with ``sigma`` falling
   linearly from 1.0 to 0.1 over the run.

States are numbered 0..3 (S1..S4) as in :mod:`pso_env.belief`. **(our choice: one ``delta`` draw per
iteration shared by c1 and c2; elitist learning runs after the move of an iteration whose state is S3,
on the global best after that move.)**
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from pso_env.actions import adaptive_inertia, clamp_coefficients

from .variants import ParameterRule, Parameters, run_fraction

EXPLORATION, EXPLOITATION, CONVERGENCE, JUMPING_OUT = 0, 1, 2, 3
STATE_NAMES = ("S1 exploration", "S2 exploitation", "S3 convergence", "S4 jumping-out")

#: Signs of the c1 and c2 moves per state, in units of ``delta`` (0.5 = "slightly"); Zhan 2009, Table I.
C_MOVES = np.array([[1.0, -1.0], [0.5, -0.5], [0.5, 0.5], [-1.0, 1.0]])


def memberships(f: float) -> np.ndarray:
    """Zhan et al.'s (2009) piecewise-linear fuzzy memberships of ``f`` in S1..S4.

    - S1 exploration: 0 for f <= 0.4; 5f - 2 on (0.4, 0.6]; 1 on (0.6, 0.7]; -10f + 8 on (0.7, 0.8];
      0 above.
    - S2 exploitation: 0 for f <= 0.2; 10f - 2 on (0.2, 0.3]; 1 on (0.3, 0.4]; -5f + 3 on (0.4, 0.6];
      0 above.
    - S3 convergence: 1 for f <= 0.1; -5f + 1.5 on (0.1, 0.3]; 0 above.
    - S4 jumping-out: 0 for f <= 0.7; 5f - 3.5 on (0.7, 0.9]; 1 above.

    Returns
    -------
    ndarray of shape (4,)
        The memberships, each in [0, 1]; at most two are nonzero.
    """
    f = float(f)
    s1 = 0.0 if f <= 0.4 else 5 * f - 2 if f <= 0.6 else 1.0 if f <= 0.7 else -10 * f + 8 if f <= 0.8 else 0.0
    s2 = 0.0 if f <= 0.2 else 10 * f - 2 if f <= 0.3 else 1.0 if f <= 0.4 else -5 * f + 3 if f <= 0.6 else 0.0
    s3 = 1.0 if f <= 0.1 else -5 * f + 1.5 if f <= 0.3 else 0.0
    s4 = 0.0 if f <= 0.7 else 5 * f - 3.5 if f <= 0.9 else 1.0
    return np.clip([s1, s2, s3, s4], 0.0, 1.0)


def classify_state(f: float, previous: int) -> int:
    """Zhan et al.'s (2009) defuzzification of :func:`memberships` with the state history.

    If one membership is nonzero, its state. Where two overlap: stay in ``previous`` if it is one of
    them; else take the one that follows ``previous`` on the cycle S1 -> S2 -> S3 -> S4 -> S1; else the
    larger membership (the earlier state on a tie).

    Parameters
    ----------
    f : float
        Evolutionary factor in [0, 1].
    previous : int
        Previous state, 0..3 (S1 at the start of a run).

    Returns
    -------
    int
        The state, 0..3.
    """
    mu = memberships(f)
    active = np.flatnonzero(mu > 0.0)
    if len(active) == 0:  # not reached for f in [0, 1]; guards non-finite f
        return int(previous)
    if len(active) == 1:
        return int(active[0])
    if previous in active:
        return int(previous)
    following = (previous + 1) % 4
    if following in active:
        return int(following)
    return int(active[np.argmax(mu[active])])


def adapt_coefficients(
    c1: float,
    c2: float,
    state: int,
    delta: float,
    c_min: float = 1.5,
    c_max: float = 2.5,
    c_sum_max: float = 4.0,
) -> tuple[float, float]:
    """Move ``c1``, ``c2`` for ``state`` by ``delta`` (see :data:`C_MOVES`), clamp, and rescale.

    Zhan et al. (2009), section IV-B: both are clamped to ``[c_min, c_max]``; if ``c1 + c2 > c_sum_max``
    both are scaled by ``c_sum_max / (c1 + c2)`` (:func:`pso_env.actions.clamp_coefficients`).
    """
    m1, m2 = C_MOVES[state]
    return clamp_coefficients(c1 + m1 * delta, c2 + m2 * delta, c_min, c_max, c_sum_max)


def elitist_learning(swarm: Any, sigma: float) -> bool:
    """Zhan et al.'s (2009) elitist learning strategy on the global best; one evaluation.

    One random dimension ``d`` of the global best ``g`` moves by ``(ub_d - lb_d) * N(0, sigma^2)``
    (clipped to the box). If the result is better than ``g`` it becomes the global best (the personal
    best of the particle that held ``g``); otherwise it replaces the worst particle (highest personal
    best): that particle's position, fitness and personal best become the new point **(our reading of
    "replaces the worst particle")**.

    Parameters
    ----------
    swarm : Swarm
        The swarm; its ``rng`` draws ``d`` and the Gaussian.
    sigma : float
        Standard deviation of the perturbation, relative to the range of dimension ``d``.

    Returns
    -------
    bool
        True when the perturbed point replaced the global best.
    """
    rng = swarm.rng
    d = int(rng.integers(swarm.dim))
    point = swarm.gbest_position.copy()
    point[d] += (swarm.upper[d] - swarm.lower[d]) * rng.normal(0.0, sigma)
    point[d] = min(max(point[d], swarm.lower[d]), swarm.upper[d])
    value = swarm.evaluate(point[None, :], count=True)
    if value[0] < swarm.gbest_fitness:
        owner = int(np.argmin(swarm.pbest_fitness))
        swarm.set_particles(owner, point, value, mode="best")
        return True
    swarm.set_particles(int(np.argmax(swarm.pbest_fitness)), point, value, mode="replace")
    return False


class APSO(ParameterRule):
    """Adaptive PSO of Zhan et al. (2009); see the module docstring for the rules.

    Parameters
    ----------
    c_init : float, default 2.0
        Initial c1 and c2.
    c_min, c_max, c_sum_max : float
        Clamp range and sum bound of c1, c2 (1.5, 2.5, 4.0).
    delta_range : (float, float)
        Range of the uniform step ``delta`` (0.05, 0.1).
    sigma_start, sigma_end : float
        Elitist-learning sigma at the first and last iteration (1.0, 0.1).
    elitist : bool, default True
        Run elitist learning in S3.
    """

    name = "APSO"

    def __init__(
        self,
        c_init: float = 2.0,
        c_min: float = 1.5,
        c_max: float = 2.5,
        c_sum_max: float = 4.0,
        delta_range: tuple[float, float] = (0.05, 0.1),
        sigma_start: float = 1.0,
        sigma_end: float = 0.1,
        elitist: bool = True,
    ) -> None:
        super().__init__(0.9, c_init, c_init)
        self.c_init, self.c_min, self.c_max, self.c_sum_max = (
            float(c_init),
            float(c_min),
            float(c_max),
            float(c_sum_max),
        )
        self.delta_range = (float(delta_range[0]), float(delta_range[1]))
        self.sigma_start, self.sigma_end = float(sigma_start), float(sigma_end)
        self.elitist = bool(elitist)

    def reset(self, swarm: Any, iterations: int) -> None:
        super().reset(swarm, iterations)
        self.c1 = self.c2 = self.c_init
        self.state = EXPLORATION
        self._states: list[int] = []
        self._factors: list[float] = []
        self._elitist_successes = 0

    def classify(self, f: float) -> int:
        """The evolutionary state for factor ``f`` (fuzzy classification with the state history)."""
        return classify_state(f, self.state)

    def parameters(self, swarm: Any, t: int) -> Parameters:
        f = swarm.evolutionary_factor()
        self.state = int(self.classify(f))
        self._states.append(self.state)
        self._factors.append(f)
        delta = swarm.rng.uniform(*self.delta_range)
        self.c1, self.c2 = adapt_coefficients(
            self.c1, self.c2, self.state, delta, self.c_min, self.c_max, self.c_sum_max
        )
        return adaptive_inertia(f), self.c1, self.c2, 1.0

    def after_step(self, swarm: Any, t: int) -> None:
        if self.elitist and self.state == CONVERGENCE:
            sigma = self.sigma_start + (self.sigma_end - self.sigma_start) * run_fraction(t, self.iterations)
            self._elitist_successes += elitist_learning(swarm, sigma)

    def trace(self) -> dict[str, Any]:
        return {
            "state": list(self._states),
            "factor": list(self._factors),
            "elitist_successes": self._elitist_successes,
        }


class HMMAPSO(APSO):
    """APSO's parameter rules with the state from the HMM belief tracker instead of the fuzzy rules.

    The DQNPSO paper's earlier work (SPEC sections 3 and 7): the state is what
    :meth:`pso_env.belief.BeliefTracker.update` returns for ``f``.

    Parameters
    ----------
    tracker_factory : callable, optional
        Returns a fresh tracker (an object with ``reset()`` and ``update(f) -> int``) for each run;
        default :class:`pso_env.belief.BeliefTracker`.
    tracker_options : dict, optional
        Keyword arguments of the default tracker (e.g. ``{"refit_every": 0}``); with the default
        tracker only.
    **kwargs
        As :class:`APSO`.
    """

    name = "HMM-APSO"

    def __init__(
        self,
        tracker_factory: Callable[[], Any] | None = None,
        tracker_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if tracker_factory is not None and tracker_options:
            raise ValueError("tracker_options apply to the default tracker only")
        self.tracker_factory = tracker_factory
        self.tracker_options = dict(tracker_options or {})

    def reset(self, swarm: Any, iterations: int) -> None:
        super().reset(swarm, iterations)
        factory = self.tracker_factory
        if factory is None:
            from pso_env.belief import BeliefTracker  # written concurrently; imported only when used

            self.tracker = BeliefTracker(**self.tracker_options)
        else:
            self.tracker = factory()
        self.tracker.reset()

    def classify(self, f: float) -> int:
        return int(self.tracker.update(f))
