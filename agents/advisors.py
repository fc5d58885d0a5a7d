"""Particle advisors for PSO, and LLMPSO: a swarm whose worst particles are replaced by an advisor's proposals.

Al-Fuqaha, Qolomany, Qadir et al. (2025), "Large Language Model Enhanced Particle Swarm Optimization for
Hyperparameter Tuning for Deep Learning Models" (arXiv:2504.14126): after standard PSO iterations a
language model is shown the swarm (positions, velocities, costs, the global best) and proposes new
particles, which replace the worst ones. Our copy of the paper has only its abstract and summary: the
swarm size, how many particles are replaced and how often, the prompt and the temperature are **our
choice** (documented where they are set), and so is the control the paper lacks, :class:`RandomAdvisor`.

An *advisor* maps a :class:`SwarmState` (one swarm) to at most K :class:`Proposal` points through
:meth:`Advisor.propose`, which validates what the advisor's own ``_propose`` returns: rows that are not
D finite numbers are dropped, points are clipped to the box, rounded on integer coordinates (a function's
``integer`` mask, as :mod:`benchmarks_fn.tuning`'s) and de-duplicated (among themselves and against the
swarm's positions and personal bests, which are already evaluated). Implementations: :class:`RandomAdvisor`
(uniform in the box), :class:`SurrogateAdvisor` (a quadratic fit), and in :mod:`agents.llm`
``LLMAdvisor`` (a chat model behind any OpenAI-compatible server) and ``ReplayAdvisor`` (a transcript).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmarks_fn._validate import check_int
from pso_env.config import check_choice

from .variants import ParameterRule

ACCEPT_MODES = ("always", "better")


@dataclass(frozen=True)
class SwarmState:
    """What an advisor sees of one swarm (arrays are copies; costs are objective values, +inf if non-finite).

    Attributes
    ----------
    iteration, evaluations : int
        Iterations done and objective evaluations spent so far.
    positions, velocities, pbest_positions : ndarray, shape (N, D)
    fitness, pbest_fitness : ndarray, shape (N,)
    gbest_position : ndarray, shape (D,)
    gbest_fitness : float
    lower, upper : ndarray, shape (D,)
    integer : ndarray of bool, shape (D,)
        Coordinates that take integer values only.
    """

    iteration: int
    evaluations: int
    positions: np.ndarray
    velocities: np.ndarray
    fitness: np.ndarray
    pbest_positions: np.ndarray
    pbest_fitness: np.ndarray
    gbest_position: np.ndarray
    gbest_fitness: float
    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray

    @classmethod
    def from_swarm(cls, swarm: Any, q: int = 0) -> SwarmState:
        """Swarm ``q`` of a numpy :class:`pso_env.Swarm`; ``integer`` from its function's ``integer`` mask."""
        fn = swarm.functions[q]
        integer = np.broadcast_to(np.asarray(getattr(fn, "integer", False), dtype=bool), (swarm.dim,)).copy()
        return cls(int(swarm.iteration[q]), int(swarm.evaluations[q]), swarm.positions[q].copy(),
                   swarm.velocities[q].copy(), swarm.fitness[q].copy(), swarm.pbest_positions[q].copy(),
                   swarm.pbest_fitness[q].copy(), swarm.gbest_position[q].copy(), float(swarm.gbest_fitness[q]),
                   swarm.lower[q].copy(), swarm.upper[q].copy(), integer)

    @property
    def dim(self) -> int:
        return int(self.lower.shape[0])


@dataclass(frozen=True)
class Proposal:
    """Validated proposals: ``positions`` (M, D), in the box and on the integer grid, distinct; ``velocities``
    (M, D) or None (the advisor gave none)."""

    positions: np.ndarray
    velocities: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.positions.shape[0])


def snap(points: np.ndarray, state: SwarmState) -> np.ndarray:
    """``points`` (M, D) clipped to the box and rounded (``numpy.rint``) on the integer coordinates."""
    x = np.clip(np.asarray(points, dtype=float), state.lower, state.upper)
    x[:, state.integer] = np.clip(np.rint(x[:, state.integer]), np.ceil(state.lower[state.integer]),
                                  np.floor(state.upper[state.integer]))
    return x


