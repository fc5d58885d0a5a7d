"""The ten benchmark functions of the paper (SPEC section 6), vectorised over particles.

``evaluate`` maps ``(n, D)`` to ``(n,)`` with whole-array operations of the input's namespace
(:func:`benchmarks_fn.base.namespace`): float64 numpy arrays, or torch tensors of any float dtype on any
device. Cosines and sines of large numpy batches go through :mod:`benchmarks_fn.trig`.
"""

from __future__ import annotations

import math

import numpy as np

from . import trig
from ._kernels import rastrigin_rows, row_sums
from ._validate import check_int
from .base import BenchmarkFunction, FloatArray, namespace

TWO_PI = 2.0 * math.pi

# Schwefel 2.26: x* solves sin(sqrt x) + sqrt(x)/2 cos(sqrt x) = 0; C = x* sin(sqrt x*).
SCHWEFEL_X_STAR = 420.96874635998205
SCHWEFEL_C = 418.9828872724337


def _sumsq(X: FloatArray, xp: object) -> FloatArray:
    """Row sums of squares: a numba kernel for numpy, else ``sum``."""
    return row_sums(X, True) if xp is np else xp.sum(X * X, axis=1)


def _rowsum(X: FloatArray, xp: object) -> FloatArray:
    """Row sums: a numba kernel for numpy, else ``sum``."""
    return row_sums(X, False) if xp is np else xp.sum(X, axis=1)


class PaperFunction(BenchmarkFunction):
    """A plain (unshifted, unrotated) paper function of ``dim`` (>= 1) variables on its usual box."""

    NAME = ""
    LOWER = -100.0
    UPPER = 100.0
    OPTIMUM_VALUE = 0.0
    OPTIMUM_COORD = 0.0
    differentiable = True

    def __init__(self, dim: int) -> None:
        dim = check_int(dim, "dim")
        super().__init__(self.NAME, dim, self.LOWER, self.UPPER, optimum_value=self.OPTIMUM_VALUE,
                         optimum_x=np.full(dim, self.OPTIMUM_COORD), family="paper")


class Sphere(PaperFunction):
    """Sphere: sum x_i^2 on [-100, 100]^D."""

    NAME = "sphere"

    def evaluate(self, X: FloatArray) -> FloatArray:
        return _sumsq(X, namespace(X))


class Elliptic(PaperFunction):
    """High-conditioned elliptic: sum (10^6)^((i-1)/(D-1)) x_i^2 on [-100, 100]^D (weight 1 if D = 1)."""

    NAME = "elliptic"

    def __init__(self, dim: int) -> None:
        super().__init__(dim)
        self._w = 1e6 ** (np.arange(self.dim) / (self.dim - 1) if self.dim > 1 else np.zeros(1))

    def evaluate(self, X: FloatArray) -> FloatArray:
        return (X * X) @ self._like(self._w, X)


class Tablet(PaperFunction):
    """Tablet: 10^6 x_1^2 + sum_{i>=2} x_i^2 on [-100, 100]^D."""

    NAME = "tablet"

    def __init__(self, dim: int) -> None:
        super().__init__(dim)
        self._w = np.ones(self.dim)
        self._w[0] = 1e6

    def evaluate(self, X: FloatArray) -> FloatArray:
        return (X * X) @ self._like(self._w, X)


class Quadric(PaperFunction):
    """Quadric (Schwefel 1.2): sum_i (sum_{j<=i} x_j)^2 on [-100, 100]^D."""

    NAME = "quadric"

    def evaluate(self, X: FloatArray) -> FloatArray:
        xp = namespace(X)
        return _sumsq(np.cumsum(X, axis=1) if xp is np else xp.cumulative_sum(X, axis=1), xp)


class Step(PaperFunction):
    """Step: sum floor(x_i + 0.5)^2 on [-100, 100]^D; every point of [-0.5, 0.5)^D is optimal."""

    NAME = "step"

    def evaluate(self, X: FloatArray) -> FloatArray:
        xp = namespace(X)
        return _sumsq(xp.floor(X + 0.5), xp)


class Rastrigin(PaperFunction):
    """Rastrigin: sum (x_i^2 - 10 cos(2 pi x_i) + 10) on [-5.12, 5.12]^D."""

    NAME = "rastrigin"
    LOWER = -5.12
    UPPER = 5.12

    def evaluate(self, X: FloatArray) -> FloatArray:
        xp = namespace(X)
        if xp is np and X.size < trig.TORCH_MIN_SIZE:  # one pass; larger arrays take torch's vector cos
            return rastrigin_rows(X)
        return _sumsq(X, xp) - 10.0 * _rowsum(trig.cos(TWO_PI * X), xp) + 10.0 * self.dim

    def _cancelling_terms(self) -> float:
        return 10.0 * self.dim


