"""The swarm core: classic global-best PSO (Kennedy & Eberhart 1995), vectorised over particles.

One :class:`Swarm` holds the state of one PSO run. Every parameter rule in the project (the
environment's actions, the hand-designed variants in :mod:`agents`) drives the same :meth:`Swarm.step`,
so that only the rule differs between them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .factor import evolutionary_factor_into, factor_scratch

BOUND_MODES = ("clip", "reflect", "none")
#: Modes of :meth:`Swarm.set_particles`.
SET_MODES = ("move", "improve", "best", "replace")


def finite_or_inf(values: np.ndarray) -> np.ndarray:
    """``values`` as a float array with every non-finite entry (NaN, +-inf) mapped to +inf.

    The convention of every optimiser in the project: a point whose objective value is not finite is
    never better than any finite one. Returns the input array itself when it is already all finite.
    """
    values = np.asarray(values, dtype=float)
    if not np.isfinite(values).all():
        values = np.where(np.isfinite(values), values, np.inf)
    return values


def _check_fraction(name: str, value: float | None) -> None:
    if value is not None and not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number or None, got {value!r}")


class Swarm:
    """N particles in D dimensions minimising one function.

    Parameters
    ----------
    function : object
        The objective: an object with ``dim``, ``lower`` and ``upper`` (arrays of length D) that maps an
        array of shape (N, D) to shape (N,), such as those of :func:`benchmarks_fn.get_function`. Its
        ``evaluate`` method, when present, is used as the unchecked fast path.
    n_particles : int
        Swarm size N (at least 2 so that the evolutionary factor is defined).
    rng : numpy.random.Generator
        The only random source of the swarm: initial positions, velocities and the r1, r2 draws.
    velocity_clamp : float or None, default 0.2
        |v| is clamped per dimension to ``velocity_clamp * (upper - lower)``; None disables the clamp.
        Initial velocities are uniform in [-vmax, vmax] (with no clamp, vmax is the full range).
    bounds : {"clip", "reflect", "none"}, default "clip"
        Position handling at the box: clip to the box, reflect off it (with the velocity's component
        reversed), or leave particles outside (they are evaluated where they are).

    Attributes
    ----------
    positions, velocities : ndarray of shape (N, D)
    fitness : ndarray of shape (N,)
        Fitness at the current positions; non-finite objective values are stored as +inf.
    pbest_positions : ndarray of shape (N, D)
    pbest_fitness : ndarray of shape (N,)
    gbest_position : ndarray of shape (D,)
    gbest_fitness : float
    evaluations : int
        Function evaluations so far (N per iteration, N at initialisation).
    iteration : int
        Iterations run so far.
    history : list of float
        Best-so-far value after initialisation and after each iteration (see :attr:`best_history`).
    """

    def __init__(
        self,
        function: Any,
        n_particles: int,
        rng: np.random.Generator,
        *,
        velocity_clamp: float | None = 0.2,
        bounds: str = "clip",
    ) -> None:
        if not isinstance(n_particles, (int, np.integer)) or isinstance(n_particles, bool) or n_particles < 2:
            raise ValueError(f"n_particles must be an integer >= 2, got {n_particles!r}")
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        _check_fraction("velocity_clamp", velocity_clamp)
        if bounds not in BOUND_MODES:
            raise ValueError(f"bounds must be one of {BOUND_MODES}, got {bounds!r}")
        self.function = function
        self._evaluate = getattr(function, "evaluate", function)
        self.n_particles = int(n_particles)
        self.dim = int(function.dim)
        self.rng = rng
        self.bounds = bounds
        self.lower = np.asarray(function.lower, dtype=float)
        self.upper = np.asarray(function.upper, dtype=float)
        span = self.upper - self.lower
        self.vmax = span * velocity_clamp if velocity_clamp is not None else None
        self._neg_vmax = -self.vmax if self.vmax is not None else None
        v0 = self.vmax if self.vmax is not None else span

        shape = (self.n_particles, self.dim)
        self.positions = self.lower + rng.random(shape) * span
        self.velocities = (2.0 * rng.random(shape) - 1.0) * v0
        self._r = np.empty((2, *shape))
        self._tmp = np.empty(shape)
        self._factor_scratch = factor_scratch(*shape)
        self.fitness = self.evaluate(self.positions)
        self.evaluations = self.n_particles
        self.iteration = 0
        self.pbest_positions = self.positions.copy()
        self.pbest_fitness = self.fitness.copy()
        best = int(np.argmin(self.pbest_fitness))
        self.gbest_position = self.pbest_positions[best].copy()
        self.gbest_fitness = float(self.pbest_fitness[best])
        self.history = [self.gbest_fitness]

    def evaluate(self, positions: np.ndarray, *, count: bool = False) -> np.ndarray:
        """Objective values at ``positions`` (shape (K, D)) with every non-finite value mapped to +inf.

        With ``count=True`` the K evaluations are added to :attr:`evaluations`.
        """
        values = finite_or_inf(self._evaluate(positions))
        if count:
            self.evaluations += len(values)
        return values

    def step(
        self,
        w: float | np.ndarray,
        c1: float,
        c2: float,
        chi: float = 1.0,
        *,
        previous: np.ndarray | None = None,
    ) -> None:
        """Run one PSO iteration.

        ``v <- chi * (w*v + c1*r1*(p - x) + c2*r2*(g - x))``, then the velocity clamp, ``x <- x + v``,
        the bound handling, one evaluation per particle, and the personal and global best updates.

        Parameters
        ----------
        w : float or ndarray of shape (N,)
            Inertia weight, shared or one per particle.
        c1, c2 : float
            Cognitive and social acceleration coefficients.
        chi : float, default 1.0
            Constriction factor (Clerc); 1.0 is the plain update.
        previous : ndarray of shape (N, D), optional
            The previous positions ``x'`` for the second-order update of Hu & Zeng (2007): the attraction
            terms become ``c1*r1*(p - 2x + x')`` and ``c2*r2*(g - 2x + x')``. None (the default) is the
            plain update above.
        """
        x, v, r, tmp = self.positions, self.velocities, self._r, self._tmp
        self.rng.random(out=r)  # the same draws as rng.random((2, N, D)), into a reused buffer
        if np.ndim(w) == 1:
            w = np.asarray(w)[:, None]
        v *= w
        # In place, in the order of the formula (c*r)*(p - x), so results equal the plain expression.
        r[0] *= c1
        r[1] *= c2
        if previous is None:
            np.subtract(self.pbest_positions, x, out=tmp)
        else:
            second = previous - 2.0 * x
            np.add(self.pbest_positions, second, out=tmp)
        tmp *= r[0]
        v += tmp
        if previous is None:
            np.subtract(self.gbest_position, x, out=tmp)
        else:
            np.add(self.gbest_position, second, out=tmp)
        tmp *= r[1]
        v += tmp
        if chi != 1.0:
            v *= chi
        if self.vmax is not None:
            # minimum/maximum with out= costs about half of np.clip at this size
            np.minimum(v, self.vmax, out=v)
            np.maximum(v, self._neg_vmax, out=v)
        x += v
        self._handle_bounds()
        self._after_move()

    def _handle_bounds(self) -> None:
        if self.bounds == "clip":
            np.minimum(self.positions, self.upper, out=self.positions)
            np.maximum(self.positions, self.lower, out=self.positions)
        elif self.bounds == "reflect":
            x, v = self.positions, self.velocities
            low, high = x < self.lower, x > self.upper
            x[:] = np.where(low, 2.0 * self.lower - x, np.where(high, 2.0 * self.upper - x, x))
            np.clip(x, self.lower, self.upper, out=x)  # a jump of more than one box width
            np.negative(v, out=v, where=low | high)

    def _after_move(self) -> None:
        """Evaluate the new positions and update the bests; shared by every update rule."""
        self.fitness = self.evaluate(self.positions)
        self.evaluations += self.n_particles
        self.iteration += 1
        improved = self.fitness < self.pbest_fitness
        if improved.any():
            self.pbest_positions[improved] = self.positions[improved]
            self.pbest_fitness[improved] = self.fitness[improved]
            best = int(np.argmin(self.pbest_fitness))
            if self.pbest_fitness[best] < self.gbest_fitness:
                self.gbest_fitness = float(self.pbest_fitness[best])
                self.gbest_position = self.pbest_positions[best].copy()
        self.history.append(self.gbest_fitness)

    def set_particles(
        self,
        indices: int | np.ndarray,
        positions: np.ndarray,
        values: np.ndarray | None = None,
        *,
        mode: str = "move",
    ) -> np.ndarray:
        """Put points into the swarm outside :meth:`step` and update the bests.

        The one path of the variants that perturb, re-seed or replace particles (chaotic local search,
        elitist learning). Points are taken as given (the callers keep them in the box). In every mode
        the global best takes the best point when it beats it, and ``history[-1]`` follows.

        Parameters
        ----------
        indices : int or array of int, shape (K,)
            The particles, distinct.
        positions : ndarray of shape (K, D), or (D,) for one index
            The points.
        values : array of shape (K,), optional
            Objective values at ``positions``, already evaluated and counted by the caller; None (the
            default) evaluates them here, adding K to :attr:`evaluations`.
        mode : {"move", "improve", "best", "replace"}, default "move"
            - ``"move"``: the particles move to the points (position and fitness); a personal best
              takes its point where that is better.
            - ``"improve"``: only the particles whose point beats their personal best move to it and
              take it as personal best; the others are left unchanged.
            - ``"best"``: the particles stay where they are; only their personal bests take the points
              that are better.
            - ``"replace"``: the particles are replaced entirely: position, fitness and personal best
              become the point, whatever its value.

        Returns
        -------
        ndarray of shape (K,)
            The values at the points (non-finite mapped to +inf).
        """
        if mode not in SET_MODES:
            raise ValueError(f"mode must be one of {SET_MODES}, got {mode!r}")
        idx = np.atleast_1d(np.asarray(indices, dtype=np.intp))
        pos = np.asarray(positions, dtype=float).reshape(len(idx), self.dim)
        if values is None:
            vals = self.evaluate(pos, count=True)
        else:
            vals = finite_or_inf(np.asarray(values, dtype=float).reshape(len(idx)))
        out = vals
        if mode == "improve":
            keep = vals < self.pbest_fitness[idx]
            idx, pos, vals = idx[keep], pos[keep], vals[keep]
        if mode != "best":
            self.positions[idx] = pos
            self.fitness[idx] = vals
        if mode == "replace":
            self.pbest_positions[idx] = pos
            self.pbest_fitness[idx] = vals
        else:
            better = vals < self.pbest_fitness[idx]
            self.pbest_positions[idx[better]] = pos[better]
            self.pbest_fitness[idx[better]] = vals[better]
        if len(vals):
            best = int(np.argmin(vals))
            if vals[best] < self.gbest_fitness:
                self.gbest_fitness = float(vals[best])
                self.gbest_position = pos[best].copy()
                self.history[-1] = self.gbest_fitness
        return out

    def evolutionary_factor(self) -> float:
        """Evolutionary factor f in [0, 1] of the current positions (see :mod:`pso_env.factor`)."""
        return evolutionary_factor_into(self.positions, self.fitness, self._factor_scratch)

    @property
    def best_history(self) -> np.ndarray:
        """Best-so-far value after initialisation (index 0) and after each iteration (index t)."""
        return np.asarray(self.history)
