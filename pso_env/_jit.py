"""The one decorator of the project's numba kernels, and the one place that decides their on-disk cache.

Kernels compile on first use (no eager signatures). Their cache is a speed-up, never a requirement: where
numba finds no writable cache directory (``NUMBA_CACHE_DIR``, the package's ``__pycache__``, the user's
cache directory), they compile in memory in each process, with one warning per process.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from numba import njit

_warned = False


def jit(**options: Any) -> Callable[[Callable], Any]:
    """``numba.njit(nogil=True, **options)``, with ``cache=True`` where numba can locate a writable cache.

    Parameters
    ----------
    **options
        Further ``njit`` options (such as ``inline="always"``).

    Returns
    -------
    callable
        The decorator.
    """
    def decorate(function: Callable) -> Any:
        global _warned
        try:
            return njit(cache=True, nogil=True, **options)(function)
        except RuntimeError as error:  # numba: "cannot cache function ...: no locator available for file ..."
            if "no locator available" not in str(error):
                raise
            if not _warned:
                _warned = True
                warnings.warn(f"pso_env: numba has no writable cache directory ({error}); the kernels compile in "
                              "memory in each process (seconds on first use). Set NUMBA_CACHE_DIR to a writable "
                              "directory to keep them between runs.", RuntimeWarning, stacklevel=3)
            return njit(nogil=True, **options)(function)

    return decorate