class Ackley(PaperFunction):
    """Ackley: -20 exp(-0.2 sqrt(mean x_i^2)) - exp(mean cos(2 pi x_i)) + 20 + e on [-32, 32]^D."""

    NAME = "ackley"
    LOWER = -32.0
    UPPER = 32.0

    def evaluate(self, X: FloatArray) -> FloatArray:
        xp = namespace(X)
        inv_d = 1.0 / self.dim
        sq = _sumsq(X, xp) * inv_d
        cs = _rowsum(trig.cos(TWO_PI * X), xp) * inv_d
        return -20.0 * xp.exp(-0.2 * xp.sqrt(sq)) - xp.exp(cs) + (20.0 + math.e)

    def _cancelling_terms(self) -> float:
        return 20.0 + math.e


class Griewank(PaperFunction):
    """Griewank: 1 + sum x_i^2 / 4000 - prod cos(x_i / sqrt(i)) on [-600, 600]^D."""

    NAME = "griewank"
    LOWER = -600.0
    UPPER = 600.0

    def __init__(self, dim: int) -> None:
        super().__init__(dim)
        self._inv_sqrt_i = 1.0 / np.sqrt(np.arange(1, self.dim + 1, dtype=np.float64))

    def evaluate(self, X: FloatArray) -> FloatArray:
        xp = namespace(X)
        return 1.0 + _sumsq(X, xp) / 4000.0 - xp.prod(trig.cos(X * self._like(self._inv_sqrt_i, X)), axis=1)


class Schwefel(PaperFunction):
    """Schwefel 2.26: C D - sum x_i sin(sqrt|x_i|) on [-500, 500]^D, optimum at x_i = 420.9687.

    C = 418.98288727243 (the exact maximum of x sin(sqrt x)), so that f* = 0 (the often quoted 418.9829
    gives f(x*) = 1.27e-5 D). Outside the box (``bounds="none"``, or z = M (x - o) + x* of a transformed
    form) the plain formula falls below f*, so, as CEC 2014 F10/F11 and CEC 2017 F10 do, a coordinate
    with |z| > 500 is folded back and penalised: g(z) = sign(z) y sin(sqrt y) - (|z| - 500)^2 / (10^4 D)
    with y = 500 - fmod(|z|, 500) in (0, 500], and f = C D - sum_i g(z_i); inside, g(z) = z sin(sqrt|z|),
    bit for bit the plain formula. Since |y sin(sqrt y)| <= C, x* stays the minimiser with f* = 0.
    """

    NAME = "schwefel"
    LOWER = -500.0
    UPPER = 500.0
    OPTIMUM_COORD = SCHWEFEL_X_STAR

    def evaluate(self, X: FloatArray) -> FloatArray:
        xp = namespace(X)
        A = xp.abs(X)
        if xp is np and A.max(initial=0.0) <= 500.0:  # numpy fast path: the whole batch is in the box
            return SCHWEFEL_C * self.dim - _rowsum(X * trig.sin(np.sqrt(A)), xp)
        # No data-dependent branch below (no host synchronisation on a GPU). y is |z| inside and the
        # folded 500 - fmod(|z|, 500) outside; copysign(y, z) sin(sqrt y) covers both signs.
        out = A > 500.0
        Y = xp.where(out, 500.0 - xp.remainder(A, 500.0), A)
        G = xp.copysign(Y, X) * trig.sin(xp.sqrt(Y))
        penalty = _sumsq(xp.where(out, A - 500.0, 0.0), xp) * (1.0 / (1e4 * self.dim))
        return SCHWEFEL_C * self.dim - _rowsum(G, xp) + penalty

    def _cancelling_terms(self) -> float:
        return SCHWEFEL_C * self.dim


class DropWave(PaperFunction):
    """Drop-wave (2-D only): -(1 + cos(12 r)) / (0.5 r^2 + 2), r = ||x||, on [-5.12, 5.12]^2; f* = -1.

    Raises
    ------
    ValueError
        If ``dim`` is not 2.
    """

    NAME = "dropwave"
    LOWER = -5.12
    UPPER = 5.12
    OPTIMUM_VALUE = -1.0

    def __init__(self, dim: int = 2) -> None:
        if check_int(dim, "dim") != 2:
            raise ValueError(f"dim must be 2 for 'dropwave' (it is defined in 2-D only), got {dim}")
        super().__init__(dim)

    def evaluate(self, X: FloatArray) -> FloatArray:
        xp = namespace(X)
        r2 = _sumsq(X, xp)
        return -(1.0 + xp.cos(12.0 * xp.sqrt(r2))) / (0.5 * r2 + 2.0)


PAPER_FUNCTIONS: dict[str, type[PaperFunction]] = {
    cls.NAME: cls
    for cls in (Sphere, Elliptic, Tablet, Quadric, Step, Rastrigin, Ackley, Griewank, Schwefel, DropWave)
}
"""Canonical name -> class, in the order of SPEC section 6."""
