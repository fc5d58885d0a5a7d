"""Wall time of the figures that every ``evaluate.py`` report draws: the convergence figures
(``evaluation.report.plot_convergence``) and the two ECDF figures (``evaluation.report.plot_anytime``).

A synthetic store shaped like issue 13's held-out table: 16 functions, 3 algorithms, 5 runs, 21 checkpoints, errors
falling from about 1e4 to 1e-6 at rates that differ by algorithm and function (log axes of 2 to 10 decades). One
call of plot_convergence writes 16 per-function figures and the panel figure of all 16; one of plot_anytime writes
the runtime and the fixed-budget ECDF (panels: all functions, unimodal, multimodal) from the same runs, taken as
traces of 21 evaluation counts. Minimum over repeats, wall seconds (matplotlib's Agg backend, one thread). To compare
two versions, run it with each on ``PYTHONPATH`` (a git worktree) and alternate.

Run: .venv/bin/python perf/report_figures.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np

from evaluation.report import plot_anytime, plot_convergence


def synthetic_curves(functions: int = 16, algorithms: int = 3, runs: int = 5, checkpoints: int = 21) -> dict:
    """``(algorithm, function, seed) -> {"curve", "checkpoint_every", "optimum"}`` as ``evaluation.storage`` loads."""
    rng = np.random.default_rng(0)
    steps = np.arange(checkpoints)
    curves = {}
    for f in range(functions):
        for a in range(algorithms):
            rate = 0.1 + 0.45 * (f % 5) / 4 + 0.05 * a
            for s in range(runs):
                curve = 1e4 * 10 ** (-rate * steps) * rng.uniform(0.5, 2.0)
                curves[(f"algorithm-{a}", f"f{f}", s)] = {"curve": list(np.maximum(curve, 1e-6)),
                                                          "checkpoint_every": 50, "optimum": 0.0}
    return curves


def synthetic_traces(curves: dict, dim: int = 10) -> dict:
    """``(algorithm, function) -> [(evaluations, errors, budget, dim), ...]`` as ``anytime_traces`` makes them: each
    curve's checkpoints taken at 20 evaluations an iteration, 1,000 iterations, budget 20,000."""
    traces: dict = {}
    for (a, f, _), entry in sorted(curves.items()):
        errors = np.asarray(entry["curve"])
        evaluations = 20.0 * (1 + np.arange(errors.size) * entry["checkpoint_every"])
        traces.setdefault((a, f), []).append((evaluations, errors, 20000.0, dim))
    return traces


def _best(call, repeats: int) -> float:
    call()  # warm: imports, font cache
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    curves = synthetic_curves()
    algorithms = sorted({a for a, _, _ in curves})
    functions = sorted({f for _, f, _ in curves}, key=lambda name: int(name[1:]))
    # the ECDF panels group functions by name (tags in brackets ignored): half unimodal, half multimodal
    named = {f: ("sphere" if i % 2 == 0 else "rastrigin") + f"[{i}]" for i, f in enumerate(functions)}
    traces = {(a, named[f]): t for (a, f), t in synthetic_traces(curves).items()}
    with tempfile.TemporaryDirectory() as out:
        best = _best(lambda: plot_convergence(curves, algorithms, functions, 1000, out), args.repeats)
        print(f"plot_convergence, {len(functions)} functions x {len(algorithms)} algorithms (17 figures): "
              f"{best:.2f} s ({best / (len(functions) + 1):.3f} s per figure), minimum of {args.repeats}")
        best = _best(lambda: plot_anytime(traces, algorithms, list(named.values()), 20000.0, out), args.repeats)
        print(f"plot_anytime, the same runs (2 figures of 3 panels): {best:.2f} s, minimum of {args.repeats}")


if __name__ == "__main__":
    main()
