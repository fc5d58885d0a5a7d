"""Cosine and sine of large float64 arrays at vector speed.

numpy's float64 ``cos``/``sin`` run one value at a time on CPUs without AVX-512 (about 10-14 ns per
value here), and Rastrigin, Ackley, Griewank and Schwefel call them on every coordinate: three quarters
of a batched swarm iteration (``perf/batched_swarm.py``). PyTorch, already a dependency, has
vectorised kernels (SLEEF, about 2 ns per value, within 1 ulp). :func:`cos` and :func:`sin` hand arrays
of at least :data:`TORCH_MIN_SIZE` values to torch on the same memory (no copy) and keep numpy below
that, where torch's per-call overhead would cost more than it saves, and where results then stay those
of numpy bit for bit (a single swarm of N = D = 30 evaluates 900 values per call).

The two differ in the last bit on about 0.15% of values, so a function evaluated on a large batch can
differ by one ulp from the same function on a few points; every result stays reproducible for the same
inputs. Torch is imported on the first large call; processes forked after it run torch with one
thread (its thread pool does not survive a fork). Arrays of other namespaces (torch tensors of the
torch swarm) go to their own namespace's ``cos``/``sin``.
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any

import numpy as np
from array_api_compat import array_namespace

#: Arrays with at least this many values go to torch's vectorised kernels (a batch of ~18 swarms of
#: N = D = 30; below it numpy).
TORCH_MIN_SIZE = 1 << 14

_torch: ModuleType | None = None


def _torch_module() -> ModuleType:
    global _torch
    if _torch is None:
        import torch

        # A process forked after torch's thread pool has run hangs on its next parallel call (as
        # Gymnasium's AsyncVectorEnv or SB3's SubprocVecEnv may fork): children use one thread.
        os.register_at_fork(after_in_child=lambda: torch.set_num_threads(1))
        _torch = torch
    return _torch


def _as_tensor(x: np.ndarray) -> Any:
    # torch.from_numpy shares the memory; it needs a contiguous, writeable array (it warns otherwise)
    if not (x.flags.c_contiguous and x.flags.writeable):
        x = np.array(x, order="C")
    return _torch_module().from_numpy(x)


def _elementwise(name: str, x: Any) -> Any:
    if not isinstance(x, np.ndarray):
        return getattr(array_namespace(x), name)(x)
    if x.size < TORCH_MIN_SIZE or x.dtype != np.float64:
        return getattr(np, name)(x)
    return getattr(_as_tensor(x), name)().numpy()


def cos(x: Any) -> Any:
    """``np.cos(x)`` for a float64 array; torch's vectorised kernel from :data:`TORCH_MIN_SIZE` values.

    Any other array (a torch tensor) goes to its own namespace's ``cos``.
    """
    return _elementwise("cos", x)


def sin(x: Any) -> Any:
    """``np.sin(x)``, as :func:`cos`."""
    return _elementwise("sin", x)
