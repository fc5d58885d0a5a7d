"""Parameter checks shared by the package; every failure is a ValueError naming the parameter."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable
from numbers import Integral, Real


def check_int(value: object, param: str, minimum: int = 1, maximum: int | None = None) -> int:
    """Return ``value`` as an int, or raise ValueError unless it is an integer in [minimum, maximum]."""
    # bool is an Integral; dim=True is almost certainly a mistake.
    if not (isinstance(value, Integral) and not isinstance(value, bool) and value >= minimum
            and (maximum is None or value <= maximum)):
        allowed = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum:,}]"
        raise ValueError(f"{param} must be an integer {allowed}, got {value!r}")
    return int(value)


def is_real(value: object) -> bool:
    """A finite real number (Python or numpy), not a bool."""
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


def check_finite(value: object, param: str) -> float:
    """Return ``value`` as a float, or raise ValueError if it is not a finite real number."""
    if not is_real(value):
        raise ValueError(f"{param} must be a finite real number, got {value!r}")
    return float(value)


def check_box(lower: object, upper: object, name: str) -> None:
    """Raise ValueError unless the box of ``name`` has finite bounds, ``lower < upper`` and a finite width
    (an overflowing width, a box of +-1e308, would make every position and velocity of a swarm infinite)."""
    import numpy as np

    lo, hi = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
        raise ValueError(f"{name}: lower/upper must be finite, got lower={lo}, upper={hi}")
    if np.any(lo >= hi):
        raise ValueError(f"{name}: lower must be strictly smaller than upper in every coordinate")
    with np.errstate(over="ignore"):
        width = hi - lo
    if not np.all(np.isfinite(width)):
        raise ValueError(f"{name}: the box width upper - lower must be finite (at most about 1.8e308), got "
                         f"{width} for lower={lo}, upper={hi}")


def function_name(function: object) -> str:
    """A printable name for a function object: its ``name`` attribute, else its class name."""
    name = getattr(function, "name", None)
    return str(name) if name else type(function).__name__


def check_function_object(function: object, param: str = "function", alternatives: str = "") -> object:
    """Return ``function``, or raise ValueError unless it has the interface of a function object.

    The one check of that interface, wherever an object is taken as a function: ``dim`` (an integer
    >= 1), ``lower`` and ``upper`` (a number or ``dim`` numbers each, a box as :func:`check_box` requires)
    and ``evaluate`` or ``__call__`` (points of shape (n, dim) to n values); ``name`` (:func:`function_name`)
    and ``optimum_value`` (None: unknown) are optional. The message names ``param``, what it may be
    (``alternatives``, then a function object) and what is missing.
    """
    import numpy as np

    missing = [m for m in ("dim", "lower", "upper") if not hasattr(function, m)]
    if not (hasattr(function, "evaluate") or callable(function)):
        missing.append("evaluate (or __call__)")
    if missing:
        raise ValueError(f"{param} must be {alternatives}a function object with dim, lower, upper and evaluate (or "
                         f"__call__); {function!r} has no {', '.join(missing)}")
    label = f"function {function_name(function)!r}"
    dim = check_int(function.dim, f"{label}: dim")
    try:
        lower, upper = (np.broadcast_to(np.asarray(b, dtype=float), (dim,)) for b in (function.lower, function.upper))
    except (TypeError, ValueError):
        raise ValueError(f"{label}: lower and upper must each be a number or {dim} numbers") from None
    check_box(lower, upper, label)
    return function


def unknown_name_error(param: str, name: str, known: Iterable[str], hint: str = "") -> ValueError:
    """Build the ValueError for an unknown name: close matches, else the names allowed (up to 20)."""
    known = sorted(known)
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    msg = f"{param}: unknown name {name!r}"
    if close:
        msg += f"; did you mean {', '.join(repr(c) for c in close)}?"
    elif len(known) <= 20:  # a longer list drowns the message: the hint says where to look
        msg += f"; allowed: {', '.join(known)}"
    if hint:
        msg += f" ({hint})"
    return ValueError(msg)
