"""Vector-environment throughput: PSOVectorEnv against SyncVectorEnv of PSOEnv, side by side in one process.

Paper setup (rastrigin, N = 30, D = 30, 1000 iterations per episode, obs_mode "viterbi", reward
"improvement"), random actions. At B = 1, 16, 256 sub-environments, each vector environment runs
``--work`` sub-environment steps (B * T, T >= 200 so that every run holds two refit intervals;
episodes end and autoreset along the way); belief, observation,
reward, infos and resets are included. Reported: sub-environment steps per second (best of the
interleaved repeats) and the ratio PSOVectorEnv / SyncVectorEnv, with the HMM refits off and at the
tracker's default refit interval (100; batched Baum-Welch refits in PSOVectorEnv, one tracker per
sub-environment in SyncVectorEnv).

Run: .venv/bin/python perf/vector_env.py [--repeats 3] [--work 6400]
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import numpy as np

from pso_env import PSOEnv
from pso_env.belief import DEFAULT_REFIT_EVERY
from pso_env.vector import PSOVectorEnv

KWARGS = {"function": "rastrigin", "dim": 30, "swarm_size": 30, "max_iterations": 1000}
#: At least two refit intervals per run, so that the refit cost is in every figure.
MIN_STEPS = 2 * DEFAULT_REFIT_EVERY


def make_vector(b: int, refit: int) -> gym.vector.VectorEnv:
    return PSOVectorEnv(b, hmm_refit_every=refit, **KWARGS)


def make_sync(b: int, refit: int) -> gym.vector.VectorEnv:
    return gym.vector.SyncVectorEnv([lambda: PSOEnv(hmm_refit_every=refit, **KWARGS) for _ in range(b)])


def steps_per_second(env: gym.vector.VectorEnv, b: int, work: int, seed: int) -> float:
    steps = max(MIN_STEPS, work // b)
    actions = np.random.default_rng(seed).integers(0, 4, (steps, b))
    env.reset(seed=seed)
    env.step(actions[0])  # warm-up
    t0 = time.perf_counter()
    for a in actions:
        env.step(a)
    return steps * b / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="interleaved runs of each, best kept (default 3)")
    parser.add_argument("--work", type=int, default=6400, help="sub-environment steps per run (default 6400)")
    args = parser.parse_args()
    print(f"rastrigin N=30 D=30, {KWARGS['max_iterations']} iterations per episode, obs viterbi; "
          f"{args.work} sub-env steps per run, best of {args.repeats}")
    print(f"{'refit':>7s} {'B':>5s} {'vector steps/s':>15s} {'sync steps/s':>13s} {'vector/sync':>12s} "
          f"{'vector us/step':>15s} {'sync us/step':>13s}")
    for refit in (0, DEFAULT_REFIT_EVERY):
        for b in (1, 16, 256):
            envs = {"vector": make_vector(b, refit), "sync": make_sync(b, refit)}
            rates: dict[str, list[float]] = {k: [] for k in envs}
            for r in range(args.repeats):
                for name, env in envs.items():
                    rates[name].append(steps_per_second(env, b, args.work, r))
            v, s = max(rates["vector"]), max(rates["sync"])
            print(f"{refit or 'off':>7} {b:5d} {v:15.0f} {s:13.0f} {v / s:12.2f} {1e6 / v:15.1f} {1e6 / s:13.1f}",
                  flush=True)
            for env in envs.values():
                env.close()


if __name__ == "__main__":
    main()
