"""Objective evaluation for the swarm: B function objects grouped into as few calls as possible.

Swarms whose functions compute the same thing share one call on ``(k*M, D)`` rows: plain paper functions
of one class and dimension, and transformed paper functions (shifts and rotations applied per swarm with
one batched ``matmul``); any other function object is called once for the swarms that hold it. Written
once on the array namespace of the points: numpy arrays, or the torch swarm's tensors.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmarks_fn import PAPER_FUNCTIONS, TransformedFunction
from benchmarks_fn.base import checked_values, namespace

#: Classes whose ``evaluate`` depends only on the class and the dimension (one call for many swarms).
PAPER_CLASSES = frozenset(PAPER_FUNCTIONS.values())


def finite_or_inf(values: Any) -> Any:
    """``values`` as a float array with every non-finite entry (NaN, +-inf) mapped to +inf.

    The convention of every optimiser in the project: a non-finite value is never better than a finite
    one, -inf included (an objective to minimise that returns -inf has failed). A numpy input that is
    all finite is returned itself; a tensor is mapped without a host synchronisation.
    """
    if isinstance(values, np.ndarray) or not hasattr(values, "device"):
        values = np.asarray(values, dtype=float)
        return values if np.isfinite(values).all() else np.where(np.isfinite(values), values, np.inf)
    xp = namespace(values)
    return xp.where(xp.isfinite(values), values, math.inf)


def count_nonfinite(values: Any) -> Any:
    """Number of non-finite entries (NaN, +-inf) along the last axis, int64 (of the input's namespace)."""
    xp = namespace(values)
    return xp.sum(~xp.isfinite(values), axis=-1)


@dataclass
class FunctionGroup:
    """Swarms whose objectives are evaluated in one call.

    ``kind``: ``"plain"`` (paper functions of one class and dimension), ``"transformed"``
    (:class:`~benchmarks_fn.TransformedFunction` of one base class and dimension with the same flags) or
    ``"object"`` (one function object, numpy only). ``indices`` (k,): the group's swarms, ascending;
    ``slot`` (B,): each swarm's position in them (-1 outside); ``function``: the object (or base) called.
    A transformed group holds each swarm's shift ``o`` (k, D), transposed rotation ``M^T`` (k, D, D) and
    bias (k,), and the base's minimiser ``x0`` (D,) added after the rotation; each None when unused.
    """

    kind: str
    indices: np.ndarray
    slot: np.ndarray
    function: Any
    shift: Any = None
    rotation_t: Any = None
    x0: Any = None
    bias: Any = None


def _group_key(fn: Any) -> tuple:
    if type(fn) in PAPER_CLASSES:
        return ("plain", type(fn), int(fn.dim))
    if type(fn) is TransformedFunction and type(fn.base) in PAPER_CLASSES:
        return ("transformed", type(fn.base), int(fn.dim), bool(fn.shift or fn.rotate), bool(fn.rotate),
                bool(np.any(np.asarray(fn.base.optimum_x, dtype=float))))
    return ("object", id(fn))


def group_functions(functions: Sequence[Any], like: Any = None) -> list[FunctionGroup]:
    """Group B function objects (one per swarm) into :class:`FunctionGroup` s, in order of first appearance.

    ``like``: an array whose namespace, dtype and device the transformations take (default numpy float64).

    Raises
    ------
    ValueError
        ``like`` is a tensor and ``functions`` holds an object other than a paper function or its
        transformed form.
    """
    on_numpy = like is None or isinstance(like, np.ndarray)

    def conv(arrays: list) -> Any:
        a = np.stack([np.asarray(x, dtype=float) for x in arrays])
        return a if on_numpy else namespace(like).asarray(a, dtype=like.dtype, device=like.device)

    members: dict[tuple, list[int]] = {}
    for i, fn in enumerate(functions):
        members.setdefault(_group_key(fn), []).append(i)
    groups = []
    for key, idx in members.items():
        fns = [functions[i] for i in idx]
        if key[0] == "object" and not on_numpy:
            raise ValueError(f"functions: {getattr(fns[0], 'name', fns[0])!r} ({type(fns[0]).__name__}) cannot "
                             "be evaluated on torch; the torch backend knows the ten paper functions and their "
                             "shifted/rotated forms only (use backend='numpy' for BBOB / CEC 2022 / custom)")
        slot = np.full(len(functions), -1, dtype=np.intp)
        slot[idx] = np.arange(len(idx))
        fn = fns[0].base if key[0] == "transformed" else fns[0]
        group = FunctionGroup(key[0], np.asarray(idx, dtype=np.intp), slot, fn)
        if key[0] == "transformed":
            moves, rotate, has_x0 = key[3:]
            group.shift = conv([f.o for f in fns]) if moves else None
            group.rotation_t = conv([np.asarray(f.M, dtype=float).T for f in fns]) if rotate else None
            group.x0 = conv([fn.optimum_x])[0] if moves and has_x0 else None
            group.bias = conv([f.bias for f in fns]) if any(f.bias != 0.0 for f in fns) else None
        groups.append(group)
    return groups


def _values(g: FunctionGroup, x: Any, slots: np.ndarray | None) -> Any:
    """Raw values of points ``x`` (k, M, D) of the group's swarms at ``slots`` (None: all, in order)."""
    k, m, d = x.shape
    if g.kind == "plain":
        return checked_values(g.function, g.function.evaluate(x.reshape(k * m, d)), k * m).reshape(k, m)
    if g.kind == "object":
        x = np.asarray(x, dtype=float)
    elif g.shift is not None:
        x = x - _pick(g.shift, slots)[:, None, :]
        if g.rotation_t is not None:
            x = namespace(x).matmul(x, _pick(g.rotation_t, slots))
        if g.x0 is not None:
            x = x + g.x0
    fn = g.function
    values = checked_values(fn, getattr(fn, "evaluate", fn)(x.reshape(k * m, d)), k * m).reshape(k, m)
    return values if g.bias is None else values + _pick(g.bias, slots)[:, None]


def _pick(a: Any, slots: np.ndarray | None) -> Any:
    return a if slots is None else a[_index(slots, a)]


def _index(idx: np.ndarray, like: Any) -> Any:
    """Integer indices ``idx`` for indexing ``like`` (a tensor on the same device for torch)."""
    return idx if isinstance(like, np.ndarray) else namespace(like).asarray(idx, device=like.device)


def evaluate_groups(groups: Sequence[FunctionGroup], positions: Any, rows: np.ndarray | None = None) -> Any:
    """Raw objective values (non-finite values NOT mapped) of points ``positions`` (K, M, D), shape (K, M).

    Every objective evaluation of the swarm comes here, and each call's output goes through
    :func:`benchmarks_fn.base.checked_values` (ValueError naming the function and both shapes).
    ``groups``: those of the B swarms (:func:`group_functions`); ``rows`` (K,): the swarm whose function
    evaluates each row (repeats allowed), default all B in order.
    """
    if rows is None and len(groups) == 1:
        return _values(groups[0], positions, None)
    xp = namespace(positions)
    out = xp.zeros_like(positions[..., 0])
    for g in groups:
        sel, slots = g.indices, None
        if rows is not None:
            sel = np.flatnonzero(g.slot[rows] >= 0)
            slots = g.slot[rows][sel]
            if sel.size == 0:
                continue
        ix = _index(sel, positions)
        out[ix] = xp.asarray(_values(g, positions[ix], slots), dtype=out.dtype)
    return out