def clean(positions: Any, velocities: Any, state: SwarmState, k: int) -> tuple[Proposal, int]:
    """Validate raw proposals (see the module doc); returns the proposal of at most ``k`` points and the
    number of rows rejected (not D finite numbers, or duplicates)."""
    d = state.dim
    rows = [np.asarray(p, dtype=float) if _numbers(p, d) else None for p in positions]
    vels = [None] * len(rows) if velocities is None else list(velocities)
    seen = {row.tobytes() for row in snap(np.concatenate([state.positions, state.pbest_positions]), state)}
    out_x, out_v, rejected = [], [], 0
    for row, vel in zip(rows, vels):
        if row is None:
            rejected += 1
            continue
        x = snap(row[None, :], state)[0]
        if x.tobytes() in seen:
            rejected += 1
            continue
        if len(out_x) < k:
            seen.add(x.tobytes())
            out_x.append(x)
            out_v.append(np.asarray(vel, dtype=float) if _numbers(vel, d) else np.zeros(d))
    x = np.array(out_x, dtype=float).reshape(-1, d)
    has_v = velocities is not None and any(_numbers(v, d) for v in vels)
    return Proposal(x, np.array(out_v, dtype=float).reshape(-1, d) if has_v else None), rejected


def _numbers(values: Any, d: int) -> bool:
    """``values`` is a sequence of ``d`` finite real numbers (not bools)."""
    if isinstance(values, (str, bytes)) or (isinstance(values, (list, tuple))
                                            and any(isinstance(v, (bool, np.bool_)) for v in values)):
        return False
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError):
        return False
    return (arr.shape == (d,) and arr.dtype != object and arr.dtype.kind in "iuf"
            and bool(np.all(np.isfinite(arr))))


