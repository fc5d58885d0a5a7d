"""Throughput of the torch swarm on one accelerator: swarm-iterations and particle-dimension updates per second.

Rastrigin (objective included), N = D = 30, w = 0.7, c1 = c2 = 1.5, B = 1,024 to 65,536, float32 and
float64, each eager and with ``Swarm._advance`` (update, bounds, objective, bests: the tensor work of
:meth:`pso_env.Swarm.step`) through ``torch.compile(fullgraph=True)``; the draw of r1, r2 and the host
counters stay eager around it. Per row: microseconds per batched iteration, swarm-iterations per second
(B / time), particle-dimension updates per second (B N D / time; the goal on an H100/H200-class GPU is
5e10 at B = 65,536) and the median best fitness after the timed iterations.

Run (GPU machine):  .venv/bin/python perf/gpu_swarm.py                 # cuda, all sizes, ~2-4 min
Run (CPU, a check): .venv/bin/python perf/gpu_swarm.py --device cpu --sizes 256 --iterations 20
"""

from __future__ import annotations

import argparse
import time
import warnings

import torch

from benchmarks_fn import get_function
from pso_env import Swarm

N, D, W, C1, C2 = 30, 30, 0.7, 1.5, 1.5


def timed(batch: int, device: str, dtype: str, compiled: bool, iterations: int) -> tuple[float, float]:
    """Seconds per batched iteration (after warm-up and compilation) and the median final best."""
    swarm = Swarm(get_function("rastrigin", D), N, 0, batch_size=batch, backend="torch", device=device,
                  dtype=dtype)
    if compiled:
        swarm._advance = torch.compile(swarm._advance, fullgraph=True)
    step = swarm.step
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    for _ in range(3):  # warm-up: kernels, caches, compilation
        step(W, C1, C2)
    sync()
    t0 = time.perf_counter()
    for _ in range(iterations):
        step(W, C1, C2)
    sync()
    return (time.perf_counter() - t0) / iterations, float(swarm.gbest_fitness.median())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", help="torch device (default cuda)")
    parser.add_argument("--sizes", default="1024,4096,16384,65536", help="batch sizes, comma-separated")
    parser.add_argument("--dtypes", default="float32,float64", help="comma-separated (default both)")
    parser.add_argument("--iterations", type=int, default=100, help="timed iterations per row (default 100)")
    parser.add_argument("--no-compile", action="store_true", help="eager rows only")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", module=r"torch\._dynamo.*")  # notes on array-api-compat's caches
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit("no CUDA device: run with --device cpu for a check on this machine")
    name = torch.cuda.get_device_name(args.device) if args.device.startswith("cuda") else "CPU"
    print(f"torch {torch.__version__} on {name}; Rastrigin N={N} D={D}, {args.iterations} timed iterations")
    print(f"{'B':>7s} {'dtype':>8s} {'mode':>8s} {'us/iter':>10s} {'swarm-it/s':>12s} {'pd-updates/s':>13s} "
          f"{'median best':>12s}")
    for batch in (int(b) for b in args.sizes.split(",")):
        for dtype in args.dtypes.split(","):
            for compiled in (False,) if args.no_compile else (False, True):
                mode = "compiled" if compiled else "eager"
                try:
                    t, best = timed(batch, args.device, dtype, compiled, args.iterations)
                except torch.OutOfMemoryError:
                    print(f"{batch:7d} {dtype:>8s} {mode:>8s}  out of memory")
                    continue
                print(f"{batch:7d} {dtype:>8s} {mode:>8s} {t * 1e6:10.1f} {batch / t:12.3g} "
                      f"{batch * N * D / t:13.3g} {best:12.2f}", flush=True)
                torch.cuda.empty_cache() if args.device.startswith("cuda") else None


if __name__ == "__main__":
    main()
