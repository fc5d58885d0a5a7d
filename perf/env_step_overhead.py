"""Cost of one environment step against one bare swarm iteration, side by side in one process.

Paper setup: Rastrigin, N = 30, D = 30. The bare iteration is ``Swarm.step`` alone; an environment step
adds the action, the evolutionary factor, the belief update, the observation, the reward and the info
dict. Each observation mode is measured with refits off and with the tracker's default refit interval; then
per-particle control (particle observations and actions) against the features observation with continuous actions,
both with refits off and driven alike (each particle's row is the continuous action: the same run, bit for bit), so
that their difference is the per-particle bookkeeping alone;
blocks of every row are interleaved and the fastest block is kept, so that machine noise hits every row
alike. The last rows time the bare iteration with coefficients that change every step (as the env's do),
the evolutionary factor and the belief update alone (all inside every step).

Run: .venv/bin/python perf/env_step_overhead.py [--repeats 20] [--block 200]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from benchmarks_fn import get_function
from pso_env import OBS_MODES, PSOEnv, Swarm
from pso_env.config import DEFAULT_REFIT_EVERY

N, D = 30, 30


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20, help="blocks of each row, the fastest is kept (default 20)")
    parser.add_argument("--block", type=int, default=200, help="steps per block (default 200)")
    args = parser.parse_args()
    steps = args.repeats * args.block + 1
    swarm = Swarm(get_function("rastrigin", D), N, np.random.default_rng(0))
    envs = {}
    for refit in (0, DEFAULT_REFIT_EVERY):
        for mode in OBS_MODES:
            env = PSOEnv(function="rastrigin", dim=D, swarm_size=N, max_iterations=steps, obs_mode=mode,
                         hmm_refit_every=refit)
            env.reset(seed=0)
            envs[f"env step {mode}, refit {'off' if refit == 0 else refit}"] = env
    paired = {}
    for obs_mode, action_mode in (("features", "continuous"), ("particle", "particle")):
        env = PSOEnv(function="rastrigin", dim=D, swarm_size=N, max_iterations=steps, obs_mode=obs_mode,
                     action_mode=action_mode, hmm_refit_every=0)
        env.reset(seed=0)
        paired[f"env step {obs_mode} obs + {action_mode} actions, refit off"] = env
    core = envs["env step viterbi, refit off"]._core
    rows = {"bare swarm iteration": lambda a: swarm.step(0.7, 2.0, 2.0)}
    rows |= {name: env.step for name, env in envs.items()}
    rows |= {name: env.step for name, env in paired.items()}
    varying = Swarm(get_function("rastrigin", D), N, np.random.default_rng(0))
    coefs = np.random.default_rng(1).uniform((0.4, 1.5, 1.5), (0.9, 2.5, 2.5), (args.block, 3)).tolist()
    rows |= {"  bare, coefficients changing": lambda a: varying.step(*coefs[a]),
             "  evolutionary factor alone": lambda a: core.swarm.evolutionary_factor(),
             "  belief update alone (refit off)": lambda a: core.belief.update(core.f)}
    # what each row's function is called with: the env steps their actions, the others the step index
    inputs = dict.fromkeys(rows, range(args.block))
    inputs |= dict.fromkeys(envs, np.random.default_rng(0).integers(0, 4, args.block).tolist())
    continuous = np.random.default_rng(2).uniform(-1, 1, (args.block, 3))
    inputs["env step features obs + continuous actions, refit off"] = list(continuous)
    inputs["env step particle obs + particle actions, refit off"] = [np.tile(a, (N, 1)) for a in continuous]
    best = dict.fromkeys(rows, np.inf)
    for _ in range(args.repeats):
        for name, fn in rows.items():
            t0 = time.perf_counter()
            for a in inputs[name]:
                fn(a)
            best[name] = min(best[name], (time.perf_counter() - t0) / args.block)
    base = best["bare swarm iteration"]
    print(f"Rastrigin N={N} D={D}, fastest of {args.repeats} interleaved blocks of {args.block} steps")
    print(f"{'what':54s} {'us/step':>9s} {'x bare':>7s}")
    for name, t in best.items():
        print(f"{name:54s} {t * 1e6:9.1f} {t / base:7.2f}")


if __name__ == "__main__":
    main()