class Advisor:
    """Base of the advisors: :meth:`propose` calls ``_propose`` and validates its answer.

    Attributes
    ----------
    calls, failures, proposed, rejected : int
        Consultations; those that failed (an advisor's error: a malformed reply, a timeout...), which go on
        without proposals; valid points returned; rows dropped by the validation.
    """

    name = "advisor"

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget everything learned in a run and zero the counters (called at the start of every run)."""
        self.calls = self.failures = self.proposed = self.rejected = 0

    def propose(self, state: SwarmState, k: int, rng: np.random.Generator) -> Proposal:
        """At most ``k`` validated points for ``state``; ``rng`` is the swarm's generator (its only random source).

        Raises
        ------
        ValueError
            ``k`` not an integer >= 0, or ``state`` not a :class:`SwarmState`.
        """
        k = check_int(k, "k", 0)
        if not isinstance(state, SwarmState):
            raise ValueError(f"state must be a SwarmState, got {type(state).__name__}")
        self.calls += 1
        positions, velocities = self._propose(state, k, rng)
        if positions is None:
            self.failures += 1
            positions = []
        proposal, rejected = clean(positions, velocities, state, k)
        self.proposed += len(proposal)
        self.rejected += rejected
        return proposal

    def _propose(self, state: SwarmState, k: int, rng: np.random.Generator) -> tuple[Any, Any]:
        """Raw ``(positions, velocities or None)``; ``(None, None)`` for a failed consultation."""
        raise NotImplementedError

    def counters(self) -> dict[str, int]:
        return {"calls": self.calls, "failures": self.failures, "proposed": self.proposed, "rejected": self.rejected}


class RandomAdvisor(Advisor):
    """The control the paper lacks: ``k`` points uniform in the box (then rounded on integer coordinates)."""

    name = "random"

    def _propose(self, state: SwarmState, k: int, rng: np.random.Generator) -> tuple[Any, Any]:
        return state.lower + rng.random((k, state.dim)) * (state.upper - state.lower), None


class SurrogateAdvisor(Advisor):
    """Proposes the minimisers of a quadratic fitted to the points evaluated so far.

    At each consultation the swarm's positions and personal bests join an archive (the advisor's only
    memory, reset per run). A full quadratic in the box-normalised coordinates, ``(D + 1)(D + 2) / 2``
    coefficients, is fitted by least squares to the ``fit_points`` best finite archive points (default
    four times the coefficients, **our choice**); ``candidates`` points drawn uniformly in a box of half-width
    ``radius`` times the range around the global best (**our choice**: 256 and 0.25), snapped to the box and
    grid, are ranked by the fitted model, and the best ``k`` that are not in the archive are proposed. With
    fewer archive points than coefficients it proposes nothing (not a failure).

    Raises
    ------
    ValueError
        ``candidates`` < 1, ``fit_points`` < 1 or ``radius`` not in (0, 1], naming it.
    """

    name = "surrogate"

    def __init__(self, *, candidates: int = 256, radius: float = 0.25, fit_points: int | None = None) -> None:
        self.candidates = check_int(candidates, "candidates")
        self.fit_points = None if fit_points is None else check_int(fit_points, "fit_points")
        if not (isinstance(radius, (int, float)) and 0.0 < radius <= 1.0):
            raise ValueError(f"radius must be a number in (0, 1], got {radius!r}")
        self.radius = float(radius)
        super().__init__()

    def reset(self) -> None:
        super().reset()
        self._archive: dict[bytes, tuple[np.ndarray, float]] = {}

    @staticmethod
    def _features(u: np.ndarray) -> np.ndarray:
        d = u.shape[1]
        i, j = np.triu_indices(d)
        return np.hstack([np.ones((len(u), 1)), u, u[:, i] * u[:, j]])

    def _propose(self, state: SwarmState, k: int, rng: np.random.Generator) -> tuple[Any, Any]:
        for x, f in zip(np.concatenate([state.positions, state.pbest_positions]),
                        np.concatenate([state.fitness, state.pbest_fitness])):
            if np.isfinite(f):
                self._archive.setdefault(x.tobytes(), (x.copy(), float(f)))
        d, span = state.dim, state.upper - state.lower
        n_coef = (d + 1) * (d + 2) // 2
        points = sorted(self._archive.values(), key=lambda item: item[1])[: self.fit_points or 4 * n_coef]
        if len(points) < n_coef or k == 0:
            return [], None
        X = np.array([p for p, _ in points])
        coef = np.linalg.lstsq(self._features((X - state.lower) / span), np.array([f for _, f in points]),
                               rcond=None)[0]
        centre = state.gbest_position
        cand = snap(centre + (2.0 * rng.random((self.candidates, d)) - 1.0) * self.radius * span, state)
        cand = np.unique(cand, axis=0)
        cand = cand[[c.tobytes() not in self._archive for c in cand]]
        order = np.argsort(self._features((cand - state.lower) / span) @ coef, kind="stable")
        return cand[order[:k]], None


class LLMPSO(ParameterRule):
    """PSO whose worst particles are replaced by an advisor's proposals (the LLM-enhanced PSO of the paper).

    Plain PSO moves (``w``, ``c1``, ``c2`` constant; **our choice**: Clerc's 0.7298, 1.49618, 1.49618, as the
    paper does not give its settings); after iteration ``t`` (0-based), when ``t + 1 >= warmup`` and
    ``(t + 1 - warmup) % period == 0``, each swarm's state goes to ``advisor.propose`` with ``k`` points
    asked; the M <= k points returned are evaluated (counted in the swarm's evaluations) and take the place
    of the M particles with the worst current fitness (worst first, paired with the proposals in the order
    given), through :meth:`pso_env.Swarm.set_particles`:

    * ``accept="always"``: mode ``"replace"``: position, fitness and personal best become the proposal;
    * ``accept="better"``: mode ``"improve"``: a particle takes its proposal only if it beats its personal best.

    A particle that takes a proposal gets the proposal's velocity (clipped to the swarm's clamp) or zero
    (**our choice**). The advisor's failures cost nothing but the consultation: the run goes on.
    ``advisor=None`` is the plain PSO of the same settings (the comparison's baseline).

    Parameters
    ----------
    advisor : Advisor or None
    warmup, period : int
        Iterations before the first consultation (>= 1) and between consultations (>= 1); **our choice**: 5, 5.
    k : int or None
        Points asked per consultation (>= 1); None: a quarter of the swarm, at least 1 (**our choice**).
    accept : {"always", "better"}
    w, c1, c2 : float

    Raises
    ------
    ValueError
        A bad ``advisor``, ``warmup``, ``period``, ``k`` or ``accept``, naming it.
    """

    name = "LLMPSO"

    def __init__(self, advisor: Advisor | None = None, *, warmup: int = 5, period: int = 5, k: int | None = None,
                 accept: str = "always", w: float = 0.7298, c1: float = 1.49618, c2: float = 1.49618,
                 name: str | None = None) -> None:
        super().__init__(w, c1, c2)
        if advisor is not None and not isinstance(advisor, Advisor):
            raise ValueError(f"advisor must be an Advisor or None, got {type(advisor).__name__}")
        self.advisor = advisor
        self.warmup, self.period = check_int(warmup, "warmup"), check_int(period, "period")
        self.k = None if k is None else check_int(k, "k")
        self.accept = check_choice(ACCEPT_MODES)("accept", accept)
        if name is not None:
            self.name = str(name)

    def reset(self, swarm: Any, iterations: int, max_evaluations: int | None = None) -> None:
        super().reset(swarm, iterations, max_evaluations)
        if self.advisor is not None:
            self.advisor.reset()
        self._k = self.k or max(1, swarm.n_particles // 4)
        self._accepted = np.zeros(swarm.batch_size, dtype=np.int64)
        self._advice_evaluations = np.zeros(swarm.batch_size, dtype=np.int64)

    def due(self, t: int) -> bool:
        """Whether the advisor is consulted after iteration ``t``."""
        return self.advisor is not None and t + 1 >= self.warmup and (t + 1 - self.warmup) % self.period == 0

    def after_step(self, swarm: Any, t: int) -> None:
        if self.due(t):
            for q in range(swarm.batch_size):
                self.advise(swarm, q)

    def advise(self, swarm: Any, q: int) -> int:
        """Consult the advisor for swarm ``q`` now and put its proposals in (:func:`advise`); returns the
        particles replaced."""
        m, taken = advise(self.advisor, swarm, q, self._k, swarm.generator(q), self.accept)
        self._accepted[q] += taken
        self._advice_evaluations[q] += m
        return taken

    def trace(self) -> dict[str, Any]:
        out: dict[str, Any] = {"accepted": self._accepted.tolist(), "advice_evaluations":
                               self._advice_evaluations.tolist()}
        if self.advisor is not None:
            out.update({f"advisor_{key}": value for key, value in self.advisor.counters().items()})
        return out


def advise(advisor: Any, swarm: Any, q: int, k: int, rng: np.random.Generator, accept: str = "always") -> tuple[int, int]:
    """One consultation of ``advisor`` for swarm ``q`` of a numpy :class:`pso_env.Swarm`, as :class:`LLMPSO` makes
    it (the class doc): ``advisor.propose(SwarmState.from_swarm(swarm, q), k, rng)``, then the M points
    returned are evaluated and counted and take the places of the M worst particles through
    :meth:`pso_env.Swarm.set_particles` (``accept`` ``"always"``: mode ``"replace"``; ``"better"``: ``"improve"``).
    The environment's consult action (:mod:`pso_env.advice`) calls it too.

    Returns
    -------
    evaluated, taken : int
        Points evaluated (M) and particles that took theirs (M with ``"always"``).
    """
    proposal = advisor.propose(SwarmState.from_swarm(swarm, q), k, rng)
    m = len(proposal)
    if m == 0:
        return 0, 0
    worst = np.argsort(swarm.fitness[q], kind="stable")[::-1][:m]
    old_pbest = swarm.pbest_fitness[q, worst].copy()
    values = swarm.set_particles(q, worst, proposal.positions, mode="replace" if accept == "always" else "improve")
    taken = np.ones(m, dtype=bool) if accept == "always" else values < old_pbest
    vel = np.zeros((m, swarm.dim)) if proposal.velocities is None else proposal.velocities
    if swarm.vmax is not None:
        vel = np.clip(vel, -swarm.vmax[q], swarm.vmax[q])
    swarm.velocities[q, worst[taken]] = vel[taken]
    return m, int(taken.sum())


#: Advisors by name (:func:`make_advisor`; ``EnvConfig(advisor=name)``): name -> maker of a fresh advisor.
#: ``"llm"`` reads its server from the environment (:mod:`agents.llm`).
ADVISORS: dict[str, Any] = {
    "random": RandomAdvisor,
    "surrogate": SurrogateAdvisor,
    "llm": lambda: __import__("agents.llm", fromlist=["LLMAdvisor"]).LLMAdvisor(),
}


def make_advisor(name: str) -> Advisor:
    """A fresh advisor of :data:`ADVISORS` (exact spelling).

    Raises
    ------
    ValueError
        An unknown name (listing the known ones), or what the advisor raises (``"llm"`` without a server).
    """
    if name not in ADVISORS:
        raise ValueError(f"advisor must be one of {tuple(ADVISORS)}, got {name!r}")
    return ADVISORS[name]()


#: The advised variants of the algorithm registry (:mod:`evaluation.registry`): name -> advisor maker
#: (None: the plain LLMPSO baseline). ``"LLMPSO"`` reads its server from the environment (:mod:`agents.llm`).
ADVISED_VARIANTS: dict[str, Any] = {
    "PSO+no-advisor": None,
    "PSO+random-advisor": ADVISORS["random"],
    "PSO+surrogate-advisor": ADVISORS["surrogate"],
    "LLMPSO": ADVISORS["llm"],
}


def make_advised(name: str, **options: Any) -> LLMPSO:
    """A fresh :class:`LLMPSO` rule named ``name``, one of :data:`ADVISED_VARIANTS` (exact spelling), with
    ``options`` for the rule (``warmup``, ``period``, ``k``, ``accept``...).

    Raises
    ------
    ValueError
        An unknown name (listing the known ones), or what the advisor raises (``LLMPSO`` without a server).
    """
    if name not in ADVISED_VARIANTS:
        raise ValueError(f"name must be one of {tuple(ADVISED_VARIANTS)}, got {name!r}")
    make = ADVISED_VARIANTS[name]
    return LLMPSO(None if make is None else make(), name=name, **options)
