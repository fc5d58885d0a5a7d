"""Compare learned PSO controllers with hand-designed PSO variants, as in the DQNPSO paper's section 4.

Runs every algorithm on every function with seeds 0 .. runs-1 into --out (by default a directory
named after the settings, e.g. results/paper-d30-n30-i1000), then writes summary.csv, report.md and
figures there and prints each algorithm's average rank and t-test counts. Runs are stored as they
finish: after Ctrl-C or a kill the same command continues where it stopped.

Examples
--------
    .venv/bin/python evaluate.py                                 # the default comparison
    .venv/bin/python evaluate.py --algorithms pretrained,APSO,cmaes --functions sphere,rastrigin
    .venv/bin/python evaluate.py --algorithms agent:runs/dqn,static:0123 --reference agent:dqn
    .venv/bin/python evaluate.py --executor ray --address HEAD:6379   # each run a task on a Ray cluster
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from evaluation.registry import DEFAULT_ALGORITHMS
from evaluation.storage import DEFAULT_CHECKPOINT_EVERY

#: Seeds per algorithm and function of the default evaluation: the paper's 10.
DEFAULT_RUNS = 10


def _int_at_least(minimum: int, maximum: int | None = None) -> Any:
    """An argparse type: an integer in [``minimum``, ``maximum``], checked before anything is written."""
    from pso_env.config import check_int, option_type

    return option_type(int, "value", check_int(minimum, maximum))


def _real_at_least(minimum: float) -> Any:
    """An argparse type: a real number >= ``minimum``, checked before anything is written."""
    from pso_env.config import check_real, option_type

    return option_type(float, "value", check_real(minimum))


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser (every option shows its default in ``--help``)."""
    parser = argparse.ArgumentParser(
        prog="evaluate.py", description=__doc__.split("\n\n")[0] + " " + __doc__.split("\n\n")[1].replace("\n", " "),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument(
        "--algorithms", default=",".join(DEFAULT_ALGORITHMS),
        help="comma-separated algorithms: PSO variants (PSO, LinWPSO, RandWPSO, SAPSO, LnCPSO, AsyLnCPSO, "
        "YSPSO, CLSPSO, SelPSO, SecPSO, APSO, HMM-APSO, EMPSO, MPSO, HGPSO, HGPSO-success, HGPSO-state; "
        "case-insensitive), cmaes, random-search, "
        "pretrained (the shipped es controller), dqnpso-pretrained (the paper's DQNPSO network), dqnpso-online "
        "(DQNPSO learning during the run, "
        "warm-started from the DQNPSO network), agent:PATH (a train_agent.py --out directory), "
        "constant-obs:X, schedule-only:X and constant-particle:X (ablations of an es controller X: pretrained or "
        "agent:PATH; constant-particle: of a per-particle one), hold:NAME:X (X with the one input NAME, e.g. "
        "diversity, held at its training mean), dimension-factors:X and particle-factors:X (an "
        "agent X run with r1, r2 drawn per dimension or one per particle; for an agent trained with --random-factors "
        "action, its choice fixed for every particle), range-step:X (an agent trained with --elitist-step vote run "
        "with APSO's elitist step), "
        "random-policy, static:ABCD (action A..D for each of the four Viterbi states, digits 0-3), "
        "static:all (all 256 of them)")
    parser.add_argument("--functions", default="paper", help="comma-separated function or suite names: paper, "
                        "bbob, cec2022, sphere, rastrigin, bbob:f15, nn:digits-mlp, ...; tuning:digits-mlp-table, "
                        "tuning:digits-mlp (architecture tuning, D = 3, the table's f* known, the live one's not); NAME@D builds "
                        "NAME at D instead of --dim (sphere@5)")
    parser.add_argument("--shift", action="store_true", help="shift the paper functions' optimum (seed 0)")
    parser.add_argument("--rotate", action="store_true", help="rotate the paper functions (seed 0)")
    parser.add_argument("--instance", type=_int_at_least(1), default=1, metavar="I",
                        help="BBOB instance of the BBOB functions (bbob:fN, bbob-exact:fN, bbob, metabox-train, "
                        "metabox-validation, metabox-test): ioh's, COCO's shift, rotation and optimum number I; another instance is "
                        "another function with the same name, so a store holds one (settings.json records it where "
                        "it is not 1; the default --out gets -inst<I>)")
    parser.add_argument("--dim", type=_int_at_least(1), default=30,
                        help="dimension D (drop-wave is always 2; a network loss, nn:..., has its own)")
    parser.add_argument("--swarm-size", type=_int_at_least(2), default=30, help="particles N per swarm")
    parser.add_argument("--iterations", type=_int_at_least(1), default=1000, help="iterations per run")
    parser.add_argument("--max-evaluations", type=_int_at_least(1), default=argparse.SUPPRESS, metavar="B",
                        help="fixed budget: every run stops once it has made B function evaluations and is scored by "
                        "the best of its first B (as MetaBox and COCO compare), so methods that evaluate more than "
                        "--swarm-size points per iteration (APSO's elitist learning, a controller's trained with "
                        "--elitist or --elitist-always, CLSPSO's local search) get no more evaluations than the "
                        "others; schedules and controllers plan for B (they follow the evaluations spent / B), "
                        "--iterations is only a cap and must let a run spend B: --swarm-size x (--iterations + 1) >= B "
                        "(default: no cap, --iterations alone ends a run)")
    parser.add_argument("--runs", type=_int_at_least(1, 10_000), default=DEFAULT_RUNS,
                        help="runs (seeds 0..runs-1) per algorithm and function (the paper's 10; at most 10,000)")
    parser.add_argument("--reference", default=argparse.SUPPRESS,
                        help="algorithm the t-test and rank-sum test compare every other algorithm against; "
                        "must be one of --algorithms (default: the first of --algorithms)")
    parser.add_argument("--error-floor", type=_real_at_least(0.0), default=0.0, metavar="E",
                        help="count errors below E as 0 in the report's final-value tables, ranks and tests and in "
                        "summary.csv (the CEC competitions' convention is 1e-8, BBOB's finest target); the anytime "
                        "views, the figures and runs.csv keep every error, so a later run of the same command with "
                        "another E only rewrites the report")
    parser.add_argument("--jobs", type=_int_at_least(1), default=2, help="worker processes (--executor local)")
    parser.add_argument("--executor", choices=("local", "ray"), default="local",
                        help="where the runs execute: local worker processes (--jobs), or ray: each run a Ray task "
                        "on the cluster of --address, results stored here as they finish (needs the distributed "
                        "extra: pip install -e \".[distributed]\")")
    parser.add_argument("--address", default=argparse.SUPPRESS,
                        help="with --executor ray: the Ray cluster to join (HOST:6379, auto, ray://HOST:10001); "
                        "default: the cluster started on this machine by `ray start --head`, else a local Ray "
                        "instance for this command")
    parser.add_argument(
        "--out", default=argparse.SUPPRESS,
        help="output directory: settings.json, runs.csv, curves.jsonl.gz, summary.csv, report.md, *.png; "
        "runs already stored there are kept; one that holds other settings, or runs of a learned controller "
        "(agent:PATH, pretrained, ...) made with another model than this one (agents.json), is refused (default: "
        "results/<functions>-d<dim>-n<swarm size>-i<iterations>, then -shift, -rotate, -inst<instance>, "
        "-c<checkpoint spacing>, -e<max evaluations> where set)")
    parser.add_argument("--checkpoint-every", type=_int_at_least(1), default=DEFAULT_CHECKPOINT_EVERY,
                        help="spacing of the stored curves in iterations")
    parser.add_argument("--ioh-log", action="store_true",
                        help="also log every run made now in IOHprofiler's format (ioh's Analyzer logger, every "
                        "improvement at its evaluation count) into <out>/ioh, one folder per algorithm, for "
                        "IOHanalyzer; a PSO run on our functions takes 2.6-2.8x as long (BENCHMARKS.md)")
    parser.add_argument("--include", action="append", default=[], metavar="DIR",
                        help="also report the runs of another output directory of the same settings (repeatable), "
                        "for example a peer's (peers/metabox/run_pretrained.py): its runs that --out lacks are "
                        "first copied into --out (evaluation.storage.merge); its algorithms join the report's "
                        "tables after ours, on our functions and seeds")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation; usage errors exit with status 2 and a message on stderr."""
    parser = build_parser()
    args = parser.parse_args(argv)
    out = None
    try:
        algorithms, functions, reference, out = _check(parser, args)
        return _evaluate(args, algorithms, functions, reference, out)
    except KeyboardInterrupt:
        from evaluation.storage import load_results

        if out is None:
            print("interrupted before any run: nothing saved", file=sys.stderr)
        else:
            saved = len(load_results(out)[0])
            print(f"interrupted: {saved} runs saved in {out}; the same command resumes from there", file=sys.stderr)
        return 130


def _check(parser: argparse.ArgumentParser, args: argparse.Namespace) -> tuple[list, list, str, Path]:
    """Algorithms, functions, reference and output directory, all checked before anything is written."""
    from benchmarks_fn import resolve_functions
    from benchmarks_fn.suites import InstanceError

    if getattr(args, "address", None) is not None and args.executor != "ray":
        parser.error("--address: needs --executor ray")
    if args.executor == "ray":
        from evaluation.executors import import_ray

        try:
            import_ray()
        except ImportError as exc:  # one line, no usage: the command is right, the installation is not
            parser.exit(2, f"{parser.prog}: error: --executor ray: {exc}\n")
    try:  # functions first: cheap to check, while algorithms may load networks
        functions = resolve_functions(args.functions, args.dim, shift=args.shift, rotate=args.rotate,
                                      instance=args.instance)
    except ValueError as exc:
        if isinstance(exc, InstanceError):
            parser.error(f"--instance: {str(exc).removeprefix('instance ')}")
        parser.error(f"--functions: {str(exc).removeprefix('functions: ')}")  # one prefix: the option
    from evaluation.registry import model_paths, resolve_algorithm, resolve_algorithms
    from evaluation.storage import (
        check_agents,
        check_dims,
        check_include,
        check_settings,
        check_unique_functions,
        default_out_dir,
        protocol_settings,
    )

    try:
        check_unique_functions([f.name for f in functions])
    except ValueError as exc:
        parser.error(f"--functions: {str(exc).removeprefix('functions: ')}")
    try:
        algorithms = resolve_algorithms(args.algorithms)
    except ValueError as exc:
        parser.error(f"--algorithms: {exc}")
    names = [a.name for a in algorithms]
    try:
        given = getattr(args, "reference", None)
        reference = names[0] if given is None else resolve_algorithm(given, check=False).name
    except ValueError as exc:
        parser.error(f"--reference: {exc}")
    if reference not in names:
        parser.error(f"--reference: {reference} is not one of --algorithms ({', '.join(names)})")
    if getattr(args, "max_evaluations", None) is not None:
        from evaluation.runner import check_run_settings

        try:
            check_run_settings(args.swarm_size, args.iterations, args.checkpoint_every, min_swarm=1,
                               max_evaluations=args.max_evaluations)
        except ValueError as exc:
            parser.error(f"--max-evaluations: {exc}")
    settings = protocol_settings(swarm_size=args.swarm_size, iterations=args.iterations, dim=args.dim,
                                 checkpoint_every=args.checkpoint_every, shift=args.shift, rotate=args.rotate,
                                 max_evaluations=getattr(args, "max_evaluations", None), instance=args.instance)
    out = Path(getattr(args, "out", None) or default_out_dir(args.functions, settings))
    dims = {f.name: f.dim for f in functions}
    try:
        check_settings(out, settings)
        check_dims(out, dims)
        agents = check_agents(out, model_paths(algorithms))
    except ValueError as exc:
        parser.error(f"--out: {exc}")
    try:  # before any run, not after them
        for src in args.include:
            check_dims(src, dims)
        check_include(out, args.include, settings, agents, running=set(names))
    except ValueError as exc:
        parser.error(f"--include: {exc}")
    return algorithms, functions, reference, out


def _evaluate(args: argparse.Namespace, algorithms: list, functions: list, reference: str, out: Path) -> int:
    from evaluation.executors import LocalPool, RayExecutor
    from evaluation.protocol import run_protocol
    from evaluation.report import console_summary, write_report

    print(f"{len(algorithms)} algorithms x {len(functions)} functions x {args.runs} runs into {out}", flush=True)
    result = run_protocol(algorithms, functions, runs=args.runs, swarm_size=args.swarm_size,
                          iterations=args.iterations, dim=args.dim, out_dir=out, jobs=args.jobs,
                          checkpoint_every=args.checkpoint_every, shift=args.shift, rotate=args.rotate,
                          progress=not args.no_progress, ioh_log=out / "ioh" if args.ioh_log else None,
                          max_evaluations=getattr(args, "max_evaluations", None), instance=args.instance,
                          executor=RayExecutor(getattr(args, "address", None)) if args.executor == "ray" else LocalPool(args.jobs))
    names = list(result.algorithms)
    if args.include:
        from evaluation.storage import load_results, merge

        for peer, added in merge(result.out_dir, args.include).items():
            print(f"{added} runs merged from {peer}")
        names += sorted({r["algorithm"] for peer in args.include for r in load_results(peer)[0]} - set(names),
                        key=str.lower)
    tables = {"reference": reference, "algorithms": names, "functions": result.functions}
    report = write_report(result.out_dir, runs=args.runs, error_floor=args.error_floor, **tables)
    print(console_summary(result.out_dir, **tables))
    print(f"\n{result.done_now} runs made, {result.done_before} found in {result.out_dir}")
    print(f"report (full tables, figures): {report}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # while importing, before anything is written
        print("interrupted before any run: nothing saved", file=sys.stderr)
        sys.exit(130)
