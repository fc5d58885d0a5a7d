"""Batched global-best PSO: B independent swarms held in (B, N, D) arrays and stepped together.

:class:`BatchSwarm` runs B independent copies of :class:`pso_env.swarm.Swarm` (each with its own function,
coefficients, bests and evolutionary factor) with no Python loop over swarms or particles in the hot
path: one batch of random draws, one fused numba pass for the velocity update, clamp, move and clip
(:func:`_move`), batched objective calls, whole-array best updates, and the numba kernel of
:func:`pso_env.factor.batch_evolutionary_factor`. Objectives are evaluated by
:func:`group_functions` groups: swarms whose functions compute the same thing share one call on
``(k*N, D)`` rows (plain paper functions of one class and dimension; CEC-style transformed paper
functions, whose shifts and rotations are applied per swarm with one batched ``matmul``), every other
function object is called once for the swarms that hold it.

The update rule, the velocity clamp and the bound handling are those of :class:`~pso_env.swarm.Swarm`,
operation for operation: with one swarm (B = 1) driven by the same generator, a :class:`BatchSwarm`
reproduces a :class:`~pso_env.swarm.Swarm` bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit

from benchmarks_fn import PAPER_FUNCTIONS, TransformedFunction

from .factor import batch_evolutionary_factor, batch_mean_distances
from .swarm import BOUND_MODES, _check_fraction

#: Classes whose ``evaluate`` depends only on the class and the dimension, so that instances of one
#: class and dimension can share one call.
PAPER_CLASSES = frozenset(PAPER_FUNCTIONS.values())


# ---------------------------------------------------------------------------------------------------------
# Function groups
@dataclass
class FunctionGroup:
    """Swarms whose objectives are evaluated in one call.

    Attributes
    ----------
    kind : {"plain", "transformed", "object"}
        ``"plain"``: paper functions of one class and dimension (``function`` is one of them).
        ``"transformed"``: :class:`~benchmarks_fn.TransformedFunction` of paper functions of one base
        class and dimension, with the same shift/rotate flags; ``function`` is one base, and ``shift``,
        ``rotation_t``, ``x0`` and ``bias`` hold each swarm's transformation.
        ``"object"``: one function object, called through its ``evaluate`` (or ``__call__``).
    indices : ndarray of int, shape (k,)
        The swarms of the group, ascending.
    function : object
        The function (or base function) called.
    shift : ndarray of shape (k, D) or None
        The shifts ``o`` (None when the group's functions do not move points).
    rotation_t : ndarray of shape (k, D, D) or None
        The transposed rotations ``M^T`` (None without rotation).
    x0 : ndarray of shape (D,) or None
        The base function's minimiser, added after the rotation (None when it is the origin).
    bias : ndarray of shape (k,) or None
        The biases (None when all are 0).
    functions : list
        The function objects of the group's swarms (the originals, in the order of ``indices``).
    """

    kind: str
    indices: np.ndarray
    function: Any
    shift: np.ndarray | None = None
    rotation_t: np.ndarray | None = None
    x0: np.ndarray | None = None
    bias: np.ndarray | None = None
    functions: list | None = None


def _group_key(fn: Any) -> tuple:
    if type(fn) in PAPER_CLASSES:
        return ("plain", type(fn), int(fn.dim))
    if type(fn) is TransformedFunction and type(fn.base) in PAPER_CLASSES:
        x0 = np.asarray(fn.base.optimum_x, dtype=float)
        return ("transformed", type(fn.base), int(fn.dim), bool(fn.shift or fn.rotate), bool(fn.rotate),
                bool(np.any(x0)))
    return ("object", id(fn))


def group_functions(functions: Sequence[Any]) -> list[FunctionGroup]:
    """Group B function objects into :class:`FunctionGroup` s that are evaluated in one call each.

    Parameters
    ----------
    functions : sequence of function objects
        One per swarm.

    Returns
    -------
    list of FunctionGroup
        In order of first appearance; together the groups cover every index once.
    """
    members: dict[tuple, list[int]] = {}
    for i, fn in enumerate(functions):
        members.setdefault(_group_key(fn), []).append(i)
    groups = []
    for key, idx in members.items():
        fns = [functions[i] for i in idx]
        indices = np.asarray(idx, dtype=np.intp)
        if key[0] == "plain":
            groups.append(FunctionGroup("plain", indices, fns[0], functions=fns))
        elif key[0] == "object":
            groups.append(FunctionGroup("object", indices, fns[0], functions=fns))
        else:
            moves, rotate, has_x0 = key[3], key[4], key[5]
            bias = np.array([fn.bias for fn in fns], dtype=float)
            groups.append(FunctionGroup(
                "transformed",
                indices,
                fns[0].base,
                shift=np.stack([np.asarray(fn.o, dtype=float) for fn in fns]) if moves else None,
                rotation_t=np.stack([np.asarray(fn.M, dtype=float).T for fn in fns]) if rotate else None,
                x0=np.asarray(fns[0].base.optimum_x, dtype=float).copy() if (moves and has_x0) else None,
                bias=bias if np.any(bias != 0.0) else None,
                functions=fns,
            ))
    return groups


def _call(fn: Any, rows: np.ndarray) -> np.ndarray:
    return np.asarray(getattr(fn, "evaluate", fn)(rows), dtype=float)


def evaluate_groups(groups: Sequence[FunctionGroup], positions: np.ndarray, batch_size: int) -> np.ndarray:
    """Objective values of ``positions`` (shape (B, N, D)) for every swarm, shape (B, N).

    Non-finite values are returned as +inf (as :meth:`pso_env.swarm.Swarm.evaluate` does).
    """
    b, n, d = positions.shape
    out = np.empty((b, n))
    for g in groups:
        full = g.indices.shape[0] == batch_size
        x = positions if full else positions[g.indices]
        k = x.shape[0]
        if g.kind == "transformed" and g.shift is not None:
            x = x - g.shift[:, None, :]
            if g.rotation_t is not None:
                x = np.matmul(x, g.rotation_t)
            if g.x0 is not None:
                x += g.x0
        values = _call(g.function, x.reshape(k * n, d)).reshape(k, n)
        if g.bias is not None:
            values = values + g.bias[:, None]
        if full:
            out[:] = values
        else:
            out[g.indices] = values
    if not np.isfinite(out).all():
        out[~np.isfinite(out)] = np.inf
    return out


# ---------------------------------------------------------------------------------------------------------
# The move kernel
@njit(cache=True, nogil=True)
def _move(x: np.ndarray, v: np.ndarray, p: np.ndarray, g: np.ndarray, r: np.ndarray, w: np.ndarray,
          c1: np.ndarray, c2: np.ndarray, chi: np.ndarray, vmax: np.ndarray, lo: np.ndarray, hi: np.ndarray,
          clamp: bool, clip: bool) -> None:
    """Velocity update, clamp, move and clip of B swarms in one pass over (B, N, D).

    Each element goes through :meth:`pso_env.swarm.Swarm.step`'s operations in the same order
    (``w*v + (c1*r1)*(p - x) + (c2*r2)*(g - x)``, times ``chi``, the clamp as minimum then maximum, ``x + v``,
    the clip as minimum then maximum) with no fused multiply-add (no fastmath), so the results are the
    same bit for bit; one pass instead of ~15 whole-array numpy operations and their memory traffic.
    """
    b, n, d = x.shape
    for q in range(b):
        c1q, c2q, chiq = c1[q], c2[q], chi[q]
        for i in range(n):
            wi = w[q, i]
            for k in range(d):
                xk = x[q, i, k]
                vk = v[q, i, k] * wi
                vk = vk + (c1q * r[0, q, i, k]) * (p[q, i, k] - xk)
                vk = vk + (c2q * r[1, q, i, k]) * (g[q, k] - xk)
                vk = vk * chiq  # exact when chi == 1
                if clamp:  # comparisons keep a NaN, as np.minimum / np.maximum do
                    if vk > vmax[q, k]:  # noqa: PLR1730 - min() would differ on NaN
                        vk = vmax[q, k]
                    if vk < -vmax[q, k]:  # noqa: PLR1730
                        vk = -vmax[q, k]
                v[q, i, k] = vk
                xk = xk + vk
                if clip:
                    if xk > hi[q, k]:  # noqa: PLR1730
                        xk = hi[q, k]
                    if xk < lo[q, k]:  # noqa: PLR1730
                        xk = lo[q, k]
                x[q, i, k] = xk


# ---------------------------------------------------------------------------------------------------------
# Argument helpers shared with the torch swarm
def _check_n_particles(n_particles: Any) -> int:
    if not isinstance(n_particles, (int, np.integer)) or isinstance(n_particles, bool) or n_particles < 2:
        raise ValueError(f"n_particles must be an integer >= 2, got {n_particles!r}")
    return int(n_particles)


def _is_function(obj: Any) -> bool:
    return all(hasattr(obj, a) for a in ("dim", "lower", "upper")) and callable(getattr(obj, "evaluate", obj))


def _check_functions(functions: Any, batch_size: int | None) -> list:
    """One function object per swarm, all of one dimension."""
    if _is_function(functions):
        if batch_size is None:
            raise ValueError("batch_size must be given when functions is a single function object")
        fns = [functions] * batch_size
    elif isinstance(functions, Sequence) and not isinstance(functions, str):
        fns = list(functions)
        if batch_size is not None and len(fns) != batch_size:
            raise ValueError(f"functions must hold batch_size={batch_size} functions, got {len(fns)}")
    else:
        raise ValueError(f"functions must be a function object or a sequence of them, got {functions!r}")
    if not fns:
        raise ValueError("functions must hold at least one function")
    for fn in fns:
        if not _is_function(fn):
            raise ValueError(f"functions must hold objects with dim, lower, upper and evaluate, got {fn!r}")
    dims = {int(fn.dim) for fn in fns}
    if len(dims) != 1:
        raise ValueError(f"functions must all have the same dim, got dims {sorted(dims)}")
    return fns


def _check_batch_size(batch_size: Any) -> int | None:
    if batch_size is None:
        return None
    if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")
    return int(batch_size)


def _check_seeds(seeds: Any, count: int) -> list[int] | None:
    if seeds is None:
        return None
    seeds = list(np.atleast_1d(np.asarray(seeds)))
    if len(seeds) != count or not all(isinstance(s, (int, np.integer)) and s >= 0 for s in seeds):
        raise ValueError(f"seeds must be None or {count} integers >= 0, got {seeds!r}")
    return [int(s) for s in seeds]


def as_indices(indices: Any, batch_size: int) -> np.ndarray:
    """Swarm indices from None (all), a boolean mask of shape (B,) or integers in 0..B-1, ascending."""
    if indices is None:
        return np.arange(batch_size)
    arr = np.asarray(indices)
    if arr.dtype == np.bool_:
        if arr.shape != (batch_size,):
            raise ValueError(f"indices as a mask must have shape ({batch_size},), got {arr.shape}")
        return np.flatnonzero(arr)
    arr = np.atleast_1d(arr)
    if arr.ndim != 1 or (arr.size and (not np.issubdtype(arr.dtype, np.integer) or arr.min() < 0
                                       or arr.max() >= batch_size)):
        raise ValueError(f"indices must be integers in 0..{batch_size - 1} or a boolean mask, got {indices!r}")
    if np.unique(arr).size != arr.size:
        raise ValueError(f"indices must not repeat, got {indices!r}")
    return arr.astype(np.intp)


def _functions_for(functions: Any, count: int) -> list | None:
    if functions is None:
        return None
    if _is_function(functions):
        return [functions] * count
    if isinstance(functions, Sequence) and not isinstance(functions, str) and len(functions) == count:
        return list(functions)
    raise ValueError(f"functions must be None, one function object or {count} of them, got {functions!r}")


# ---------------------------------------------------------------------------------------------------------
class BatchSwarm:
    """B independent global-best PSO swarms of N particles in D dimensions, stepped together.

    Parameters
    ----------
    functions : function object or sequence of B function objects
        The objectives (all of one dimension D), as for :class:`~pso_env.swarm.Swarm`. A single object
        is shared by all ``batch_size`` swarms.
    n_particles : int
        Swarm size N (>= 2).
    rng : numpy.random.Generator or int
        The batch's random source (or its seed): every iteration draws the r1, r2 of all swarms with
        one call of shape (2, B, N, D); initial swarms are drawn from it too unless ``seeds`` is given.
    batch_size : int, optional
        B; required when ``functions`` is a single object, else checked against its length.
    velocity_clamp : float or None, default 0.2
        As :class:`~pso_env.swarm.Swarm`: ``|v| <= velocity_clamp * (upper - lower)`` per swarm and
        dimension; None disables it.
    bounds : {"clip", "reflect", "none"}, default "clip"
        As :class:`~pso_env.swarm.Swarm`.
    seeds : sequence of B ints, optional
        Draw swarm b's initial positions and velocities from ``numpy.random.default_rng(seeds[b])``
        exactly as ``Swarm(functions[b], N, default_rng(seeds[b]))`` does (a Python loop over the
        swarms, at initialisation and reset only).

    Attributes
    ----------
    positions, velocities, pbest_positions : ndarray of shape (B, N, D)
    fitness, pbest_fitness : ndarray of shape (B, N)
        Non-finite objective values are stored as +inf.
    gbest_position : ndarray of shape (B, D)
    gbest_fitness : ndarray of shape (B,)
    iteration, evaluations : ndarray of int, shape (B,)
        Iterations since each swarm's (re)start; evaluations (N at initialisation, N per iteration).
    functions : list
        Each swarm's function object.
    lower, upper : ndarray of shape (B, D)

    Examples
    --------
    >>> import numpy as np
    >>> from benchmarks_fn import get_function
    >>> swarms = BatchSwarm(get_function("sphere", 5), 10, np.random.default_rng(0), batch_size=4)
    >>> swarms.step(np.full(4, 0.7), 2.0, 2.0)
    >>> swarms.gbest_fitness.shape, swarms.evolutionary_factor().shape
    ((4,), (4,))
    """

    def __init__(
        self,
        functions: Any,
        n_particles: int,
        rng: np.random.Generator | int,
        *,
        batch_size: int | None = None,
        velocity_clamp: float | None = 0.2,
        bounds: str = "clip",
        seeds: Sequence[int] | None = None,
    ) -> None:
        batch_size = _check_batch_size(batch_size)
        fns = _check_functions(functions, batch_size)
        self.n_particles = _check_n_particles(n_particles)
        if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) and rng >= 0:
            rng = np.random.default_rng(int(rng))
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng must be a numpy.random.Generator or a seed >= 0, got {rng!r}")
        _check_fraction("velocity_clamp", velocity_clamp)
        if bounds not in BOUND_MODES:
            raise ValueError(f"bounds must be one of {BOUND_MODES}, got {bounds!r}")
        self.rng = rng
        self.batch_size = b = len(fns)
        self.dim = d = int(fns[0].dim)
        n = self.n_particles
        self.velocity_clamp = velocity_clamp
        self.bounds = bounds
        self.functions: list = list(fns)
        self.lower = np.empty((b, d))
        self.upper = np.empty((b, d))
        self.vmax = np.empty((b, d)) if velocity_clamp is not None else None
        self.positions = np.empty((b, n, d))
        self.velocities = np.empty((b, n, d))
        self.fitness = np.empty((b, n))
        self.pbest_positions = np.empty((b, n, d))
        self.pbest_fitness = np.empty((b, n))
        self.gbest_position = np.empty((b, d))
        self.gbest_fitness = np.empty(b)
        self.iteration = np.zeros(b, dtype=np.int64)
        self.evaluations = np.zeros(b, dtype=np.int64)
        self._r = np.empty((2, b, n, d))
        self._w, self._c1, self._c2, self._chi = np.empty((b, n)), np.empty(b), np.empty(b), np.empty(b)
        self._arange = np.arange(b)
        self._set_bounds(self._arange, fns)
        self._groups = group_functions(self.functions)
        self._init_swarms(self._arange, _check_seeds(seeds, b))

    # ------------------------------------------------------------------ set-up
    def _set_bounds(self, idx: np.ndarray, fns: list) -> None:
        for j, fn in zip(idx, fns):
            self.functions[j] = fn
            self.lower[j] = np.asarray(fn.lower, dtype=float)
            self.upper[j] = np.asarray(fn.upper, dtype=float)
        span = self.upper[idx] - self.lower[idx]
        if self.vmax is not None:
            self.vmax[idx] = span * self.velocity_clamp
        # (B, 1, D) views for broadcasting over particles
        self._lo, self._hi = self.lower[:, None, :], self.upper[:, None, :]

    def _init_swarms(self, idx: np.ndarray, seeds: list[int] | None) -> None:
        k, n, d = idx.size, self.n_particles, self.dim
        lo, hi = self.lower[idx][:, None, :], self.upper[idx][:, None, :]
        span = hi - lo
        v0 = self.vmax[idx][:, None, :] if self.vmax is not None else span
        if seeds is None:
            u = self.rng.random((2, k, n, d))
            pos = lo + u[0] * span
            vel = (2.0 * u[1] - 1.0) * v0
        else:
            pos, vel = np.empty((k, n, d)), np.empty((k, n, d))
            for j, seed in enumerate(seeds):  # exactly Swarm's draws, from each swarm's own generator
                g = np.random.default_rng(seed)
                pos[j] = lo[j] + g.random((n, d)) * span[j]
                vel[j] = (2.0 * g.random((n, d)) - 1.0) * v0[j]
        if k == self.batch_size:
            fit = evaluate_groups(self._groups, pos, self.batch_size)
        else:
            fit = evaluate_groups(group_functions([self.functions[j] for j in idx]), pos, k)
        self.positions[idx] = pos
        self.velocities[idx] = vel
        self.fitness[idx] = fit
        self.pbest_positions[idx] = pos
        self.pbest_fitness[idx] = fit
        best = np.argmin(fit, axis=1)
        ar = np.arange(k)
        self.gbest_position[idx] = pos[ar, best]
        self.gbest_fitness[idx] = fit[ar, best]
        self.iteration[idx] = 0
        self.evaluations[idx] = n

    def reset(self, indices: Any = None, functions: Any = None, seeds: Sequence[int] | None = None) -> None:
        """Restart some swarms from fresh random positions (optionally on new functions).

        Parameters
        ----------
        indices : None, boolean mask of shape (B,) or ints
            The swarms to restart (None: all).
        functions : None, function object or one per index
            New objectives (same dimension D); None keeps each swarm's function.
        seeds : sequence of ints, optional
            One per index: draw swarm ``indices[j]``'s initial state from ``default_rng(seeds[j])`` as
            :class:`~pso_env.swarm.Swarm` does; default: from the batch generator, all at once.
        """
        idx = as_indices(indices, self.batch_size)
        if idx.size == 0:
            return
        fns = _functions_for(functions, idx.size)
        seeds = _check_seeds(seeds, idx.size)
        if fns is not None:
            for fn in fns:
                if not _is_function(fn) or int(fn.dim) != self.dim:
                    raise ValueError(f"functions must be function objects of dim {self.dim}, got {fn!r}")
            changed = any(self.functions[j] is not fn for j, fn in zip(idx, fns))
            self._set_bounds(idx, fns)
            if changed:
                self._groups = group_functions(self.functions)
        self._init_swarms(idx, seeds)

    # ------------------------------------------------------------------ iteration
    def _coef(self, value: Any, name: str, out: np.ndarray) -> np.ndarray:
        """Broadcast a coefficient into its reused buffer ``out`` ((B,) or (B, N))."""
        if np.ndim(value) == 0:
            out.fill(value)
            return out
        arr = np.asarray(value, dtype=float)
        if arr.shape == (self.batch_size,):
            out[...] = arr if out.ndim == 1 else arr[:, None]
        elif arr.shape == (self.batch_size, self.n_particles) and out.ndim == 2:
            out[...] = arr
        else:
            allowed = f"({self.batch_size},)" + (f" or ({self.batch_size}, {self.n_particles})" if out.ndim == 2 else "")
            raise ValueError(f"{name} must be a scalar or have shape {allowed}, got {arr.shape}")
        return out

    def step(self, w: Any, c1: Any, c2: Any, chi: Any = 1.0) -> None:
        """Run one iteration of every swarm.

        ``v <- chi * (w*v + c1*r1*(p - x) + c2*r2*(g - x))``, the velocity clamp, ``x <- x + v``, the
        bound handling, N evaluations per swarm and the best updates, as :meth:`Swarm.step`.

        Parameters
        ----------
        w : float, ndarray of shape (B,) or (B, N)
            Inertia weight per swarm (or per particle).
        c1, c2 : float or ndarray of shape (B,)
            Acceleration coefficients per swarm.
        chi : float or ndarray of shape (B,), default 1.0
            Constriction factor.
        """
        w, c1 = self._coef(w, "w", self._w), self._coef(c1, "c1", self._c1)
        c2, chi = self._coef(c2, "c2", self._c2), self._coef(chi, "chi", self._chi)
        self.rng.random(out=self._r)  # r1 = r[0], r2 = r[1], as Swarm's draws
        clamp, clip = self.vmax is not None, self.bounds == "clip"
        _move(self.positions, self.velocities, self.pbest_positions, self.gbest_position, self._r, w, c1, c2,
              chi, self.vmax if clamp else self.lower, self.lower, self.upper, clamp, clip)
        if self.bounds == "reflect":
            self._reflect()
        self._after_move()

    def _reflect(self) -> None:
        x, v = self.positions, self.velocities
        low, high = x < self._lo, x > self._hi
        x[:] = np.where(low, 2.0 * self._lo - x, np.where(high, 2.0 * self._hi - x, x))
        np.clip(x, self._lo, self._hi, out=x)
        np.negative(v, out=v, where=low | high)

    def _after_move(self) -> None:
        fit = evaluate_groups(self._groups, self.positions, self.batch_size)
        self.fitness = fit
        self.evaluations += self.n_particles
        self.iteration += 1
        improved = fit < self.pbest_fitness
        np.copyto(self.pbest_positions, self.positions, where=improved[:, :, None])
        np.copyto(self.pbest_fitness, fit, where=improved)
        best = np.argmin(self.pbest_fitness, axis=1)
        cand = self.pbest_fitness[self._arange, best]
        better = cand < self.gbest_fitness
        if better.any():
            rows = np.flatnonzero(better)
            self.gbest_fitness[rows] = cand[rows]
            self.gbest_position[rows] = self.pbest_positions[rows, best[rows]]

    # ------------------------------------------------------------------ read-outs
    def evaluate(self, positions: np.ndarray) -> np.ndarray:
        """Objective values of ``positions`` (shape (B, M, D), swarm b's function on row b), shape (B, M)."""
        positions = np.asarray(positions, dtype=float)
        if positions.ndim != 3 or positions.shape[0] != self.batch_size or positions.shape[2] != self.dim:
            raise ValueError(f"positions must have shape ({self.batch_size}, M, {self.dim}), got {positions.shape}")
        return evaluate_groups(self._groups, positions, self.batch_size)

    def mean_distances(self) -> np.ndarray:
        """Mean distance of each particle to the others, shape (B, N) (see :func:`batch_mean_distances`)."""
        return batch_mean_distances(self.positions)

    def evolutionary_factor(self) -> np.ndarray:
        """Evolutionary factor of every swarm's current positions, shape (B,) (see :func:`batch_evolutionary_factor`)."""
        return batch_evolutionary_factor(self.positions, self.fitness)

    def __repr__(self) -> str:
        return (f"BatchSwarm(batch_size={self.batch_size}, n_particles={self.n_particles}, dim={self.dim}, "
                f"groups={len(self._groups)}, bounds={self.bounds!r})")
