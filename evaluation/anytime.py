"""Anytime performance: every improvement at its evaluation count, IOHprofiler logs, runtime ECDFs and ERT.

A run's *improvements* are the pairs (evaluations used, new best value) at each evaluation that beat every
earlier one; :class:`Tracked` records them for every run of :func:`evaluation.runner.run` and of the
baselines, and optionally passes each evaluation to ``ioh``'s own logger (``ioh.logger.Analyzer``) so
that IOHanalyzer reads the runs as they are. From the improvements follow the hitting time of any target
and the views of COCO and IOHprofiler: fixed-target runtime ECDFs, the expected running time (ERT) and
fixed-budget values, all in function evaluations.

References
----------
N. Hansen, A. Auger, R. Ros, O. Mersmann, T. Tusar, D. Brockhoff (2021). COCO: a platform for comparing
continuous optimizers in a black-box setting. Optimization Methods and Software 36(1), 114-144
(runtime ECDFs over 51 targets 10^2 .. 10^-8, ERT).
C. Doerr, H. Wang, F. Ye, S. van Rijn, T. Baeck (2018). IOHprofiler: a benchmarking and profiling tool for
iterative optimization heuristics. arXiv:1810.05281; J. de Nobel, F. Ye, D. Vermetten, H. Wang, C. Doerr,
T. Baeck (2024). IOHexperimenter: benchmarking platform for iterative optimization heuristics.
Evolutionary Computation 32(3), 205-210 (the logger and its file format).
"""

from __future__ import annotations

import json
import math
import re
import shutil
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks_fn.base import checked_values

#: COCO's targets of the error f - f*: 51 values log-uniform from 1e2 to 1e-8 (5 per decade).
COCO_TARGETS = 10.0 ** np.linspace(2, -8, 51)
#: Targets of the ERT tables.
ERT_TARGETS = (1e0, 1e-4, 1e-8)
#: Function groups by name (paper functions, BBOB and CEC 2022 numbers); others are in no group.
MULTIMODAL = frozenset({"rastrigin", "ackley", "griewank", "schwefel", "dropwave", "bbob:f3", "bbob:f4",
                        *(f"bbob:f{i}" for i in range(15, 25)), *(f"cec2022:f{i}" for i in range(2, 13))})
UNIMODAL = frozenset({"sphere", "elliptic", "tablet", "quadric", "step", "cec2022:f1", "bbob-exact:f1",
                      "bbob-exact:f2", *(f"bbob:f{i}" for i in (1, 2, *range(5, 15)))})
#: Folder of unmerged IOHprofiler runs inside an ``--ioh-log`` folder.
PENDING = "pending"


def function_group(name: str) -> str | None:
    """``"unimodal"``, ``"multimodal"`` or None for a record's function name (tags such as ``[shift]`` ignored).

    Our choice: Step is unimodal (one plateau holds the minimum); BBOB f3 and f4 (separable Rastrigin
    forms) and f15-f24 are multimodal (COCO's groups), and CEC 2022's f2-f12.
    """
    base = name.split("[", 1)[0]
    return "unimodal" if base in UNIMODAL else "multimodal" if base in MULTIMODAL else None


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.+-]+", "_", text).strip("_") or "x"


