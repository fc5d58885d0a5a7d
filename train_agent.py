"""Train a controller that sets PSO's parameters (PSOControl), with checkpoints and resume.

Examples
--------
    .venv/bin/python train_agent.py                                   # the defaults: our DQN, 4 to 8 minutes
    .venv/bin/python train_agent.py --algo ppo --n-envs 4 --out runs/ppo
    .venv/bin/python train_agent.py --out runs/ppo --resume           # continue it: settings from run.json
    .venv/bin/python train_agent.py --out runs/ppo --resume --timesteps 400000   # ... with a larger budget
    .venv/bin/python train_agent.py --seeds 0,1,2 --grid obs_mode=viterbi,features --executor ray --out runs/sweep
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import NoReturn


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
    sweep = p.add_argument_group("sweeps", "several runs, each in its own folder of --out (default runs/<algo>-sweep) "
                                 "with its own checkpoints; --resume continues them; sweep.csv ranks them")
    sweep.add_argument("--seeds", type=_seeds, default=None, help="comma-separated seeds, one run each (instead of --seed)")
    sweep.add_argument("--grid", action="append", default=[], metavar="FIELD=V1,V2",
                       help="also vary this setting (a field of the options above, e.g. obs_mode=viterbi,features "
                       "or reward_mode=log,improvement): one run per combination and seed; repeatable")
    sweep.add_argument("--executor", choices=("local", "ray"), default="local",
                       help="where the runs train: local worker processes (--jobs), or ray: each run a Ray task "
                       "(pip install -e \".[distributed]\"); --out must be on storage every node can write")
    sweep.add_argument("--address", default=argparse.SUPPRESS,
                       help="with --executor ray: the cluster to join (default: the one `ray start --head` started "
                       "on this machine, else a local Ray instance)")
    sweep.add_argument("--jobs", type=_positive, default=1, help="worker processes of a local sweep")
    return p


def _seeds(text: str) -> list[int]:
    """An argparse type: comma-separated distinct seeds >= 0."""
    try:
        seeds = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be comma-separated integers, got {text!r}") from None
    if not seeds or min(seeds) < 0 or len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"must be distinct integers >= 0, got {text!r}")
    return seeds


def _positive(text: str) -> int:
    """An argparse type: an integer >= 1."""
    from pso_env.config import check_int, option_type

    return option_type(int, "value", check_int(1))(text)


def _grid(parser: argparse.ArgumentParser, items: list[str]) -> dict[str, list]:
    """``--grid FIELD=V1,V2`` options as {field: values}, each value parsed like the field's own option."""
    actions = {a.dest: a for a in parser._actions}
    grid: dict[str, list] = {}
    for item in items:
        name, _, values = item.partition("=")
        name = name.strip().removeprefix("--").replace("-", "_")
        action = actions.get(name)
        if not values or action is None or name in ("seed", "out", "resume", "no_progress", "seeds", "grid",
                                                    "executor", "address", "jobs"):
            parser.error(f"--grid: {item!r} must be FIELD=V1,V2 with FIELD a training setting other than seed")
        convert = action.type or (lambda t: {"true": True, "false": False}[t.lower()])
        try:
            grid[name] = [convert(v.strip()) for v in values.split(",")]
        except (argparse.ArgumentTypeError, KeyError, ValueError) as err:
            parser.error(f"--grid: {name}: {err or 'booleans are true or false'}")
        if action.choices is not None and not set(grid[name]) <= set(action.choices):
            parser.error(f"--grid: {name}: values must be among {', '.join(map(str, action.choices))}")
    return grid


