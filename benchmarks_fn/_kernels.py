"""Numba row reductions for the numpy form of the paper functions (the torch form uses ``xp.sum``)."""

from __future__ import annotations

import numpy as np

from pso_env._jit import jit


@jit()
def row_sums(x: np.ndarray, square: bool) -> np.ndarray:
    """Sum of each row of ``x`` (n, D), of its squares if ``square``: shape (n,), float64.

    Four interleaved partial sums, added as ``(s0 + s1) + (s2 + s3)`` before the last ``D mod 4`` terms: a
    fixed order (the same bits on every run) with four additions in flight; numpy's ``einsum`` and
    ``add.reduce`` spend longer in their call than in the sum at D = 30.
    """
    n, d = x.shape
    out, m = np.empty(n), d - d % 4
    for i in range(n):
        s0 = s1 = s2 = s3 = 0.0
        for k in range(0, m, 4):
            a0, a1, a2, a3 = x[i, k], x[i, k + 1], x[i, k + 2], x[i, k + 3]
            if square:
                a0, a1, a2, a3 = a0 * a0, a1 * a1, a2 * a2, a3 * a3
            s0, s1, s2, s3 = s0 + a0, s1 + a1, s2 + a2, s3 + a3
        s = (s0 + s1) + (s2 + s3)
        for k in range(m, d):
            s += x[i, k] * x[i, k] if square else x[i, k]
        out[i] = s
    return out