class Tracked:
    """``function`` (any function object) with every improvement of the best value recorded.

    ``evaluations`` counts the points evaluated; ``improvements`` lists ``(count, value)`` at each point
    whose value beats all earlier ones (count 1-based, as ioh counts; non-finite values are +inf, never
    an improvement). Every other attribute is the function's. With ``ioh_dir``, an
    ``ioh.logger.Analyzer`` (trigger: every improvement, full precision) logs the run into
    ``ioh_dir/pending/<algorithm>-<function>-<seed>`` (:func:`merge_ioh_run` files it): a BBOB or CEC 2022
    function evaluates through a fresh ioh problem of its own number and instance, any other (``bbob-exact:fN``
    too, whose values are f - f*) through ``ioh.wrap_problem`` of its values (id: a hash of its name). The logs
    hold f - f* (``raw_y``, as ioh logs its own problems; f where f* is unknown); with ``max_evaluations`` B only the first B evaluations (those
    a fixed-budget record counts; the rest of the last iteration is evaluated unlogged). Call :meth:`close` after
    the run.
    """

    def __init__(self, function: Any, *, ioh_dir: str | Path | None = None, algorithm: str = "",
                 seed: int = 0, max_evaluations: int | None = None) -> None:
        self.function, self.evaluations, self.best, self.improvements = function, 0, math.inf, []
        self._call = getattr(function, "evaluate", function)
        self._budget = math.inf if max_evaluations is None else int(max_evaluations)
        self._logger = None
        if ioh_dir is not None:
            self._attach(Path(ioh_dir), algorithm, seed)

    def __getattr__(self, name: str) -> Any:
        if name == "function":
            raise AttributeError(name)
        return getattr(self.function, name)

    def __call__(self, X: Any) -> Any:
        return self.evaluate(X)

    def evaluate(self, X: Any) -> np.ndarray:
        """Values of the rows of ``X`` (n, D), recording the improvements among them in order."""
        values = checked_values(self.function, self._call(X), len(X))
        if not np.minimum.reduce(values) >= self.best:  # NaN included (never a candidate below)
            below = np.flatnonzero(values < self.best)  # few: a Python loop is the cheapest
            for i, value in zip(below.tolist(), values[below].tolist()):
                if value < self.best and value != -math.inf:
                    self.improvements.append((self.evaluations + 1 + i, value))
                    self.best = value
        self.evaluations += len(values)
        return values

    def _attach(self, root: Path, algorithm: str, seed: int) -> None:
        import ioh

        fn = self.function
        name = str(getattr(fn, "name", None) or type(fn).__name__)
        folder = root / PENDING / _slug(f"{algorithm}-{name}-{seed}")
        shutil.rmtree(folder, ignore_errors=True)  # an earlier attempt that was never stored
        folder.parent.mkdir(parents=True, exist_ok=True)
        plain = self._call
        if hasattr(fn, "suite") and hasattr(fn, "fid") and not getattr(fn, "exact", False):
            # an IOHFunction evaluated by ioh: its own problem, freshly built
            problem = fn._build(fn.suite, fn.fid, fn.dim, fn.instance)

            def logged(X: Any) -> Any:
                k = self._within(len(X))
                if k == len(X):
                    return np.asarray(problem(X), dtype=np.float64)
                if k == 0:
                    return np.asarray(plain(X), dtype=np.float64)
                return np.concatenate([np.asarray(problem(X[:k]), dtype=np.float64).reshape(k),
                                       np.asarray(plain(X[k:]), dtype=np.float64)])
        else:
            feed: list[Any] = [iter(())]
            problem = ioh.wrap_problem(lambda x: next(feed[0]), name=_slug(name), dimension=int(fn.dim),
                                       lb=float(np.min(fn.lower)), ub=float(np.max(fn.upper)))
            problem.set_id(100_000 + zlib.crc32(name.encode()) % 900_000)
            optimum = getattr(fn, "optimum_value", None) or 0.0

            def logged(X: Any) -> Any:
                values = plain(X)
                k = self._within(len(X))
                if k:
                    feed[0] = iter((np.where(np.isfinite(values[:k]), values[:k], np.inf) - optimum).tolist())
                    problem(np.asarray(X[:k], dtype=np.float64))
                return values

        self._call = logged
        self._logger = ioh.logger.Analyzer(triggers=[ioh.logger.trigger.ON_IMPROVEMENT], root=str(folder.parent),
                                           folder_name=folder.name, algorithm_name=algorithm,
                                           algorithm_info=f"seed {seed}")
        self._logger.full_precision = True
        problem.attach_logger(self._logger)
        self._problem = problem

    def _within(self, n: int) -> int:
        """How many of the next ``n`` evaluations fall within the budget (all without one)."""
        return int(min(n, max(self._budget - self.evaluations, 0)))

    def close(self) -> None:
        """Write the ioh logger's files (nothing without ``ioh_dir``)."""
        if self._logger is not None:
            self._problem.reset()
            self._logger.close()
            self._logger = None


def merge_ioh_run(ioh_dir: str | Path, algorithm: str, function: str, seed: int) -> None:
    """Move one run's IOHprofiler files from ``ioh_dir/pending`` into ``ioh_dir/<algorithm>``, which then
    holds what one ``ioh.logger.Analyzer`` would write for all of that algorithm's runs: per function one
    ``IOHprofiler_f<id>_<name>.json`` (its runs appended to the scenario of their dimension) and the
    ``.dat`` files it names (the run's lines appended). Nothing happens when the run was not logged."""
    root = Path(ioh_dir)
    source = root / PENDING / _slug(f"{algorithm}-{function}-{seed}")
    if not source.is_dir():
        return
    target = root / _slug(algorithm)
    target.mkdir(parents=True, exist_ok=True)
    for meta_path in source.glob("*.json"):
        meta = json.loads(meta_path.read_text())
        old_path = target / meta_path.name
        old = json.loads(old_path.read_text()) if old_path.exists() else {**meta, "scenarios": []}
        for scenario in meta["scenarios"]:
            same = [s for s in old["scenarios"] if s["dimension"] == scenario["dimension"]]
            if same:
                same[0]["runs"] += scenario["runs"]
            else:
                old["scenarios"].append(scenario)
            dat = target / scenario["path"]
            dat.parent.mkdir(parents=True, exist_ok=True)
            with open(dat, "a") as f:
                f.write((source / scenario["path"]).read_text())
        old_path.write_text(json.dumps(old, indent=1) + "\n")
    shutil.rmtree(source)


