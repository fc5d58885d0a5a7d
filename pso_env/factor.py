"""The evolutionary factor of Zhan et al. (2009) and its 7-symbol discretisation.

The evolutionary factor ``f`` summarises how the global-best particle sits inside the swarm: near the
crowd's centre (``f`` small, convergence) or far out on its edge (``f`` large, jumping out). The HMM of
:mod:`pso_env.belief` reads it as one of seven symbols.

The all-pairs distances are the costly part (N^2 D per swarm and iteration). One numba kernel computes
them for B swarms (one swarm is B = 1), each distance directly from its coordinate differences (exact
for a swarm collapsed far from the origin, unlike the Gram-matrix form); tensors go through
``torch.cdist`` on their device.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

import numpy as np

from ._jit import jit

#: Right-open interval edges of the paper's 7 symbols: [0,.2) [.2,.3) [.3,.4) [.4,.6) [.6,.7) [.7,.8) [.8,1].
SYMBOL_EDGES = np.array([0.2, 0.3, 0.4, 0.6, 0.7, 0.8])
#: Number of observation symbols.
N_SYMBOLS = len(SYMBOL_EDGES) + 1
_EDGES = tuple(float(e) for e in SYMBOL_EDGES)


# ---------------------------------------------------------------------------------------------------------
# Kernels (no fastmath: every sum is formed in a fixed order, so results are reproducible bit for bit)
@jit()
def _scratch(n: int, d: int) -> np.ndarray:
    """Scratch of :func:`_distance_sums_into` for N particles in D dimensions: (D + N + 1, W), W = N padded to 8."""
    return np.zeros((d + n + 1, (n + 7) // 8 * 8))


@jit()
def _distance_sums_into(x: np.ndarray, scratch: np.ndarray) -> np.ndarray:
    """``sum_j ||x_i - x_j||`` of one swarm ``x`` (N, D) for i < N: the first N entries of the returned row."""
    n, d = x.shape
    xt, d2, out = scratch[:d], scratch[d:d + n], scratch[d + n]  # x transposed (padding columns stay 0)
    w = xt.shape[1]
    for j in range(n):
        for k in range(d):
            xt[k, j] = x[j, k]
    d2[:, :] = 0.0
    # The innermost loop runs over j in whole SIMD vectors (rows padded to W; the padding columns are never
    # read back), four coordinates per pass so that d2 is loaded and stored a quarter as often; each
    # d2[i, j] is still summed in coordinate order (as cdist does), so the bits do not depend on the blocking.
    last = d - 1
    for k in range(0, last - 3, 4):
        r0, r1, r2, r3 = xt[k], xt[k + 1], xt[k + 2], xt[k + 3]
        for i in range(n):
            x0, x1, x2, x3 = r0[i], r1[i], r2[i], r3[i]
            di = d2[i]
            for j in range(w):
                t0, t1, t2, t3 = x0 - r0[j], x1 - r1[j], x2 - r2[j], x3 - r3[j]
                di[j] = di[j] + t0 * t0 + t1 * t1 + t2 * t2 + t3 * t3
    for k in range(last - last % 4, last):
        row = xt[k]
        for i in range(n):
            xi, di = row[i], d2[i]
            for j in range(w):
                t = xi - row[j]
                di[j] += t * t
    # the last coordinate's pass takes the root and, d2 being symmetric, sums columns into
    # out[j] = sum_i ||x_i - x_j||: vectorised over j, in order of i
    out[:] = 0.0
    row = xt[last]
    for i in range(n):
        xi, di = row[i], d2[i]
        for j in range(w):
            t = xi - row[j]
            out[j] += np.sqrt(di[j] + t * t)
    return out


@jit()
def _factor_into(x: np.ndarray, fitness: np.ndarray, scratch: np.ndarray) -> float:
    """Evolutionary factor of one swarm ``x`` (N >= 2, D) with ``fitness`` (N,) (``scratch``: :func:`_scratch`)."""
    ds = _distance_sums_into(x, scratch)
    n = x.shape[0]
    # the particle of lowest fitness (first one on ties; NaN never wins, as +inf)
    g, best = 0, np.inf
    d_min, d_max = ds[0], ds[0]
    for i in range(n):
        v = fitness[i]
        if v < best:
            g, best = i, v
        d_min = min(d_min, ds[i])
        d_max = max(d_max, ds[i])
    span = d_max - d_min
    if not span > 0.0:  # NaN included
        return 0.0
    return min((ds[g] - d_min) / span, 1.0)


@jit()
def _batch_distance_sums(positions: np.ndarray, out: np.ndarray) -> None:
    b, n, d = positions.shape
    scratch = _scratch(n, d)
    for q in range(b):
        out[q] = _distance_sums_into(positions[q], scratch)[:n]


@jit()
def _batch_factors(positions: np.ndarray, fitness: np.ndarray, out: np.ndarray) -> None:
    b, n, d = positions.shape
    scratch = _scratch(n, d)
    for q in range(b):
        out[q] = _factor_into(positions[q], fitness[q], scratch)


def _checked(positions: Any, fitness: Any, ndim: int) -> tuple[np.ndarray, np.ndarray | None]:
    x = np.asarray(positions, dtype=np.float64)  # any memory layout: numba compiles one per layout
    if x.ndim != ndim:
        raise ValueError(f"positions must have shape {'(N, D)' if ndim == 2 else '(B, N, D)'}, got {x.shape}")
    fit = None if fitness is None else np.asarray(fitness, dtype=np.float64)
    if fit is not None and fit.shape != x.shape[:-1]:
        raise ValueError(f"fitness must have shape {x.shape[:-1]}, got {fit.shape}")
    return x, fit


def mean_distances(positions: np.ndarray) -> np.ndarray:
    """Mean Euclidean distance of each particle of ``positions`` (N, D) to the others, shape (N,).

    ``d_i = sum_j ||x_i - x_j|| / (N - 1)`` (zeros when N = 1): scipy's ``cdist(x, x).sum(axis=1) / (N - 1)``
    to rounding. ValueError when ``positions`` is not two-dimensional.
    """
    return batch_mean_distances(_checked(positions, None, 2)[0][None])[0]


def batch_mean_distances(positions: np.ndarray) -> np.ndarray:
    """:func:`mean_distances` of B swarms ``positions`` (B, N, D), shape (B, N)."""
    x, _ = _checked(positions, None, 3)
    b, n, _ = x.shape
    out = np.zeros((b, n))
    if n >= 2:
        _batch_distance_sums(x, out)
        out /= n - 1
    return out


def evolutionary_factor(positions: np.ndarray, fitness: np.ndarray) -> float:
    """Evolutionary factor ``f = (d_g - d_min) / (d_max - d_min)`` in [0, 1] (Zhan et al. 2009) of ``positions``
    (N, D) with current ``fitness`` (N,); 0.0 when all mean distances are equal.

    The particle of lowest current fitness (NaN as +inf; the first on ties) is the "globally best particle"
    whose mean distance is ``d_g`` **(our choice; Zhan et al. leave open whether current or personal-best
    fitness picks it)**. ValueError for ``positions`` not (N, D) or ``fitness`` not (N,).
    """
    x, fit = _checked(positions, fitness, 2)
    return float(batch_evolutionary_factor(x[None], fit[None])[0])


def batch_evolutionary_factor(positions: np.ndarray, fitness: np.ndarray) -> np.ndarray:
    """:func:`evolutionary_factor` of B swarms, ``positions`` (B, N, D), ``fitness`` (B, N): (B,), bit for bit."""
    x, fit = _checked(positions, fitness, 3)
    out = np.zeros(x.shape[0])
    if x.shape[1] >= 2:
        _batch_factors(x, fit, out)
    return out


def torch_mean_distances(positions: Any) -> Any:
    """:func:`batch_mean_distances` of a torch tensor (B, N, D), by ``torch.cdist``, on its device.

    ``compute_mode="donot_use_mm_for_euclid_dist"``: the direct differences, not the Gram matrix, so
    that a swarm collapsed far from the origin keeps its distances.
    """
    import torch

    n = positions.shape[1]
    if n < 2:
        return torch.zeros(positions.shape[:2], dtype=positions.dtype, device=positions.device)
    d = torch.cdist(positions, positions, compute_mode="donot_use_mm_for_euclid_dist")
    return d.sum(dim=2) / (n - 1)


def torch_evolutionary_factor(positions: Any, fitness: Any) -> Any:
    """:func:`batch_evolutionary_factor` of torch tensors (B, N, D) and (B, N), shape (B,), on their device.

    Same definition (the lowest current fitness picks ``d_g``, 0 when all distances are equal); equal to
    the numpy kernel to rounding (the sums run in another order).
    """
    import torch

    d = torch_mean_distances(positions)
    d_min, d_max = d.min(dim=1).values, d.max(dim=1).values
    span = d_max - d_min
    d_g = d.gather(1, torch.argmin(fitness, dim=1, keepdim=True))[:, 0]
    ok = span > 0
    f = torch.where(ok, (d_g - d_min) / torch.where(ok, span, torch.ones_like(span)), torch.zeros_like(span))
    return f.clamp(0.0, 1.0)


def discretise(f: float | np.ndarray) -> int | np.ndarray:
    """The paper's symbol 0..6 (int, or int array) of evolutionary factor(s) ``f``.

    The intervals are [0,.2) [.2,.3) [.3,.4) [.4,.6) [.6,.7) [.7,.8) [.8,1]: a value on an edge
    belongs to the interval on its right. Values outside [0, 1] are clipped into it; NaN maps to 6.
    """
    if isinstance(f, float) or np.ndim(f) == 0:
        # a scalar bisect costs a fraction of numpy's call overhead; float() first, so that a float32 0.7
        # is compared as the double it is and the edge is not rounded to float32
        f = float(f)
        return bisect_right(_EDGES, f if 0.0 <= f <= 1.0 else (0.0 if f < 0.0 else 1.0))
    return np.searchsorted(SYMBOL_EDGES, np.clip(np.asarray(f, dtype=float), 0.0, 1.0), side="right")
