"""Wall time of the convergence figures that every ``evaluate.py`` report draws (``evaluation.report.plot_convergence``).

A synthetic store shaped like issue 13's held-out table: 16 functions, 3 algorithms, 5 runs, 21 checkpoints, errors
falling from about 1e4 to 1e-6 at rates that differ by algorithm and function (log axes of 2 to 10 decades). One
call writes 16 per-function figures and the panel figure of all 16. Minimum over repeats, wall seconds (matplotlib's
Agg backend, one thread). To compare two versions, run it with each on ``PYTHONPATH`` (a git worktree) and alternate.

Run: .venv/bin/python perf/report_figures.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np

from evaluation.report import plot_convergence


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    curves = synthetic_curves()
    algorithms = sorted({a for a, _, _ in curves})
    functions = sorted({f for _, f, _ in curves}, key=lambda name: int(name[1:]))
    best = float("inf")
    with tempfile.TemporaryDirectory() as out:
        plot_convergence(curves, algorithms, functions, 1000, out)  # warm: imports, font cache
        for _ in range(args.repeats):
            start = time.perf_counter()
            plot_convergence(curves, algorithms, functions, 1000, out)
            best = min(best, time.perf_counter() - start)
    print(f"plot_convergence, {len(functions)} functions x {len(algorithms)} algorithms (17 figures): "
          f"{best:.2f} s ({best / (len(functions) + 1):.3f} s per figure), minimum of {args.repeats}")


if __name__ == "__main__":
    main()
