"""The cost of the elitist action and of a fixed evaluation budget, side by side in one process.

1. ``PSOVectorEnv`` with continuous actions and the features observation (the shipped es controller's setting:
   N = 20, D = 10, 999-iteration episodes, B = 96 sub-environments on rastrigin): plain continuous actions
   (``elitist=False``), the elitist switch present but off in every row (4th component -1) and on in every row
   (+1: :func:`pso_env.operators.elitist_learning`, one more evaluation per sub-environment and step), and on with
   ``max_evaluations`` = 20,000 (progress and sigma on the evaluation clock; no episode reaches it in these steps).
   Reported: microseconds per vector step (best of the interleaved repeats) and the ratio to the plain env.
2. ``evaluation.runner.run`` of plain PSO and of LinWPSO (N = 20, D = 10, 999 iterations, rastrigin) without a
   budget and with ``max_evaluations`` = N (T + 1) (the cap that cuts nothing: its bookkeeping, and LinWPSO's
   schedule on the evaluation clock, alone) and = 15,000 (a quarter cut). Reported: milliseconds per run (best
   of the repeats) and the ratio to the same rule's uncapped run.

Run: .venv/bin/python perf/elitist_budget.py [--repeats 5] [--steps 300]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from agents.baselines import make_rule
from agents.controller import RuleController
from benchmarks_fn import get_function
from evaluation.runner import run
from pso_env import PSOVectorEnv

ENV = {"function": "rastrigin", "dim": 10, "swarm_size": 20, "max_iterations": 999, "obs_mode": "features",
       "action_mode": "continuous"}
B = 96


def vector_us_per_step(env: PSOVectorEnv, switch: float | None, steps: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    actions = rng.uniform(-1.0, 1.0, (steps, B, env.single_action_space.shape[0])).astype(np.float32)
    if switch is not None:
        actions[:, :, 3] = switch
    env.reset(seed=seed)
    env.step(actions[0])  # warm-up
    t0 = time.perf_counter()
    for a in actions:
        env.step(a)
    return (time.perf_counter() - t0) / steps * 1e6


def run_ms(case: tuple[str, int | None], seed: int) -> float:
    rule, max_evaluations = case
    function = get_function("rastrigin", 10)
    t0 = time.perf_counter()
    run(RuleController(make_rule(rule), trace=False), function, swarm_size=20, iterations=999, seed=seed,
        max_evaluations=max_evaluations)
    return (time.perf_counter() - t0) * 1e3


def best_of(cases: dict[Any, Any], measure: Callable[[Any, int], float], repeats: int) -> dict[Any, float]:
    """The lowest of ``repeats`` interleaved measurements ``measure(case, repeat)`` of each case."""
    times: dict[Any, list[float]] = {k: [] for k in cases}
    for r in range(repeats):
        for name, case in cases.items():
            times[name].append(measure(case, r))
    return {k: min(t) for k, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="interleaved runs of each, best kept (default 5)")
    parser.add_argument("--steps", type=int, default=300, help="vector steps per run (default 300)")
    args = parser.parse_args()

    envs = {"continuous (no switch)": (PSOVectorEnv(B, **ENV), None),
            "elitist switch, off": (PSOVectorEnv(B, elitist=True, **ENV), -1.0),
            "elitist switch, on": (PSOVectorEnv(B, elitist=True, **ENV), 1.0),
            "on, max_evaluations": (PSOVectorEnv(B, elitist=True, max_evaluations=20_000, **ENV), 1.0)}
    us = best_of(envs, lambda case, r: vector_us_per_step(*case, args.steps, r), args.repeats)
    print(f"1. PSOVectorEnv, B = {B}, N = 20, D = 10, features, {args.steps} steps, best of {args.repeats}")
    print(f"{'actions':28s} {'us / vector step':>17s} {'us / sub-env step':>18s} {'ratio':>6s}")
    for name, t in us.items():
        print(f"{name:28s} {t:17.0f} {t / B:18.1f} {t / us['continuous (no switch)']:6.2f}")

    budgets = {"no budget": None, "max_evaluations = 20,000 (no cut)": 20_000, "max_evaluations = 15,000": 15_000}
    cases = {(rule, name): (rule, b) for rule in ("PSO", "LinWPSO") for name, b in budgets.items()}
    run_ms(("LinWPSO", 20_000), 0)  # warm-up (numba kernels)
    ms = best_of(cases, run_ms, args.repeats)
    print(f"\n2. evaluation.runner.run, N = 20, D = 10, 999 iterations, best of {args.repeats}")
    print(f"{'rule':8s} {'budget':36s} {'ms / run':>9s} {'ratio':>6s}")
    for (rule, name), t in ms.items():
        print(f"{rule:8s} {name:36s} {t:9.1f} {t / ms[rule, 'no budget']:6.2f}")


if __name__ == "__main__":
    main()
