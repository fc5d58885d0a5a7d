"""MetaBox's pretrained learned PSO optimizers and its hand-designed PSO baselines on our BBOB instances.

Run with the peer virtual environment (README.md here), never with the project's ``.venv``::

    /work/peers-venvs/metabox/bin/python peers/metabox/run_pretrained.py --out /work/peer-runs/metabox-ioh
    /work/peers-venvs/metabox/bin/python peers/metabox/run_pretrained.py --check --project-python .venv/bin/python
    /work/peers-venvs/metabox/bin/python peers/metabox/run_pretrained.py --check-tester

Methods (MetaBox's own names; ``metaevobox`` 2.0.2): the agents pretrained on MetaBox's BBOB-10D "difficult"
training split that ``metaevobox/model/bbob-10D/difficult/*.pkl`` ships, each with its own optimizer class
(GLEET, RLEPSO, RLPSO, NRLPSO, QLPSO), and the hand-designed baselines GLPSO (GL-PSO) and SDMSPSO (sDMS-PSO).
Each run is what MetaBox's ``Tester`` does in its "Serial" mode: a deep copy of the agent rolls out one
episode of ``PBO_Env(problem, Optimizer(config))`` (``agent.rollout_episode(env, seed, {})``), a baseline
runs ``optimizer.run_episode(problem)``; numpy's global generator, torch, Python's ``random`` and the
optimizer's own generators are seeded with the run's seed first. The budget is MetaBox's ``config.maxFEs``
for bbob-10D (20,000 evaluations). ``--check-tester`` replays MetaBox's own ``Tester`` to show that these
runs are its runs. The value stored is the best of every point evaluated (as ioh and COCO count), which for
GLPSO can be below the gbest MetaBox logs (its exemplars' evaluations never enter that gbest).

Problems (``--instances``): ``ioh`` (default) are the instances our controllers see: ioh's BBOB problems
(instance 1, D = 10, box [-5, 5], values including f*) wrapped as MetaBox problems (:class:`IOHProblem`);
``metabox`` are MetaBox's own test instances (``BBOB_Dataset.get_datasets("bbob-10D", 5,
difficulty="difficult", instance_seed=3849)``), with f* = ``problem.optimum``. Either way the optimizers
see MetaBox's cost ``value - optimum`` (as in MetaBox) and every evaluation passes through our
``evaluation.anytime.Tracked``, so that the stored curve and improvements are exact.

Output (``--out``), in the format of ``evaluate.py`` (``evaluation.storage``, whose functions write it):
``settings.json`` as ``evaluate.py --functions metabox-test --dim 10 --swarm-size 20 --iterations 999``
writes it (``--max-evaluations 20000`` in both for a fixed budget: then a run's record counts its first 20,000
evaluations only, as ``evaluation.records.make_record`` caps ours) (with ``--instances metabox`` one more entry, ``instances``, so that those runs never merge with
ours), ``runs.csv`` (algorithms ``MetaBox:<name>``, functions ``bbob:f<k>``) and ``curves.jsonl.gz``: the
best-so-far value at iteration t meaning 20 (t + 1) evaluations, every 10 iterations, and every improvement
at its evaluation count. Runs already stored are skipped; each run is appended as it ends. ``metabox.json``
records the versions, the model files' SHA-256 and the runs per method asked for.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import math
import os
import random
import subprocess
import sys
import time
import warnings
from pathlib import Path
from types import SimpleNamespace
from typing import Any

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core per process, before numpy and torch load

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np

#: The learned optimizers: MetaBox's agent (``model/bbob-10D/difficult/<name>.pkl``) and optimizer class names.
AGENTS = {"GLEET": "GLEET_Optimizer", "RLEPSO": "RLEPSO_Optimizer", "RLPSO": "RLPSO_Optimizer",
          "NRLPSO": "NRLPSO_Optimizer", "QLPSO": "QLPSO_Optimizer"}
#: The hand-designed PSO baselines (``metaevobox.baseline.bbo``).
BASELINES = ("GLPSO", "SDMSPSO")
#: Default order: the cheapest first, so that an interrupted run has the most cells.
DEFAULT_METHODS = ("GLPSO", "SDMSPSO", "RLEPSO", "GLEET", "QLPSO", "RLPSO", "NRLPSO")
PREFIX = "MetaBox:"
DIM = 10
BOUND = 5.0
#: ioh's BBOB instance our controllers see.
IOH_INSTANCE = 1
METABOX_INSTANCE_SEED = 3849


def _metaevobox() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import metaevobox
    return metaevobox


def _quiet_import_gym() -> None:
    """gym 0.26 prints a deprecation notice to stderr on import; metaevobox imports it."""
    import contextlib
    import io

    with contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import gym  # noqa: F401


# ----------------------------------------------------------------------------------------------- problems
def _basic_problem() -> type:
    from metaevobox.environment.problem.basic_problem import Basic_Problem

    return Basic_Problem


def make_ioh_problem(fid: int, instance: int = IOH_INSTANCE, dim: int = DIM) -> Any:
    """ioh's BBOB problem ``fid`` (instance, dim) as a MetaBox problem (:class:`IOHProblem`)."""
    return _ioh_problem_class()(fid, instance, dim)


