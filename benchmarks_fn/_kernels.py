"""Numba row reductions for the numpy form of the paper functions (the torch form uses ``xp.sum``)."""

from __future__ import annotations

import math

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


@jit()
def rastrigin_rows(x: np.ndarray) -> np.ndarray:
    """Rastrigin of each row of ``x`` (n, D) in one pass: ``(sum x^2 - 10 sum cos(2 pi x)) + 10 D``, shape (n,).

    Both sums are formed as :func:`row_sums` forms them and ``cos`` is libm's, which numpy's float64 ``cos``
    calls on CPUs without its AVX-512 kernels: the same bits as the three-pass form, without its temporaries
    and calls (a third of a small batch's evaluation).
    """
    n, d = x.shape
    out, m, two_pi = np.empty(n), d - d % 4, 2.0 * math.pi
    for i in range(n):
        q0 = q1 = q2 = q3 = c0 = c1 = c2 = c3 = 0.0
        for k in range(0, m, 4):
            a0, a1, a2, a3 = x[i, k], x[i, k + 1], x[i, k + 2], x[i, k + 3]
            q0, q1, q2, q3 = q0 + a0 * a0, q1 + a1 * a1, q2 + a2 * a2, q3 + a3 * a3
            c0, c1 = c0 + math.cos(two_pi * a0), c1 + math.cos(two_pi * a1)
            c2, c3 = c2 + math.cos(two_pi * a2), c3 + math.cos(two_pi * a3)
        q, c = (q0 + q1) + (q2 + q3), (c0 + c1) + (c2 + c3)
        for k in range(m, d):
            q += x[i, k] * x[i, k]
            c += math.cos(two_pi * x[i, k])
        out[i] = (q - 10.0 * c) + 10.0 * d
    return out
