"""Batched global-best PSO on torch tensors: :class:`TorchBatchSwarm`, for a GPU when there is one.

The same B independent swarms as :class:`pso_env.batch.BatchSwarm` (same update rule, velocity clamp,
bound handling and evolutionary factor), held in (B, N, D) tensors on ``device`` and driven by their own
``torch.Generator``. Objectives are evaluated on the device by torch versions of the ten paper
functions (:data:`TORCH_FUNCTIONS`, keyed by the :mod:`benchmarks_fn.functions` class), including their
CEC-style shifted/rotated/biased forms (:class:`benchmarks_fn.TransformedFunction`); other function
objects (BBOB / CEC 2022 problems of ``ioh``, user callables) raise ``ValueError``.

Its random streams differ from the numpy swarm's, so runs match :class:`~pso_env.batch.BatchSwarm`
in distribution, not bit for bit. Iteration and evaluation counters stay numpy arrays on the host.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from benchmarks_fn.functions import (
    SCHWEFEL_C,
    TWO_PI,
    Ackley,
    DropWave,
    Elliptic,
    Griewank,
    Quadric,
    Rastrigin,
    Schwefel,
    Sphere,
    Step,
    Tablet,
)

from .batch import (
    FunctionGroup,
    _check_batch_size,
    _check_functions,
    _check_n_particles,
    _functions_for,
    _is_function,
    as_indices,
    group_functions,
)
from .swarm import BOUND_MODES, _check_fraction

DTYPES = {"float64": torch.float64, "float32": torch.float32}

TorchObjective = Callable[[torch.Tensor], torch.Tensor]


def _sq(x: torch.Tensor) -> torch.Tensor:
    return (x * x).sum(dim=1)


def _elliptic(dim: int, dtype: torch.dtype, device: torch.device) -> TorchObjective:
    exponents = np.arange(dim) / (dim - 1) if dim > 1 else np.zeros(1)
    w = torch.as_tensor(1e6**exponents, dtype=dtype, device=device)
    return lambda x: (x * x) @ w


def _tablet(dim: int, dtype: torch.dtype, device: torch.device) -> TorchObjective:
    w = torch.ones(dim, dtype=dtype, device=device)
    w[0] = 1e6
    return lambda x: (x * x) @ w


def _quadric(dim: int, dtype: torch.dtype, device: torch.device) -> TorchObjective:
    def f(x: torch.Tensor) -> torch.Tensor:
        c = torch.cumsum(x, dim=1)
        return (c * c).sum(dim=1)
    return f


def _step(dim: int, dtype: torch.dtype, device: torch.device) -> TorchObjective:
    def f(x: torch.Tensor) -> torch.Tensor:
        s = torch.floor(x + 0.5)
        return (s * s).sum(dim=1)
    return f


def _rastrigin(dim: int, dtype: torch.dtype, device: torch.device) -> TorchObjective:
    return lambda x: _sq(x) - 10.0 * torch.cos(TWO_PI * x).sum(dim=1) + 10.0 * dim


def _ackley(dim: int, dtype: torch.dtype, device: torch.device) -> TorchObjective:
    inv_d = 1.0 / dim

    def f(x: torch.Tensor) -> torch.Tensor:
        sq = _sq(x) * inv_d
        cs = torch.cos(TWO_PI * x).sum(dim=1) * inv_d
        return -20.0 * torch.exp(-0.2 * torch.sqrt(sq)) - torch.exp(cs) + (20.0 + math.e)
    return f


def _griewank(dim: int, dtype: torch.dtype, device: torch.device) -> TorchObjective:
    inv = torch.as_tensor(1.0 / np.sqrt(np.arange(1, dim + 1, dtype=np.float64)), dtype=dtype, device=device)
    return lambda x: 1.0 + _sq(x) / 4000.0 - torch.cos(x * inv).prod(dim=1)


def _schwefel(dim: int, dtype: torch.dtype, device: torch.device) -> TorchObjective:
    inv_penalty = 1.0 / (1e4 * dim)

    def f(x: torch.Tensor) -> torch.Tensor:
        # benchmarks_fn's modified Schwefel: coordinates with |z| > 500 are folded back into the box
        # and penalised; inside the box this is C D - sum x sin(sqrt|x|). No data-dependent branch,
        # so no host synchronisation on a GPU.
        a = torch.abs(x)
        out = a > 500.0
        y = torch.where(out, 500.0 - torch.fmod(a, 500.0), a)
        g = torch.copysign(y, x) * torch.sin(torch.sqrt(y))
        excess = torch.where(out, a - 500.0, torch.zeros_like(a))
        return SCHWEFEL_C * dim - g.sum(dim=1) + (excess * excess).sum(dim=1) * inv_penalty
    return f


def _dropwave(dim: int, dtype: torch.dtype, device: torch.device) -> TorchObjective:
    def f(x: torch.Tensor) -> torch.Tensor:
        r2 = _sq(x)
        return -(1.0 + torch.cos(12.0 * torch.sqrt(r2))) / (0.5 * r2 + 2.0)
    return f


def _sphere(dim: int, dtype: torch.dtype, device: torch.device) -> TorchObjective:
    return _sq


#: Builders ``(dim, dtype, device) -> objective on (M, D) tensors`` of the paper functions, by class.
TORCH_FUNCTIONS: dict[type, Callable[[int, torch.dtype, torch.device], TorchObjective]] = {
    Sphere: _sphere,
    Elliptic: _elliptic,
    Tablet: _tablet,
    Quadric: _quadric,
    Step: _step,
    Rastrigin: _rastrigin,
    Ackley: _ackley,
    Griewank: _griewank,
    Schwefel: _schwefel,
    DropWave: _dropwave,
}


def torch_objective(function: Any, dtype: torch.dtype = torch.float64, device: Any = "cpu") -> TorchObjective:
    """The torch form of a plain paper function object (its class's formula at its dimension).

    Raises
    ------
    ValueError
        If ``function`` is not an instance of one of the ten paper function classes.
    """
    builder = TORCH_FUNCTIONS.get(type(function))
    if builder is None:
        raise ValueError(_unsupported(function))
    return builder(int(function.dim), dtype, torch.device(device))


def _unsupported(function: Any) -> str:
    return (f"functions: {getattr(function, 'name', function)!r} ({type(function).__name__}) cannot be evaluated on "
            "torch; the torch backend knows the ten paper functions and their shifted/rotated forms only "
            "(use backend='numpy' for BBOB / CEC 2022 / custom functions)")


def check_torch_function(function: Any) -> None:
    """Raise ``ValueError`` unless ``function`` can be evaluated by :class:`TorchBatchSwarm`."""
    group = group_functions([function])[0]
    if group.kind == "object":
        raise ValueError(_unsupported(function))


class _TorchGroup:
    """A :class:`~pso_env.batch.FunctionGroup` with its transformation as tensors on the device."""

    def __init__(self, group: FunctionGroup, batch_size: int, dtype: torch.dtype, device: torch.device) -> None:
        if group.kind == "object":
            raise ValueError(_unsupported(group.function))
        self.full = group.indices.shape[0] == batch_size
        self.indices = torch.as_tensor(group.indices, dtype=torch.long, device=device)
        self.objective = torch_objective(group.function, dtype, device)

        def t(a: np.ndarray | None) -> torch.Tensor | None:
            return None if a is None else torch.as_tensor(a, dtype=dtype, device=device)

        self.shift, self.rotation_t, self.x0, self.bias = t(group.shift), t(group.rotation_t), t(group.x0), t(group.bias)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        k, n, d = x.shape
        if self.shift is not None:
            x = x - self.shift[:, None, :]
            if self.rotation_t is not None:
                x = torch.bmm(x, self.rotation_t)
            if self.x0 is not None:
                x = x + self.x0
        values = self.objective(x.reshape(k * n, d)).reshape(k, n)
        if self.bias is not None:
            values = values + self.bias[:, None]
        return values


def _torch_groups(functions: Sequence[Any], dtype: torch.dtype, device: torch.device) -> list[_TorchGroup]:
    return [_TorchGroup(g, len(functions), dtype, device) for g in group_functions(functions)]


def _evaluate(groups: list[_TorchGroup], x: torch.Tensor) -> torch.Tensor:
    if len(groups) == 1 and groups[0].full:
        out = groups[0](x)
    else:
        out = torch.empty(x.shape[:2], dtype=x.dtype, device=x.device)
        for g in groups:
            out[g.indices] = g(x if g.full else x.index_select(0, g.indices))
    return torch.where(torch.isfinite(out), out, torch.full_like(out, math.inf))


def torch_mean_distances(positions: torch.Tensor) -> torch.Tensor:
    """Mean Euclidean distance of each particle to the others, shape (B, N), by ``torch.cdist``.

    ``compute_mode="donot_use_mm_for_euclid_dist"``: the direct differences, not the Gram matrix, so
    that a swarm collapsed far from the origin keeps its distances.
    """
    n = positions.shape[1]
    if n < 2:
        return torch.zeros(positions.shape[:2], dtype=positions.dtype, device=positions.device)
    d = torch.cdist(positions, positions, compute_mode="donot_use_mm_for_euclid_dist")
    return d.sum(dim=2) / (n - 1)


def torch_evolutionary_factor(positions: torch.Tensor, fitness: torch.Tensor) -> torch.Tensor:
    """Evolutionary factor of B swarms, shape (B,) (definition of :func:`pso_env.factor.evolutionary_factor`)."""
    d = torch_mean_distances(positions)
    d_min, d_max = d.min(dim=1).values, d.max(dim=1).values
    span = d_max - d_min
    d_g = d.gather(1, torch.argmin(fitness, dim=1, keepdim=True))[:, 0]
    ok = span > 0
    f = torch.where(ok, (d_g - d_min) / torch.where(ok, span, torch.ones_like(span)), torch.zeros_like(span))
    return f.clamp(0.0, 1.0)


class TorchBatchSwarm:
    """B independent global-best PSO swarms on torch tensors (CPU or GPU).

    Parameters
    ----------
    functions : function object or sequence of B function objects
        Paper functions (:mod:`benchmarks_fn.functions`) or their
        :class:`~benchmarks_fn.TransformedFunction` forms, all of one dimension.
    n_particles : int
        Swarm size N (>= 2).
    seed : int, optional
        Seed of the swarm's ``torch.Generator`` (on ``device``); None: a fresh one from the OS.
    batch_size : int, optional
        B; required when ``functions`` is a single object.
    velocity_clamp : float or None, default 0.2
    bounds : {"clip", "reflect", "none"}, default "clip"
        As :class:`pso_env.swarm.Swarm`.
    device : str or torch.device, default "cpu"
        ``"cpu"``, ``"cuda"``, ``"cuda:1"``...
    dtype : {"float64", "float32"} or torch.dtype, default "float64"

    Attributes
    ----------
    positions, velocities, pbest_positions : Tensor of shape (B, N, D)
    fitness, pbest_fitness : Tensor of shape (B, N)
    gbest_position : Tensor of shape (B, D)
    gbest_fitness : Tensor of shape (B,)
    iteration, evaluations : ndarray of int, shape (B,)
        Host-side counters.
    generator : torch.Generator

    Raises
    ------
    ValueError
        For bad arguments, naming the argument; ``functions`` for a function with no torch form.
    """

    def __init__(
        self,
        functions: Any,
        n_particles: int,
        seed: int | None = None,
        *,
        batch_size: int | None = None,
        velocity_clamp: float | None = 0.2,
        bounds: str = "clip",
        device: Any = "cpu",
        dtype: Any = "float64",
    ) -> None:
        batch_size = _check_batch_size(batch_size)
        fns = _check_functions(functions, batch_size)
        self.n_particles = _check_n_particles(n_particles)
        _check_fraction("velocity_clamp", velocity_clamp)
        if bounds not in BOUND_MODES:
            raise ValueError(f"bounds must be one of {BOUND_MODES}, got {bounds!r}")
        if seed is not None and (not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0):
            raise ValueError(f"seed must be None or an integer >= 0, got {seed!r}")
        self.device = _check_device(device)
        self.dtype = _check_dtype(dtype)
        for fn in fns:
            check_torch_function(fn)
        self.batch_size = b = len(fns)
        self.dim = d = int(fns[0].dim)
        n = self.n_particles
        self.velocity_clamp = velocity_clamp
        self.bounds = bounds
        self.functions: list = list(fns)
        self.generator = torch.Generator(device=self.device)
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1, dtype=np.uint64)[0] >> 1)
        self.generator.manual_seed(int(seed))
        kw = {"dtype": self.dtype, "device": self.device}
        self.lower = torch.empty((b, d), **kw)
        self.upper = torch.empty((b, d), **kw)
        self.vmax = torch.empty((b, d), **kw) if velocity_clamp is not None else None
        self.positions = torch.empty((b, n, d), **kw)
        self.velocities = torch.empty((b, n, d), **kw)
        self.fitness = torch.empty((b, n), **kw)
        self.pbest_positions = torch.empty((b, n, d), **kw)
        self.pbest_fitness = torch.empty((b, n), **kw)
        self.gbest_position = torch.empty((b, d), **kw)
        self.gbest_fitness = torch.empty(b, **kw)
        self.iteration = np.zeros(b, dtype=np.int64)
        self.evaluations = np.zeros(b, dtype=np.int64)
        self._arange = torch.arange(b, device=self.device)
        all_idx = np.arange(b)
        self._set_bounds(all_idx, fns)
        self._groups = _torch_groups(self.functions, self.dtype, self.device)
        self._init_swarms(all_idx)

    # ------------------------------------------------------------------ set-up
    def _set_bounds(self, idx: np.ndarray, fns: list) -> None:
        for j, fn in zip(idx, fns):
            self.functions[j] = fn
        ti = torch.as_tensor(idx, dtype=torch.long, device=self.device)
        lo = torch.as_tensor(np.array([np.asarray(fn.lower, dtype=float) for fn in fns]), dtype=self.dtype,
                             device=self.device)
        hi = torch.as_tensor(np.array([np.asarray(fn.upper, dtype=float) for fn in fns]), dtype=self.dtype,
                             device=self.device)
        self.lower[ti] = lo
        self.upper[ti] = hi
        if self.vmax is not None:
            self.vmax[ti] = (hi - lo) * self.velocity_clamp

    def _rand(self, shape: tuple[int, ...]) -> torch.Tensor:
        return torch.rand(shape, generator=self.generator, dtype=self.dtype, device=self.device)

    def _init_swarms(self, idx: np.ndarray) -> None:
        k, n, d = idx.size, self.n_particles, self.dim
        ti = torch.as_tensor(idx, dtype=torch.long, device=self.device)
        lo, hi = self.lower[ti][:, None, :], self.upper[ti][:, None, :]
        span = hi - lo
        v0 = self.vmax[ti][:, None, :] if self.vmax is not None else span
        u = self._rand((2, k, n, d))
        pos = lo + u[0] * span
        vel = (2.0 * u[1] - 1.0) * v0
        if k == self.batch_size:
            fit = _evaluate(self._groups, pos)
        else:
            fit = _evaluate(_torch_groups([self.functions[j] for j in idx], self.dtype, self.device), pos)
        self.positions[ti] = pos
        self.velocities[ti] = vel
        self.fitness[ti] = fit
        self.pbest_positions[ti] = pos
        self.pbest_fitness[ti] = fit
        best = torch.argmin(fit, dim=1)
        ar = torch.arange(k, device=self.device)
        self.gbest_position[ti] = pos[ar, best]
        self.gbest_fitness[ti] = fit[ar, best]
        self.iteration[idx] = 0
        self.evaluations[idx] = n

    def reset(self, indices: Any = None, functions: Any = None) -> None:
        """Restart some swarms (None: all) from fresh random positions, optionally on new functions.

        Parameters
        ----------
        indices : None, boolean mask of shape (B,) or ints
        functions : None, function object or one per index
            New objectives (same dimension, torch-evaluable); None keeps each swarm's function.
        """
        idx = as_indices(indices, self.batch_size)
        if idx.size == 0:
            return
        fns = _functions_for(functions, idx.size)
        if fns is not None:
            for fn in fns:
                if not _is_function(fn) or int(fn.dim) != self.dim:
                    raise ValueError(f"functions must be function objects of dim {self.dim}, got {fn!r}")
                check_torch_function(fn)
            changed = any(self.functions[j] is not fn for j, fn in zip(idx, fns))
            self._set_bounds(idx, fns)
            if changed:
                self._groups = _torch_groups(self.functions, self.dtype, self.device)
        self._init_swarms(idx)

    # ------------------------------------------------------------------ iteration
    def _coef(self, value: Any, name: str) -> Any:
        if isinstance(value, torch.Tensor):
            t = value.to(dtype=self.dtype, device=self.device)
        elif np.ndim(value) == 0:
            return float(value)
        else:
            t = torch.as_tensor(np.asarray(value, dtype=float), dtype=self.dtype, device=self.device)
        if t.shape == (self.batch_size,):
            return t[:, None, None]
        if t.shape == (self.batch_size, self.n_particles):
            return t[:, :, None]
        raise ValueError(f"{name} must be a scalar or have shape ({self.batch_size},), got {tuple(t.shape)}")

    def step(self, w: Any, c1: Any, c2: Any, chi: Any = 1.0) -> None:
        """Run one iteration of every swarm (the rule of :meth:`pso_env.batch.BatchSwarm.step`).

        ``w``, ``c1``, ``c2``, ``chi``: scalars or arrays/tensors of shape (B,) (``w`` also (B, N)).
        """
        w, c1, c2 = self._coef(w, "w"), self._coef(c1, "c1"), self._coef(c2, "c2")
        x, v = self.positions, self.velocities
        r = self._draw_r()
        v.mul_(w)
        v.add_((c1 * r[0]) * (self.pbest_positions - x))
        v.add_((c2 * r[1]) * (self.gbest_position[:, None, :] - x))
        if not (np.ndim(chi) == 0 and not isinstance(chi, torch.Tensor) and chi == 1.0):
            v.mul_(self._coef(chi, "chi"))
        if self.vmax is not None:
            vmax = self.vmax[:, None, :]
            torch.minimum(v, vmax, out=v)
            torch.maximum(v, -vmax, out=v)
        x.add_(v)
        lo, hi = self.lower[:, None, :], self.upper[:, None, :]
        if self.bounds == "clip":
            torch.minimum(x, hi, out=x)
            torch.maximum(x, lo, out=x)
        elif self.bounds == "reflect":
            low, high = x < lo, x > hi
            x.copy_(torch.where(low, 2.0 * lo - x, torch.where(high, 2.0 * hi - x, x)))
            torch.minimum(x, hi, out=x)
            torch.maximum(x, lo, out=x)
            v.copy_(torch.where(low | high, -v, v))
        fit = _evaluate(self._groups, x)
        self.fitness = fit
        self.evaluations += self.n_particles
        self.iteration += 1
        improved = fit < self.pbest_fitness
        self.pbest_positions = torch.where(improved[:, :, None], x, self.pbest_positions)
        self.pbest_fitness = torch.where(improved, fit, self.pbest_fitness)
        best = torch.argmin(self.pbest_fitness, dim=1)
        cand = self.pbest_fitness[self._arange, best]
        better = cand < self.gbest_fitness
        self.gbest_fitness = torch.where(better, cand, self.gbest_fitness)
        self.gbest_position = torch.where(better[:, None], self.pbest_positions[self._arange, best],
                                          self.gbest_position)

    def _draw_r(self) -> torch.Tensor:
        """The r1, r2 of one iteration, shape (2, B, N, D), uniform in [0, 1) per particle and dimension."""
        return self._rand((2, self.batch_size, self.n_particles, self.dim))

    # ------------------------------------------------------------------ read-outs
    def evaluate(self, positions: Any) -> torch.Tensor:
        """Objective values of ``positions`` (shape (B, M, D), swarm b's function on row b), shape (B, M)."""
        x = torch.as_tensor(positions, dtype=self.dtype, device=self.device)
        if x.ndim != 3 or x.shape[0] != self.batch_size or x.shape[2] != self.dim:
            raise ValueError(f"positions must have shape ({self.batch_size}, M, {self.dim}), got {tuple(x.shape)}")
        return _evaluate(self._groups, x)

    def mean_distances(self) -> torch.Tensor:
        """Mean distance of each particle to the others, shape (B, N)."""
        return torch_mean_distances(self.positions)

    def evolutionary_factor(self) -> torch.Tensor:
        """Evolutionary factor of every swarm, shape (B,), on the device."""
        return torch_evolutionary_factor(self.positions, self.fitness)

    def __repr__(self) -> str:
        return (f"TorchBatchSwarm(batch_size={self.batch_size}, n_particles={self.n_particles}, dim={self.dim}, "
                f"device={str(self.device)!r}, dtype={self.dtype}, bounds={self.bounds!r})")


def _check_device(device: Any) -> torch.device:
    try:
        dev = torch.device(device)
    except (TypeError, RuntimeError, ValueError):
        raise ValueError(f"device must be a torch device such as 'cpu' or 'cuda', got {device!r}") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} asked for, but CUDA is not available")
    return dev


def _check_dtype(dtype: Any) -> torch.dtype:
    if isinstance(dtype, str) and dtype in DTYPES:
        return DTYPES[dtype]
    if dtype in (torch.float64, torch.float32):
        return dtype
    raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
