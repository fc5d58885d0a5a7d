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
