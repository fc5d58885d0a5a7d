"""Wall time of an evaluation grid through the local process pool and through Ray, on this machine.

Two tables:

1. **Overhead**: the paper protocol's grid (the default algorithms on the ten paper functions, D = 30,
   N = 30, 1000 iterations; ``--runs`` seeds, the paper's 10 by default) with ``evaluate.py``'s local
   pool (``--jobs 2``) and with Ray on a local instance of 2 CPUs (``RayExecutor``), each into a fresh
   output directory; the two summaries are checked equal (timing column aside). Ray's time is given
   without and with the start and stop of its instance.
2. **Scaling**: the same grid (``--scaling-runs`` seeds) on a simulated cluster of k Ray nodes of one CPU
   each (``ray.cluster_utils.Cluster``, every node a raylet on this machine), k = 1, 2, 4. On a machine
   with c cores, no k beyond c can be faster: the nodes share the cores.

Wall times are of ``run_protocol`` alone (report writing excluded); numba's cache is warm (one untimed
run of the grid's first run in this process first).

Run: .venv/bin/python perf/distributed.py [--runs 10] [--scaling-runs 2] [--nodes 1,2,4]
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
import time
from pathlib import Path

import ray
from ray.cluster_utils import Cluster

from evaluation.executors import LocalPool, RayExecutor
from evaluation.protocol import run_protocol
from evaluation.registry import DEFAULT_ALGORITHMS, resolve_algorithm
from evaluation.report import TIMING_COLUMNS, write_report

SETTINGS = {"swarm_size": 30, "iterations": 1000, "dim": 30, "progress": False}
ALGORITHMS = ",".join(DEFAULT_ALGORITHMS)


def _timed(executor, runs: int, out: Path) -> float:
    start = time.perf_counter()
    result = run_protocol(ALGORITHMS, "paper", runs=runs, out_dir=out, executor=executor, **SETTINGS)
    wall = time.perf_counter() - start
    assert result.done_now == len(result.algorithms) * len(result.functions) * runs
    return wall


def _summary(out: Path) -> list[dict[str, str]]:
    write_report(out, reference=resolve_algorithm(DEFAULT_ALGORITHMS[0]).name)
    with open(out / "summary.csv", newline="") as f:
        return [{k: v for k, v in r.items() if k not in TIMING_COLUMNS} for r in csv.DictReader(f)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="seeds of the overhead table")
    parser.add_argument("--scaling-runs", type=int, default=2, help="seeds of the scaling table")
    parser.add_argument("--nodes", default="1,2,4", help="node counts of the scaling table")
    args = parser.parse_args()
    path = os.pathsep.join([str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")])
    runtime_env = {"env_vars": {"PYTHONPATH": path}}  # workers import this checkout
    print(f"{os.cpu_count()} cores; grid: {len(DEFAULT_ALGORITHMS)} algorithms x 10 paper functions, D = 30, "
          "N = 30, 1000 iterations")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        run_protocol(ALGORITHMS, "sphere", runs=1, out_dir=root / "warm", jobs=1, **{**SETTINGS, "iterations": 5})
        runs = len(DEFAULT_ALGORITHMS) * 10 * args.runs
        local = _timed(LocalPool(2), args.runs, root / "local")
        start = time.perf_counter()
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, runtime_env=runtime_env)
        on_ray = _timed(RayExecutor(), args.runs, root / "ray")
        ray.shutdown()
        on_ray_with_start = time.perf_counter() - start
        print(f"\n| executor (2 CPUs) | runs | wall s | runs/s |\n|---|---|---|---|\n"
              f"| local pool, --jobs 2 | {runs} | {local:.1f} | {runs / local:.2f} |\n"
              f"| Ray, local instance: run_protocol | {runs} | {on_ray:.1f} | {runs / on_ray:.2f} |\n"
              f"| Ray, with ray.init and ray.shutdown | {runs} | {on_ray_with_start:.1f} | {runs / on_ray_with_start:.2f} |",
              flush=True)
        print(f"summaries equal (timing column aside): {_summary(root / 'local') == _summary(root / 'ray')}", flush=True)
        rows = []
        for k in (int(n) for n in args.nodes.split(",")):
            cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
            for _ in range(k - 1):
                cluster.add_node(num_cpus=1)
            ray.init(address=cluster.address, include_dashboard=False, log_to_driver=False, runtime_env=runtime_env)
            wall = _timed(RayExecutor(), args.scaling_runs, root / f"nodes{k}")
            ray.shutdown()
            cluster.shutdown()
            rows.append((k, wall))
        n = len(DEFAULT_ALGORITHMS) * 10 * args.scaling_runs
        print("\n| Ray nodes x 1 CPU | runs | wall s | speed-up over 1 node |\n|---|---|---|---|")
        for k, wall in rows:
            print(f"| {k} | {n} | {wall:.1f} | {rows[0][1] / wall:.2f} |")


if __name__ == "__main__":
    main()
