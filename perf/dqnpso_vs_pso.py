"""Wall time of a full DQNPSO run (the pretrained controller acting every iteration) against plain PSO.

Paper setup: Rastrigin, N = 30, D = 30, 1000 iterations. Rows: the plain PSO variant (constant
parameters, ``agents.run_variant("PSO")``), the pretrained controller through the environment
(``agents.run_policy``; evolutionary factor, HMM, observation and a Q-network forward pass each
iteration), and online DQNPSO (the controller also learns: one gradient step per iteration).
Target of the issue: the pretrained run at most 1.5x the plain run.

Each run is timed by wall clock and by the CPU time of this thread (``time.thread_time``: everything
runs in it, torch with one thread); the minimum over interleaved repeats is kept. On a shared virtual
machine the CPU time is the steadier of the two (it leaves out time stolen by other guests).

Run: .venv/bin/python perf/dqnpso_vs_pso.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import time

import torch

from agents import load_pretrained, run_dqnpso_online, run_policy, run_variant
from benchmarks_fn import get_function


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs of each, the minimum is kept (default 5)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    fn = get_function("rastrigin", 30)
    policy = load_pretrained()
    runs = {
        "plain PSO (run_variant)": lambda s: run_variant("PSO", fn, seed=s, trace=False),
        "DQNPSO pretrained (run_policy)": lambda s: run_policy(policy, fn, seed=s),
        "DQNPSO online (learning)": lambda s: run_dqnpso_online(fn, seed=s),
    }
    wall: dict[str, list[float]] = {k: [] for k in runs}
    cpu: dict[str, list[float]] = {k: [] for k in runs}
    for s in range(args.repeats):  # interleaved, so that machine noise hits every row alike
        for key, run in runs.items():
            t0, c0 = time.perf_counter(), time.thread_time()
            run(s)
            cpu[key].append(time.thread_time() - c0)
            wall[key].append(time.perf_counter() - t0)
    base_wall, base_cpu = min(wall["plain PSO (run_variant)"]), min(cpu["plain PSO (run_variant)"])
    print(f"Rastrigin N=30 D=30, 1000 iterations, {args.repeats} runs each (minima)")
    print(f"{'run':32s} {'wall s':>8s} {'x plain':>8s} {'CPU s':>8s} {'x plain':>8s}")
    for key in runs:
        w, c = min(wall[key]), min(cpu[key])
        print(f"{key:32s} {w:8.3f} {w / base_wall:8.2f} {c:8.3f} {c / base_cpu:8.2f}")


if __name__ == "__main__":
    main()
