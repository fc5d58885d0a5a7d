"""Cost of recording a run's improvements and of ioh's IOHprofiler logger, side by side in one process.

Rastrigin (ours, through ``ioh.wrap_problem``) and BBOB f15 (ioh's own problem), N = 30, D = 30, 300
iterations of the PSO rule. Rows: a bare swarm on the function; the same swarm on
:class:`evaluation.anytime.Tracked` (what every run now does: improvements at their evaluation counts);
and on ``Tracked`` with ``ioh_dir`` (``evaluate.py --ioh-log``: ``ioh.logger.Analyzer``, every
improvement, full precision). Rows are interleaved and the fastest of the repeats is kept; the script
prints microseconds per iteration and per evaluation and each row's ratio to the bare swarm.

Run: .venv/bin/python perf/anytime_logging.py [--repeats 7] [--iterations 300]
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np

from benchmarks_fn import get_function
from evaluation.anytime import Tracked
from pso_env import Swarm

N, D = 30, 30


def _time(function: object, iterations: int) -> float:
    swarm = Swarm(function, N, np.random.default_rng(0))
    start = time.perf_counter()
    for _ in range(iterations):
        swarm.step(0.7298, 1.49618, 1.49618)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="repeats of each row, the fastest is kept")
    parser.add_argument("--iterations", type=int, default=300, help="iterations per repeat")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        for name in ("rastrigin", "bbob:f15"):
            function = get_function(name, D)
            rows = {"bare swarm": lambda fn=function: fn, "Tracked (every run)": lambda fn=function: Tracked(fn),
                    "Tracked + ioh Analyzer (--ioh-log)":
                        lambda fn=function: Tracked(fn, ioh_dir=root, algorithm="PSO")}
            best = dict.fromkeys(rows, np.inf)
            _time(function, 5)  # compile and warm
            for _ in range(args.repeats):
                for row, make in rows.items():
                    wrapped = make()
                    best[row] = min(best[row], _time(wrapped, args.iterations))
                    if isinstance(wrapped, Tracked):
                        wrapped.close()
            print(f"\n{name}, N = {N}, D = {D}, {args.iterations} iterations, fastest of {args.repeats}")
            for row, seconds in best.items():
                per_iteration = seconds / args.iterations * 1e6
                print(f"  {row:36s} {per_iteration:8.1f} us/iteration {per_iteration / N:7.2f} us/evaluation "
                      f"{seconds / best['bare swarm']:6.2f}x")


if __name__ == "__main__":
    main()
