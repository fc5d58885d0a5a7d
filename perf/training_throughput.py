"""Training throughput of SB3 DQN and our DQN on PSOControl, with 1 and 16 environments, side by side.

Environment steps per second with learning included (paper setup: N = 30, D = 30, Rastrigin and
Sphere, 1000-iteration episodes, Viterbi observation, log reward; the default DQN settings of
``agents.make_model``: train every 4 steps, batch 64). One environment is ``PSOEnv``; 16 are the batched
``PSOVectorEnv`` (our DQN) or its SB3 adapter (SB3).

Run: .venv/bin/python perf/training_throughput.py [--steps 6000]
"""

from __future__ import annotations

import argparse
import time

from agents import make_model
from pso_env import PSOEnv, PSOVectorEnv, make_sb3_vec_env

KW = {"function": ["rastrigin", "sphere"], "dim": 30, "swarm_size": 30, "max_iterations": 1000, "reward_mode": "log"}


def make_env(algo: str, n_envs: int):
    if algo == "custom-dqn":
        return PSOEnv(**KW) if n_envs == 1 else PSOVectorEnv(num_envs=n_envs, **KW)
    if n_envs == 1:
        from stable_baselines3.common.env_util import make_vec_env

        return make_vec_env(PSOEnv, n_envs=1, seed=0, env_kwargs=KW)
    return make_sb3_vec_env(n_envs, seed=0, **KW)


def throughput(algo: str, n_envs: int, steps: int) -> float:
    model = make_model(algo, make_env(algo, n_envs), seed=0, learning_starts=500)
    model.learn(500)  # warm-up: imports, first allocations, learning starts
    t0 = time.perf_counter()
    model.learn(steps, reset_num_timesteps=False)
    return steps / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=6000, help="timed environment steps per row (default 6000)")
    args = parser.parse_args()
    rows = [(algo, n) for n in (1, 16) for algo in ("custom-dqn", "dqn")]
    results = {row: throughput(*row, args.steps) for row in rows}
    print(f"PSOControl N=30 D=30, {args.steps} timed steps per row, learning included")
    print(f"{'algorithm':12s} {'envs':>5s} {'steps/s':>9s} {'vs SB3 DQN, same envs':>22s}")
    for (algo, n), sps in results.items():
        print(f"{algo:12s} {n:5d} {sps:9.0f} {sps / results[('dqn', n)]:22.2f}")


if __name__ == "__main__":
    main()
