"""Per-swarm-iteration cost of the batched swarms against B single swarms, side by side in one process.

Rastrigin (``--function``), N = D = 30. At each batch size B (``--sizes``): ``single`` (B swarms of one run
each, stepped one after another: the reference), ``batch`` (one :class:`pso_env.Swarm` of B swarms) and
``torch-cpu`` (the same with ``backend="torch"``, ``--torch-threads``), each also "with f" (plus the
evolutionary factor, what an environment step needs). Reported: microseconds per swarm-iteration (minimum
over interleaved repeats) and single / batched. A second table runs all ten paper functions at B = 256
(single against batch) with the cost of the batched objective evaluation alone, which batching cannot
shrink. With a CUDA device, torch on the GPU is timed at B = 1024 and 8192 against the numpy batch.

Run: .venv/bin/python perf/batched_swarm.py [--repeats 5] [--budget 0.25] [--function sphere] [--sizes 1,16,256]
     [--suite-batch 256]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import torch

from benchmarks_fn import get_function, get_suite
from pso_env import Swarm
from pso_env.objective import evaluate_groups

N, D = 30, 30
FUNCTION = get_function("rastrigin", D)  # --function replaces it


def _coefs(b: int, device: str | None = None) -> tuple:
    rng = np.random.default_rng(1)
    w, c1, c2 = rng.uniform(0.4, 0.9, b), rng.uniform(1.5, 2.5, b), rng.uniform(1.5, 2.5, b)
    if device is None:
        return w, c1, c2
    return tuple(torch.as_tensor(a, device=device) for a in (w, c1, c2))


def make_single(b: int, with_f: bool) -> Callable[[], None]:
    swarms = [Swarm(FUNCTION, N, np.random.default_rng(i), batch_size=1) for i in range(b)]
    w, c1, c2 = (a.tolist() for a in _coefs(b))

    def step() -> None:
        for s, wi, c1i, c2i in zip(swarms, w, c1, c2):
            s.step(wi, c1i, c2i)
            if with_f:
                s.evolutionary_factor()
    return step


def make_batch(b: int, with_f: bool, device: str | None = None) -> Callable[[], None]:
    """One swarm of B: numpy (``device`` None) or torch on ``device`` (f copied to the host, as the env does)."""
    torch_args = {} if device is None else {"backend": "torch", "device": device}
    swarm = Swarm(FUNCTION, N, np.random.default_rng(0), batch_size=b, **torch_args)
    w, c1, c2 = _coefs(b, device)
    host = (lambda f: f) if device is None else (lambda f: f.cpu())
    sync = torch.cuda.synchronize if device is not None and device.startswith("cuda") else None

    def step() -> None:
        swarm.step(w, c1, c2)
        if with_f:
            host(swarm.evolutionary_factor())
        if sync:
            sync()
    return step


def per_swarm_iteration(step: Callable[[], None], b: int, budget: float) -> float:
    """Seconds per swarm-iteration of one timed run of about ``budget`` seconds (after a warm-up)."""
    step()
    t0 = time.perf_counter()
    step()
    one = max(time.perf_counter() - t0, 1e-6)
    iters = max(2, int(budget / one))
    t0 = time.perf_counter()
    for _ in range(iters):
        step()
    return (time.perf_counter() - t0) / (iters * b)


def run_table(sizes: tuple[int, ...], makers: dict[str, Callable[[int, bool], Callable[[], None]]],
              repeats: int, budget: float, reference: str) -> None:
    print(f"{'B':>6s} {'with f':>6s} " + " ".join(f"{name + ' us':>13s}" for name in makers)
          + " " + " ".join(f"{reference + '/' + name:>16s}" for name in makers if name != reference))
    for b in sizes:
        for with_f in (False, True):
            steps = {name: make(b, with_f) for name, make in makers.items()}
            times: dict[str, list[float]] = {name: [] for name in makers}
            for _ in range(repeats):  # interleaved, so that machine noise hits every column alike
                for name, step in steps.items():
                    times[name].append(per_swarm_iteration(step, b, budget))
            best = {name: min(ts) for name, ts in times.items()}
            ratios = " ".join(f"{best[reference] / best[name]:16.2f}" for name in makers if name != reference)
            print(f"{b:6d} {'yes' if with_f else 'no':>6s} "
                  + " ".join(f"{best[name] * 1e6:13.2f}" for name in makers) + " " + ratios, flush=True)


def suite_table(b: int, repeats: int, budget: float) -> None:
    """Single against batch at one B on every paper function, with the batched evaluation's own cost."""
    global FUNCTION
    print(f"\nall paper functions, B={b}, without f; us per swarm-iteration")
    print(f"{'function':12s} {'D':>3s} {'single':>8s} {'batch':>8s} {'single/batch':>13s} {'batch eval':>11s} {'eval share':>11s}")
    for entry in get_suite("paper"):  # D = 30, Drop-wave D = 2
        name = entry.name
        FUNCTION = get_function(name, entry.dim)
        single, batch = make_single(b, False), make_batch(b, False)
        swarm = Swarm(FUNCTION, N, np.random.default_rng(0), batch_size=b)

        def evaluate(swarm: Swarm = swarm) -> None:
            evaluate_groups(swarm._groups, swarm.positions)
        ts: dict[str, list[float]] = {"single": [], "batch": [], "eval": []}
        for _ in range(repeats):
            for key, step in (("single", single), ("batch", batch), ("eval", evaluate)):
                ts[key].append(per_swarm_iteration(step, b, budget))
        t = {k: min(v) * 1e6 for k, v in ts.items()}
        print(f"{name:12s} {entry.dim:3d} {t['single']:8.2f} {t['batch']:8.2f} {t['single'] / t['batch']:13.2f} "
              f"{t['eval']:11.2f} {t['eval'] / t['batch']:11.0%}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="interleaved runs of each, minimum kept (default 5)")
    parser.add_argument("--budget", type=float, default=0.25, help="seconds per timed run (default 0.25)")
    parser.add_argument("--torch-threads", type=int, default=1, help="torch CPU threads (default 1, like numpy)")
    parser.add_argument("--function", default="rastrigin", help="paper function to run (default rastrigin)")
    parser.add_argument("--sizes", default="1,16,256", help="CPU batch sizes (default 1,16,256)")
    parser.add_argument("--suite-batch", type=int, default=256,
                        help="B of the all-functions table (default 256; 0 skips it)")
    args = parser.parse_args()
    global FUNCTION
    FUNCTION = get_function(args.function, D)
    torch.set_num_threads(args.torch_threads)
    print(f"{args.function} N={N} D={D}; us per swarm-iteration, min of {args.repeats} interleaved runs of "
          f"~{args.budget}s; torch CPU threads={torch.get_num_threads()}; numpy {np.__version__}, torch {torch.__version__}")
    run_table(tuple(int(b) for b in args.sizes.split(",")), {"single": make_single, "batch": make_batch,
                                                                 "torch-cpu": lambda b, f: make_batch(b, f, "cpu")},
              args.repeats, args.budget, "single")
    if args.suite_batch:
        suite_table(args.suite_batch, args.repeats, args.budget)
    if torch.cuda.is_available():
        print(f"\nCUDA: {torch.cuda.get_device_name(0)}; numpy batch against torch on the GPU")
        run_table((1024, 8192), {"batch": make_batch,
                                 "torch-cuda": lambda b, f: make_batch(b, f, "cuda")},
                  max(2, args.repeats // 2), args.budget, "batch")
    else:
        print("\nno CUDA device: GPU timings skipped")


if __name__ == "__main__":
    main()
