"""Evaluations to reach a target for PSO with and without particle advisors (the LLM-enhanced PSO paper's claim).

    .venv/bin/python scripts/compare_advisors.py                      # PSO, + random, + surrogate advisor
    PSO_LLM_BASE_URL=http://127.0.0.1:8080/v1 PSO_LLM_MODEL=llama3 \\
        .venv/bin/python scripts/compare_advisors.py --llm            # adds PSO + LLM advisor (transcripts kept)
    .venv/bin/python scripts/compare_advisors.py --llm --replay       # the LLM row again, from the transcripts

Al-Fuqaha, Qolomany, Qadir et al. (2025, arXiv:2504.14126) report 20-60 % fewer model evaluations than PSO
when a language model replaces the worst particles. Each algorithm here is :class:`agents.advisors.LLMPSO`
with the same PSO settings and consultation schedule, differing only in the advisor (None for PSO), on two
tasks: 2-D Rastrigin and the tabular digits-architecture task (:class:`benchmarks_fn.TabularDigitsMLP`).
Every evaluation is counted in order (the swarm's, the advisors'); a run's cost is the number of
evaluations up to and including the first that reaches the target (``inf`` if none within its budget),
and on the tabular task also the distinct architectures evaluated by then (the networks a memoised live
objective would have trained). Writes ``runs.csv``, ``summary.json``, ``report.md`` and
``evaluations.png`` to ``--out`` (default ``results/llm-pso``); ~30 s on one core without the LLM row.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's packages, also when run from elsewhere

from agents.advisors import LLMPSO, RandomAdvisor, SurrogateAdvisor
from agents.controller import RuleController
from benchmarks_fn import TabularDigitsMLP, get_function
from evaluation.runner import run

#: task -> (function maker, swarm size N, iterations, target error); **our choice**, see the report.
TASKS: dict[str, tuple[Any, int, int, float]] = {
    "rastrigin-2d": (lambda: get_function("rastrigin", 2), 20, 100, 1e-2),
    "digits-mlp-table": (TabularDigitsMLP, 10, 50, 0.0),
}
SCHEDULE = {"warmup": 5, "period": 5, "k": None, "accept": "always"}  # LLMPSO's defaults: k = N // 4


class Counted:
    """``function`` with every evaluation counted in order: ``hit`` is the count at the first value within
    ``target`` of the optimum, ``distinct`` the distinct grid cells evaluated by then (integer functions)."""

    def __init__(self, function: Any, target: float) -> None:
        self.function, self.target = function, target
        self.dim, self.lower, self.upper, self.name = function.dim, function.lower, function.upper, function.name
        self.integer = getattr(function, "integer", False)
        self.optimum_value = function.optimum_value
        self.count, self.hit, self.distinct_at_hit = 0, math.inf, math.inf
        self._cells: set[bytes] = set()

    def evaluate(self, X: np.ndarray) -> np.ndarray:
        values = self.function.evaluate(X)
        cells = self.function.indices(X) if hasattr(self.function, "indices") else None
        for i, value in enumerate(values):
            self.count += 1
            if cells is not None:
                self._cells.add(cells[i].tobytes())
            if self.hit == math.inf and value - self.optimum_value <= self.target:
                self.hit = self.count
                self.distinct_at_hit = len(self._cells) if cells is not None else math.inf
        return values


def advisor_for(name: str, task: str, seed: int, out: Path, replay: bool) -> Any:
    if name == "PSO":
        return None
    if name == "PSO+random-advisor":
        return RandomAdvisor()
    if name == "PSO+surrogate-advisor":
        return SurrogateAdvisor()
    from agents.llm import LLMAdvisor, ReplayAdvisor

    path = out / "transcripts" / f"{task}-seed{seed}.jsonl"
    if replay:
        return ReplayAdvisor(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    return LLMAdvisor(transcript=path)


def one_run(name: str, task: str, seed: int, out: Path, replay: bool) -> dict[str, Any]:
    make, n, iterations, target = TASKS[task]
    fn = Counted(make(), target)
    rule = LLMPSO(advisor_for(name, task, seed, out, replay), name=name, **SCHEDULE)
    record = run(RuleController(rule, trace=False), fn, swarm_size=n, iterations=iterations, seed=seed)
    trace = rule.trace()
    return {"task": task, "algorithm": name, "seed": seed, "evaluations_to_target": fn.hit,
            "distinct_to_target": fn.distinct_at_hit, "evaluations": record.evaluations,
            "final_error": record.error, "advice_evaluations": trace["advice_evaluations"][0],
            "advisor_failures": trace.get("advisor_failures", 0), "cpu_seconds": round(record.cpu_seconds, 4)}


def summarise(rows: list[dict[str, Any]], algorithms: list[str]) -> dict[str, Any]:
    from scipy.stats import mannwhitneyu

    out: dict[str, Any] = {}
    for task in TASKS:
        base = {a: np.array([r["evaluations_to_target"] for r in rows if r["task"] == task and r["algorithm"] == a])
                for a in algorithms}
        distinct = {a: np.array([r["distinct_to_target"] for r in rows if r["task"] == task and r["algorithm"] == a])
                    for a in algorithms}
        budget = max(r["evaluations"] for r in rows if r["task"] == task)
        out[task] = {}
        for a in algorithms:
            x = base[a]
            ok = np.isfinite(x)
            censored = np.where(ok, x, budget + 1)  # a miss ranks after every hit
            entry = {"runs": int(x.size), "reached": int(ok.sum()), "median": float(np.median(x)),
                     "mean_of_reached": float(x[ok].mean()) if ok.any() else math.inf,
                     "median_distinct": float(np.median(distinct[a])) if np.isfinite(distinct[a]).any() else None}
            for ref in ("PSO", "PSO+random-advisor"):
                if ref != a and ref in base:
                    other = np.where(np.isfinite(base[ref]), base[ref], budget + 1)
                    entry[f"p_vs_{ref}"] = float(mannwhitneyu(censored, other, alternative="two-sided").pvalue)
                    entry[f"change_vs_{ref}"] = float(np.median(x) / np.median(base[ref]) - 1.0) \
                        if np.isfinite(np.median(x)) and np.isfinite(np.median(base[ref])) else None
            out[task][a] = entry
    return out


def plot(rows: list[dict[str, Any]], algorithms: list[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(TASKS), figsize=(5 * len(TASKS), 3.6))
    for ax, task in zip(axes, TASKS):
        for a in algorithms:
            x = np.sort([r["evaluations_to_target"] for r in rows if r["task"] == task and r["algorithm"] == a])
            y = np.arange(1, x.size + 1) / x.size
            ax.step(x[np.isfinite(x)], y[np.isfinite(x)], where="post", label=a)
        ax.set(title=f"{task} (target: {TASKS[task][3]:g})", xlabel="evaluations", ylabel="fraction of runs at target")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=30, help="runs per task and algorithm (seeds 0..n-1; default 30)")
    parser.add_argument("--llm", action="store_true", help="add PSO + LLM advisor (PSO_LLM_BASE_URL, PSO_LLM_MODEL)")
    parser.add_argument("--replay", action="store_true", help="with --llm: answer from OUT/transcripts, no server")
    parser.add_argument("--out", default=str(ROOT / "results" / "llm-pso"), help="output directory")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    algorithms = ["PSO", "PSO+random-advisor", "PSO+surrogate-advisor"] + (["PSO+LLM-advisor"] if args.llm else [])
    if args.llm and not args.replay and not os.environ.get("PSO_LLM_BASE_URL"):
        parser.error("--llm needs PSO_LLM_BASE_URL and PSO_LLM_MODEL (or --replay with recorded transcripts)")
    rows = [one_run(a, task, seed, out, args.replay) for task in TASKS for a in algorithms for seed in range(args.seeds)]
    with open(out / "runs.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    summary = summarise(rows, algorithms)
    (out / "summary.json").write_text(json.dumps({"tasks": {t: {"swarm_size": v[1], "iterations": v[2], "target": v[3]}
                                                            for t, v in TASKS.items()},
                                                  "schedule": SCHEDULE, "seeds": args.seeds, "results": summary},
                                                 indent=1) + "\n")
    plot(rows, algorithms, out / "evaluations.png")
    for task, entries in summary.items():
        print(task)
        for a, e in entries.items():
            print(f"  {a:24s} reached {e['reached']:2d}/{e['runs']}  median {e['median']:8.1f}  "
                  f"distinct {e['median_distinct']}  " + "  ".join(f"{k}={v:.3g}" for k, v in e.items()
                                                                    if k.startswith(("p_", "change")) and v is not None))


if __name__ == "__main__":
    main()
