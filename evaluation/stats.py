"""Statistics of an evaluation: per-cell summaries, tests against a reference, average ranks.

Everything works on the rows of ``runs.csv`` as dicts or on numpy arrays of final values. Test codes
follow the paper's Table 4: ``+1`` the reference is significantly better (lower mean for the t-test,
lower ranks for the rank-sum test), ``0`` no significant difference, ``-1`` the reference is
significantly worse; two-sided tests at ``alpha = 0.05``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
from scipy import stats

ALPHA = 0.05

#: function -> algorithm -> final values ordered by seed
Values = dict[str, dict[str, np.ndarray]]


def final_values(rows: Iterable[Mapping[str, Any]], error_floor: float = 0.0) -> tuple[Values, dict[str, str]]:
    """Final values ``values[function][algorithm]`` (float arrays ordered by seed) and ``measure[function]``:
    ``"error"`` (``f - f*``) when every row of the function has one, else ``"best_value"`` (f* unknown).

    ``error_floor``: errors below it count as 0 (the CEC competitions count errors below 1e-8 as 0; BBOB's finest
    target is 1e-8; an error equal to the floor is kept); best values are left as they are. 0, the default, keeps every
    error. ValueError for a floor that is not a finite number >= 0.
    """
    from pso_env.config import check_real

    error_floor = check_real(0.0)("error_floor", error_floor)
    grouped: dict[str, dict[str, list[Mapping[str, Any]]]] = {}
    for row in rows:
        grouped.setdefault(row["function"], {}).setdefault(row["algorithm"], []).append(row)
    measure = {function: "error" if all(r.get("error") is not None for rs in by_algo.values() for r in rs)
               else "best_value" for function, by_algo in grouped.items()}
    values = {function: {algo: np.array([float(r[measure[function]]) for r in sorted(rs, key=lambda r: int(r["seed"]))])
                         for algo, rs in by_algo.items()} for function, by_algo in grouped.items()}
    if error_floor > 0:
        values = {function: {algo: np.where(x < error_floor, 0.0, x) if measure[function] == "error" else x
                             for algo, x in by_algo.items()} for function, by_algo in values.items()}
    return values, measure


def describe(values: Sequence[float] | np.ndarray) -> dict[str, float]:
    """``n``, ``mean``, ``std`` (sample, ddof=1; 0 for one value), ``best``, ``median``, ``worst``."""
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return {"n": 0, **dict.fromkeys(("mean", "std", "best", "median", "worst"), math.nan)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # inf - inf in the variance of diverged runs
        std = float(np.std(x, ddof=1)) if x.size > 1 else 0.0
    return {"n": int(x.size), "mean": float(np.mean(x)), "std": std, "best": float(np.min(x)),
            "median": float(np.median(x)), "worst": float(np.max(x))}


def _welch(a: np.ndarray, b: np.ndarray) -> tuple[float, bool]:
    if a.size < 2 or b.size < 2:
        return math.nan, False
    return stats.ttest_ind(a, b, equal_var=False).pvalue, bool(np.mean(a) < np.mean(b))


def _rank_sum(a: np.ndarray, b: np.ndarray) -> tuple[float, bool]:
    if a.size == 0 or b.size == 0 or np.isnan(a).any() or np.isnan(b).any():
        return math.nan, False
    if np.unique(np.concatenate([a, b])).size == 1:
        return 1.0, False  # all values equal: no evidence either way
    result = stats.mannwhitneyu(a, b, alternative="two-sided")
    return result.pvalue, float(result.statistic) < a.size * b.size / 2  # the reference's U below its null mean


def _test_code(test: Any, reference: Sequence[float], other: Sequence[float], alpha: float) -> tuple[int, float]:
    """``test(a, b) -> (pvalue, reference lower)`` as a code (see the module docstring) and its p-value."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # constant or nearly constant samples
        pvalue, lower = test(np.asarray(reference, dtype=float), np.asarray(other, dtype=float))
    pvalue = float(pvalue)
    return (0 if not math.isfinite(pvalue) or pvalue >= alpha else 1 if lower else -1), pvalue


