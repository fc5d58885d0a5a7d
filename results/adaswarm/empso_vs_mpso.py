"""EMPSO against MPSO on the AdaSwarm supplement's two-dimensional functions (Table 1 of results/adaswarm).

Mohapatra et al. (2022) report EMPSO needing fewer iterations than MPSO on 11 of 12 functions. Protocol
(the issue's reading of the supplement): 50 particles, 100 runs per function and algorithm (seeds 0-99,
the same initial swarms for both), a run stops when every particle lies in a box of side 1e-2 (the
swarm's extent max - min <= 1e-2 in each coordinate) or after 1e4 iterations; reported: the stopping
iteration and the final error f(g) - f*, mean and std, with a two-sided Wilcoxon rank-sum test at 0.05.
Both rules: c1 = 0.8, c2 = 0.9 (EMPSO beta = 0.9, MPSO lambda = 0.3, our choice; see agents.variants),
no velocity clamp, SPSO 2011's clip-back at the search domain **(our choice: domains from the usual
test-function tables)**. All 100 runs of a cell step as one batched swarm (B = 100, one seed each).

Run: PYTHONPATH=. .venv/bin/python results/adaswarm/empso_vs_mpso.py   (about a minute; writes
results/adaswarm/empso_vs_mpso.csv and prints the Markdown table)
"""

from __future__ import annotations

import csv
import math
import sys
from pathlib import Path

import numpy as np

from agents.variants import EMPSO, MPSO
from benchmarks_fn.base import from_callable
from evaluation.stats import rank_sum_code
from pso_env import Swarm

RUNS, PARTICLES, MAX_ITERATIONS, BOX = 100, 50, 10_000, 1e-2
PAPER_ITERATIONS = {"Rosenbrock": (124, 215), "Booth": (49, 90)}  # (EMPSO, MPSO) quoted in the issue


