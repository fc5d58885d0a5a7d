"""Batched global-best PSO: B independent swarms held in (B, N, D) arrays and stepped together.

:class:`BatchSwarm` runs B independent copies of :class:`pso_env.swarm.Swarm` (each with its own function,
coefficients, bests and evolutionary factor) with one set of whole-array numpy operations per
iteration: no Python loop over swarms or particles in the hot path. Objectives are evaluated by
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

from benchmarks_fn import PAPER_FUNCTIONS, TransformedFunction

from .factor import evolutionary_factor
from .swarm import BOUND_MODES, _check_fraction

#: Classes whose ``evaluate`` depends only on the class and the dimension, so that instances of one
#: class and dimension can share one call.
PAPER_CLASSES = frozenset(PAPER_FUNCTIONS.values())
#: Gram-matrix squared distances below this fraction of ``|c_i|^2 + |c_j|^2`` (centred positions) are
#: recomputed from the coordinate differences: above it the Gram form loses at most ~1e-12 relative.
GRAM_RECOMPUTE_RATIO = 1e-3
#: Below this many swarms, :meth:`BatchSwarm.evolutionary_factor` loops over scipy's ``cdist`` instead.
SMALL_BATCH = 4


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
# Evolutionary factor
class DistanceWork:
    """Preallocated buffers of :func:`batch_mean_distances` for one (B, N, D) shape.

    Reusing them matters: fresh (B, N, N) temporaries of a few MB are page-faulted in on every call,
    which costs about three times the arithmetic (measured at B = 256, N = D = 30).
    """

    def __init__(self, shape: tuple[int, int, int]) -> None:
        b, n, d = shape
        self.shape = tuple(shape)
        self.mean = np.empty((b, 1, d))
        self.centred = np.empty((b, n, d))
        self.gram = np.empty((b, n, n))
        self.norms = np.empty((b, n, n))
        self.d2 = np.empty((b, n, n))
        self.sq = np.empty((b, n))
        self.risky = np.empty((b, n, n), dtype=bool)
        self.diag = np.arange(n)


def batch_mean_distances(positions: np.ndarray, work: DistanceWork | None = None) -> np.ndarray:
    """Mean Euclidean distance of each particle to the others, for B swarms at once.

    Parameters
    ----------
    positions : ndarray of shape (B, N, D)
    work : DistanceWork, optional
        Buffers to reuse (for repeated calls on one shape).

    Returns
    -------
    ndarray of shape (B, N)
        Row ``b`` equals :func:`pso_env.factor.mean_distances` of ``positions[b]`` to ~1e-12 relative.

    Notes
    -----
    Squared distances come from the Gram matrix of the positions centred per swarm (one batched
    ``matmul``), which cancels catastrophically only for pairs much closer than their distance to the
    centre; those pairs (``d^2 < GRAM_RECOMPUTE_RATIO * (|c_i|^2 + |c_j|^2)``, coinciding particles
    included) are recomputed from their coordinate differences.
    """
    b, n, _ = positions.shape
    if n < 2:
        return np.zeros((b, n))
    if work is None or work.shape != positions.shape:
        work = DistanceWork(positions.shape)
    c, gram, norms, d2, sq, risky, diag = work.centred, work.gram, work.norms, work.d2, work.sq, work.risky, work.diag
    np.mean(positions, axis=1, keepdims=True, out=work.mean)
    np.subtract(positions, work.mean, out=c)
    np.matmul(c, c.transpose(0, 2, 1), out=gram)
    sq[:] = gram[:, diag, diag]
    np.add(sq[:, :, None], sq[:, None, :], out=norms)
    np.multiply(gram, -2.0, out=d2)
    d2 += norms
    norms *= GRAM_RECOMPUTE_RATIO
    np.less_equal(d2, norms, out=risky)
    risky[:, diag, diag] = False
    if risky.any():
        bi, i, j = np.nonzero(risky)
        diff = positions[bi, i] - positions[bi, j]
        d2[bi, i, j] = np.einsum("kd,kd->k", diff, diff)
    d2[:, diag, diag] = 0.0
    np.maximum(d2, 0.0, out=d2)
    np.sqrt(d2, out=d2)
    return d2.sum(axis=2) / (n - 1)


def factor_from_distances(d: np.ndarray, fitness: np.ndarray) -> np.ndarray:
    """``f = (d_g - d_min) / (d_max - d_min)`` per swarm from mean distances ``d`` (B, N), shape (B,).

    ``g`` is the particle of lowest current fitness (first one on ties); f = 0 where
    ``d_max == d_min``; clipped to [0, 1]. Same definition as :func:`pso_env.factor.evolutionary_factor`.
    """
    d_min, d_max = d.min(axis=1), d.max(axis=1)
    span = d_max - d_min
    d_g = d[np.arange(d.shape[0]), np.argmin(fitness, axis=1)]
    ok = span > 0.0
    f = (d_g - d_min) / np.where(ok, span, 1.0)
    f[~ok] = 0.0
    np.minimum(f, 1.0, out=f)
    return np.maximum(f, 0.0, out=f)


def batch_evolutionary_factor(positions: np.ndarray, fitness: np.ndarray,
                              work: DistanceWork | None = None) -> np.ndarray:
    """Evolutionary factor of B swarms at once, shape (B,) (see :func:`factor_from_distances`).

    Below :data:`SMALL_BATCH` swarms, :func:`pso_env.factor.evolutionary_factor` per swarm (scipy's
    ``cdist``) costs less than the fixed overhead of the batched Gram form, and is used instead.
    """
    if positions.shape[0] < SMALL_BATCH:
        return np.array([evolutionary_factor(p, f) for p, f in zip(positions, fitness)], dtype=float)
    return factor_from_distances(batch_mean_distances(positions, work), fitness)


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
        self._tmp = np.empty((b, n, d))
        self._arange = np.arange(b)
        self._work = DistanceWork((b, n, d))
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
        if self.vmax is not None:
            self._vmax = self.vmax[:, None, :]
            self._neg_vmax = -self._vmax

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
    def _coef(self, value: Any, name: str) -> Any:
        if np.ndim(value) == 0:
            return float(value)
        arr = np.asarray(value, dtype=float)
        if arr.shape == (self.batch_size,):
            return arr[:, None, None]
        if arr.shape == (self.batch_size, self.n_particles):
            return arr[:, :, None]
        raise ValueError(f"{name} must be a scalar or have shape ({self.batch_size},), got {arr.shape}")

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
        w, c1, c2 = self._coef(w, "w"), self._coef(c1, "c1"), self._coef(c2, "c2")
        x, v, tmp, r = self.positions, self.velocities, self._tmp, self._r
        self.rng.random(out=r)
        r1, r2 = r[0], r[1]
        v *= w
        # (c1 * r1) * (p - x), the association of Swarm.step
        np.subtract(self.pbest_positions, x, out=tmp)
        r1 *= c1
        r1 *= tmp
        v += r1
        np.subtract(self.gbest_position[:, None, :], x, out=tmp)
        r2 *= c2
        r2 *= tmp
        v += r2
        if np.ndim(chi) != 0 or chi != 1.0:
            v *= self._coef(chi, "chi")
        if self.vmax is not None:  # one pass; equal to Swarm's minimum-then-maximum as -vmax <= vmax
            np.clip(v, self._neg_vmax, self._vmax, out=v)
        x += v
        self._handle_bounds()
        self._after_move()

    def _handle_bounds(self) -> None:
        x = self.positions
        if self.bounds == "clip":
            np.clip(x, self._lo, self._hi, out=x)
        elif self.bounds == "reflect":
            v = self.velocities
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
        return batch_mean_distances(self.positions, self._work)

    def evolutionary_factor(self) -> np.ndarray:
        """Evolutionary factor of every swarm's current positions, shape (B,).

        See :func:`batch_evolutionary_factor` (which loops over scipy's ``cdist`` below
        :data:`SMALL_BATCH` swarms).
        """
        return batch_evolutionary_factor(self.positions, self.fitness, self._work)

    def __repr__(self) -> str:
        return (f"BatchSwarm(batch_size={self.batch_size}, n_particles={self.n_particles}, dim={self.dim}, "
                f"groups={len(self._groups)}, bounds={self.bounds!r})")
