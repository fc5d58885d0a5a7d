"""Cosine and sine of large float64 arrays at vector speed.

numpy's float64 ``cos``/``sin`` run one value at a time (scalar libm) on many CPUs, and Rastrigin,
Ackley, Griewank and Schwefel call them on every coordinate. :func:`cos` and :func:`sin` hand numpy
float64 arrays of at least :data:`TORCH_MIN_SIZE` values to torch's vectorised kernels (SLEEF, within
1 ulp) on the same memory, and keep numpy, bit for bit, below that (where torch's per-call overhead would
cost more than it saves). The two differ in the last bit on about 0.15% of values, so a function
evaluated on a large batch can differ by one ulp from the same function on a few points. Torch is
imported on the first large call; processes forked after it run torch with one thread. Arrays of other
namespaces (the torch swarm's tensors) go to their own namespace's ``cos``/``sin``.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from array_api_compat import array_namespace

#: Arrays with at least this many values go to torch (a batch of ~18 swarms of N = D = 30).
TORCH_MIN_SIZE = 1 << 14

_torch: Any = None


def _large(name: str, x: Any) -> Any:
    """``name`` of an array that is not a small numpy one: torch's kernel, numpy's, or x's namespace's."""
    global _torch
    if not isinstance(x, np.ndarray):
        return getattr(array_namespace(x), name)(x)
    if x.dtype != np.float64:
        return getattr(np, name)(x)
    if _torch is None:
        import torch

        # A process forked after torch's thread pool has run hangs on its next parallel call (as
        # Gymnasium's AsyncVectorEnv or SB3's SubprocVecEnv may fork): children use one thread.
        os.register_at_fork(after_in_child=lambda: torch.set_num_threads(1))
        _torch = torch
    if not (x.flags.c_contiguous and x.flags.writeable):  # what torch.from_numpy needs to share memory
        x = np.array(x, order="C")
    return getattr(_torch.from_numpy(x), name)().numpy()


def cos(x: Any) -> Any:
    """``np.cos(x)`` for a float64 array, torch's kernel from :data:`TORCH_MIN_SIZE` values; a tensor's own."""
    if type(x) is np.ndarray and x.size < TORCH_MIN_SIZE:
        return np.cos(x)
    return _large("cos", x)


def sin(x: Any) -> Any:
    """``np.sin(x)``, as :func:`cos`."""
    if type(x) is np.ndarray and x.size < TORCH_MIN_SIZE:
        return np.sin(x)
    return _large("sin", x)