_CLASSES: dict[str, type] = {}


def _ioh_problem_class() -> type:
    if "ioh" in _CLASSES:
        return _CLASSES["ioh"]
    import ioh

    class IOHProblem(_basic_problem()):
        """ioh's BBOB function ``fid``, instance ``instance``, as a MetaBox problem: ``eval(X)`` of shape
        (n, dim) -> n values including f* (ioh's, no penalty beyond the function's own), scalar bounds
        ``lb = -5``, ``ub = 5`` like MetaBox's BBOB problems, ``optimum`` = ioh's f*."""

        def __init__(self, fid: int, instance: int, dim: int) -> None:
            self.fid, self.instance, self.dim = int(fid), int(instance), int(dim)
            self._problem = ioh.get_problem(self.fid, self.instance, self.dim, ioh.ProblemClass.BBOB)
            self.lb, self.ub = -BOUND, BOUND
            self.optimum = float(self._problem.optimum.y)
            self.opt = np.asarray(self._problem.optimum.x, dtype=float)
            self.FES = 0
            self.T1 = 0

        def func(self, x: np.ndarray) -> np.ndarray:
            self.FES += x.shape[0]
            return np.asarray(self._problem(np.ascontiguousarray(x, dtype=np.float64)), dtype=np.float64)

        def reset(self) -> None:
            super().reset()
            self.FES = 0
            self._problem.reset()

        def __str__(self) -> str:
            return f"bbob:f{self.fid}"

        def __getstate__(self) -> dict[str, Any]:  # pybind11 objects cannot be pickled or deep-copied
            return {k: v for k, v in self.__dict__.items() if k != "_problem"}

        def __setstate__(self, state: dict[str, Any]) -> None:
            self.__dict__.update(state)
            self._problem = ioh.get_problem(self.fid, self.instance, self.dim, ioh.ProblemClass.BBOB)

    _CLASSES["ioh"] = IOHProblem
    return IOHProblem


def tracked_problem(inner: Any, name: str) -> Any:
    """``inner`` (a MetaBox problem) with every evaluation recorded by our ``evaluation.anytime.Tracked``:
    ``.tracked.evaluations``, ``.tracked.best``, ``.tracked.improvements``; ``.nonfinite`` counts NaN/inf values,
    ``.outside`` the points with a coordinate outside [lb, ub], ``.best_outside`` whether the best one is such."""
    if "tracked" not in _CLASSES:
        class TrackedProblem(_basic_problem()):
            """A MetaBox problem that passes every point to ``inner.eval`` through ``Tracked``."""

            def __init__(self, inner: Any, name: str) -> None:
                from evaluation.anytime import Tracked

                self.inner, self.name = inner, name
                self.dim, self.lb, self.ub, self.optimum = inner.dim, inner.lb, inner.ub, inner.optimum
                self.nonfinite = self.outside = 0
                self.best_outside = False
                self.tracked = Tracked(SimpleNamespace(name=name, dim=inner.dim, evaluate=self._values))
                self.T1 = 0

            def _values(self, X: np.ndarray) -> np.ndarray:
                X = np.asarray(X, dtype=np.float64)
                values = np.asarray(self.inner.eval(X), dtype=np.float64)
                finite = np.isfinite(values)
                self.nonfinite += int(np.count_nonzero(~finite))
                outside = np.any((X < self.lb) | (X > self.ub), axis=1)
                self.outside += int(np.count_nonzero(outside))
                i = int(np.argmin(np.where(finite, values, np.inf)))
                if finite[i] and values[i] < self.tracked.best:  # Tracked takes it as the new best
                    self.best_outside = bool(outside[i])
                return values

            def func(self, x: np.ndarray) -> np.ndarray:  # Basic_Problem.eval: 1-D, 2-D, N-D points, timed
                return self.tracked.evaluate(x)

            def reset(self) -> None:
                super().reset()
                self.inner.reset()

            def __str__(self) -> str:
                return self.name

        _CLASSES["tracked"] = TrackedProblem
    return _CLASSES["tracked"](inner, name)


