"""Wall time of a full DQNPSO run (the pretrained controller acting every iteration) against plain PSO.

Paper setup: Rastrigin, N = 30, D = 30, 1000 iterations. Rows: the plain PSO variant (constant
parameters, ``agents.run_variant("PSO")``), the pretrained controller through the environment
(``agents.run_policy``; evolutionary factor, HMM, observation and a Q-network forward pass each
iteration), and online DQNPSO (the controller also learns: one gradient step per iteration).
Target of the issue: the pretrained run at most 1.5x the plain run.

Each run is timed by wall clock and by the CPU time of this thread (``time.thread_time``: everything
runs in it, with the thread limits of ``evaluation.pool.single_threaded``); the minimum over interleaved
repeats is kept (so numba compilation and torch loading never count).

A second table (skipped with ``--no-ablation``) splits the controller's overhead: loops of 1000
iterations with the controller's parameters (action 3 every iteration, what the shipped controller
does), adding one part at a time: the action and ``Swarm.step``; + the evolutionary factor; + the
belief tracker (default refits); the environment's whole ``step``; ``run_policy`` (policy and trace).

Run: .venv/bin/python perf/dqnpso_vs_pso.py [--repeats 5] [--no-ablation]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from agents import OnlineDQNController, load_pretrained, run_policy, run_variant
from benchmarks_fn import get_function
from evaluation import run as run_controller
from evaluation.pool import single_threaded
from pso_env import PSOEnv, Swarm
from pso_env.actions import ActionConfig, apply_actions
from pso_env.belief import Belief

FUNCTION = get_function("rastrigin", 30)


def _loop(seed: int, factor: bool, belief: bool) -> None:
    """1000 iterations of action 3 and ``Swarm.step``, optionally with the factor and the belief."""
    swarm, belief = Swarm(FUNCTION, 30, np.random.default_rng(seed)), Belief(1)
    rng, config = np.random.default_rng(seed), ActionConfig()
    w, c1, c2, f = np.full(1, config.w_max), np.full(1, 2.0), np.full(1, 2.0), np.zeros(1)
    action = np.full(1, 3)
    for _ in range(1000):
        w, c1, c2 = apply_actions(action, w, c1, c2, f, rng.random((2, 1)), config)
        swarm.step(w, c1, c2)
        if factor:
            f = swarm.evolutionary_factor()
        if belief:
            belief.update(f)


def _env_loop(seed: int) -> None:
    env = PSOEnv(function=FUNCTION)
    env.reset(seed=seed)
    done = False
    while not done:
        *_, terminated, truncated, _ = env.step(3)
        done = terminated or truncated


def timed(runs: dict[str, Callable[[int], object]], repeats: int) -> tuple[dict, dict]:
    """Minimum wall and thread-CPU seconds of each run over ``repeats`` interleaved seeds."""
    wall: dict[str, list[float]] = {k: [] for k in runs}
    cpu: dict[str, list[float]] = {k: [] for k in runs}
    for s in range(repeats):  # interleaved, so that machine noise hits every row alike
        for key, run in runs.items():
            t0, c0 = time.perf_counter(), time.thread_time()
            run(s)
            cpu[key].append(time.thread_time() - c0)
            wall[key].append(time.perf_counter() - t0)
    return {k: min(v) for k, v in wall.items()}, {k: min(v) for k, v in cpu.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs of each, the minimum is kept (default 5)")
    parser.add_argument("--no-ablation", action="store_true", help="skip the table that splits the overhead")
    args = parser.parse_args()
    with single_threaded():
        _report(args)


def _report(args: argparse.Namespace) -> None:
    policy = load_pretrained(name="dqnpso")
    runs = {
        "plain PSO (run_variant)": lambda s: run_variant("PSO", FUNCTION, seed=s, trace=False),
        "DQNPSO pretrained (run_policy)": lambda s: run_policy(policy, FUNCTION, seed=s),
        "DQNPSO online (learning)": lambda s: run_controller(OnlineDQNController(), FUNCTION, seed=s),
    }
    wall, cpu = timed(runs, args.repeats)
    base_wall, base_cpu = wall["plain PSO (run_variant)"], cpu["plain PSO (run_variant)"]
    print(f"Rastrigin N=30 D=30, 1000 iterations, {args.repeats} runs each (minima)")
    print(f"{'run':32s} {'wall s':>8s} {'x plain':>8s} {'CPU s':>8s} {'x plain':>8s}")
    for key in runs:
        print(f"{key:32s} {wall[key]:8.3f} {wall[key] / base_wall:8.2f} {cpu[key]:8.3f} {cpu[key] / base_cpu:8.2f}")
    if args.no_ablation:
        return
    parts = {
        "action + Swarm.step": lambda s: _loop(s, False, False),
        "+ evolutionary factor": lambda s: _loop(s, True, False),
        "+ belief (default refits)": lambda s: _loop(s, True, True),
        "PSOEnv.step (action 3)": _env_loop,
        "run_policy (+ policy, trace)": lambda s: run_policy(policy, FUNCTION, seed=s),
    }
    _, cpu = timed(parts, max(args.repeats, 12))
    print(f"\nwhere the controller's time goes: CPU us per iteration, min of {max(args.repeats, 12)} runs")
    print(f"{'loop':32s} {'us/it':>8s} {'added':>8s}")
    previous = None
    for key, seconds in cpu.items():
        us = seconds * 1e3  # 1000 iterations: ms per run = us per iteration
        added = "" if previous is None else f"{us - previous:8.1f}"
        print(f"{key:32s} {us:8.1f} {added:>8s}")
        previous = us

if __name__ == "__main__":
    main()
