"""Evaluation grids on Ray (evaluation.executors.RayExecutor): the same store and summary as the local pool,
worker deaths retried without losing or doubling a run, interruption and resume, models through the object
store, and the one-line error without Ray. One local Ray instance (2 CPUs) serves the module."""

from __future__ import annotations

import csv
import dataclasses
import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from evaluation.protocol import run_protocol
from evaluation.records import function_name
from evaluation.registry import Algorithm, resolve_algorithm
from evaluation.report import TIMING_COLUMNS, write_report
from evaluation.storage import CURVES_FILE, RUNS_FILE, load_results

ROOT = Path(__file__).resolve().parents[1]
TINY = {"swarm_size": 10, "iterations": 30, "dim": 5, "checkpoint_every": 10, "progress": False}
GRID = {"algorithms": "APSO,PSO,random-search,pretrained", "functions": "sphere,rastrigin", "runs": 3}
N_RUNS = 4 * 2 * 3


@pytest.fixture(scope="module")
def ray_session():
    ray = pytest.importorskip("ray")
    # a fresh local instance ("local": never a cluster started on this machine); its workers import this
    # checkout and this folder (the test algorithm below) first
    path = os.pathsep.join([str(ROOT), str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")])
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": path}})
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    out = tmp_path_factory.mktemp("local")
    assert run_protocol(**GRID, out_dir=out, jobs=2, **TINY).done_now == N_RUNS
    write_report(out, reference="APSO")
    return out


def _summary(out: Path) -> list[dict[str, str]]:
    with open(out / "summary.csv", newline="") as f:
        return [{k: v for k, v in row.items() if k not in TIMING_COLUMNS} for row in csv.DictReader(f)]


def _rows(out: Path) -> list[tuple]:
    """Every line of runs.csv (duplicates kept) with its curve, timing columns aside, sorted."""
    with open(out / RUNS_FILE, newline="") as f:
        rows = [{k: v for k, v in row.items() if k not in ("cpu_seconds", "wall_seconds")}
                for row in csv.DictReader(f)]
    with gzip.open(out / CURVES_FILE, "rt") as f:
        curves = [json.loads(line) for line in f]
    assert len(curves) == len(rows)
    by_key = {(c["algorithm"], c["function"], str(c["seed"])): c["curve"] for c in curves}
    return sorted((*r.values(), tuple(by_key[r["algorithm"], r["function"], r["seed"]])) for r in rows)


def _executor():
    from evaluation.executors import RayExecutor

    return RayExecutor()


@dataclasses.dataclass(frozen=True)
class DiesOnce(Algorithm):
    """PSO whose run on rastrigin with seed 1 kills its worker process the first time (a marker file)."""

    marker: str = ""

    def __call__(self, function, swarm_size, iterations, seed, checkpoint_every, *optional):
        if seed == 1 and function_name(function) == "rastrigin" and not os.path.exists(self.marker):
            Path(self.marker).write_text(str(os.getpid()))
            os._exit(1)
        return super().__call__(function, swarm_size, iterations, seed, checkpoint_every, *optional)


@pytest.mark.slow
def test_a_worker_killed_mid_grid_is_retried_and_every_run_is_stored_once(ray_session, local, tmp_path):
    """A grid through Ray gives the local pool's runs and summary, even when a worker dies mid-grid."""
    marker = tmp_path / "died"
    algorithms = [resolve_algorithm(a) for a in ("APSO", "random-search", "pretrained")]
    algorithms.insert(1, DiesOnce("PSO", "variant", "PSO", marker=str(marker)))
    out = tmp_path / "out"
    result = run_protocol(algorithms, GRID["functions"], runs=GRID["runs"], out_dir=out, executor=_executor(),
                          **TINY)
    assert marker.exists() and int(marker.read_text()) != os.getpid()  # a worker died mid-grid
    assert (result.done_before, result.done_now) == (0, N_RUNS)
    assert ray_session.is_initialized()  # an instance the caller started is left running
    rows = _rows(out)
    assert len({(r[0], r[1], r[3]) for r in rows}) == len(rows) == N_RUNS  # (algorithm, function, seed) once
    write_report(out, reference="APSO")
    assert rows == _rows(local) and _summary(out) == _summary(local)


@pytest.mark.slow
def test_an_interrupted_ray_evaluation_resumes_to_the_same_summary(ray_session, local, tmp_path):
    class Stop(Exception):
        pass

    seen = []

    def stop_after_five(record):
        seen.append(record)
        if len(seen) == 5:
            raise Stop

    with pytest.raises(Stop):
        run_protocol(**GRID, out_dir=tmp_path, executor=_executor(), on_record=stop_after_five, **TINY)
    assert len(load_results(tmp_path)[0]) == 5
    half = run_protocol(**{**GRID, "runs": 2}, out_dir=tmp_path, jobs=1, **TINY)  # resumed locally, in part
    assert (half.done_before, half.done_now) == (5, 16 - 5)
    result = run_protocol(**GRID, out_dir=tmp_path, executor=_executor(), **TINY)  # ... and on Ray
    assert (result.done_before, result.done_now) == (16, N_RUNS - 16)
    write_report(tmp_path, reference="APSO")
    assert _rows(tmp_path) == _rows(local) and _summary(tmp_path) == _summary(local)


def test_agent_models_reach_the_workers_through_the_object_store(ray_session, tmp_path):
    from agents.dqn import DQNAgent
    from benchmarks_fn import get_function
    from pso_env import PSOEnv

    directory = tmp_path / "my_agent"
    DQNAgent(PSOEnv(function="sphere", dim=5, swarm_size=10, max_iterations=5), hidden_sizes=(32,), seed=0
             ).save(str(directory / "model"))
    (directory / "run.json").write_text(json.dumps({"algo": "custom-dqn", "obs_mode": "viterbi"}))
    algorithm, sphere = resolve_algorithm(f"agent:{directory}"), get_function("sphere", 5)
    expected = [algorithm(sphere, 10, 12, seed, 5).curve for seed in range(3)]
    records = []
    # the directory is gone once the objects are in the store, before the first task starts
    _executor().run([(algorithm, sphere, 10, 12, seed, 5) for seed in range(3)], warm=([algorithm], [sphere]),
                    store=records.append, ready=lambda: shutil.move(directory, tmp_path / "moved"))
    assert not directory.exists()
    assert sorted((r.seed, r.algorithm, tuple(r.curve)) for r in records) == [
        (seed, "agent:my_agent", tuple(curve)) for seed, curve in enumerate(expected)]


def test_without_ray_the_ray_executor_fails_with_one_line_saying_how_to_install_it(tmp_path):
    program = ("import sys, runpy; sys.modules['ray'] = None; sys.argv = ['evaluate.py', '--executor', 'ray', "
               f"'--out', {str(tmp_path / 'out')!r}]; runpy.run_path('evaluate.py', run_name='__main__')")
    done = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 2 and done.stdout == ""
    line = ('evaluate.py: error: --executor ray: the ray executor needs Ray, which is not installed: '
            'pip install -e ".[distributed]" (or pip install "ray>=2.60")')
    assert done.stderr.splitlines() == [line]
    assert not (tmp_path / "out").exists()


def _train_agent():
    import importlib.util

    spec = importlib.util.spec_from_file_location("train_agent_cli", ROOT / "train_agent.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TRAIN = ["--functions", "sphere", "--held-out", "ackley", "--dim", "5", "--swarm-size", "10", "--iterations", "20",
         "--checkpoint-every", "100", "--eval-every", "100", "--no-progress"]


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.slow
def test_a_training_sweep_on_ray_resumes_and_equals_local_runs(ray_session, tmp_path, capsys):
    train = _train_agent()
    sweep = tmp_path / "sweep"
    assert train.main([*TRAIN, "--seeds", "0,1", "--timesteps", "200", "--executor", "ray", "--out", str(sweep)]) == 0
    with pytest.raises(SystemExit, match="2"):
        train.main([*TRAIN, "--seeds", "0,1", "--timesteps", "200", "--executor", "ray", "--out", str(sweep)])
    assert "already holds this run: pass --resume" in capsys.readouterr().err  # checked before anything runs
    assert train.main([*TRAIN, "--seeds", "0,1", "--timesteps", "300", "--executor", "ray", "--resume",
                       "--out", str(sweep)]) == 0
    # one run made and resumed locally: the same checkpoints, logs and scores as the sweep's run of its seed
    single = tmp_path / "single"
    assert train.main([*TRAIN, "--seed", "1", "--timesteps", "200", "--out", str(single)]) == 0
    assert train.main([*TRAIN, "--seed", "1", "--timesteps", "300", "--out", str(single), "--resume"]) == 0
    ran = sweep / "seed1"
    assert sorted(p.name for p in (ran / "checkpoints").iterdir()) == sorted(
        p.name for p in (single / "checkpoints").iterdir())
    for name in ("progress.csv", "episodes.csv"):
        assert _csv(ran / name) == _csv(single / name)
    summary = _csv(sweep / "sweep.csv")
    assert sorted(r["run"] for r in summary) == ["seed0", "seed1"] and {r["steps"] for r in summary} == {"300"}
    scores = {r["run"]: min(float(p["held_out_score"]) for p in _csv(sweep / r["run"] / "progress.csv"))
              for r in summary}
    assert [float(r["held_out_score"]) for r in summary] == sorted(scores.values())
    assert f"best run {sweep / summary[0]['run']}" in capsys.readouterr().out