def metabox_instances() -> dict[int, Any]:
    """MetaBox's own BBOB-10D instances (training and test sides of "difficult") by function number."""
    from metaevobox.environment.problem.SOO.COCO_BBOB.bbob_dataset import BBOB_Dataset

    train, test = BBOB_Dataset.get_datasets("bbob-10D", BOUND, difficulty="difficult",
                                            instance_seed=METABOX_INSTANCE_SEED)
    return {int(type(p).__name__[1:]): p for p in [*train.data, *test.data]}


# ----------------------------------------------------------------------------------------------- methods
def metabox_config(max_fes: int | None = None) -> Any:
    """MetaBox's test configuration for bbob-10D "difficult" (``metaevobox.config``; ``maxFEs`` 20,000)."""
    import torch
    from metaevobox.config import get_config, init_config

    config = get_config([])  # its argparse defaults, not this script's command line
    config.train_problem = config.test_problem = "bbob-10D"
    config.train_difficulty = config.test_difficulty = "difficult"
    config.test_parallel_mode = "Serial"
    config = init_config(config)
    if max_fes is not None:  # the warm-up only
        config.maxFEs, config.log_interval = max_fes, max(1, max_fes // config.n_logpoint)
    torch.set_default_dtype(torch.float64)  # as metaevobox.config.Config and its test units do
    return config


def model_path(name: str) -> Path:
    return Path(_metaevobox().__file__).parent / "model" / "bbob-10D" / "difficult" / f"{name}.pkl"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Method:
    """One MetaBox method: ``run(problem, seed, config)`` makes one episode on ``problem``."""

    def __init__(self, name: str) -> None:
        import pickle

        _metaevobox()
        self.name = name
        if name in AGENTS:
            from metaevobox.environment import optimizer as optimizers

            self.optimizer_class = getattr(optimizers, AGENTS[name])
            with open(model_path(name), "rb") as f:
                self.agent = pickle.load(f)
            self.agent.config.full_meta_data = False  # as metaevobox.tester.get_baseline sets it
        elif name in BASELINES:
            from metaevobox.baseline import bbo

            self.optimizer_class = getattr(bbo, name)
            self.agent = None
        else:
            raise ValueError(f"unknown method {name!r}; one of {', '.join(DEFAULT_METHODS)}")

    def run(self, problem: Any, seed: int, config: Any) -> dict[str, Any]:
        import torch
        from metaevobox.environment.basic_environment import PBO_Env

        optimizer = self.optimizer_class(config)  # made before seeding, as the Tester's copies are
        seed_everything(seed)
        if self.agent is None:  # metaevobox.tester.Tester.test, "Serial" mode, a BBO optimizer
            optimizer.seed(seed)
            problem.reset()
            return optimizer.run_episode(problem)
        agent = copy.deepcopy(self.agent)  # the Tester rolls out a copy of the agent per run
        with torch.no_grad():
            return agent.rollout_episode(PBO_Env(problem, optimizer), seed, {})


def seed_everything(seed: int) -> None:
    """Every random source MetaBox uses: Python's, numpy's global generator, torch's (as its test units)."""
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    torch.set_default_dtype(torch.float64)


# ----------------------------------------------------------------------------------------------- records
def best_so_far(improvements: list, evaluations: int, swarm_size: int, iterations: int) -> np.ndarray:
    """Best value after ``min(swarm_size (t + 1), evaluations)`` evaluations for t = 0 .. ``iterations``
    (what our PSO has used after t iterations), from ``(count, value)`` improvements."""
    counts = np.array([c for c, _ in improvements], dtype=np.int64)
    values = np.array([v for _, v in improvements], dtype=float)
    used = np.minimum(swarm_size * (np.arange(iterations + 1) + 1), evaluations)
    index = np.searchsorted(counts, used, side="right") - 1
    return np.where(index >= 0, values[np.maximum(index, 0)], math.inf)


def run_one(method: Method, problem: Any, name: str, seed: int, config: Any, settings: dict[str, Any]) -> Any:
    """One run into a ``RunRecord`` (``evaluation.records.make_record``, as our runner makes them)."""
    from evaluation.records import make_record

    tracked = tracked_problem(problem, name)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    method.run(tracked, seed, config)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    t = tracked.tracked
    history = best_so_far(t.improvements, t.evaluations, settings["swarm_size"], settings["iterations"])
    function = SimpleNamespace(name=name, dim=int(problem.dim), optimum_value=float(problem.optimum))
    record = make_record(function, history, algorithm=PREFIX + method.name, seed=seed, evaluations=t.evaluations,
                         cpu_seconds=cpu, wall_seconds=wall, checkpoint_every=settings["checkpoint_every"],
                         best_value=t.best, nonfinite=tracked.nonfinite, improvements=t.improvements,
                         max_evaluations=settings.get("max_evaluations"),
                         extra={"outside_box": tracked.outside, "best_outside_box": int(tracked.best_outside)}
                         if tracked.outside else None)
    return record


def function_numbers(text: str) -> list[int]:
    """``metabox-test`` (or another split of ``benchmarks_fn.suites.SPLITS``), or ``bbob:f4,bbob:f6`` / ``4,6``."""
    from benchmarks_fn.suites import SPLITS

    numbers: list[int] = []
    for item in (s.strip() for s in text.split(",") if s.strip()):
        if item in SPLITS:
            numbers += SPLITS[item]
            continue
        digits = item.lower().removeprefix("bbob:").removeprefix("f")
        if not digits.isdigit() or not 1 <= int(digits) <= 24:
            raise ValueError(f"--functions: {item!r} is neither a split ({', '.join(SPLITS)}) nor a BBOB function "
                             "(bbob:f1 .. bbob:f24)")
        numbers.append(int(digits))
    return list(dict.fromkeys(numbers))


def runs_per_method(methods: list[str], runs: int, overrides: str) -> dict[str, int]:
    counts = dict.fromkeys(methods, runs)
    for item in (s.strip() for s in overrides.split(",") if s.strip()):
        name, _, value = item.partition("=")
        if name not in counts or not value.isdigit():
            raise ValueError(f"--runs-per: {item!r} is not METHOD=RUNS for one of {', '.join(methods)}")
        counts[name] = int(value)
    return counts


def settings_for(args: argparse.Namespace) -> dict[str, Any]:
    from evaluation.storage import protocol_settings

    extra = {} if args.instances == "ioh" else {"instances": f"metabox:bbob-10D-difficult-seed{METABOX_INSTANCE_SEED}"}
    return protocol_settings(swarm_size=args.swarm_size, iterations=args.iterations, dim=DIM,
                             checkpoint_every=args.checkpoint_every, max_evaluations=args.max_evaluations,
                             settings=extra)


def write_provenance(out: Path, methods: list[str], counts: dict[str, int], args: argparse.Namespace,
                     config: Any) -> None:
    """``metabox.json``: versions, model digests, budget, instances and the runs per method asked for (merged with
    what earlier commands asked for; ``runs.csv`` holds what was made)."""
    from importlib.metadata import version

    path = out / "metabox.json"
    old = json.loads(path.read_text()) if path.exists() else {}
    info = {"metaevobox": version("metaevobox"), "numpy": np.__version__, "ioh": version("ioh"),
            "torch": __import__("torch").__version__, "maxFEs": int(config.maxFEs), "instances": args.instances,
            "models": {**old.get("models", {}), **{m: {"file": f"metaevobox/model/bbob-10D/difficult/{m}.pkl",
                                                        "sha256": sha256(model_path(m))}
                                                    for m in methods if m in AGENTS}},
            "runs_requested": {**old.get("runs_requested", {}), **{PREFIX + m: n for m, n in counts.items()}}}
    path.write_text(json.dumps(info, indent=2, sort_keys=True) + "\n")


def warm_up(method: Method, problem: Any) -> None:
    """One short untimed episode (1,000 evaluations), so that the first timed run pays no first-call costs."""
    method.run(tracked_problem(problem, "warm-up"), 0, metabox_config(max_fes=1000))


def evaluate(args: argparse.Namespace) -> int:
    from evaluation import storage

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    for m in methods:
        if m not in AGENTS and m not in BASELINES:
            raise SystemExit(f"--methods: unknown {m!r}; MetaBox's names are {', '.join(DEFAULT_METHODS)}")
    counts = runs_per_method(methods, args.runs, args.runs_per)
    fids = function_numbers(args.functions)
    config = metabox_config()
    budget = args.swarm_size * (args.iterations + 1)
    if budget != config.maxFEs:
        raise SystemExit(f"--swarm-size {args.swarm_size} x (--iterations {args.iterations} + 1) = {budget} "
                         f"evaluations; MetaBox's budget for bbob-10D is {config.maxFEs}")
    settings = settings_for(args)
    out = Path(args.out)
    storage.check_settings(out, settings)
    storage.write_settings(out, settings)
    rows, curves, torn = storage.read_store(out)
    if torn:
        storage.repair(out, rows, curves)
    done = {(r["algorithm"], r["function"], r["seed"]) for r in rows}
    write_provenance(out, methods, counts, args, config)

    if args.instances == "ioh":
        def make(fid: int) -> Any:
            return make_ioh_problem(fid)
    else:
        own = metabox_instances()

        def make(fid: int) -> Any:
            problem = copy.deepcopy(own[fid])
            problem.reset()
            return problem

    import torch

    torch.set_num_threads(1)
    # MetaBox's own numpy warnings (NRLPSO divides by a zero distance range on some steps, as in its own runs)
    warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"metaevobox\.")
    pending = [(m, f, s) for m in methods for s in range(counts[m]) for f in fids
               if (PREFIX + m, f"bbob:f{f}", s) not in done]
    print(f"{len(methods)} methods x {len(fids)} functions ({', '.join(f'f{f}' for f in fids)}), runs "
          f"{', '.join(f'{m} {counts[m]}' for m in methods)}: {len(pending)} to make into {out} "
          f"({args.instances} instances, {config.maxFEs} evaluations)", flush=True)
    loaded: dict[str, Method] = {}
    cpu: dict[str, list[float]] = {}
    for i, (m, fid, seed) in enumerate(pending, start=1):
        if m not in loaded:
            loaded[m] = Method(m)
            warm_up(loaded[m], make(fid))
        name, problem = f"bbob:f{fid}", make(fid)
        record = run_one(loaded[m], problem, name, seed, config, settings)
        storage.append(out, record, float(problem.optimum))
        cpu.setdefault(m, []).append(record.cpu_seconds)
        if args.verbose or i == len(pending) or i % 50 == 0:
            print(f"[{i}/{len(pending)}] {PREFIX}{m} {name} seed {seed}: error {record.error:.3e}, "
                  f"{record.evaluations} evaluations, {record.cpu_seconds:.2f} CPU s", flush=True)
    for m, times in cpu.items():
        print(f"{PREFIX}{m}: {len(times)} runs made, {np.mean(times):.3f} CPU s per run (min {np.min(times):.3f}, "
              f"max {np.max(times):.3f})")
    return 0


