"""Cost of one environment step against one bare swarm iteration, side by side in one process.

Paper setup: Rastrigin, N = 30, D = 30, 1000 iterations. The bare iteration is ``Swarm.step`` alone;
an environment step adds the action, the evolutionary factor, the belief update, the observation, the
reward and the info dict. Each observation mode is measured with refits off and with the tracker's
default refit interval.

Run: .venv/bin/python perf/env_step_overhead.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from benchmarks_fn import get_function
from pso_env import OBS_MODES, PSOEnv, Swarm
from pso_env.config import DEFAULT_REFIT_EVERY

N, D, ITERS = 30, 30, 1000


def bare(seed: int) -> float:
    swarm = Swarm(get_function("rastrigin", D), N, np.random.default_rng(seed))
    t0 = time.perf_counter()
    for _ in range(ITERS):
        swarm.step(0.7, 2.0, 2.0)
    return (time.perf_counter() - t0) / ITERS


def env_steps(seed: int, obs_mode: str, refit: int | None) -> float:
    kwargs = {} if refit is None else {"hmm_refit_every": refit}
    env = PSOEnv(function="rastrigin", dim=D, swarm_size=N, max_iterations=ITERS, obs_mode=obs_mode, **kwargs)
    env.reset(seed=seed)
    actions = np.random.default_rng(seed).integers(0, 4, ITERS).tolist()
    step = env.step
    t0 = time.perf_counter()
    for a in actions:
        step(a)
    return (time.perf_counter() - t0) / ITERS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs of each, the minimum is kept (default 3)")
    args = parser.parse_args()
    default_refit = DEFAULT_REFIT_EVERY
    configs = [(m, 0) for m in OBS_MODES] + [(m, None) for m in OBS_MODES]
    times = {"bare swarm iteration": []} | {c: [] for c in configs}
    for r in range(args.repeats):  # interleaved, so that machine noise hits every row alike
        times["bare swarm iteration"].append(bare(r))
        for mode, refit in configs:
            times[(mode, refit)].append(env_steps(r, mode, refit))
    base = min(times["bare swarm iteration"])
    print(f"Rastrigin N={N} D={D}, {ITERS} steps, {args.repeats} runs each (min); default refit_every={default_refit}")
    print(f"{'what':34s} {'us/step':>9s} {'x bare':>7s}")
    for key, ts in times.items():
        label = key if isinstance(key, str) else f"env step {key[0]}, refit {'default' if key[1] is None else 'off'}"
        print(f"{label:34s} {min(ts) * 1e6:9.1f} {min(ts) / base:7.2f}")


if __name__ == "__main__":
    main()
