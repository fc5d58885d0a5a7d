"""The common interface of every objective: a vectorised, minimised function on a box."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from array_api_compat import array_namespace
from numpy.typing import ArrayLike, NDArray

from ._validate import check_box, check_int, function_name

FloatArray = NDArray[np.float64]
_FLOAT64 = np.dtype(np.float64)


def _readonly(a: ArrayLike) -> FloatArray:
    arr = np.array(a, dtype=np.float64)  # always a copy, so freezing it never affects the caller
    arr.setflags(write=False)
    return arr


def namespace(X: Any) -> Any:
    """The array namespace of ``X``: numpy itself for a numpy array, else ``array_namespace(X)``.

    The paper functions and :class:`~benchmarks_fn.TransformedFunction` are written once on it, so that
    they evaluate numpy arrays and torch tensors (CPU or GPU) alike.
    """
    return np if isinstance(X, np.ndarray) else array_namespace(X)


def checked_values(function: Any, values: Any, n: int) -> Any:
    """``values`` of ``n`` points as an array of shape (n,) (numpy float, or the tensor as it is).

    The one check of what an objective returns (every evaluation path of :mod:`pso_env` and
    :func:`from_callable` go through it).

    Raises
    ------
    ValueError
        Naming the function, the expected shape (n,) and the shape (or type) received.
    """
    if type(values) is np.ndarray and values.dtype is _FLOAT64 and values.shape == (n,):
        return values  # the common case, without conversions
    got = "None" if values is None else None
    if got is None and (isinstance(values, np.ndarray) or not hasattr(values, "device")):  # a tensor as it is
        try:
            values = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            got = f"{type(values).__name__} that is not an array of numbers"
    if got is None:
        if tuple(values.shape) == (n,):
            return values
        got = f"shape {tuple(values.shape)}"
    raise ValueError(f"function {function_name(function)!r} returned {got} for {n} points; it must return shape ({n},), one value per "
                     "point")


def _fmt(v: float) -> str:
    return f"{v:.6g}"


class BenchmarkFunction:
    """Base class of all objectives (minimisation).

    Subclasses implement :meth:`evaluate`; the base class supplies the validating :meth:`__call__`.

    Parameters
    ----------
    name : str
        Canonical name, e.g. ``"rastrigin"``.
    dim : int
        Number of variables D (>= 1).
    lower, upper : float or array_like
        Box bounds, a scalar or one value per coordinate.
    optimum_value, optimum_x : float, array_like or None
        The global minimum f* and a global minimiser, None if unknown.
    family : str
        ``"paper"``, ``"bbob"``, ``"cec2022"`` or ``"custom"``.

    Attributes
    ----------
    name, dim, family, optimum_value, lower, upper, optimum_x
        The parameters; the arrays as read-only float64 arrays of length ``dim``.
    base_name : str
        The name without transformation tags.
    """

    def __init__(self, name: str, dim: int, lower: ArrayLike, upper: ArrayLike, optimum_value: float | None = None,
                 optimum_x: ArrayLike | None = None, family: str = "custom") -> None:
        self.dim = check_int(dim, "dim")
        self.name = str(name)
        self.base_name = self.name
        self.family = family
        self.lower = _readonly(np.broadcast_to(np.asarray(lower, dtype=np.float64), (self.dim,)))
        self.upper = _readonly(np.broadcast_to(np.asarray(upper, dtype=np.float64), (self.dim,)))
        check_box(self.lower, self.upper, f"function {self.name!r}")
        self.optimum_value = None if optimum_value is None else float(optimum_value)
        self.optimum_x = None if optimum_x is None else _readonly(optimum_x)
        if self.optimum_x is not None and self.optimum_x.shape != (self.dim,):
            raise ValueError(f"optimum_x must have shape ({self.dim},), got {self.optimum_x.shape}")

    @property
    def value_scale(self) -> float:
        """Magnitude of the numbers that a value near f* is computed from (>= 1).

        A value near f* carries a rounding error of about ``eps * value_scale`` (eps of the float type):
        ``max(|f*|, 1)``, or more where terms of that size cancel at the optimum (Schwefel's 418.98 D,
        Rastrigin's 10 D, Ackley's 20 + e), and at least the scale of the function it is built on
        (``base``, a shifted or rotated form).
        """
        scale = max(abs(self.optimum_value or 0.0), 1.0, self._cancelling_terms())
        base = getattr(self, "base", None)
        return scale if base is None else max(scale, base.value_scale)

    def _cancelling_terms(self) -> float:
        """Size of the terms of ``evaluate`` that cancel at the optimum (0: none)."""
        return 0.0

    #: Whether :meth:`gradient` is available: :meth:`evaluate` is written on the array namespace (numpy or
    #: torch), so torch's autograd differentiates it (the paper functions and their transformed forms).
    differentiable = False

    def gradient(self, X: Any) -> Any:
        """Gradients of the values at the rows of ``X`` (n, D): shape (n, D).

        Reverse-mode automatic differentiation of :meth:`evaluate` on a float64 torch tensor (one backward
        pass of the sum of the n values: the rows are independent, so row i of the result is the
        gradient at point i). A numpy ``X`` gives numpy float64; a tensor gives a tensor of its dtype and
        device. Where the function is not differentiable (Step's jumps, Schwefel's and Ackley's
        ``sqrt`` at 0) autograd's value at that point is returned (0 for ``floor``; possibly NaN).

        Raises
        ------
        ValueError
            When the function has no gradient (:attr:`differentiable` is False: BBOB, CEC 2022 and
            wrapped callables), or ``X`` does not have shape (n, D).
        """
        if not self.differentiable:
            raise ValueError(f"function {self.name!r} has no gradient: only functions written on the array namespace "
                             "(the paper functions, their transformed forms, network losses) are differentiated")
        import torch

        tensor = torch.is_tensor(X)
        t = X.detach() if tensor else torch.as_tensor(np.asarray(X, dtype=np.float64))
        if t.ndim != 2 or t.shape[1] != self.dim:
            raise ValueError(f"X must have shape (n, {self.dim}) for {self.name!r}, got shape {tuple(t.shape)}")
        t = t.clone().requires_grad_(True)
        with torch.enable_grad():
            (grad,) = torch.autograd.grad(self.evaluate(t).sum(), t)
        return grad if tensor else grad.numpy()

    def _like(self, a: np.ndarray, X: Any) -> Any:
        """The numpy constant ``a`` in ``X``'s namespace, dtype and device (cached, not pickled)."""
        if isinstance(X, np.ndarray):
            return a
        cache = self.__dict__.setdefault("_xp_cache", {})
        key = (id(a), X.dtype, str(X.device))
        if key not in cache:
            cache[key] = array_namespace(X).asarray(np.array(a), dtype=X.dtype, device=X.device)
        return cache[key]

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_xp_cache", None)
        return state

    def evaluate(self, X: FloatArray) -> FloatArray:
        """Fast path, no checks: values (n,) of a float64 array ``X`` of shape (n, dim), one point per row.

        The paper functions and :class:`~benchmarks_fn.TransformedFunction` also take a torch tensor
        (any dtype and device) and return one (see :func:`namespace`).
        """
        raise NotImplementedError

    def __call__(self, X: ArrayLike) -> FloatArray | float:
        """Evaluate one point (shape ``(dim,)``, returns a float) or a batch (``(n, dim)`` -> ``(n,)``).

        Raises
        ------
        ValueError
            If ``X`` does not have shape ``(dim,)`` or ``(n, dim)``.
        """
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 2 and X.shape[1] == self.dim:
            return self.evaluate(X) if X.shape[0] else np.empty(0)
        if X.ndim == 1 and X.shape[0] == self.dim:
            return float(self.evaluate(X[None, :])[0])
        raise ValueError(f"X must have shape (n, {self.dim}) or ({self.dim},) for {self.name!r}, got shape {X.shape}")

    def _bounds_repr(self) -> str:
        lo, hi = self.lower, self.upper
        if np.all(lo == lo[0]) and np.all(hi == hi[0]):
            return f"[{_fmt(lo[0])}, {_fmt(hi[0])}]"
        return "per-coordinate"

    def __repr__(self) -> str:
        f_star = "unknown" if self.optimum_value is None else _fmt(self.optimum_value)
        return (f"{type(self).__name__}(name={self.name!r}, dim={self.dim}, bounds={self._bounds_repr()}, "
                f"f*={f_star})")


