"""The result record that every optimiser in the project returns.

One :class:`RunRecord` describes one run of one algorithm on one function with one seed: the final
best value, its error to the known optimum, the best-so-far curve at fixed checkpoints, the cost in
function evaluations and in time, and an optional ``extra`` dict (parameter or state trajectories).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from benchmarks_fn._validate import function_name

_SCALARS = (str, int, float, bool, type(None), np.integer, np.floating, np.bool_)


def function_optimum(function: Any) -> float | None:
    """The known optimum value ``f*`` of a function object (``optimum_value``), or None when unknown."""
    value = getattr(function, "optimum_value", None)
    return None if value is None or not math.isfinite(float(value)) else float(value)


def checkpoint_curve(history: np.ndarray, checkpoint_every: int) -> list[float]:
    """``history[0], history[k], history[2k], ...`` and ``history[T]`` when k = ``checkpoint_every`` does not
    divide T (``T // k + 1`` values when it does), from the best-so-far ``history`` of shape (T + 1,): the
    value after initialisation (index 0) and after each of the T iterations."""
    if checkpoint_every < 1:
        raise ValueError(f"checkpoint_every must be >= 1, got {checkpoint_every!r}")
    history = np.asarray(history, dtype=float)
    index = list(range(0, len(history), checkpoint_every))
    if index[-1] != len(history) - 1:
        index.append(len(history) - 1)
    return [float(v) for v in history[index]]


@dataclass
class RunRecord:
    """The outcome of one optimisation run.

    ``algorithm`` and ``function`` are names (``"APSO"``, ``"rastrigin"``), ``seed`` the run's only random
    source. ``error`` is ``max(best_value - f*, 0)`` where f* is known (rounding can compute values below
    f*), else None. ``curve`` holds the best-so-far value at iterations 0, k, 2k, ... and the last
    (k = ``checkpoint_every``); for CMA-ES and random search iteration t means ``swarm_size * (t + 1)``
    evaluations, the count a plain PSO has used after t iterations. ``cpu_seconds`` is process CPU time
    (every thread), ``wall_seconds`` wall-clock time. ``extra`` holds optional details such as parameter
    or state trajectories; ``nonfinite`` counts objective values that were NaN or +-inf (taken as +inf).
    ``improvements`` lists ``[evaluations, value]`` at every evaluation that beat all earlier ones
    (:class:`evaluation.anytime.Tracked`; empty for a record made without it).
    """

    algorithm: str
    function: str
    dim: int
    seed: int
    best_value: float
    error: float | None
    curve: list[float]
    checkpoint_every: int
    evaluations: int
    cpu_seconds: float
    wall_seconds: float
    extra: dict[str, Any] = field(default_factory=dict)
    nonfinite: int = 0
    improvements: list[list[float]] = field(default_factory=list)

    def to_row(self) -> dict[str, Any]:
        """A flat dict for one CSV row: every field but ``curve`` and ``extra``, whose scalar entries appear
        as ``extra_<key>`` (lists and arrays are left out)."""
        row = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("curve", "extra", "improvements")}
        for key, value in self.extra.items():
            if isinstance(value, _SCALARS):
                row[f"extra_{key}"] = value.item() if isinstance(value, np.generic) else value
        return row


def make_record(function: Any, history: np.ndarray, *, algorithm: str, seed: int, evaluations: int,
                cpu_seconds: float, wall_seconds: float, checkpoint_every: int = 10,
                best_value: float | None = None, extra: dict[str, Any] | None = None,
                nonfinite: int = 0, improvements: list | None = None,
                max_evaluations: int | None = None) -> RunRecord:
    """The :class:`RunRecord` of a finished run on ``function`` (the one place records are made).

    ``history`` is :func:`checkpoint_curve`'s; ``best_value`` defaults to ``history[-1]`` (CMA-ES with an
    explicit budget evaluates past the last iteration); ``improvements`` are ``(evaluations, value)`` pairs
    (:class:`evaluation.anytime.Tracked`). With ``max_evaluations`` B the record is the run stopped at B
    evaluations (a fixed budget, as COCO and MetaBox count it): its best value is the best of its first B
    evaluations (from ``improvements``, which must then be given), its curve no lower than that, its
    ``evaluations`` at most B, whatever the run evaluated after its B-th point. Non-finite values warn
    (RuntimeWarning, one text per function, so shown once per function and process).
    """
    if nonfinite:
        warnings.warn(f"function {function_name(function)!r} returned non-finite values (NaN or +-inf), taken as "
                      "+inf (the worst value); each run's count is RunRecord.nonfinite (runs.csv: extra "
                      "'nonfinite')", RuntimeWarning, stacklevel=2)
    history = np.asarray(history, dtype=float)
    best = float(history[-1] if best_value is None else best_value)
    if max_evaluations is not None and evaluations > max_evaluations:
        if improvements is None:
            raise ValueError("max_evaluations needs the run's improvements")
        best = min((float(v) for e, v in improvements if e <= max_evaluations), default=math.inf)
        history, evaluations = np.maximum(history, best), max_evaluations
    optimum = function_optimum(function)
    error = None if optimum is None else max(best - optimum, 0.0)
    return RunRecord(algorithm, function_name(function), int(function.dim), int(seed), best, error,
                     checkpoint_curve(history, checkpoint_every), int(checkpoint_every), int(evaluations),
                     float(cpu_seconds), float(wall_seconds), dict(extra or {}), int(nonfinite),
                     [[int(e), float(v)] for e, v in improvements or ()])