def _xy(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return x[:, 0], x[:, 1]


def ackley(x):
    a, b = _xy(x)
    return (-20 * np.exp(-0.2 * np.sqrt(0.5 * (a * a + b * b)))
            - np.exp(0.5 * (np.cos(2 * np.pi * a) + np.cos(2 * np.pi * b))) + math.e + 20)


def rosenbrock(x):
    a, b = _xy(x)
    return 100 * (b - a * a) ** 2 + (1 - a) ** 2


def beale(x):
    a, b = _xy(x)
    return (1.5 - a + a * b) ** 2 + (2.25 - a + a * b * b) ** 2 + (2.625 - a + a * b ** 3) ** 2


def goldstein_price(x):
    a, b = _xy(x)
    return ((1 + (a + b + 1) ** 2 * (19 - 14 * a + 3 * a * a - 14 * b + 6 * a * b + 3 * b * b))
            * (30 + (2 * a - 3 * b) ** 2 * (18 - 32 * a + 12 * a * a + 48 * b - 36 * a * b + 27 * b * b)))


def booth(x):
    a, b = _xy(x)
    return (a + 2 * b - 7) ** 2 + (2 * a + b - 5) ** 2


def bukin6(x):
    a, b = _xy(x)
    return 100 * np.sqrt(np.abs(b - 0.01 * a * a)) + 0.01 * np.abs(a + 10)


def matyas(x):
    a, b = _xy(x)
    return 0.26 * (a * a + b * b) - 0.48 * a * b


def levi13(x):
    a, b = _xy(x)
    return (np.sin(3 * np.pi * a) ** 2 + (a - 1) ** 2 * (1 + np.sin(3 * np.pi * b) ** 2)
            + (b - 1) ** 2 * (1 + np.sin(2 * np.pi * b) ** 2))


def himmelblau(x):
    a, b = _xy(x)
    return (a * a + b - 11) ** 2 + (a + b * b - 7) ** 2


def three_hump_camel(x):
    a, b = _xy(x)
    return 2 * a * a - 1.05 * a ** 4 + a ** 6 / 6 + a * b + b * b


def easom(x):
    a, b = _xy(x)
    return -np.cos(a) * np.cos(b) * np.exp(-((a - np.pi) ** 2 + (b - np.pi) ** 2))


def cross_in_tray(x):
    a, b = _xy(x)
    inner = np.abs(np.sin(a) * np.sin(b) * np.exp(np.abs(100 - np.sqrt(a * a + b * b) / np.pi))) + 1
    return -0.0001 * inner ** 0.1


#: name -> (callable, lower, upper, f*)
FUNCTIONS = {
    "Ackley": (ackley, [-5, -5], [5, 5], 0.0),
    "Rosenbrock": (rosenbrock, [-5, -5], [5, 5], 0.0),
    "Beale": (beale, [-4.5, -4.5], [4.5, 4.5], 0.0),
    "Goldstein-Price": (goldstein_price, [-2, -2], [2, 2], 3.0),
    "Booth": (booth, [-10, -10], [10, 10], 0.0),
    "Bukin N.6": (bukin6, [-15, -3], [-5, 3], 0.0),
    "Matyas": (matyas, [-10, -10], [10, 10], 0.0),
    "Levi N.13": (levi13, [-10, -10], [10, 10], 0.0),
    "Himmelblau": (himmelblau, [-5, -5], [5, 5], 0.0),
    "Three-hump camel": (three_hump_camel, [-5, -5], [5, 5], 0.0),
    "Easom": (easom, [-100, -100], [100, 100], -1.0),
    "Cross-in-tray": (cross_in_tray, [-10, -10], [10, 10], -2.0626118708227397),
}


def run_cell(rule, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Stopping iterations and final errors of the 100 runs of ``rule`` on function ``name``."""
    fn, lower, upper, fstar = FUNCTIONS[name]
    function = from_callable(fn, 2, lower, upper, name, optimum_value=fstar, vectorized=True)
    swarm = Swarm(function, PARTICLES, 0, batch_size=RUNS, seeds=range(RUNS), velocity_clamp=None)
    rule.reset(swarm, MAX_ITERATIONS)
    stop = np.full(RUNS, MAX_ITERATIONS)
    error = np.full(RUNS, np.nan)
    running = np.ones(RUNS, dtype=bool)
    for t in range(MAX_ITERATIONS):
        rule.move(swarm, *rule.parameters(swarm, t))
        done = running & (np.ptp(swarm.positions, axis=1).max(axis=1) <= BOX)
        stop[done], error[done] = t + 1, swarm.gbest_fitness[done] - fstar
        running &= ~done
        if not running.any():
            break
    error[running] = swarm.gbest_fitness[running] - fstar
    return stop, error


def main() -> None:
    out = Path(__file__).with_suffix(".csv")
    rows, lines = [], []
    for name in FUNCTIONS:
        cells = {r.name: run_cell(r, name) for r in (EMPSO(), MPSO())}
        (ie, ee), (im, em) = cells["EMPSO"], cells["MPSO"]
        code_i, p_i = rank_sum_code(ie, im)
        code_e, p_e = rank_sum_code(ee, em)
        for algo, (it, err) in cells.items():
            rows += [{"function": name, "algorithm": algo, "seed": s, "iterations": int(i), "error": float(e)}
                     for s, (i, e) in enumerate(zip(it, err))]
        paper = PAPER_ITERATIONS.get(name)
        lines.append(f"| {name} | {ie.mean():.1f} ± {ie.std(ddof=1):.1f} | {im.mean():.1f} ± {im.std(ddof=1):.1f} | "
                     f"{code_i:+d} (p={p_i:.1g}) | {ee.mean():.2e} ± {ee.std(ddof=1):.1e} | "
                     f"{em.mean():.2e} ± {em.std(ddof=1):.1e} | {code_e:+d} (p={p_e:.1g}) | "
                     f"{int((ie == MAX_ITERATIONS).sum())} / {int((im == MAX_ITERATIONS).sum())} | "
                     f"{'' if paper is None else f'{paper[0]} / {paper[1]}'} |")
        print(lines[-1], file=sys.stderr, flush=True)
    with out.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print("| function | EMPSO iterations | MPSO iterations | rank-sum (iterations) | EMPSO error | MPSO error | "
          "rank-sum (error) | runs at 1e4 (EMPSO / MPSO) | paper iterations (EMPSO / MPSO) |")
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
