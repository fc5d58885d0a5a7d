"""Time per iteration of our swarm (one run, B = 1) against pyswarms' GlobalBestPSO, EvoX's PSO and the CPU floor.

Same problem for all: Rastrigin (our ``evaluate`` for pyswarms too), N = D = 30, 1000 iterations,
w = 0.7, c1 = c2 = 1.5, velocity clamp 0.2 of the range, positions clipped to the box (pyswarms:
bh_strategy="nearest"; EvoX its own way). A second row adds the evolutionary factor (what the environment
computes every iteration). EvoX (1.x, PyTorch) runs eager on one thread through its `StdWorkflow`; its row
is skipped when it is not installed (`pip install --no-deps -r perf/requirements.txt`).

The floor is what any implementation must pay on this CPU: the uniform draws of r1 and r2 (2 N D values
into a reused buffer), the N D cosines of Rastrigin (into a reused buffer) and one elementwise pass over
an (N, D) array. Targets: ours <= 2x the floor and >= 3x faster than pyswarms and EvoX.

Run: PYTHONPATH=. .venv/bin/python perf/swarm_vs_pyswarms.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import logging
import time

import numpy as np

from benchmarks_fn import get_function
from pso_env import Swarm

N, D, ITERS, W, C1, C2 = 30, 30, 1000, 0.7, 1.5, 1.5


def ours(fn, seed: int, with_factor: bool) -> tuple[float, float]:
    swarm = Swarm(fn, N, np.random.default_rng(seed), batch_size=1)
    t0 = time.perf_counter()
    for _ in range(ITERS):
        swarm.step(W, C1, C2)
        if with_factor:
            swarm.evolutionary_factor()
    return (time.perf_counter() - t0) / ITERS, float(swarm.gbest_fitness[0])


def floor(seed: int) -> tuple[float, float]:
    """Seconds of the floor's work per iteration: 2 N D uniforms, N D cosines, one pass over (N, D)."""
    rng = np.random.default_rng(seed)
    r, x, c, out = np.empty((2, N, D)), rng.random((N, D)), np.empty((N, D)), np.empty((N, D))
    t0 = time.perf_counter()
    for _ in range(ITERS):
        rng.random(out=r)
        np.cos(x, out=c)
        np.add(x, c, out=out)
    return (time.perf_counter() - t0) / ITERS, float("nan")


def pyswarms_run(fn, seed: int) -> tuple[float, float]:
    import pyswarms as ps

    np.random.seed(seed)  # pyswarms draws from numpy's global random state
    vmax = 0.2 * (fn.upper[0] - fn.lower[0])
    opt = ps.single.GlobalBestPSO(
        n_particles=N, dimensions=D, options={"c1": C1, "c2": C2, "w": W},
        bounds=(np.array(fn.lower), np.array(fn.upper)), bh_strategy="nearest", velocity_clamp=(-vmax, vmax),
    )
    t0 = time.perf_counter()
    cost, _ = opt.optimize(fn.evaluate, iters=ITERS, verbose=False)
    return (time.perf_counter() - t0) / ITERS, cost


def evox_run(fn, seed: int) -> tuple[float, float]:
    import torch
    from evox.algorithms import PSO
    from evox.problems.numerical import Rastrigin
    from evox.workflows import StdWorkflow

    torch.manual_seed(seed)  # EvoX draws from torch's global generator
    lb = torch.tensor(np.array(fn.lower, dtype=np.float64))
    ub = torch.tensor(np.array(fn.upper, dtype=np.float64))
    workflow = StdWorkflow(PSO(N, lb, ub, w=W, phi_p=C1, phi_g=C2), Rastrigin())
    workflow.init_step()
    t0 = time.perf_counter()
    for _ in range(ITERS):
        workflow.step()
    return (time.perf_counter() - t0) / ITERS, float(workflow.algorithm.global_best_fit)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs of each, the minimum time is kept (default 5)")
    args = parser.parse_args()
    logging.getLogger("pyswarms").setLevel(logging.ERROR)
    fn = get_function("rastrigin", D)
    try:
        import evox  # noqa: F401
        import torch

        torch.set_num_threads(1)
        runs = {"EvoX PSO (eager)": evox_run}
    except ImportError:
        print("EvoX not installed: its row is skipped (pip install --no-deps -r perf/requirements.txt)")
        runs = {}
    runs = {"floor": lambda fn, r: floor(r), "ours (step)": lambda fn, r: ours(fn, r, False),
            "ours (step + f)": lambda fn, r: ours(fn, r, True), "pyswarms GlobalBestPSO": pyswarms_run, **runs}
    rows = {k: [] for k in runs}
    bests = {k: [] for k in rows}
    ours(fn, 0, True)  # compile / load the kernels before timing
    for r in range(args.repeats):  # interleaved so that machine noise hits all of them alike
        for key, run in runs.items():
            t, best = run(fn, r)
            rows[key].append(t)
            bests[key].append(best)
    ref, low = min(rows["pyswarms GlobalBestPSO"]), min(rows["floor"])
    print(f"Rastrigin N={N} D={D}, {ITERS} iterations, {args.repeats} runs each (min time per iteration)")
    evox_ref = min(rows.get("EvoX PSO (eager)", [float("nan")]))
    print(f"{'implementation':26s} {'us/iteration':>13s} {'this / floor':>13s} {'pyswarms / this':>16s} "
          f"{'EvoX / this':>12s} {'median best':>12s}")
    for key, times in rows.items():
        t = min(times)
        print(f"{key:26s} {t * 1e6:13.1f} {t / low:13.2f} {ref / t:16.2f} {evox_ref / t:12.2f} "
              f"{np.median(bests[key]):12.2f}")


if __name__ == "__main__":
    main()