# ----------------------------------------------------------------------------------------------- value check
_REFERENCE = """
import json, sys
import numpy as np
from benchmarks_fn import get_function
job = json.load(sys.stdin)
out = {}
for name, points in job.items():
    f = get_function(name, 10)
    out[name] = {"values": [float(v) for v in f.evaluate(np.asarray(points, dtype=float))],
                 "optimum": float(f.optimum_value), "lower": float(np.min(f.lower)), "upper": float(np.max(f.upper))}
json.dump(out, sys.stdout)
"""


def check_values(args: argparse.Namespace) -> int:
    """Compare the wrapped ioh problems (this environment) with ``benchmarks_fn.get_function`` in the project's
    environment on random points in the box, points outside it and the optimum; exit 1 on a mismatch."""
    _metaevobox()
    rng = np.random.default_rng(args.check_seed)
    fids = function_numbers(args.functions)
    points: dict[str, list] = {}
    mine: dict[str, np.ndarray] = {}
    optima: dict[str, float] = {}
    for fid in fids:
        problem = make_ioh_problem(fid)
        X = np.vstack([rng.uniform(-BOUND, BOUND, (args.check_points, DIM)), rng.uniform(-7, 7, (2, DIM)),
                       problem.opt[None, :]])
        name = f"bbob:f{fid}"
        points[name] = X.tolist()
        tracked = tracked_problem(problem, name)
        tracked.reset()
        mine[name] = np.concatenate([np.ravel(tracked.eval(X[:-1])), [tracked.eval(X[-1])]])  # 2-D and 1-D paths
        optima[name] = problem.optimum
    python = args.project_python or str(REPO / ".venv" / "bin" / "python")
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    done = subprocess.run([python, "-c", _REFERENCE], input=json.dumps(points), capture_output=True, text=True,
                          env=env, check=False)
    if done.returncode:
        raise SystemExit(f"{python} failed:\n{done.stderr}")
    ref = json.loads(done.stdout)
    worst_abs = worst_rel = 0.0
    ok = True
    print(f"{'function':10} {'points':>6} {'max |diff|':>11} {'max rel':>10}  f* (ioh here / ours)")
    for name in points:
        theirs = np.asarray(ref[name]["values"])
        diff = np.abs(mine[name] - theirs)
        rel = diff / np.maximum(np.abs(theirs), 1e-300)
        same_opt = optima[name] == ref[name]["optimum"] and (ref[name]["lower"], ref[name]["upper"]) == (-BOUND, BOUND)
        ok &= bool(same_opt and np.all(rel <= 1e-12))
        worst_abs, worst_rel = max(worst_abs, float(diff.max())), max(worst_rel, float(rel.max()))
        print(f"{name:10} {len(theirs):6d} {diff.max():11.3g} {rel.max():10.3g}  {optima[name]!r} / "
              f"{ref[name]['optimum']!r}{'' if same_opt else '  MISMATCH'}")
    print(f"{len(points)} functions, {sum(map(len, points.values()))} points: max |diff| {worst_abs:.3g}, "
          f"max relative {worst_rel:.3g}: {'equal' if ok else 'MISMATCH'}")
    return 0 if ok else 1


