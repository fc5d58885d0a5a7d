"""Train a controller that sets PSO's parameters (PSOControl), with checkpoints and resume.

Examples
--------
    .venv/bin/python train_agent.py                                   # the defaults: our DQN, 4 to 8 minutes
    .venv/bin/python train_agent.py --algo ppo --n-envs 4 --out runs/ppo
    .venv/bin/python train_agent.py --out runs/ppo --algo ppo --n-envs 4 --resume   # continue a run
"""

from __future__ import annotations

import argparse
import sys

from agents.models import ALGORITHMS
from agents.training import TrainConfig, Trainer
from pso_env import OBS_MODES, REWARD_MODES


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    d = TrainConfig()
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--algo", choices=ALGORITHMS, default=d.algo,
                   help="custom-dqn is our DQN with the paper's 4-32-4 Q-network; dqn/ppo/a2c are "
                        "Stable-Baselines3's; qrdqn and recurrent_ppo need sb3-contrib")
    p.add_argument("--functions", default=d.functions,
                   help="training functions: comma-separated names or suites (paper, bbob, cec2022)")
    p.add_argument("--held-out", default=d.held_out,
                   help="functions never trained on, scored during training to pick best_model ('' for none)")
    p.add_argument("--dim", type=int, default=d.dim, help="dimension D of the functions (Drop-wave is always 2)")
    p.add_argument("--swarm-size", type=int, default=d.swarm_size, help="particles N")
    p.add_argument("--iterations", type=int, default=d.iterations, help="PSO iterations per episode")
    p.add_argument("--obs-mode", choices=OBS_MODES, default=d.obs_mode, help="observation of the agent")
    p.add_argument("--reward-mode", choices=REWARD_MODES, default=d.reward_mode,
                   help="reward: the paper's raw improvement, or the scale-free log / relative forms")
    p.add_argument("--timesteps", type=int, default=d.timesteps, help="environment steps to train for")
    p.add_argument("--n-envs", type=int, default=d.n_envs, help="environments stepped together")
    p.add_argument("--seed", type=int, default=d.seed, help="seed of the model and the environments")
    p.add_argument("--shift", action="store_true", help="train on CEC-style shifted functions (fresh each episode)")
    p.add_argument("--rotate", action="store_true", help="train on CEC-style rotated functions (fresh each episode)")
    p.add_argument("--checkpoint-every", type=int, default=d.checkpoint_every, help="steps between checkpoints")
    p.add_argument("--eval-every", type=int, default=d.eval_every, help="steps between held-out evaluations")
    p.add_argument("--out", default=None, help="run directory (default: runs/<algo>-seed<seed>)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its newest checkpoint")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    config = TrainConfig(
        algo=args.algo, functions=args.functions, held_out=args.held_out, dim=args.dim, swarm_size=args.swarm_size,
        iterations=args.iterations, obs_mode=args.obs_mode, reward_mode=args.reward_mode, timesteps=args.timesteps,
        n_envs=args.n_envs, seed=args.seed, shift=args.shift, rotate=args.rotate,
        checkpoint_every=args.checkpoint_every, eval_every=args.eval_every,
    )
    out = args.out or f"runs/{args.algo}-seed{args.seed}"
    try:
        trainer = Trainer(config, out, resume=args.resume, progress_bar=not args.no_progress)
    except ValueError as err:
        print(f"train_agent.py: error: {err}", file=sys.stderr)
        return 2
    trainer.run()
    print(f"model, best_model, checkpoints and logs in {out}/ (best held-out score {trainer.best_score:.3f}: "
          "mean log10 final error, lower is better)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