class CallableFunction(BenchmarkFunction):
    """A user callable wrapped to the :class:`BenchmarkFunction` interface; see :func:`from_callable`."""

    def __init__(self, fn: Callable[[Any], Any], dim: int, lower: ArrayLike, upper: ArrayLike, name: str = "custom",
                 optimum_value: float | None = None, optimum_x: ArrayLike | None = None,
                 vectorized: bool = False) -> None:
        if not callable(fn):
            raise ValueError(f"fn must be callable, got {type(fn).__name__}")
        super().__init__(name, dim, lower, upper, optimum_value, optimum_x, family="custom")
        self.fn = fn
        self.vectorized = bool(vectorized)

    def evaluate(self, X: FloatArray) -> FloatArray:
        if self.vectorized:
            return checked_values(self, self.fn(X), X.shape[0])
        values = [self.fn(x) for x in X]  # the price of a function of one point
        bad = next((v for v in values if v is None or np.ndim(v) != 0), 0.0)
        if bad is not None and np.ndim(bad) == 0:
            return checked_values(self, values, X.shape[0])
        got = "None" if bad is None else f"shape {np.shape(bad)}"
        raise ValueError(f"function {self.name!r} returned {got} for one point; without vectorized=True it must "
                         "return one number per point")


def from_callable(fn: Callable[[Any], Any], dim: int, lower: ArrayLike, upper: ArrayLike, name: str = "custom",
                  optimum_value: float | None = None, optimum_x: ArrayLike | None = None, *,
                  vectorized: bool = False) -> CallableFunction:
    """Wrap a plain Python callable as a :class:`BenchmarkFunction` (a :class:`CallableFunction`).

    Parameters
    ----------
    fn : callable
        With ``vectorized=False`` (default) ``fn(x)`` takes one point of shape ``(dim,)`` and returns a
        number; it is then called once per particle. With ``vectorized=True`` ``fn(X)`` takes shape
        ``(n, dim)`` and returns shape ``(n,)``, which is much faster in a swarm.
    dim, lower, upper, name, optimum_value, optimum_x
        As in :class:`BenchmarkFunction` (``name`` is shown in logs).

    Notes
    -----
    Objects wrapping a lambda or a local function cannot be pickled (no worker processes); use a
    module-level function for that.
    """
    return CallableFunction(fn, dim, lower, upper, name, optimum_value, optimum_x, vectorized)