def check_tester(args: argparse.Namespace) -> int:
    """Replay MetaBox's own ``Tester`` ("Serial" mode, its seed 1, one run) on the first ``--tester-problems``
    of its test instances and compare its last logged cost with our run of the same seed; exit 1 on a mismatch.

    Our error is the best of every evaluated point; MetaBox logs its optimizer's gbest, which can miss an
    evaluation (GLPSO's exemplar evaluations never enter its gbest): ours may be lower, never higher."""
    import contextlib
    import io
    import tempfile

    import torch
    from metaevobox import Tester, get_baseline
    from metaevobox.baseline import bbo
    from metaevobox.environment import optimizer as optimizers
    from metaevobox.environment.problem.SOO.COCO_BBOB.bbob_dataset import BBOB_Dataset

    torch.set_num_threads(1)
    warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"metaevobox\.")
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    config = metabox_config()
    with tempfile.TemporaryDirectory() as logs:
        config.log_dir, config.test_run, config.test_parallel_mode = logs + "/", 1, "Serial"
        config.test_log_dir = logs + "/test"
        config.baselines = {m: {"agent": m, "optimizer": getattr(optimizers, AGENTS[m])} if m in AGENTS
                            else {"optimizer": getattr(bbo, m)} for m in methods}
        train, test = BBOB_Dataset.get_datasets("bbob-10D", BOUND, difficulty="difficult",
                                                instance_seed=METABOX_INSTANCE_SEED)
        test = BBOB_Dataset(test.data[: args.tester_problems], 1)
        baselines, config = get_baseline(config)
        failure = None
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            tester = Tester(config, baselines, (train, test))
            try:
                tester.test()
            except Exception as exc:  # noqa: BLE001 - its tables after the runs (pandas 3 refuses a cell)
                failure = exc
        if failure is not None:
            print(f"MetaBox's Tester failed after its runs ({type(failure).__name__}: {failure}); its costs are "
                  "kept", file=sys.stderr)
    costs = tester.test_results["cost"]
    run_config = metabox_config()
    settings = {"swarm_size": args.swarm_size, "iterations": args.iterations, "checkpoint_every": args.checkpoint_every}
    ok = True
    print(f"{'method':8} {'function':9} {'MetaBox Tester':>16} {'ours (seed 1)':>16}")
    for m in methods:
        method = Method(m)
        for problem in test.data:
            fid = int(type(problem).__name__[1:])
            mine = copy.deepcopy(problem)
            mine.reset()
            ours = run_one(method, mine, f"bbob:f{fid}", 1, run_config, settings).error
            theirs = float(np.ravel(costs[str(problem)][m][0])[-1])
            same = math.isclose(ours, theirs, rel_tol=1e-12, abs_tol=1e-12)
            ok &= same or ours < theirs
            print(f"{m:8} bbob:f{fid:<4} {theirs:16.10g} {ours:16.10g}  "
                  f"{'equal' if same else 'ours lower' if ours < theirs else 'MISMATCH'}")
    return 0 if ok else 1