def _usage_error(parser: argparse.ArgumentParser, err: ValueError) -> NoReturn:
    """Exit with ``err`` as a usage error, named by the option, not the field ("functions: ..." -> "--functions:
    ...")."""
    from agents.training import TrainConfig

    name = str(err).split(":")[0].split(" ")[0]
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    parser.error(TrainConfig.option(name) + str(err)[len(name):] if name in fields else str(err))


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
    if args.seeds is not None or args.grid:
        return _sweep(parser, args, argv)
    for option, unset in (("executor", args.executor == "local"), ("address", not hasattr(args, "address")),
                          ("jobs", args.jobs == 1)):
        if not unset:
            parser.error(f"--{option}: a sweep option; give --seeds or --grid")
    out = args.out or f"runs/{args.algo}-seed{args.seed}"
    try:
        if args.resume:
            given = _given(argv)
            config = TrainConfig.resumed(out, {k: v for k, v in field_values(TrainConfig, args).items() if k in given})
        else:
            config = TrainConfig(**field_values(TrainConfig, args))
        trainer = Trainer(config, out, resume=args.resume, progress_bar=not args.no_progress)
    except ValueError as err:
        _usage_error(parser, err)
    try:
        try:
            trainer.build()  # the hyperparameters' values are checked here, before anything is written
        except ValueError as err:
            _usage_error(parser, err)
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


def _sweep(parser: argparse.ArgumentParser, args: argparse.Namespace, argv: list[str] | None) -> int:
    """Train every run of a sweep (checked, all of them, before the first starts) through an executor of
    :mod:`evaluation.executors`; write ``sweep.csv`` and name the best run."""
    from agents.training import TrainConfig, Trainer, check_model, sweep_runs, train_run, write_sweep_summary
    from evaluation.executors import LocalPool, RayExecutor, import_ray
    from pso_env.config import field_values

    if hasattr(args, "address") and args.executor != "ray":
        parser.error("--address: needs --executor ray")
    if args.executor == "ray":
        try:
            import_ray()
        except ImportError as exc:
            parser.exit(2, f"{parser.prog}: error: --executor ray: {exc}\n")
    grid = _grid(parser, args.grid)
    out = args.out or f"runs/{args.algo}-sweep"
    given = _given(argv)
    values = field_values(TrainConfig, args)
    try:
        runs = sweep_runs(TrainConfig(**values), out, args.seeds or [args.seed], grid)
        tasks, checked = [], set()
        for path, config in runs:
            resume = args.resume and (path / "run.json").is_file()
            if resume:  # the settings it was made with, as for one run
                changes = {k: v for k, v in values.items() if k in given} | {k: getattr(config, k) for k in (*grid, "seed")}
                config = TrainConfig.resumed(path, changes)
            Trainer(config, path, resume=resume)  # checks the folder
            point = json.dumps({**config.to_dict(), "seed": 0}, sort_keys=True)
            if not resume and point not in checked:  # the hyperparameters' values, once per grid point
                check_model(config)
                checked.add(point)
            tasks.append((train_run, config.to_dict(), str(path), args.resume))
    except ValueError as err:
        _usage_error(parser, err)
    executor = RayExecutor(getattr(args, "address", None)) if args.executor == "ray" else LocalPool(args.jobs)
    rows: list[dict] = []
    settings = {path.name: {k: getattr(config, k) for k in grid} for path, config in runs}

    def store(row: dict) -> None:
        rows.append({**row, **settings[row["run"]]})
        print(f"{row['run']}: {row['steps']} steps, best held-out score {row['held_out_score']:.3f}", flush=True)

    print(f"{len(tasks)} training runs into {out}/", flush=True)
    try:
        executor.run(tasks, warm=([], []), store=store)
    except KeyboardInterrupt:
        print(f"interrupted: {len(rows)} of {len(tasks)} runs finished in {out}, the others saved at their newest "
              f"checkpoints; the same command with --resume continues them", file=sys.stderr)
        return 130
    summary = write_sweep_summary(out, rows, list(grid))
    best = min(rows, key=lambda r: (r["held_out_score"], r["run"]))
    print(f"sweep summary: {summary}; best run {Path(out) / best['run']} (held-out score {best['held_out_score']:.3f}: "
          "mean log10 final error, lower is better)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # while loading torch, before anything is written
        print("interrupted before training started: nothing saved", file=sys.stderr)
        sys.exit(130)
