"""Train a controller that sets PSO's parameters (PSOControl), with checkpoints and resume.

Examples
--------
    .venv/bin/python train_agent.py                                   # the defaults: our DQN, 4 to 8 minutes
    .venv/bin/python train_agent.py --algo ppo --n-envs 4 --out runs/ppo
    .venv/bin/python train_agent.py --out runs/ppo --resume           # continue it: settings from run.json
    .venv/bin/python train_agent.py --out runs/ppo --resume --timesteps 400000   # ... with a larger budget
"""

from __future__ import annotations

import argparse
import dataclasses
import sys


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Adds the default to an option's help once, and not to options without one."""

    def _get_help_string(self, action: argparse.Action) -> str:
        if action.default is None or "%(default)" in (action.help or ""):
            return action.help or ""
        return super()._get_help_string(action)


def build_parser() -> argparse.ArgumentParser:
    """The command line: one option per :class:`agents.training.TrainConfig` field (each checked by the
    parser with the field's own check), plus the run's place."""
    from agents.training import TrainConfig  # loads torch and Stable-Baselines3: seconds
    from pso_env.config import add_field_arguments

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=_HelpFormatter)
    add_field_arguments(p, TrainConfig)
    p.add_argument("--out", default=None, help="run directory (default: runs/<algo>-seed<seed>)")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in --out from its newest checkpoint, with the settings of its run.json "
                   "(options given must agree with them, apart from --timesteps, --checkpoint-every, --eval-every)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return p


def _given(argv: list[str] | None) -> set[str]:
    """The destinations of the options the command line sets (parsed again with every default suppressed)."""
    parser = build_parser()
    for action in parser._actions:
        action.default = argparse.SUPPRESS
    return set(vars(parser.parse_args(argv)))


def main(argv: list[str] | None = None) -> int:
    """Train (or resume); usage errors exit with status 2, Ctrl-C with 130 after saying what is saved."""
    from agents.training import TrainConfig, Trainer
    from pso_env.config import field_values

    parser = build_parser()
    args = parser.parse_args(argv)
    out = args.out or f"runs/{args.algo}-seed{args.seed}"
    try:
        if args.resume:
            given = _given(argv)
            config = TrainConfig.resumed(out, {k: v for k, v in field_values(TrainConfig, args).items() if k in given})
        else:
            config = TrainConfig(**field_values(TrainConfig, args))
        trainer = Trainer(config, out, resume=args.resume, progress_bar=not args.no_progress)
    except ValueError as err:  # named by the option, not the field: "functions: ..." -> "--functions: ..."
        name = str(err).split(":")[0].split(" ")[0]
        fields = {f.name for f in dataclasses.fields(TrainConfig)}
        parser.error(TrainConfig.option(name) + str(err)[len(name):] if name in fields else str(err))
    try:
        trainer.run()
    except KeyboardInterrupt:
        saved = trainer.saved_steps()
        if saved:
            print(f"interrupted at step {trainer.steps}: {saved} steps saved in {out} (newest checkpoint); "
                  f"`train_agent.py --out {out} --resume` continues from there", file=sys.stderr)
        else:
            print(f"interrupted at step {trainer.steps}, before the first checkpoint: no steps saved; the same "
                  "command (without --resume) starts over", file=sys.stderr)
        return 130
    scored = "held-out" if config.held_out else "training-function"  # --held-out '': scored on training functions
    print(f"model, best_model, checkpoints and logs in {out}/ (best {scored} score {trainer.best_score:.3f}: "
          "mean log10 final error, lower is better)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # while loading torch, before anything is written
        print("interrupted before training started: nothing saved", file=sys.stderr)
        sys.exit(130)