def t_test_code(reference: Sequence[float], other: Sequence[float], alpha: float = ALPHA) -> tuple[int, float]:
    """Two-sided Welch t-test of ``reference`` against ``other`` (lower is better): the code and p-value.

    The code is 0 also when the test is undefined (fewer than two values each, both samples constant
    and equal, non-finite values); the p-value is then nan.
    """
    return _test_code(_welch, reference, other, alpha)


def rank_sum_code(reference: Sequence[float], other: Sequence[float], alpha: float = ALPHA) -> tuple[int, float]:
    """Two-sided Wilcoxon rank-sum (Mann-Whitney U, tie-corrected) test: the code and p-value.

    The p-value is nan when the test is undefined (an empty sample or non-comparable values) and 1 when
    all values are equal.
    """
    return _test_code(_rank_sum, reference, other, alpha)


@dataclass(frozen=True)
class Comparison:
    """The reference against one algorithm on one function (codes as in the module docstring)."""

    t_test: int
    t_pvalue: float
    rank_sum: int
    rank_sum_pvalue: float


def compare_to_reference(values: Values, reference: str, alpha: float = ALPHA) -> dict[tuple[str, str], Comparison]:
    """``(function, algorithm) -> Comparison`` of ``reference`` against every other algorithm on every
    function where both ran (:func:`final_values` output)."""
    return {(function, algo): Comparison(*t_test_code(by_algo[reference], other, alpha),
                                         *rank_sum_code(by_algo[reference], other, alpha))
            for function, by_algo in values.items() if reference in by_algo
            for algo, other in by_algo.items() if algo != reference}


def average_ranks(values: Values, algorithms: Sequence[str] | None = None) -> dict[str, float]:
    """Average over functions of each algorithm's rank by mean final value (1 = best; ties averaged).

    ``values`` is :func:`final_values` output; ``algorithms`` default to every one present. Only functions
    where every algorithm has values count (all ranks nan when there is none); a nan mean ranks last.
    """
    if algorithms is None:
        algorithms = sorted({a for by_algo in values.values() for a in by_algo})
    ranks: list[np.ndarray] = []
    for by_algo in values.values():
        if not all(a in by_algo and by_algo[a].size for a in algorithms):
            continue
        means = np.array([np.mean(by_algo[a]) for a in algorithms], dtype=float)
        means = np.where(np.isnan(means), np.inf, means)
        ranks.append(stats.rankdata(means, method="average"))
    if not ranks:
        return {a: math.nan for a in algorithms}
    return {a: float(r) for a, r in zip(algorithms, np.mean(ranks, axis=0))}


def summary_rows(rows: Sequence[Mapping[str, Any]], reference: str | None = None,
                 algorithms: Sequence[str] | None = None, functions: Sequence[str] | None = None,
                 alpha: float = ALPHA, error_floor: float = 0.0) -> list[dict[str, Any]]:
    """One summary per (function, algorithm) of ``runs.csv`` rows: :func:`describe` of the final values,
    ``measure``, ``cpu_seconds_mean`` and the :class:`Comparison` fields against ``reference`` (None for the
    reference itself). ``algorithms`` and ``functions`` select and order the output (default: all, by name);
    ``error_floor`` as in :func:`final_values`, and a floored cell's ``measure`` says so
    (``"error (below 1e-08 as 0)"``), so that a floored summary is never mistaken for a raw one.
    """
    values, measure = final_values(rows, error_floor)
    algorithms = list(algorithms or sorted({r["algorithm"] for r in rows}, key=str.lower))
    functions = list(functions or sorted({r["function"] for r in rows}, key=str.lower))
    comparisons = compare_to_reference(values, reference, alpha) if reference else {}
    cpu: dict[tuple[str, str], list[float]] = {}
    for row in rows:
        cpu.setdefault((row["function"], row["algorithm"]), []).append(float(row["cpu_seconds"]))
    none = dict.fromkeys(f.name for f in fields(Comparison))
    if error_floor > 0:
        measure = {f: f"error (below {error_floor:g} as 0)" if m == "error" else m for f, m in measure.items()}
    return [{"function": function, "algorithm": algo, "measure": measure[function], **describe(values[function][algo]),
             "cpu_seconds_mean": float(np.mean(cpu[(function, algo)])),
             **(asdict(comparisons[(function, algo)]) if (function, algo) in comparisons else none)}
            for function in functions for algo in algorithms if algo in values.get(function, {})]
