"""Objective evaluation for the swarm: B function objects grouped into as few calls as possible.

:func:`group_functions` groups the B swarms' function objects: swarms whose functions compute the same
thing share one call on ``(k*M, D)`` rows (plain paper functions of one class and dimension; CEC-style
transformed paper functions, whose shifts and rotations are applied per swarm with one batched
``matmul``); every other function object is called once for the swarms that hold it.
:func:`evaluate_groups` evaluates (K, M, D) points with them. Both are written once on the array
namespace of the points: numpy arrays, or torch tensors for the torch swarm (whose groups hold their
transformations as tensors on its device; it evaluates paper functions and their transformed forms only).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmarks_fn import PAPER_FUNCTIONS, TransformedFunction
from benchmarks_fn.base import checked_values, namespace

#: Classes whose ``evaluate`` depends only on the class and the dimension, so that instances of one
#: class and dimension can share one call.
PAPER_CLASSES = frozenset(PAPER_FUNCTIONS.values())


def finite_or_inf(values: Any) -> Any:
    """``values`` as a float array with every non-finite entry (NaN, +-inf) mapped to +inf.

    The convention of every optimiser in the project: a point whose objective value is not finite is
    never better than any finite one. That includes -inf: an objective to minimise that returns -inf
    has failed (an overflow, a log of 0), so -inf is the worst value, not the best. A numpy input is returned itself when it is already all finite;
    a torch tensor is mapped without a host synchronisation.
    """
    if isinstance(values, np.ndarray) or not hasattr(values, "device"):
        values = np.asarray(values, dtype=float)
        if not np.isfinite(values).all():
            values = np.where(np.isfinite(values), values, np.inf)
        return values
    xp = namespace(values)
    return xp.where(xp.isfinite(values), values, math.inf)


@dataclass
class FunctionGroup:
    """Swarms whose objectives are evaluated in one call.

    Attributes
    ----------
    kind : {"plain", "transformed", "object"}
        ``"plain"``: paper functions of one class and dimension (``function`` is one of them).
        ``"transformed"``: :class:`~benchmarks_fn.TransformedFunction` of paper functions of one base
        class and dimension, with the same shift/rotate flags; ``function`` is one base, and ``shift``,
        ``rotation_t``, ``x0`` and ``bias`` hold each swarm's transformation.
        ``"object"``: one function object, called through its ``evaluate`` (or ``__call__``); numpy only.
    indices : ndarray of int, shape (k,)
        The swarms of the group, ascending.
    slot : ndarray of int, shape (B,)
        Each swarm's position in ``indices`` (-1 for swarms outside the group).
    function : object
        The function (or base function) called.
    shift : array of shape (k, D) or None
        The shifts ``o`` (None when the group's functions do not move points).
    rotation_t : array of shape (k, D, D) or None
        The transposed rotations ``M^T`` (None without rotation).
    x0 : array of shape (D,) or None
        The base function's minimiser, added after the rotation (None when it is the origin).
    bias : array of shape (k,) or None
        The biases (None when all are 0).
    functions : list
        The function objects of the group's swarms (the originals, in the order of ``indices``).
    """

    kind: str
    indices: np.ndarray
    slot: np.ndarray
    function: Any
    shift: Any = None
    rotation_t: Any = None
    x0: Any = None
    bias: Any = None
    functions: list | None = None


def _group_key(fn: Any) -> tuple:
    if type(fn) in PAPER_CLASSES:
        return ("plain", type(fn), int(fn.dim))
    if type(fn) is TransformedFunction and type(fn.base) in PAPER_CLASSES:
        x0 = np.asarray(fn.base.optimum_x, dtype=float)
        return ("transformed", type(fn.base), int(fn.dim), bool(fn.shift or fn.rotate), bool(fn.rotate),
                bool(np.any(x0)))
    return ("object", id(fn))


def unsupported_on_torch(function: Any) -> str:
    """The error message for a function object that the torch backend cannot evaluate."""
    return (f"functions: {getattr(function, 'name', function)!r} ({type(function).__name__}) cannot be evaluated on "
            "torch; the torch backend knows the ten paper functions and their shifted/rotated forms only "
            "(use backend='numpy' for BBOB / CEC 2022 / custom functions)")


def group_functions(functions: Sequence[Any], like: Any = None) -> list[FunctionGroup]:
    """Group B function objects into :class:`FunctionGroup` s that are evaluated in one call each.

    Parameters
    ----------
    functions : sequence of function objects
        One per swarm.
    like : array, optional
        The groups' transformations become arrays of its namespace, dtype and device (default numpy
        float64). For a torch tensor, only paper functions and their transformed forms are accepted.

    Returns
    -------
    list of FunctionGroup
        In order of first appearance; together the groups cover every index once.

    Raises
    ------
    ValueError
        ``functions`` holds an object that the namespace of ``like`` cannot evaluate.
    """
    on_numpy = like is None or isinstance(like, np.ndarray)

    def conv(a: np.ndarray) -> Any:
        return a if on_numpy else namespace(like).asarray(a, dtype=like.dtype, device=like.device)

    members: dict[tuple, list[int]] = {}
    for i, fn in enumerate(functions):
        members.setdefault(_group_key(fn), []).append(i)
    groups = []
    for key, idx in members.items():
        fns = [functions[i] for i in idx]
        indices = np.asarray(idx, dtype=np.intp)
        slot = np.full(len(functions), -1, dtype=np.intp)
        slot[indices] = np.arange(len(idx))
        if key[0] == "object" and not on_numpy:
            raise ValueError(unsupported_on_torch(fns[0]))
        if key[0] != "transformed":
            groups.append(FunctionGroup(key[0], indices, slot, fns[0], functions=fns))
            continue
        moves, rotate, has_x0 = key[3], key[4], key[5]
        bias = np.array([fn.bias for fn in fns], dtype=float)
        groups.append(FunctionGroup(
            "transformed", indices, slot, fns[0].base,
            shift=conv(np.stack([np.asarray(fn.o, dtype=float) for fn in fns])) if moves else None,
            rotation_t=conv(np.stack([np.asarray(fn.M, dtype=float).T for fn in fns])) if rotate else None,
            x0=conv(np.asarray(fns[0].base.optimum_x, dtype=float).copy()) if (moves and has_x0) else None,
            bias=conv(bias) if np.any(bias != 0.0) else None,
            functions=fns,
        ))
    return groups


def count_nonfinite(values: Any) -> Any:
    """Number of non-finite entries (NaN, +-inf) along the last axis, int64 (of the input's namespace)."""
    xp = namespace(values)
    return xp.sum(~xp.isfinite(values), axis=-1)


def _pick(a: Any, slots: np.ndarray | None) -> Any:
    return a if slots is None or a is None else a[_index(slots, a)]


def _index(idx: np.ndarray, like: Any) -> Any:
    """Integer indices ``idx`` for indexing ``like`` (a tensor on the same device for torch)."""
    return idx if isinstance(like, np.ndarray) else namespace(like).asarray(idx, device=like.device)


def _values(g: FunctionGroup, x: Any, slots: np.ndarray | None) -> Any:
    """Raw values of points ``x`` (k, M, D) of the group's swarms at ``slots`` (None: all, in order)."""
    k, m, d = x.shape
    if g.kind == "object":
        rows = np.asarray(x, dtype=float).reshape(k * m, d)
        return checked_values(g.function, getattr(g.function, "evaluate", g.function)(rows), k * m).reshape(k, m)
    xp = namespace(x)
    if g.shift is not None:
        x = x - _pick(g.shift, slots)[:, None, :]
        if g.rotation_t is not None:
            x = xp.matmul(x, _pick(g.rotation_t, slots))
        if g.x0 is not None:
            x = x + g.x0
    values = checked_values(g.function, g.function.evaluate(x.reshape(k * m, d)), k * m).reshape(k, m)
    if g.bias is not None:
        values = values + _pick(g.bias, slots)[:, None]
    return values


def evaluate_groups(groups: Sequence[FunctionGroup], positions: Any, rows: np.ndarray | None = None) -> Any:
    """Raw objective values of points, shape (K, M): non-finite values are NOT mapped here.

    Every objective evaluation of the swarm goes through here, and each call's output through
    :func:`benchmarks_fn.base.checked_values` (ValueError naming the function, the expected and the
    received shape).

    Parameters
    ----------
    groups : list of FunctionGroup
        The groups of the B swarms (:func:`group_functions`).
    positions : array of shape (K, M, D)
        Points; row k is evaluated by the function of swarm ``rows[k]``.
    rows : ndarray of int, shape (K,), optional
        The swarm of each row (repeats allowed); default all B swarms in order (K = B).
    """
    if rows is None and len(groups) == 1:
        return _values(groups[0], positions, None)
    xp = namespace(positions)
    out = xp.zeros_like(positions[..., 0])
    for g in groups:
        if rows is None:
            sel, slots = g.indices, None
        else:
            slot = g.slot[rows]
            sel = np.flatnonzero(slot >= 0)
            slots = slot[sel]
            if sel.size == 0:
                continue
        ix = _index(sel, positions)
        out[ix] = xp.asarray(_values(g, positions[ix], slots), dtype=out.dtype)
    return out
