"""The swarm core: B independent global-best PSO swarms (Kennedy & Eberhart 1995) in (B, N, D) arrays.

A single run is B = 1; every parameter rule (the environment's actions, the variants in :mod:`agents`)
drives the same :meth:`Swarm.step`. Backends: ``"numpy"`` (fused numba passes) and ``"torch"`` (tensor
arithmetic on any device in one method that ``torch.compile`` traces whole; its own ``torch.Generator``,
so its runs match numpy's in distribution, not bit for bit).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from benchmarks_fn._validate import check_function_object, check_int

from ._jit import jit
from .config import BACKENDS, RANDOM_FACTORS, check_bool, check_choice, check_real
from .factor import _batch_factors, torch_evolutionary_factor
from .objective import count_nonfinite, evaluate_groups, finite_or_inf, group_functions

__all__ = ["BOUND_MODES", "MOMENTUM_KINDS", "RANDOM_FACTORS", "SET_MODES", "Swarm", "as_indices", "finite_or_inf"]

#: Modes of the bound handling (see :class:`Swarm`); the first is the default.
BOUND_MODES = ("clip-back", "clip", "reflect", "none")
#: Modes of :meth:`Swarm.set_particles`.
SET_MODES = ("move", "improve", "best", "replace")
_BOUND_CODE = {"none": 0, "clip": 1, "reflect": 2, "clip-back": 3}
#: What the momentum buffer of :meth:`Swarm.step` keeps: the exponential average (EMPSO) or v(t-1) (MPSO).
MOMENTUM_KINDS = ("average", "previous")
_MOMENTUM_CODE = {"average": 1, "previous": 2}


# Kernels of the numpy backend (no fastmath: runs are reproducible bit for bit).
@jit(inline="always")
def _move_loop(x: np.ndarray, v: np.ndarray, p: np.ndarray, g: np.ndarray, r: np.ndarray, coefs: np.ndarray,
               box: np.ndarray, prev: np.ndarray, clamp: bool, bound: int, second: bool, m: np.ndarray,
               beta: np.ndarray, mom: int, a: np.ndarray, drift: bool) -> None:
    b, n, d = x.shape
    lo, hi, vmax = box[0], box[1], box[2]
    for q in range(b):
        chiq = coefs[3 * n, q]
        bq = beta[q] if mom != 0 else 0.0
        for i in range(n):
            wi, c1q, c2q = coefs[i, q], coefs[n + i, q], coefs[2 * n + i, q]
            for k in range(d):
                xk = x[q, i, k]
                if second:
                    s = prev[q, i, k] - 2.0 * xk
                    dp, dg = p[q, i, k] + s, g[q, k] + s
                else:
                    dp, dg = p[q, i, k] - xk, g[q, k] - xk
                vk = v[q, i, k]
                if mom != 0:  # the momentum terms (Swarm.step): constant-folded away when mom == 0
                    mk = bq * m[q, i, k] + (1.0 - bq) * vk
                    m[q, i, k] = mk if mom == 1 else vk
                    vk = mk
                vk = vk * wi
                vk = vk + (c1q * r[q, 0, i, k]) * dp
                vk = vk + (c2q * r[q, 1, i, k]) * dg
                vk = vk * chiq  # exact when chi == 1
                if drift:  # the per-particle drift (Swarm.step): constant-folded away when False
                    vk = vk + a[q, i, k]
                if clamp:
                    if vk > vmax[q, k]:  # noqa: PLR1730 - min() would differ on NaN
                        vk = vmax[q, k]
                    if vk < -vmax[q, k]:  # noqa: PLR1730
                        vk = -vmax[q, k]
                xk = xk + vk
                if bound == 2:
                    if xk < lo[q, k]:
                        xk = 2.0 * lo[q, k] - xk
                        vk = -vk
                    elif xk > hi[q, k]:
                        xk = 2.0 * hi[q, k] - xk
                        vk = -vk
                if bound != 0 and (xk > hi[q, k] or xk < lo[q, k]):  # reflect too: a jump of over a width
                    xk = hi[q, k] if xk > hi[q, k] else lo[q, k]
                    if bound == 3:
                        vk = -0.5 * vk
                v[q, i, k] = vk
                x[q, i, k] = xk


@jit()
def _move(x: np.ndarray, v: np.ndarray, p: np.ndarray, g: np.ndarray, r: np.ndarray, coefs: np.ndarray,
          box: np.ndarray, prev: np.ndarray, clamp: bool, bound: int, second: bool) -> None:
    """Velocity update, clamp, move and bounds (``bound``: :data:`_BOUND_CODE`) in one pass.

    ``coefs`` (3N + 1, B): w, c1 and c2 per particle (rows ``[0, N)``, ``[N, 2N)``, ``[2N, 3N)``), chi; ``box``
    (3, B, D): lower, upper, vmax. The default
    settings get a loop compiled with their flags as constants. No momentum and no drift
    (:func:`_move_momentum`).
    """
    if not second and clamp and bound == 3:
        _move_loop(x, v, p, g, r, coefs, box, prev, True, 3, False, x, box[0, :, 0], 0, x, False)
    else:
        _move_loop(x, v, p, g, r, coefs, box, prev, clamp, bound, second, x, box[0, :, 0], 0, x, False)


@jit()
def _move_momentum(x: np.ndarray, v: np.ndarray, p: np.ndarray, g: np.ndarray, r: np.ndarray, coefs: np.ndarray,
                   box: np.ndarray, prev: np.ndarray, clamp: bool, bound: int, second: bool, m: np.ndarray,
                   beta: np.ndarray, mom: int, a: np.ndarray, drift: bool) -> None:
    """:func:`_move` with the momentum buffer ``m`` (B, N, D), its factor ``beta`` (B,) and ``mom`` (0: none;
    1: the buffer keeps the exponential average, EMPSO; 2: the previous velocity, MPSO) and, if ``drift``,
    the per-particle drift ``a`` (B, N, D) added to the velocity before the clamp (HG-PSO's gradient term),
    compiled on its own so that the plain move pays nothing for either."""
    _move_loop(x, v, p, g, r, coefs, box, prev, clamp, bound, second, m, beta, mom, a, drift)


@jit()
def _update_bests(x: np.ndarray, values: np.ndarray, fitness: np.ndarray, p: np.ndarray, pf: np.ndarray,
                  g: np.ndarray, gf: np.ndarray, counts: np.ndarray) -> None:
    """Store ``values`` (non-finite as +inf), update the bests, count into ``counts`` (3, B)."""
    b, n, d = x.shape
    for q in range(b):
        counts[0, q] += 1
        counts[1, q] += n
        for i in range(n):
            f = values[q, i]
            if not np.isfinite(f):
                f = np.inf
                counts[2, q] += 1
            fitness[q, i] = f
            if f < pf[q, i]:
                pf[q, i] = f
                for k in range(d):
                    p[q, i, k] = x[q, i, k]
        best, value = 0, pf[q, 0]
        for i in range(1, n):
            if pf[q, i] < value:
                best, value = i, pf[q, i]
        if value < gf[q]:
            gf[q] = value
            for k in range(d):
                g[q, k] = p[q, best, k]


def _function_list(functions: Any, count: int | None, label: str, dim: int | None = None) -> list:
    """``functions`` (one object, shared, or ``count`` of them) as a list of one dimension, each checked
    (:func:`benchmarks_fn._validate.check_function_object`)."""
    if isinstance(functions, Sequence) and not isinstance(functions, str):
        fns = list(functions)
        if not fns:
            raise ValueError("functions must be a function object or a non-empty sequence of them, got []")
        if count is not None and len(fns) != count:
            raise ValueError(f"functions: {len(fns)} given for {label}")
    else:
        fns = [functions] * (count or 1)
    for fn in {id(fn): fn for fn in fns}.values():
        check_function_object(fn, "functions", "a sequence of function objects or ")
    dims = {int(fn.dim) for fn in fns} | ({dim} if dim else set())
    if len(dims) != 1:
        raise ValueError(f"functions must all have the same dim, got dims {sorted(dims)}")
    return fns


def _check_seeds(seeds: Any, count: int) -> list[int] | None:
    if seeds is None:
        return None
    seeds = list(np.atleast_1d(np.asarray(seeds, dtype=object)))
    if len(seeds) != count:
        raise ValueError(f"seeds must be None or {count} integers >= 0, got {seeds!r}")
    return [check_int(s, "seeds", 0) for s in seeds]


def as_indices(indices: Any, batch_size: int) -> np.ndarray:
    """Swarm indices from None (all), a boolean mask of shape (B,) or distinct integers in 0..B-1."""
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


def _torch_backend(device: Any, dtype: Any) -> tuple[Any, Any, Any]:
    import array_api_compat.torch as xp
    import torch

    try:
        dev = torch.device(device)
    except (TypeError, RuntimeError, ValueError):
        raise ValueError(f"device must be a torch device such as 'cpu' or 'cuda', got {device!r}") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} asked for, but CUDA is not available")
    dtype = {"float64": torch.float64, "float32": torch.float32}.get(dtype, dtype) if type(dtype) is str else dtype
    if dtype not in (torch.float64, torch.float32):
        raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
    return xp, dev, dtype


class Swarm:
    """B independent global-best PSO swarms of N particles in D dimensions, stepped together.

    Parameters
    ----------
    functions : function object or sequence of B function objects
        Objectives of one dimension D: objects with ``dim``, ``lower`` and ``upper`` (length D) that map
        (M, D) points to (M,) values (``evaluate`` when present, else ``__call__``), such as
        :func:`benchmarks_fn.get_function`'s; one object is shared by all swarms. Torch takes the paper
        functions and their :class:`~benchmarks_fn.TransformedFunction` forms only.
    n_particles : int
        N (>= 2, so that the evolutionary factor is defined).
    rng : numpy.random.Generator or int (a seed)
        The initial state, each iteration's r1, r2 (one (B, 2, N, D) draw, (B, 2, N, 1) with
        ``random_factors="particle"``) unless ``seeds`` is given, and
        :meth:`draw`; torch seeds its ``torch.Generator`` from it.
    batch_size : int, optional
        B; default 1 for a single function object, else checked against the sequence's length.
    velocity_clamp : float or None, default 0.2
        ``|v| <= velocity_clamp * (upper - lower)`` per swarm and dimension (None: no clamp). Initial
        velocities are uniform in [-vmax, vmax] (the full range without a clamp).
    bounds : {"clip-back", "clip", "reflect", "none"}, default "clip-back"
        A coordinate that leaves the box is put on the face and its velocity component becomes -0.5 times
        itself (``"clip-back"``: SPSO 2011's confinement, Clerc 2012; "absorb" with "deterministic back"
        in Helwig, Branke & Mostaghim, IEEE TEVC 2013), or put on the face with its velocity kept
        (``"clip"``: a swarm can collapse onto a face it should leave), or mirrored at the face with that
        velocity component reversed (``"reflect"``, then clipped for a jump of more than one box width),
        or left outside and evaluated there (``"none"``).
    seeds : sequence of B ints, optional
        Swarm b draws everything from its own generator seeded with ``seeds[b]`` (numpy's, and torch's for
        r1, r2), so it runs exactly as a swarm of B = 1 with ``seeds=[seeds[b]]``.
    backend : {"numpy", "torch"}, default "numpy"
    device : str or torch.device, default "cpu"
        Torch: ``"cpu"``, ``"cuda"``, ``"cuda:1"``...; numpy: "cpu" only.
    dtype : {"float64", "float32"}, default "float64"
        float32 is torch's only.
    history : bool, default False
        Keep :attr:`best_history` (a run record needs it).
    random_factors : {"dimension", "particle"}, default "dimension"
        How r1, r2 are drawn: one per particle and dimension (the classic update, which depends on the
        coordinate frame), or one of each per particle, shared by its D dimensions: the update then commutes
        with rotations of the search space (the "linear PSO" of Paterlini & Krink 2004; Wilke, Kok &
        Groenwold 2007, "Comparison of linear and classical velocity update rules in particle swarm
        optimization: notes on scale and frame invariance"; the backbone of GLEET, Ma et al. 2024). Without a
        velocity clamp and bounds, a swarm started from rotated positions and velocities on the rotated
        function moves as the rotated swarm, to rounding (the clamp, the bounds and the uniform start act per
        coordinate). Each particle then moves in the span of its velocity and its two attractors, so a small
        swarm can stagnate in a subspace (LinWPSO's sphere at D = 10 and N = 20: ``results/learned-control``).

    Attributes
    ----------
    positions, velocities, pbest_positions : array of shape (B, N, D)
    fitness, pbest_fitness, gbest_position, gbest_fitness : arrays of shape (B, N), (B, N), (B, D), (B,)
        Non-finite objective values (NaN, +inf and -inf alike) are stored as +inf, the worst value.
    iteration, evaluations, nonfinite : ndarray of int64, shape (B,)
        Host-side counts since each swarm's (re)start: iterations; evaluations (N at initialisation and per
        iteration, plus :meth:`evaluate` with ``count=True`` and :meth:`set_particles`); non-finite values.
    functions : list
    lower, upper, vmax : array of shape (B, D)
        The boxes and the velocity limits (``vmax`` None without a clamp).
    momentum_buffer : array of shape (B, N, D) or None
        The momentum of :meth:`step` (None until the first step with ``momentum``); zero at every
        (re)start of a swarm.
    batch_size, n_particles, dim, bounds, random_factors, backend, rng, device, dtype, xp
        ``device``, ``dtype``, ``xp``: ``"cpu"``, ``numpy.float64``, numpy; or a ``torch.device``,
        ``torch.dtype`` and ``array_api_compat.torch`` (the arrays are then tensors on ``device``).

    Raises
    ------
    ValueError
        For a bad argument, naming it (``functions`` of different dimensions, with a box that is not
        finite or, on torch, with no torch form); at every evaluation that returns values of a shape
        other than (M,) for M points, naming the function.

    Examples
    --------
    >>> from benchmarks_fn import get_function
    >>> swarms = Swarm(get_function("sphere", 5), 10, 0, batch_size=4)  # one run: batch_size=1
    >>> swarms.step(np.full(4, 0.7), 2.0, 2.0)
    >>> swarms.gbest_fitness.shape, swarms.evolutionary_factor().shape
    ((4,), (4,))
    """

    def __init__(self, functions: Any, n_particles: int, rng: np.random.Generator | int, *,
                 batch_size: int | None = None, velocity_clamp: float | None = 0.2, bounds: str = BOUND_MODES[0],
                 seeds: Sequence[int] | None = None, backend: str = "numpy", device: Any = "cpu",
                 dtype: Any = "float64", history: bool = False, random_factors: str = RANDOM_FACTORS[0]) -> None:
        count = None if batch_size is None else check_int(batch_size, "batch_size", 1)
        fns = _function_list(functions, count, f"batch_size={batch_size}")
        self.n_particles = n = check_int(n_particles, "n_particles", 2)
        if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) and rng >= 0:
            rng = np.random.default_rng(int(rng))
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng must be a numpy.random.Generator or a seed >= 0, got {rng!r}")
        velocity_clamp = check_real(positive=True, optional=True)("velocity_clamp", velocity_clamp)
        check_choice(BOUND_MODES)("bounds", bounds)
        check_choice(BACKENDS)("backend", backend)
        check_bool("history", history)
        if random_factors == RANDOM_FACTORS[2]:
            raise ValueError("random_factors='action' is the environment's setting (EnvConfig): a Swarm takes "
                             "'dimension' and each iteration's choice as step(shared=...)")
        self._random_factors = check_choice(RANDOM_FACTORS[:2])("random_factors", random_factors)
        self.batch_size = b = len(fns)
        seeds = _check_seeds(seeds, b)
        if backend == "numpy":
            if str(device) != "cpu" or dtype not in ("float64", np.float64):
                raise ValueError(f"device and dtype must be 'cpu' and 'float64' with backend='numpy' (GPUs and float32 "
                                 f"are torch's), got device={device!r}, dtype={dtype!r}")
            self.xp, self.device, self.dtype = np, "cpu", np.float64
        else:
            self.xp, self.device, self.dtype = _torch_backend(device, dtype)
        self.backend, self.rng, self.dim, self.bounds = backend, rng, int(fns[0].dim), bounds
        self.velocity_clamp, self.functions = velocity_clamp, list(fns)
        self._rngs = None if seeds is None else [np.random.default_rng(s) for s in seeds]
        self._generators = self._rngs or [rng]  # the sources of _uniform: numpy or torch generators
        if backend == "torch":
            import torch

            first = [int(rng.integers(2**63 - 1))]
            self._generators = [torch.Generator(device=self.device).manual_seed(s) for s in seeds or first]
        d = self.dim
        self._box = self._empty(3, b, d)  # lower, upper, vmax: one argument of the numba move
        self.lower, self.upper = self._box[0], self._box[1]
        self.vmax = self._box[2] if velocity_clamp is not None else None
        self.positions, self.velocities, self.pbest_positions = (self._empty(b, n, d) for _ in range(3))
        self.fitness, self.pbest_fitness = self._empty(b, n), self._empty(b, n)
        self.gbest_position, self.gbest_fitness = self._empty(b, d), self._empty(b)
        self._counts = np.zeros((3, b), dtype=np.int64)  # one argument of the numba best update
        self.iteration, self.evaluations, self._nonfinite = self._counts
        if backend == "torch":  # counted on the device, without a synchronisation
            self._nonfinite = self.xp.zeros(b, dtype=self.xp.int64, device=self.device)
        self._all = np.arange(b)
        per_particle = {(), (b,), (b, n)}
        self._shapes = {"w": per_particle, "c1": per_particle, "c2": per_particle, "chi": {(), (b,)}}
        if backend == "numpy":  # reused buffers of the numpy step
            self._r = np.empty((b, 2, n, d))
            self._r_particle = np.empty((b, 2, n, 1)) if random_factors == "particle" else None
            self._coefs = np.empty((3 * n + 1, b))  # w, c1, c2 per particle, chi: one argument of the move
            self._scalars: tuple | None = None  # the float coefficients the buffers hold
            self._move_args = (self.positions, self.velocities, self.pbest_positions, self.gbest_position,
                               self._r, self._coefs, self._box, velocity_clamp is not None, _BOUND_CODE[bounds])
        self._history: list | None = [] if history else None
        self.momentum_buffer: Any = None
        self._set_bounds(self._all, fns)
        self._groups = group_functions(self.functions, like=self.positions)
        self._init_swarms(self._all)

    @property
    def random_factors(self) -> str:
        """How r1, r2 are drawn (fixed at construction): ``"dimension"`` or ``"particle"``."""
        return self._random_factors

    # backend helpers
    def _empty(self, *shape: int) -> Any:
        return self.xp.empty(shape, dtype=self.dtype, device=self.device)

    def _asarray(self, a: Any) -> Any:
        return self.xp.asarray(a, dtype=self.dtype, device=self.device)

    def _ix(self, idx: np.ndarray) -> Any:
        """Host indices as indices of the backend's arrays."""
        return self.xp.asarray(idx, device=self.device)

    def _host(self, a: Any) -> np.ndarray:
        return a if isinstance(a, np.ndarray) else a.cpu().numpy()

    def _copy(self, a: Any) -> Any:
        return a.copy() if isinstance(a, np.ndarray) else a.clone()

    def _uniform(self, shape: tuple[int, ...], idx: np.ndarray) -> Any:
        """Uniform [0, 1) draws of shape (len(idx), *shape) for swarms ``idx``, in the backend."""
        if self.backend == "numpy":
            rand = np.random.Generator.random
        else:
            import torch

            def rand(g: Any, size: tuple) -> Any:
                return torch.rand(size, generator=g, dtype=self.dtype, device=self.device)
        if self._rngs is None:
            return rand(self._generators[0], (idx.size, *shape))
        return self.xp.stack([rand(self._generators[j], shape) for j in idx])

    def _best_of(self, positions: Any, values: Any) -> tuple[Any, Any]:
        """Each row's best point and value, shapes (K, D) and (K,), of positions (K, M, D), values (K, M)."""
        xp = self.xp
        best = xp.argmin(values, axis=1)[:, None]
        return xp.take_along_axis(positions, best[:, :, None], axis=1)[:, 0], xp.min(values, axis=1)

    # set-up
    def _set_bounds(self, idx: np.ndarray, fns: list) -> None:
        lower = np.array([np.broadcast_to(np.asarray(fn.lower, dtype=float), (self.dim,)) for fn in fns])
        upper = np.array([np.broadcast_to(np.asarray(fn.upper, dtype=float), (self.dim,)) for fn in fns])
        for j, fn in zip(idx, fns):
            self.functions[j] = fn
        ix = self._ix(idx)
        self.lower[ix], self.upper[ix] = self._asarray(lower), self._asarray(upper)
        if self.vmax is not None:
            self.vmax[ix] = (self.upper[ix] - self.lower[ix]) * self.velocity_clamp

    def _init_swarms(self, idx: np.ndarray) -> None:
        k, n = idx.size, self.n_particles
        ix = self._ix(idx)
        lo, hi = self.lower[ix][:, None, :], self.upper[ix][:, None, :]
        span = hi - lo
        v0 = self.vmax[ix][:, None, :] if self.vmax is not None else span
        u = self._uniform((2, n, self.dim), idx)  # one (2, N, D) draw per swarm: positions, velocities
        pos = lo + u[:, 0] * span
        vel = (2.0 * u[:, 1] - 1.0) * v0
        raw = evaluate_groups(self._groups, pos, None if k == self.batch_size else idx)
        self._nonfinite[ix] = count_nonfinite(raw)
        fit = finite_or_inf(raw)
        self.positions[ix], self.velocities[ix], self.fitness[ix] = pos, vel, fit
        self.pbest_positions[ix], self.pbest_fitness[ix] = pos, fit
        self.gbest_position[ix], self.gbest_fitness[ix] = self._best_of(pos, fit)
        self.iteration[idx], self.evaluations[idx] = 0, n
        if self.momentum_buffer is not None:
            self.momentum_buffer[ix] = 0.0
        if self._history is not None:
            if k == self.batch_size:
                self._history = [self._copy(self.gbest_fitness)]
            else:
                self._history[-1] = self._copy(self.gbest_fitness)

    def reset(self, indices: Any = None, functions: Any = None, seeds: Sequence[int] | None = None) -> None:
        """Restart some swarms from fresh random positions (optionally on new functions).

        ``indices``: None (all, which restarts :attr:`best_history`; else its last entry is overwritten),
        a boolean mask of shape (B,) or distinct ints; ``functions``: new objectives of dimension D, one
        object or one per index (None: keep); ``seeds``: new generators for those swarms (a swarm built
        with ``seeds`` only).

        Raises
        ------
        ValueError
            For bad ``indices``, ``functions`` or ``seeds``.
        """
        idx = as_indices(indices, self.batch_size)
        if idx.size == 0:
            return
        fns = None if functions is None else _function_list(functions, idx.size, f"{idx.size} indices", self.dim)
        seeds = _check_seeds(seeds, idx.size)
        if seeds is not None:
            if self._rngs is None:
                raise ValueError("seeds: this swarm was built without seeds (one generator for all swarms)")
            for j, s in zip(idx, seeds):
                self._rngs[j] = np.random.default_rng(s)
                if self.backend == "torch":
                    self._generators[j].manual_seed(s)
        if fns is not None:
            changed = any(self.functions[j] is not fn for j, fn in zip(idx, fns))
            self._set_bounds(idx, fns)
            if changed:
                self._groups = group_functions(self.functions, like=self.positions)
        self._init_swarms(idx)

    # iteration
    def _coefficients(self, *values: Any) -> list:
        """w, c1, c2, chi as floats or arrays of the backend of shape (), (B,) or (B, N) (not chi)."""
        out = []
        for value, name in zip(values, ("w", "c1", "c2", "chi")):
            if isinstance(value, (float, int)) or (not hasattr(value, "device") and np.ndim(value) == 0):
                out.append(float(value))
                continue
            a = self._asarray(value)
            if tuple(a.shape) not in self._shapes[name]:
                raise ValueError(f"{name} must be a scalar or have shape "
                                 f"{' or '.join(map(str, sorted(self._shapes[name])[1:]))}, got {tuple(a.shape)}")
            out.append(a)
        return out

    def step(self, w: Any, c1: Any, c2: Any, chi: Any = 1.0, *, previous: Any = None, momentum: Any = None,
             momentum_kind: str = "average", drift: Any = None, shared: Any = None) -> None:
        """One iteration of every swarm: ``v <- chi (w v + c1 r1 (p - x) + c2 r2 (g - x))`` (Kennedy &
        Eberhart 1995; inertia: Shi & Eberhart 1998), clamp, ``x <- x + v``, bounds, N evaluations and
        the best updates.

        With ``momentum`` (beta) the ``v`` of the inertia term is replaced by ``u = beta M + (1 - beta) v``,
        where ``M`` is :attr:`momentum_buffer` (zero at the start), and the buffer then keeps ``u``
        (``momentum_kind="average"``: EMPSO, Mohapatra et al. 2022 eqs 4-5, ``M(t+1) = beta M(t) +
        (1 - beta) v(t)``, ``v(t+1) = M(t+1) + c1 r1 (p - x) + c2 r2 (g - x)`` with w = chi = 1) or the
        velocity ``v`` it was given (``"previous"``: MPSO, eq 3, ``v(t+1) = (1 - beta) [v(t) + attraction]
        + beta v(t-1)`` with w = 1 and the caller's c1, c2 times 1 - beta). Beta = 0 gives the classic
        update bit for bit. The buffer is shared: use one kind per run.

        With ``drift`` (``a``, one vector per particle) the velocity becomes ``chi (...) + a`` before the
        clamp: HG-PSO's gradient term ``a = -alpha grad f(x)`` (:class:`agents.variants.HGPSO`). Without it
        the move is the plain compiled one; ``a = 0`` gives the plain update bit for bit, and with
        ``w = c1 = c2 = 0`` (no clamp or bounds reached) one step is ``x <- x + a`` exactly.

        Parameters
        ----------
        w, c1, c2 : float, array of shape (B,) or (B, N)
            Inertia weight, cognitive and social acceleration coefficients per swarm (or per particle, as
            GLEET's per-particle c1 and c2, Ma et al. 2024).
        chi : float or array of shape (B,)
            Clerc's constriction factor (1.0: none).
        previous : array of shape (B, N, D), optional
            The previous positions ``x'`` for the second-order update of Hu & Zeng (2007): the attraction
            terms become ``c1 r1 (p - 2x + x')`` and ``c2 r2 (g - 2x + x')``.
        momentum : float or array of shape (B,), optional
            Beta in [0, 1) per swarm; None (default): no momentum, and the move is the plain compiled one.
        momentum_kind : {"average", "previous"}, default "average"
            What the buffer keeps (above).
        drift : array of shape (B, N, D), optional
            Added to every particle's velocity after the constriction, before the clamp (above).
        shared : array of bool, shape (B, N), optional
            With ``random_factors="dimension"``: the particles that this iteration take one r1 and one r2 for all
            their dimensions (those drawn for their first dimension, so the draw is the same as without
            ``shared``), as ``random_factors="particle"`` does for every particle; the others keep their
            per-dimension draw (the environment's ``random_factors="action"``).

        Raises
        ------
        ValueError
            A coefficient, ``previous``, ``drift`` or ``shared`` of the wrong shape; ``shared`` with
            ``random_factors="particle"``; ``momentum`` outside [0, 1) or of the wrong shape; an unknown
            ``momentum_kind``.
        """
        for name, extra in (("previous", previous), ("drift", drift)):
            if extra is not None and tuple(extra.shape) != tuple(self.positions.shape):
                raise ValueError(f"{name} must have shape {tuple(self.positions.shape)}, got {tuple(extra.shape)}")
        mom = None if momentum is None else self._momentum(momentum, momentum_kind)
        if shared is not None:
            shared = self._shared(shared)
        if self.backend == "numpy":  # numba passes over reused buffers
            floats = type(w) is float and type(c1) is float and type(c2) is float and type(chi) is float
            if not floats or (w, c1, c2, chi) != self._scalars:  # else the buffer holds these floats already
                self._scalars = (w, c1, c2, chi) if floats else None
                w, c1, c2, chi = self._coefficients(w, c1, c2, chi)
                cf, n = self._coefs, self.n_particles
                for row, c in enumerate((w, c1, c2)):
                    cf[row * n:(row + 1) * n] = c.T if getattr(c, "ndim", 0) == 2 else c
                cf[3 * n] = chi
            self._iterate(previous, mom, drift, shared)
            return
        coefs = [c if isinstance(c, float) else c.reshape(tuple(c.shape) + (1,) * (3 - c.ndim))
                 for c in self._coefficients(w, c1, c2, chi)]  # broadcast against (B, N, D)
        r = self._draw_r()
        if shared is not None:
            r = self.xp.where(shared[:, None, :, None], r[..., :1], r)
        self._advance(r, *coefs, None if previous is None else self._asarray(previous), mom,
                      None if drift is None else self._asarray(drift))
        self.evaluations += self.n_particles
        self.iteration += 1
        if self._history is not None:
            self._history.append(self.gbest_fitness.clone())

    def _coefficient_buffer(self) -> np.ndarray:
        """The numpy coefficient buffer (3N + 1, B: w, c1, c2 per particle, chi), for a caller that fills it
        itself before :meth:`_iterate` (the environment's action kernel); :meth:`step` refills it next time."""
        self._scalars = None
        return self._coefs

    def _momentum(self, beta: Any, kind: str) -> tuple[Any, int]:
        """``(beta, code)`` for the move: beta as a (B,) numpy array or a float / (B, 1, 1) tensor; the buffer
        is made (zeros) on first use."""
        check_choice(MOMENTUM_KINDS)("momentum_kind", kind)
        host = np.asarray(self._host(beta) if hasattr(beta, "device") else beta, dtype=float)
        if host.shape not in ((), (self.batch_size,)) or not np.all((host >= 0.0) & (host < 1.0)):
            raise ValueError(f"momentum must be in [0, 1), a scalar or of shape ({self.batch_size},), got {beta!r}")
        if self.momentum_buffer is None:
            self.momentum_buffer = self.xp.zeros_like(self.velocities)
        if self.backend == "numpy":
            return np.broadcast_to(host, (self.batch_size,)), _MOMENTUM_CODE[kind]
        return (float(host) if host.ndim == 0 else self._asarray(host).reshape(-1, 1, 1)), _MOMENTUM_CODE[kind]

    def _shared(self, shared: Any) -> Any:
        """``shared`` of :meth:`step` checked, as a bool array (a tensor on the device with torch)."""
        if self.random_factors != "dimension":
            raise ValueError(f"shared needs random_factors='dimension' (with 'particle' every particle shares its "
                             f"r1, r2 already), got random_factors={self.random_factors!r}")
        host = self._host(shared) if hasattr(shared, "device") else np.asarray(shared)
        if host.shape != (self.batch_size, self.n_particles) or host.dtype != bool:
            raise ValueError(f"shared must be a bool array of shape ({self.batch_size}, {self.n_particles}), got "
                             f"{getattr(host, 'dtype', None)} of shape {host.shape}")
        return host if self.backend == "numpy" else self._ix(host)

    def _iterate(self, previous: Any = None, momentum: tuple[Any, int] | None = None, drift: Any = None,
                 shared: np.ndarray | None = None) -> None:
        """The numpy iteration with the coefficients already in the buffer (:meth:`_coefficient_buffer`);
        ``momentum``: ``(beta, code)`` of :meth:`_momentum`; ``drift``: (B, N, D) or None; ``shared``: (B, N)
        bool (checked) or None."""
        x, v, p, g, r, cf, box, clamp, bound = self._move_args
        drawn = r if self._r_particle is None else self._r_particle
        if self._rngs is None:
            self.rng.random(out=drawn)  # r1 = r[:, 0], r2 = r[:, 1]
        else:
            for q, gen in enumerate(self._rngs):
                gen.random(out=drawn[q])
        if drawn is not r:
            np.copyto(r, drawn)  # one r1 and one r2 per particle, over its dimensions
        elif shared is not None and shared.any():  # those particles' first-dimension draw, over their dimensions
            np.copyto(r, r[..., :1].copy(), where=shared[:, None, :, None])
        prev, second = (x, False) if previous is None else (np.asarray(previous, dtype=float), True)
        if momentum is None and drift is None:
            _move(x, v, p, g, r, cf, box, prev, clamp, bound, second)
        else:
            m, beta, mom = (x, np.zeros(self.batch_size), 0) if momentum is None else (self.momentum_buffer, *momentum)
            a = x if drift is None else np.ascontiguousarray(drift, dtype=float)
            _move_momentum(x, v, p, g, r, cf, box, prev, clamp, bound, second, m, np.ascontiguousarray(beta), mom,
                           a, drift is not None)
        _update_bests(x, evaluate_groups(self._groups, x), self.fitness, p, self.pbest_fitness, g,
                      self.gbest_fitness, self._counts)
        if self._history is not None:
            self._history.append(self.gbest_fitness.copy())

    def _advance(self, r: Any, w: Any, c1: Any, c2: Any, chi: Any, previous: Any,
                 momentum: tuple[Any, int] | None = None, drift: Any = None) -> None:
        """The tensor work of one torch iteration (r1 = ``r[:, 0]``, r2 = ``r[:, 1]``): no host
        synchronisation and no generator, so that ``torch.compile(fullgraph=True)`` traces it whole."""
        xp, x, v = self.xp, self.positions, self.velocities
        if previous is None:
            dp, dg = self.pbest_positions - x, self.gbest_position[:, None, :] - x
        else:
            s = previous - 2.0 * x
            dp, dg = self.pbest_positions + s, self.gbest_position[:, None, :] + s
        if momentum is not None:  # as in _move_loop
            beta, code = momentum
            u = beta * self.momentum_buffer + (1.0 - beta) * v
            self.momentum_buffer = u if code == 1 else v
            v = u
        v = (v * w + (c1 * r[:, 0]) * dp + (c2 * r[:, 1]) * dg) * chi
        if drift is not None:
            v = v + drift
        if self.vmax is not None:
            vmax = self.vmax[:, None, :]
            v = xp.minimum(xp.maximum(v, -vmax), vmax)
        x = x + v
        lo, hi = self.lower[:, None, :], self.upper[:, None, :]
        if self.bounds == "reflect":
            low, high = x < lo, x > hi
            x = xp.where(low, 2.0 * lo - x, xp.where(high, 2.0 * hi - x, x))
            v = xp.where(low | high, -v, v)
        elif self.bounds == "clip-back":
            v = xp.where((x < lo) | (x > hi), -0.5 * v, v)
        if self.bounds != "none":
            x = xp.maximum(xp.minimum(x, hi), lo)
        raw = evaluate_groups(self._groups, x)
        fit = finite_or_inf(raw)
        improved = fit < self.pbest_fitness
        p = xp.where(improved[:, :, None], x, self.pbest_positions)
        pf = xp.where(improved, fit, self.pbest_fitness)
        best, cand = self._best_of(p, pf)
        better = cand < self.gbest_fitness
        self.gbest_position = xp.where(better[:, None], best, self.gbest_position)
        self.gbest_fitness = xp.where(better, cand, self.gbest_fitness)
        self.positions, self.velocities, self.fitness, self.pbest_positions, self.pbest_fitness = x, v, fit, p, pf
        self._nonfinite = self._nonfinite + count_nonfinite(raw)

    def _draw_r(self) -> Any:
        """The r1, r2 of one torch iteration, shape (B, 2, N, D), or (B, 2, N, 1) with ``random_factors="particle"``,
        uniform in [0, 1)."""
        return self._uniform((2, self.n_particles, self.dim if self.random_factors == "dimension" else 1), self._all)

    # points from outside the update
    def set_particles(self, swarms: Any, particles: Any, positions: Any, values: Any = None, *,
                      mode: str = "move") -> Any:
        """Put points (taken as given: in the box) into the swarms outside :meth:`step` (perturbation,
        re-seeding, elitist learning). In every mode a swarm's global best (and the last entry of
        :attr:`best_history`) takes the best of its points when that beats it.

        Parameters
        ----------
        swarms, particles : int or array of int, shape (K,)
            The (swarm, particle) pairs, distinct; a scalar is broadcast.
        positions : array of shape (K, D) (or (D,) for one pair)
        values : array of shape (K,), optional
            Values at ``positions``, already counted (:meth:`evaluate` with ``count=True``); None
            evaluates and counts them here.
        mode : {"move", "improve", "best", "replace"}, default "move"
            ``"move"``: the particles move to the points; a personal best takes its point if better.
            ``"improve"``: only particles whose point beats their personal best move and take it.
            ``"best"``: the particles stay; personal bests take the points that are better.
            ``"replace"``: position, fitness and personal best become the point, whatever its value.

        Returns
        -------
        array of shape (K,)
            The values at the points (non-finite mapped to +inf).

        Raises
        ------
        ValueError
            For an unknown ``mode`` or pairs of different lengths.
        """
        check_choice(SET_MODES)("mode", mode)
        sw, pi = (a.copy() for a in np.broadcast_arrays(np.atleast_1d(np.asarray(swarms, dtype=np.intp)),
                                                         np.atleast_1d(np.asarray(particles, dtype=np.intp))))
        pos = self.xp.reshape(self._asarray(positions), (sw.size, self.dim))
        if values is None:
            vals = self.evaluate(pos[:, None, :], count=True, swarms=sw)[:, 0]
        else:
            vals = finite_or_inf(self.xp.reshape(self._asarray(values), (sw.size,)))
        out = vals
        if mode == "improve":
            keep = np.flatnonzero(self._host(vals < self.pbest_fitness[self._ix(sw), self._ix(pi)]))
            sw, pi, pos, vals = sw[keep], pi[keep], pos[self._ix(keep)], vals[self._ix(keep)]
        s, p = self._ix(sw), self._ix(pi)
        if mode != "best":
            self.positions[s, p], self.fitness[s, p] = pos, vals
        if mode == "replace":
            self.pbest_positions[s, p], self.pbest_fitness[s, p] = pos, vals
        else:
            better = np.flatnonzero(self._host(vals < self.pbest_fitness[s, p]))
            sb, pb, kb = self._ix(sw[better]), self._ix(pi[better]), self._ix(better)
            self.pbest_positions[sb, pb], self.pbest_fitness[sb, pb] = pos[kb], vals[kb]
        if sw.size:
            host_vals = self._host(vals)
            if (sw[1:] > sw[:-1]).all():  # each swarm once, in order: its point is its candidate
                swarm_ids, cand = sw, np.arange(sw.size)
            else:
                order = np.lexsort((host_vals, sw))  # by swarm, then value: each swarm's best point first
                swarm_ids, first = np.unique(sw[order], return_index=True)
                cand = order[first]
            better = host_vals[cand] < self._host(self.gbest_fitness)[swarm_ids]
            if better.any():
                rows, c = self._ix(swarm_ids[better]), self._ix(cand[better])
                self.gbest_fitness[rows], self.gbest_position[rows] = vals[c], pos[c]
                if self._history is not None:
                    self._history[-1] = self._copy(self.gbest_fitness)
        return out

    # read-outs
    def evaluate(self, positions: Any, *, count: bool = False, swarms: Any = None) -> Any:
        """Objective values, shape (B, M) or (K, M), of ``positions`` (B, M, D), or (K, M, D) with ``swarms``
        (the swarm, hence the function, of each row, repeats allowed; default all B in order); non-finite
        values mapped to +inf. ``count`` adds each row's M evaluations (and its non-finite values) to its
        swarm's counters.

        Raises
        ------
        ValueError
            ``positions`` of the wrong shape.
        """
        x = self._asarray(positions)
        rows = None if swarms is None else np.atleast_1d(np.asarray(swarms, dtype=np.intp))
        if rows is not None and rows.size == self.batch_size and (rows == self._all).all():
            rows = None  # every swarm in order: the one-call path
        k = self.batch_size if rows is None else rows.size
        if x.ndim != 3 or x.shape[0] != k or x.shape[2] != self.dim:
            raise ValueError(f"positions must have shape ({k}, M, {self.dim}), got {tuple(x.shape)}")
        raw = evaluate_groups(self._groups, x, rows)
        if count:
            rows = self._all if rows is None else rows
            np.add.at(self.evaluations, rows, x.shape[1])
            if self.backend == "numpy":
                np.add.at(self._nonfinite, rows, count_nonfinite(raw))
            else:
                self._nonfinite.index_add_(0, self._ix(rows), count_nonfinite(raw))
        return finite_or_inf(raw)

    def gradients(self) -> Any:
        """Gradients of each swarm's function at its particles' positions, shape (B, N, D), in the backend.

        One ``function.gradient`` call (:meth:`benchmarks_fn.base.BenchmarkFunction.gradient`) on the
        (k N, D) positions of the k swarms that share a function object. Not counted as evaluations (a
        caller counts them: :class:`agents.variants.HGPSO`'s trace).

        Raises
        ------
        ValueError
            A function without ``gradient`` (or whose ``gradient`` refuses, naming it).
        """
        b, n, d = self.batch_size, self.n_particles, self.dim
        shared: dict[int, list[int]] = {}
        for q, fn in enumerate(self.functions):
            shared.setdefault(id(fn), []).append(q)
        out = self._empty(b, n, d)
        for rows in shared.values():
            fn = self.functions[rows[0]]
            if not callable(getattr(fn, "gradient", None)):
                raise ValueError(f"function {getattr(fn, 'name', type(fn).__name__)!r} has no gradient method")
            ix = self._ix(np.asarray(rows))
            out[ix] = self._asarray(fn.gradient(self.xp.reshape(self.positions[ix], (len(rows) * n, d)))).reshape(
                (len(rows), n, d))
        return out

    def draw(self, method: str, *args: Any, size: tuple[int, ...] = (), swarms: Any = None) -> np.ndarray:
        """Host-side draws for the parameter rules, one set of shape ``size`` per swarm: shape (K, *size).

        ``method`` is a method of ``numpy.random.Generator`` that takes ``size`` (``"random"``,
        ``"integers"``...), ``args`` its leading arguments (e.g. ``low, high``); ``swarms`` the swarms to
        draw for (default all B), each from its own generator if built with ``seeds``, else from
        :attr:`rng` in one call.
        """
        idx = self._all if swarms is None else np.atleast_1d(np.asarray(swarms, dtype=np.intp))
        if self._rngs is None or idx.size == 0:
            return getattr(self.rng, method)(*args, size=(idx.size, *size))
        return np.stack([np.asarray(getattr(self._rngs[j], method)(*args, size=size)) for j in idx])

    def generator(self, swarm: int) -> np.random.Generator:
        """Swarm ``swarm``'s host generator (:attr:`rng` itself unless the swarm was built with ``seeds``)."""
        return self.rng if self._rngs is None else self._rngs[swarm]

    def evolutionary_factor(self) -> Any:
        """Evolutionary factor (Zhan et al. 2009) of every swarm, shape (B,): numpy, or a tensor on the device."""
        if self.backend == "numpy":
            out = np.empty(self.batch_size)
            _batch_factors(self.positions, self.fitness, out)
            return out
        return torch_evolutionary_factor(self.positions, self.fitness)

    @property
    def nonfinite(self) -> np.ndarray:
        """Non-finite objective values since each swarm's (re)start, shape (B,) int64 (see the class doc)."""
        return self._host(self._nonfinite)

    @property
    def best_history(self) -> np.ndarray:
        """Best-so-far value of every swarm after initialisation and each iteration, shape (B, T+1).

        Raises
        ------
        ValueError
            The swarm was built without ``history=True``.
        """
        if self._history is None:
            raise ValueError("best_history needs a swarm built with history=True")
        return self._host(self.xp.stack(self._history, axis=1))

    def __repr__(self) -> str:
        return (f"Swarm(batch_size={self.batch_size}, n_particles={self.n_particles}, dim={self.dim}, "
                f"backend={self.backend!r}, groups={len(self._groups)}, bounds={self.bounds!r}, "
                f"random_factors={self.random_factors!r})")
