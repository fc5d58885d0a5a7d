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

from agents.training import TrainConfig, Trainer


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Adds the default to an option's help once, and not to options without one."""

    def _get_help_string(self, action: argparse.Action) -> str:
        if action.default is None or "%(default)" in (action.help or ""):
            return action.help or ""
        return super()._get_help_string(action)


def build_parser() -> argparse.ArgumentParser:
    """The command line: one option per :class:`agents.training.TrainConfig` field, plus the run's place."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=_HelpFormatter)
    TrainConfig.add_arguments(p)
    p.add_argument("--out", default=None, help="run directory (default: runs/<algo>-seed<seed>)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its newest checkpoint")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return p


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    return build_parser().parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = args.out or f"runs/{args.algo}-seed{args.seed}"
    try:
        config = TrainConfig.from_namespace(args)
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
