"""Per-particle control: an experiment of issue 13 (the lever "per-particle control if it pays"), not the product.

GLEET (Ma et al. 2024) sets c1 and c2 for each particle; every controller of ``agents.es`` sets one w, c1, c2 per
swarm and, by its ablations, acts as an open-loop schedule. Here one linear controller, shared by the particles,
sets each particle's ``w``, ``c1`` and ``c2`` (``pso_env.Swarm.step`` takes them per particle) from

- three swarm inputs, the default controller's (``pso_env.observation.Features``): ``progress`` (evaluations spent
  / budget), ``stagnation`` (``log(1 + k) / log(1 + H)``, k iterations since the best improved, H the planned
  iterations) and ``diversity`` (``1 + log10(div / div0) / 12`` in [0, 1]);
- three inputs of the particle: ``rank`` (its current value's rank in the swarm / (N - 1), 0 = best),
  ``distance`` (its distance to the global best over the farthest particle's) and ``own_stagnation`` (as
  ``stagnation``, for its personal best),

as ``a = clip(W [particle inputs, swarm inputs, 1], -1, 1)`` with ``W`` (3, 7), mapped onto w in [0.3, 1],
c1 and c2 in [0.5, 2.5] with c1 + c2 <= 4 exactly as the environment's continuous mode (``pso_env.actions``).
It starts as LinWPSO (w 0.9 -> 0.4 in ``progress``, c1 = c2 = 2). CMA-ES (``cma``) searches W as
``agents.es.PolicySearch`` does: popsize 16, sigma0 0.3, 2 runs per function, fitness the mean rank among the
candidates over the (function, run) slots, on the default controller's training functions (BBOB f1, f3, f5, f15,
f17, f21, D = 10, ioh instance 1) at its budget (20,000 evaluations, N = 20). No input needs f*.

Commands (from the repository root; ``PYTHONPATH`` lets the evaluation's worker processes import this module):

    PYTHONPATH=results/learned-control/per-particle .venv/bin/python -m particle_es train --seed 0 --out DIR
    PYTHONPATH=results/learned-control/per-particle .venv/bin/python -m particle_es evaluate --policy DIR/policy.json \
        --functions metabox-test --runs 51 --out STORE [--ablation constant-particle] [--protocol paper]
    PYTHONPATH=results/learned-control/per-particle .venv/bin/python -m particle_es report STORE --reference particle:s1
    PYTHONPATH=results/learned-control/per-particle .venv/bin/python -m particle_es table STORE [STORE ...] \
        [--only NAME] [--drop NAME] [--rename STORE OLD NEW] [--focus NAME]
    PYTHONPATH=results/learned-control/per-particle .venv/bin/python -m particle_es agreement --suite NAME STORE [...] \
        [--suite ...] --target STORE [...] --only NAME [--only ...] [--floor 1e-8]

``train`` writes ``progress.csv`` (one row per generation) and ``policy.json`` (the search's mean) as it goes and
resumes from ``state.pkl``; ``evaluate`` writes an ``evaluate.py`` store (``runs.csv``; ``evaluate.py --include``
ranks it with other stores) named ``particle:s<seed>``, at the budget of MetaBox's split (N = 20, D = 10, 20,000
evaluations) or with ``--protocol paper`` at the paper's (N = 30, D = 30, 30,030 evaluations); the store's
``particle_policies.json`` keeps each name's policy digest, so that runs of another policy never join them under the
same name. ``report`` writes the store's ``report.md`` and figures (``evaluation.report.write_report``); ``table``
ranks the entries of several stores together (:func:`table`); ``agreement`` says how well each suite orders the
entries as the target stores do (:func:`agreement`, diagnostic 26).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import pickle
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agents.variants import ParameterRule
from evaluation.registry import Algorithm
from pso_env.config import check_real, option_type

#: Input names, in the order of W's columns (the last column is the bias).
INPUTS = ("rank", "distance", "own_stagnation", "progress", "stagnation", "diversity")
W_RANGE, C_RANGE, C_SUM_MAX = (0.3, 1.0), (0.5, 2.5), 4.0
TRAIN = ("bbob:f1", "bbob:f3", "bbob:f5", "bbob:f15", "bbob:f17", "bbob:f21")
BUDGET, SWARM, DIM = 20_000, 20, 10
ITERATIONS = BUDGET // SWARM - 1  # 999: N initial evaluations, then N per iteration
#: Particle inputs that the ``constant-particle`` ablation holds at their training means (the swarm inputs stay):
#: ``input_means`` of ``policy.json``, the mean over the last generation's whole population (all candidates,
#: functions and runs), as ``agents.es`` keeps ``obs_mean``.
PARTICLE = (0, 1, 2)
#: (swarm size, iterations, dimension, evaluations) of the two evaluation protocols.
PROTOCOLS = {"budget": (SWARM, ITERATIONS, DIM, BUDGET), "paper": (30, 1000, 30, 30_030)}


def linwpso_weights() -> np.ndarray:
    """W (3, 7) of LinWPSO: w = 0.9 - 0.5 progress, c1 = c2 = 2 (the actions that the mapping sends there)."""
    def unit(value: float, low: float, high: float) -> float:
        return 2.0 * (value - low) / (high - low) - 1.0

    w = np.zeros((3, len(INPUTS) + 1))
    w[0, -1] = unit(0.9, *W_RANGE)
    w[0, INPUTS.index("progress")] = unit(0.4, *W_RANGE) - unit(0.9, *W_RANGE)
    w[1, -1] = w[2, -1] = unit(2.0, *C_RANGE)
    return w


class ParticleRule(ParameterRule):
    """Each particle's w, c1, c2 from the shared linear controller (module docstring); B swarms may each have their
    own W: ``weights`` (3, 7) or (B, 3, 7). ``hold`` (optional, length 6, one value per entry of ``INPUTS``): the
    inputs of ``PARTICLE`` are replaced by theirs (an ablation); the others are ignored."""

    name = "particle"

    def __init__(self, weights: Any, hold: Any = None) -> None:
        super().__init__()
        self.weights = np.asarray(weights, dtype=np.float64)
        self.hold = None if hold is None else np.asarray(hold, dtype=np.float64)
        self.input_sum = np.zeros(len(INPUTS))
        self.input_count = 0

    def reset(self, swarm: Any, iterations: int, max_evaluations: int | None = None) -> None:
        super().reset(swarm, iterations, max_evaluations)
        self._scheduled = True
        b, n = swarm.batch_size, swarm.n_particles
        self._horizon = math.log1p(iterations if max_evaluations is None else max_evaluations // n - 1)
        self._best, self._since = swarm.gbest_fitness.copy(), np.zeros(b)
        self._pbest, self._psince = swarm.pbest_fitness.copy(), np.zeros((b, n))
        self._div0 = _diversity(swarm.positions)

    def inputs(self, swarm: Any, t: int) -> np.ndarray:
        """The (B, N, 6) inputs, each in [0, 1]."""
        b, n = swarm.batch_size, swarm.n_particles
        u = np.empty((b, n, len(INPUTS)))
        order = np.argsort(swarm.fitness, axis=1, kind="stable")
        np.put_along_axis(u[:, :, 0], order, np.arange(n) / (n - 1), axis=1)
        dist = np.linalg.norm(swarm.positions - swarm.gbest_position[:, None, :], axis=2)
        far = dist.max(axis=1, keepdims=True)
        u[:, :, 1] = np.divide(dist, far, out=np.zeros_like(dist), where=far > 0)
        u[:, :, 2] = np.minimum(np.log1p(self._psince) / self._horizon, 1.0)
        u[:, :, 3] = np.reshape(self.share(swarm, t), (-1, 1))
        u[:, :, 4] = np.minimum(np.log1p(self._since) / self._horizon, 1.0)[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            div = 1.0 + np.log10(_diversity(swarm.positions) / self._div0) / 12.0
        u[:, :, 5] = np.clip(np.nan_to_num(div, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)[:, None]
        if self.hold is not None:
            u[:, :, PARTICLE] = self.hold[list(PARTICLE)]
        return u

    def parameters(self, swarm: Any, t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        u = self.inputs(swarm, t)
        self.input_sum += u.mean(axis=(0, 1))
        self.input_count += 1
        w = self.weights if self.weights.ndim == 3 else self.weights[None]
        a = np.clip(np.einsum("bni,bki->bnk", u, w[:, :, :-1]) + w[:, None, :, -1], -1.0, 1.0)
        s = (a + 1.0) * 0.5
        inertia = W_RANGE[0] + s[:, :, 0] * (W_RANGE[1] - W_RANGE[0])
        c1, c2 = (C_RANGE[0] + s[:, :, k] * (C_RANGE[1] - C_RANGE[0]) for k in (1, 2))
        scale = np.minimum(1.0, C_SUM_MAX / (c1 + c2))
        return inertia, c1 * scale, c2 * scale, 1.0

    def after_step(self, swarm: Any, t: int) -> None:
        better = swarm.gbest_fitness < self._best
        self._since = np.where(better, 0.0, self._since + 1.0)
        self._best = np.minimum(self._best, swarm.gbest_fitness)
        pbetter = swarm.pbest_fitness < self._pbest
        self._psince = np.where(pbetter, 0.0, self._psince + 1.0)
        self._pbest = np.minimum(self._pbest, swarm.pbest_fitness)


def _diversity(x: np.ndarray) -> np.ndarray:
    """Mean Euclidean distance of the particles to their centroid, (B,)."""
    return np.linalg.norm(x - x.mean(axis=1, keepdims=True), axis=2).mean(axis=1)


@dataclass(frozen=True)
class ParticleAlgorithm(Algorithm):
    """An ``evaluation`` algorithm for a saved policy (``arg``: its path; ``hold``: the ablation's JSON list)."""

    hold: str | None = None

    def controller(self) -> Any:
        from agents.controller import RuleController

        data = json.loads(Path(str(self.arg)).read_text())
        rule = ParticleRule(data["weights"], None if self.hold is None else json.loads(self.hold))
        rule.name = self.name
        return RuleController(rule, trace=False)


# ------------------------------------------------------------------------------------------------ the search
def _rollout(weights: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Final best values (P, F) of P candidates on the training functions, one run each, seeded by ``seed``, and
    the mean inputs (6,) over the run."""
    from benchmarks_fn import get_function
    from pso_env.swarm import Swarm

    p, f = len(weights), len(TRAIN)
    fns = [get_function(name, DIM) for name in TRAIN]
    swarm = Swarm([fns[j % f] for j in range(p * f)], SWARM, seed, batch_size=p * f)
    rule = ParticleRule(np.repeat(weights, f, axis=0))
    rule.reset(swarm, ITERATIONS, BUDGET)
    for t in range(ITERATIONS):
        rule.move(swarm, *rule.parameters(swarm, t))
        rule.after_step(swarm, t)
    return swarm.gbest_fitness.reshape(p, f), rule.input_sum / rule.input_count


def train(seed: int, out: Path, generations: int, popsize: int = 16, runs: int = 2, workers: int = 2) -> None:
    """CMA-ES over W (module docstring); resumes from ``out/state.pkl``."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import cma
    from scipy.stats import rankdata
    from tqdm import tqdm

    out.mkdir(parents=True, exist_ok=True)
    state = out / "state.pkl"
    if state.exists():
        es, done, _ = pickle.loads(state.read_bytes())
    else:
        es, done = cma.CMAEvolutionStrategy(linwpso_weights().ravel(), 0.3, {  # cma takes seed 0 as "no seed"
            "popsize": popsize, "seed": seed + 1, "verbose": -9}), 0
        (out / "progress.csv").write_text("generation,best_fitness,mean_fitness,sigma,seconds\n")
    shape = linwpso_weights().shape
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        for gen in tqdm(range(done, generations), initial=done, total=generations, desc=f"seed {seed}"):
            start = time.perf_counter()
            x = np.asarray(es.ask())
            seeds = [int(np.random.SeedSequence([seed, gen, r]).generate_state(1)[0]) for r in range(runs)]
            results = list(pool.map(_rollout, [x.reshape(-1, *shape)] * runs, seeds))
            best = np.concatenate([r[0] for r in results], axis=1)
            fitness = np.apply_along_axis(rankdata, 0, best).mean(axis=1)
            es.tell(list(x), fitness.tolist())
            means = sum(r[1] for r in results) / runs
            policy = {"weights": np.reshape(es.result.xfavorite, shape).tolist(), "inputs": list(INPUTS),
                      "input_means": means.tolist(), "generation": gen + 1, "seed": seed,
                      "train_functions": list(TRAIN), "budget": BUDGET, "swarm_size": SWARM, "dim": DIM}
            (out / "policy.json").write_text(json.dumps(policy, indent=1))
            with open(out / "progress.csv", "a", newline="") as fh:
                csv.writer(fh).writerow([gen + 1, float(fitness.min()), float(fitness.mean()), es.sigma,
                                         round(time.perf_counter() - start, 2)])
            state.write_bytes(pickle.dumps((es, gen + 1, means)))


def evaluate(policy: Path, functions: str, runs: int, out: Path, ablation: str | None, jobs: int,
             shift: bool, rotate: bool, protocol: str = "budget", progress: bool = True) -> None:
    """Seeds 0 .. runs - 1 of the saved policy on ``functions`` into the store ``out`` (resumable); ValueError if
    the store holds runs of that name made by another policy file (content digest)."""
    import hashlib

    from evaluation.protocol import run_protocol

    data = json.loads(policy.read_text())
    name = f"particle:s{data['seed']}"
    hold = None
    if ablation == "constant-particle":
        name, hold = f"constant-particle:s{data['seed']}", json.dumps(data["input_means"])
    digest, ledger = hashlib.sha256(policy.read_bytes()).hexdigest(), out / "particle_policies.json"
    known = json.loads(ledger.read_text()) if ledger.exists() else {}
    if known.get(name, digest) != digest:
        raise ValueError(f"out: {str(out)!r} holds runs of {name} made by another policy (sha256 {known[name]}); "
                         f"{str(policy)!r} has {digest}: use a new --out")
    out.mkdir(parents=True, exist_ok=True)
    ledger.write_text(json.dumps({**known, name: digest}, indent=1, sort_keys=True))
    algorithm = ParticleAlgorithm(name, "particle", str(policy.resolve()), hold)
    n, iterations, dim, budget = PROTOCOLS[protocol]
    run_protocol([algorithm], functions, runs=runs, swarm_size=n, iterations=iterations, dim=dim,
                 out_dir=out, jobs=jobs, max_evaluations=budget, shift=shift, rotate=rotate, progress=progress)


def table(stores: list[str], focus: list[str], drop: list[str], rename: list[list[str]], max_seed: int | None = None,
          only: list[str] | None = None, floor: float = 0.0) -> None:
    """Print the average ranks of the entries of several stores (the first copy of a duplicated run counts), then
    each ``focus`` entry against every other: Welch t-test better / same / worse (rank-sum in brackets).

    ``rename``: ``(STORE, OLD, NEW)`` triples (that store's record name ``OLD`` read as ``NEW``, to tell apart
    stores that name different controllers alike); ``drop``: names left out (CMA-ES for the PSO table); ``only``:
    keep just these (``drop`` and ``only`` name entries as renamed); ``max_seed``: only runs of seeds below it;
    ``floor``: errors below it count as 0 (``final_values``' ``error_floor``; diagnostic 24: the CEC special
    sessions' criteria count an error below 1e-8 as 0, cited from memory in the report).
    """
    from evaluation.stats import average_ranks, compare_to_reference

    floor = check_real(0.0)("floor", floor)  # before any store is read
    values = _values(stores, floor, drop, only, rename, max_seed)
    ranks = average_ranks(values)
    full = sum(set(ranks) <= set(by_algo) for by_algo in values.values())  # the functions the ranks average over
    print(f"{len(ranks)} entries, {full} functions")
    for a in sorted(ranks, key=ranks.get):
        print(f"{ranks[a]:6.2f}  {a}")
    for f in focus:
        comp = compare_to_reference(values, f)
        print(f"\n{f} against (t-test better/same/worse, rank-sum in brackets):")
        for a in sorted(ranks, key=ranks.get):
            codes = [(comp[(fn, a)].t_test, comp[(fn, a)].rank_sum) for fn in values if (fn, a) in comp]
            if codes:
                t, w = [c[0] for c in codes], [c[1] for c in codes]
                print(f"  {a:34s} {t.count(1)}/{t.count(0)}/{t.count(-1)}  ({w.count(1)}/{w.count(0)}/{w.count(-1)})")


#: A store's settings (``settings.json``) that define the problem its functions were run on, besides ``dim``.
_PROBLEM_SETTINGS = ("max_evaluations", "budget_clock", "shift", "rotate")


def _values(stores: list[str], floor: float, drop: list[str] = (), only: list[str] | None = None,
            rename: list[list[str]] = (), max_seed: int | None = None) -> dict[str, dict[str, np.ndarray]]:
    """``final_values`` of the runs of ``stores`` (the first copy of a duplicated run counts), filtered and renamed
    as :func:`table` says. A BBOB function of a store made with ``evaluate.py --instance I`` (I other than 1, its
    ``settings.json``) is read as ``bbob:fN@instance=I``, so that two instances never count as one function.

    Warns once (``UserWarning``, naming each such function and its stores) when a function's runs come from stores
    of different problem settings: its ``dim``, or the store's ``max_evaluations``, ``budget_clock``, ``shift`` or
    ``rotate`` (with no ``max_evaluations``, also its ``swarm_size`` and ``iterations``, which then set the budget).
    Such runs are ranked as one function, and a run of an entry and seed already read from an earlier store is
    dropped as a duplicate. With a budget set, swarm sizes and iteration counts may differ (entries at other swarm
    sizes on the same budget)."""
    from evaluation.stats import final_values

    renames: dict[str, dict[str, str]] = {}
    for store, old, new in rename:
        renames.setdefault(store, {})[old] = new
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    problems: dict[str, dict[tuple, str]] = {}  # function -> {its problem settings: the first store with them}
    for store in stores:
        names = renames.get(store, {})
        path = Path(store) / "settings.json"
        settings = json.loads(path.read_text()) if path.exists() else {}
        instance = settings.get("instance", 1)
        keys = _PROBLEM_SETTINGS + (() if settings.get("max_evaluations") else ("swarm_size", "iterations"))
        problem = tuple((k, settings.get(k)) for k in keys)
        with open(Path(store) / "runs.csv", newline="") as fh:
            for r in csv.DictReader(fh):
                name = names.get(r["algorithm"], r["algorithm"])
                if name in drop or (only and name not in only) or (max_seed is not None and int(r["seed"]) >= max_seed):
                    continue
                fn = f"{r['function']}@instance={instance}" if instance != 1 and r["function"].startswith("bbob:") \
                    else r["function"]
                problems.setdefault(fn, {}).setdefault((("dim", r.get("dim")), *problem), store)
                rows.setdefault((name, fn, r["seed"]), {**r, "algorithm": name, "function": fn})
    mixed = ["{} ({})".format(fn, "; ".join(f"{store}: " + ", ".join(f"{k}={v}" for k, v in problem)
                                            for problem, store in seen.items()))
             for fn, seen in problems.items() if len(seen) > 1]
    if mixed:
        warnings.warn(f"{len(mixed)} function(s) were run under different problem settings, and each is ranked as "
                      f"one function (a run of an entry and seed seen in an earlier store is dropped): "
                      + "; ".join(mixed), stacklevel=2)
    return final_values(list(rows.values()), floor)[0]


def agreement(suites: list[list[str]], target: list[str], only: list[str], floor: float = 0.0) -> None:
    """Pre-registration 26: how well each suite's average ranks of the ``only`` entries agree with their average
    ranks on ``target`` (the held-out stores): Spearman's rho across the entries (``scipy.stats.spearmanr``) with
    its p-value, and the entry each suite ranks first. ``suites``: ``[NAME, STORE, ...]`` lists; the same name
    given twice joins its stores (a union suite). Errors below ``floor`` count as 0; every entry must have runs
    on every function of every suite and of the target (ValueError naming what is missing)."""
    from scipy.stats import spearmanr

    floor = check_real(0.0)("floor", floor)
    only = list(dict.fromkeys(only))
    joined: dict[str, list[str]] = {}
    for name, *stores in suites:
        if not stores:
            raise ValueError(f"suite {name!r} names no store: give --suite NAME STORE [STORE ...]")
        joined.setdefault(name, []).extend(stores)
    goal, held = _ranks("target", target, only, floor)
    ranked = {name: _ranks(name, stores, only, floor) for name, stores in joined.items()}
    print(f"{len(only)} entries; target: {held} functions; first there: {min(goal, key=goal.get)}")
    print(f"{'suite':10s} {'functions':>9s} {'rho':>6s} {'p':>7s}  first by the suite")
    for name, (ranks, functions) in ranked.items():
        rho, p = spearmanr([ranks[a] for a in only], [goal[a] for a in only])
        print(f"{name:10s} {functions:9d} {rho:6.2f} {p:7.3f}  {min(ranks, key=ranks.get)}")
    print(f"\naverage ranks ({'target':>6s}  {'  '.join(f'{n:>6s}' for n in ranked)}):")
    for a in sorted(only, key=goal.get):
        print(f"  {a:28s} {goal[a]:6.2f}  {'  '.join(f'{r[a]:6.2f}' for r, _ in ranked.values())}")


def _ranks(name: str, stores: list[str], only: list[str], floor: float) -> tuple[dict[str, float], int]:
    """The ``only`` entries' average ranks among themselves on ``stores``, and the number of functions."""
    from evaluation.stats import average_ranks

    values = _values(stores, floor, only=only)
    absent = [a for a in only if not any(a in by for by in values.values())]
    missing = absent + sorted(f"{a} on {fn}" for fn, by in values.items() for a in only if a not in by and a not in absent)
    if missing:
        raise ValueError(f"{name}: no runs of {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}")
    return average_ranks(values, only), len(values)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train")
    t.add_argument("--seed", type=int, required=True)
    t.add_argument("--out", type=Path, required=True)
    t.add_argument("--generations", type=int, default=104)  # 104 x 192,000 steps: the default's 20M
    t.add_argument("--workers", type=int, default=2)
    e = sub.add_parser("evaluate")
    e.add_argument("--policy", type=Path, required=True)
    e.add_argument("--functions", required=True)
    e.add_argument("--runs", type=int, default=51)
    e.add_argument("--out", type=Path, required=True)
    e.add_argument("--ablation", choices=["constant-particle"])
    e.add_argument("--jobs", type=int, default=2)
    e.add_argument("--shift", action="store_true")
    e.add_argument("--rotate", action="store_true")
    e.add_argument("--protocol", choices=sorted(PROTOCOLS), default="budget")
    e.add_argument("--no-progress", action="store_true")
    o = sub.add_parser("report")
    o.add_argument("store", type=Path)
    o.add_argument("--reference")
    r = sub.add_parser("table")
    r.add_argument("stores", nargs="+")
    r.add_argument("--focus", action="append", default=[])
    r.add_argument("--drop", action="append", default=[], help="an entry to leave out, by its name after --rename "
                   "(repeatable)")
    r.add_argument("--rename", action="append", default=[], nargs=3, metavar=("STORE", "OLD", "NEW"),
                   help="read STORE's entry OLD as NEW (repeatable)")
    r.add_argument("--only", action="append", default=[], help="an entry to keep, by its name after --rename "
                   "(repeatable; default: all)")
    r.add_argument("--max-seed", type=int)
    r.add_argument("--floor", type=option_type(float, "floor", check_real(0.0)), default=0.0,
                   help="count errors below it as 0 (diagnostic 24; pre-registration 25's rule: 1e-8)")
    g = sub.add_parser("agreement", help="Spearman's rho of each suite's average ranks of the --only entries with "
                       "the target's (diagnostic 26)")
    g.add_argument("--suite", action="append", nargs="+", required=True, metavar="NAME STORE",
                   help="a suite's name and its stores (repeatable; a name given twice joins its stores)")
    g.add_argument("--target", nargs="+", required=True, help="the stores whose average ranks the suites are held to")
    g.add_argument("--only", action="append", required=True, help="an entry to rank (repeatable)")
    g.add_argument("--floor", type=option_type(float, "floor", check_real(0.0)), default=0.0,
                   help="count errors below it as 0")
    args = parser.parse_args(argv)
    if args.command == "agreement":
        agreement(args.suite, args.target, args.only, args.floor)
    elif args.command == "table":
        table(args.stores, args.focus, args.drop, args.rename, args.max_seed, args.only, args.floor)
    elif args.command == "report":
        from evaluation.report import write_report

        write_report(args.store, reference=args.reference)
    elif args.command == "train":
        train(args.seed, args.out, args.generations, workers=args.workers)
    else:
        evaluate(args.policy, args.functions, args.runs, args.out, args.ablation, args.jobs, args.shift, args.rotate,
                 args.protocol, not args.no_progress)


if __name__ == "__main__":
    main()