# ------------------------------------------------------------------------------------------ measures
def hitting_times(evaluations: Sequence[int], values: Sequence[float], targets: Sequence[float]) -> np.ndarray:
    """The evaluation count at which a run's best value first reaches each target (``<=``), inf if never.

    ``evaluations`` (increasing) and ``values`` are the run's improvements (or any best-so-far samples).
    """
    e = np.append(np.asarray(evaluations, dtype=float), np.inf)  # index len: never reached
    best = np.minimum.accumulate(np.asarray(values, dtype=float))
    return e[np.searchsorted(-best, -np.asarray(targets, dtype=float), side="left")]


def ert(times: Sequence[float], budgets: Sequence[float]) -> tuple[float, int]:
    """Expected running time to one target over runs, and the number of successful runs.

    ``times``: each run's hitting time (inf where it never reached the target); ``budgets``: the
    evaluations each run used. ERT = (sum of the hitting times of the successful runs + sum of the budgets
    of the others) / successes, inf without success (Hansen et al. 2021, section 5.2; Price 1997).
    """
    t, b = np.asarray(times, dtype=float), np.asarray(budgets, dtype=float)
    if t.shape != b.shape:
        raise ValueError(f"budgets must have the shape of times {t.shape}, got {b.shape}")
    hit = np.isfinite(t)
    successes = int(hit.sum())
    return (float(np.sum(np.where(hit, t, b))) / successes if successes else math.inf), successes


def runtime_ecdf(times: Mapping[str, np.ndarray], scale: Mapping[str, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Fixed-target runtime ECDF aggregated over functions (COCO): the steps ``(x, y)``.

    ``times[function]`` is an array (runs, targets) of hitting times; every function weighs the same and
    every (run, target) pair of a function equally, so ``y`` is the fraction of (function, run, target)
    triples solved within ``x`` evaluations (divided by ``scale[function]``, e.g. the dimension). Unsolved
    pairs never count: ``y`` ends below 1 where some target was missed.
    """
    if not times:
        raise ValueError("times must hold at least one function")
    x, w = [], []
    for function, t in times.items():
        t = np.asarray(t, dtype=float)
        solved = t[np.isfinite(t)] / (scale or {}).get(function, 1.0)
        x.append(solved)
        w.append(np.full(solved.size, 1.0 / (t.size * len(times))))
    order = np.argsort(np.concatenate(x), kind="stable")
    return np.concatenate(x)[order], np.cumsum(np.concatenate(w)[order])


def value_at(evaluations: Sequence[int], values: Sequence[float], budget: float) -> float:
    """Best value after ``budget`` evaluations (inf before the first sample)."""
    e = np.asarray(evaluations, dtype=float)
    k = int(np.searchsorted(e, budget, side="right"))
    return float(np.min(np.asarray(values, dtype=float)[:k])) if k else math.inf


# ------------------------------------------------------------------------------------------ stored runs
def run_trace(row: Mapping[str, Any], entry: Mapping[str, Any], iterations: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """One stored run's best-so-far samples ``(evaluations, values)`` and whether they are exact.

    From the curve entry's ``improvements`` where stored (exact), else from its checkpoints (results
    stored before improvements were recorded): point k at iteration ``t = min(k c, T)`` counts
    ``evaluations (t + 1) / (T + 1)`` evaluations, exact for runs that spend the same number each
    iteration (PSO, CMA-ES and random search by their curve's definition) and an interpolation for
    those with extra evaluations (APSO's elitist learning); hitting times then resolve to checkpoints.
    """
    if entry.get("improvements"):
        pairs = np.asarray(entry["improvements"], dtype=float)
        return pairs[:, 0], pairs[:, 1], True
    curve = np.asarray(entry["curve"], dtype=float)
    steps = np.minimum(np.arange(curve.size) * int(entry["checkpoint_every"]), iterations)
    return np.round(row["evaluations"] * (steps + 1) / (iterations + 1)), curve, False
