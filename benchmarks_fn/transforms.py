"""CEC-style shifted / rotated / biased versions of a plain function."""

from __future__ import annotations

import zlib

import numpy as np

from ._validate import check_finite, check_int
from .base import BenchmarkFunction, FloatArray

#: Seed used for the shift vector and rotation matrix when ``seed=None``.
DEFAULT_SEED = 0
#: The shifted optimum is drawn uniformly from this central fraction of the box (per coordinate).
INNER_FRACTION = 0.8


def random_orthogonal(dim: int, rng: np.random.Generator) -> FloatArray:
    """A Haar-distributed random orthogonal float64 matrix of shape ``(dim, dim)`` drawn from ``rng``: QR of a
    Gaussian matrix with the sign fix."""
    Q, R = np.linalg.qr(rng.standard_normal((dim, dim)))
    # Without the sign fix QR's output is not uniformly distributed over O(D).
    d = np.sign(np.diag(R))
    d[d == 0] = 1.0
    return Q * d


def transform_streams(base_name: str, dim: int, seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """Independent generators for the shift and the rotation of one (function, dim, seed); the name enters
    through CRC-32 (stable across machines, unlike ``hash``), so one seed shifts functions differently."""
    s_shift, s_rot = np.random.SeedSequence([seed, zlib.crc32(base_name.encode()), dim]).spawn(2)
    return np.random.default_rng(s_shift), np.random.default_rng(s_rot)


class TransformedFunction(BenchmarkFunction):
    """f(M (x - o) + x0) + bias for a plain function f with minimiser x0.

    ``base`` must know its ``optimum_x`` and ``optimum_value``. ``shift`` draws o uniformly from the
    inner 80% of the box (else o = x0); ``rotate`` draws a random orthogonal M (else M = I); ``bias`` is
    added to every value (f* becomes ``base.optimum_value + bias``); ``seed`` (None:
    :data:`DEFAULT_SEED`) seeds o and M. The box stays the plain one: with a rotation, M (x - o) + x0
    may leave it for x inside it, as in the CEC suites.
    """

    def __init__(self, base: BenchmarkFunction, shift: bool = False, rotate: bool = False, bias: float = 0.0,
                 seed: int | None = None) -> None:
        if base.optimum_x is None or base.optimum_value is None:
            raise ValueError(f"base: {base.name!r} has no known optimum, so it cannot be shifted/rotated")
        bias = check_finite(bias, "bias")
        seed = DEFAULT_SEED if seed is None else check_int(seed, "seed", minimum=0)
        dim = base.dim
        x0 = np.asarray(base.optimum_x, dtype=np.float64)
        rng_shift, rng_rot = transform_streams(base.base_name, dim, seed)
        if shift:
            margin = 0.5 * (1.0 - INNER_FRACTION) * (base.upper - base.lower)
            o = rng_shift.uniform(base.lower + margin, base.upper - margin)
        else:
            o = x0.copy()
        M = random_orthogonal(dim, rng_rot) if rotate else np.eye(dim)

        tags = [t for t, on in (("shift", shift), ("rotate", rotate), (f"seed={seed}", shift or rotate),
                                (f"bias={bias:g}", bias != 0.0)) if on]
        name = f"{base.base_name}[{','.join(tags)}]" if tags else base.base_name
        super().__init__(name, dim, base.lower, base.upper, optimum_value=base.optimum_value + bias, optimum_x=o,
                         family=base.family)
        self.base_name, self.base, self.bias, self.seed = base.base_name, base, bias, seed
        self.shift, self.rotate = bool(shift), bool(rotate)
        self.o, self.M = self.optimum_x, M
        self.M.setflags(write=False)
        # Row-vector form: z = (x - o) M^T + x0. Keeping (x - o) explicit makes f(o) exact.
        self._Mt = np.ascontiguousarray(M.T)
        self._x0 = None if not np.any(x0) else x0
        self._moves = self.shift or self.rotate

    @property
    def differentiable(self) -> bool:  # type: ignore[override]
        """The base function's: the transformation is written on the array namespace too."""
        return self.base.differentiable

    def evaluate(self, X: FloatArray) -> FloatArray:
        # numpy arrays or torch tensors alike (the constants follow X's namespace, dtype and device)
        if self._moves:
            Z = X - self._like(self.o, X)
            if self.rotate:
                Z = Z @ self._like(self._Mt, X)
            if self._x0 is not None:
                Z += self._like(self._x0, X)
        else:
            Z = X
        out = self.base.evaluate(Z)
        if self.bias != 0.0:
            out = out + self.bias
        return out

    def __repr__(self) -> str:
        f_star = "unknown" if self.optimum_value is None else f"{self.optimum_value:.6g}"
        return (f"TransformedFunction(name={self.name!r}, base={type(self.base).__name__}, dim={self.dim}, "
                f"bounds={self._bounds_repr()}, f*={f_star})")