# ----------------------------------------------------------------------------------------------- command line
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--out", help="output directory (runs.csv, curves.jsonl.gz, settings.json, metabox.json)")
    parser.add_argument("--methods", default=",".join(DEFAULT_METHODS),
                        help=f"comma-separated MetaBox methods: agents {', '.join(AGENTS)}; baselines {', '.join(BASELINES)}")
    parser.add_argument("--functions", default="metabox-test",
                        help="a split of benchmarks_fn.suites.SPLITS or BBOB functions (bbob:f4,bbob:f6 or 4,6)")
    parser.add_argument("--instances", choices=("ioh", "metabox"), default="ioh",
                        help="ioh: ioh's instance 1 (ours); metabox: MetaBox's own (instance_seed 3849)")
    parser.add_argument("--runs", type=int, default=51, help="runs (seeds 0..runs-1) per method and function")
    parser.add_argument("--runs-per", default="", help="other run counts per method, e.g. RLPSO=5,NRLPSO=5")
    parser.add_argument("--swarm-size", type=int, default=20,
                        help="settings.json's swarm size: curve iteration t means swarm-size (t + 1) evaluations")
    parser.add_argument("--iterations", type=int, default=999,
                        help="settings.json's iterations; swarm-size x (iterations + 1) must be MetaBox's maxFEs")
    parser.add_argument("--checkpoint-every", type=int, default=10, help="curve spacing in iterations")
    parser.add_argument("--max-evaluations", type=int, default=None, metavar="B",
                        help="settings.json's fixed budget, as evaluate.py --max-evaluations B: each run's record counts "
                        "only its first B evaluations (MetaBox's optimizers may pass maxFEs within their last "
                        "generation: RLEPSO by up to 500, sDMS-PSO by 97)")
    parser.add_argument("--verbose", action="store_true", help="one line per run")
    parser.add_argument("--check", action="store_true",
                        help="only compare the wrapped ioh values with benchmarks_fn.get_function's in the project's "
                        "environment (--project-python)")
    parser.add_argument("--check-tester", action="store_true",
                        help="only compare runs of --methods with MetaBox's own Tester (seed 1) on its instances")
    parser.add_argument("--tester-problems", type=int, default=3, help="MetaBox test instances for --check-tester")
    parser.add_argument("--project-python", help="the project's python for --check (default: <repo>/.venv/bin/python)")
    parser.add_argument("--check-points", type=int, default=20, help="random points in the box per function (--check)")
    parser.add_argument("--check-seed", type=int, default=0, help="seed of the --check points")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _quiet_import_gym()
    if args.check:
        return check_values(args)
    if args.check_tester:
        return check_tester(args)
    if not args.out:
        build_parser().error("--out is required (unless --check)")
    return evaluate(args)


if __name__ == "__main__":
    sys.exit(main())
