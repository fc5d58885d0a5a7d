"""Anytime views: improvements at their evaluation counts, IOHprofiler logs, runtime ECDFs and ERT."""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import numpy as np
import pytest

from benchmarks_fn import from_callable
from evaluation import anytime
from evaluation.protocol import run_protocol
from evaluation.report import write_report
from evaluation.storage import CURVES_FILE, load_results

INF = math.inf


def test_hitting_times_and_value_at_by_hand():
    e, v = [1, 5, 12, 30], [10.0, 3.0, 1.0, 0.01]
    got = anytime.hitting_times(e, v, [20, 10, 5, 1, 0.1, 0.001])
    np.testing.assert_array_equal(got, [1, 1, 5, 12, 30, INF])
    assert anytime.hitting_times([], [], [1.0]).tolist() == [INF]
    assert [anytime.value_at(e, v, b) for b in (0, 4, 5, 29, 1000)] == [INF, 10.0, 3.0, 1.0, 0.01]


def test_ert_counts_the_full_budget_of_unsuccessful_runs():
    # COCO: (100 + 300 hitting times + 2000, the budget of the run that missed) / 2 successes
    assert anytime.ert([100, INF, 300], [1000, 2000, 1000]) == (1200.0, 2)
    assert anytime.ert([INF, INF], [10, 20]) == (INF, 0)
    assert anytime.ert([7], [7]) == (7.0, 1)
    with pytest.raises(ValueError, match="budgets"):
        anytime.ert([1, 2], [3])


def test_runtime_ecdf_weighs_functions_equally():
    # a: 2 runs x 2 targets (weight 1/8 each pair), b: 1 run x 2 targets (1/4 each), b's times / 2
    x, y = anytime.runtime_ecdf({"a": np.array([[1, INF], [3, 4]]), "b": np.array([[2, 2]])}, {"b": 2.0})
    np.testing.assert_array_equal(x, [1, 1, 1, 3, 4])
    np.testing.assert_allclose(y, [0.125, 0.375, 0.625, 0.75, 0.875])  # a's missed target never counts
    with pytest.raises(ValueError, match="times"):
        anytime.runtime_ecdf({})


def test_tracked_records_improvements_at_their_counts():
    fn = from_callable(lambda X: X[:, 0], 2, -10, 10, vectorized=True)
    tracked = anytime.Tracked(fn)
    tracked.evaluate(np.array([[5.0, 0], [np.nan, 0], [3.0, 0]]))
    tracked.evaluate(np.array([[3.0, 0], [-np.inf, 0], [1.0, 0]]))
    assert tracked.improvements == [(1, 5.0), (3, 3.0), (6, 1.0)]  # NaN and -inf are +inf, ties no improvement
    assert tracked.evaluations == 6 and tracked.dim == 2 and tracked.name == fn.name


def test_function_groups():
    assert anytime.function_group("sphere[shift,rotate,seed=0]") == "unimodal"
    assert [anytime.function_group(f"bbob:f{i}") for i in (1, 3, 14, 15)] == ["unimodal", "multimodal",
                                                                              "unimodal", "multimodal"]
    assert anytime.function_group("custom") is None


def _read_ioh(folder: Path) -> dict:
    """A plain parser of IOHprofiler folders: (algorithm, function) -> runs [(evaluations, raw_y, evals)]."""
    out: dict = {}
    for meta_path in sorted(folder.glob("*/IOHprofiler_f*.json")):
        meta = json.loads(meta_path.read_text())
        for scenario in meta["scenarios"]:
            blocks = (meta_path.parent / scenario["path"]).read_text().split("evaluations raw_y\n")[1:]
            assert len(blocks) == len(scenario["runs"])
            for block, run in zip(blocks, scenario["runs"]):
                data = np.array([line.split() for line in block.splitlines()], dtype=float)
                out.setdefault((meta["algorithm"]["name"], meta["function_name"]), []).append(
                    (data[:, 0], data[:, 1], run["evals"]))
    return out


def test_ioh_logs_read_back_as_the_stored_runs(tmp_path):
    grid = {"swarm_size": 6, "iterations": 25, "dim": 3, "checkpoint_every": 5, "progress": False}
    run_protocol("PSO,APSO,cmaes", "sphere,bbob:f1", runs=2, out_dir=tmp_path, ioh_log=tmp_path / "ioh", **grid)
    rows, curves = load_results(tmp_path)
    logs = _read_ioh(tmp_path / "ioh")
    assert not any((tmp_path / "ioh" / anytime.PENDING).iterdir())
    names = {"sphere": "sphere", "bbob:f1": "Sphere"}  # ioh's own problem keeps its name
    assert len(logs) == 6 and all(len(runs) == 2 for runs in logs.values())
    for row in rows:
        key = (row["algorithm"], row["function"], row["seed"])
        evals, raw, total = logs[(row["algorithm"], names[row["function"]])][row["seed"]]  # stored seed-major
        best = np.minimum.accumulate(raw)
        better = np.r_[True, best[1:] < best[:-1]]
        f_star = curves[key]["optimum"]  # the logs hold f - f*, as ioh logs its own problems
        close = {"rtol": 1e-13, "atol": 1e-13 * abs(f_star)}  # ioh's BBOB subtracts before adding f*: last bits
        stored = np.array(curves[key]["improvements"])
        assert evals[better].tolist() == stored[:, 0].tolist()
        np.testing.assert_allclose(best[better], stored[:, 1] - f_star, **close)
        assert total == row["evaluations"] == int(evals[-1])  # the counts the run record carries
        if row["algorithm"] != "APSO":  # curve point k: after 6 (5 k + 1) evaluations
            at = [best[np.searchsorted(evals, 6 * (min(5 * k, 25) + 1), side="right") - 1]
                  for k in range(len(curves[key]["curve"]))]
            np.testing.assert_allclose(at, np.array(curves[key]["curve"]) - f_star, **close)
        assert curves[key]["improvements"][-1][1] == row["best_value"]


def test_ioh_logs_of_a_fixed_budget_hold_its_first_evaluations_only(tmp_path):
    """PSO overshoots B = 100 at N = 6 (its last iteration ends at 102); the logs stop at 100, as the record."""
    grid = {"swarm_size": 6, "iterations": 25, "dim": 3, "checkpoint_every": 5, "progress": False}
    run_protocol("PSO,APSO", "sphere,bbob:f1", runs=1, out_dir=tmp_path, ioh_log=tmp_path / "ioh",
                 max_evaluations=100, **grid)
    rows, curves = load_results(tmp_path)
    logs = _read_ioh(tmp_path / "ioh")
    names = {"sphere": "sphere", "bbob:f1": "Sphere"}
    assert len(logs) == 4
    for row in rows:
        evals, raw, total = logs[(row["algorithm"], names[row["function"]])][row["seed"]]
        assert total == row["evaluations"] == 100 and int(evals[-1]) <= 100
        f_star = curves[row["algorithm"], row["function"], row["seed"]]["optimum"]
        assert np.min(raw) == pytest.approx(row["best_value"] - f_star, rel=1e-12, abs=1e-12)


def test_report_anytime_views_exact_and_from_old_checkpoints(tmp_path):
    grid = {"swarm_size": 5, "iterations": 40, "dim": 2, "checkpoint_every": 10, "progress": False}
    run_protocol("PSO,random-search", "sphere,rastrigin", runs=2, out_dir=tmp_path, **grid)
    text = write_report(tmp_path).read_text()
    assert "every improvement at its evaluation count" in text and "### ERT to error 1e-08" in text
    assert (tmp_path / "ecdf_runtime.png").stat().st_size and (tmp_path / "ecdf_budget.png").stat().st_size
    rows, curves = load_results(tmp_path)
    row = next(r for r in rows if r["algorithm"] == "PSO" and r["function"] == "sphere")
    entry = dict(curves[(row["algorithm"], row["function"], row["seed"])])
    # results stored before improvements were recorded: checkpoints at 5 (t + 1) evaluations, t = 0, 10, .. 40
    old = {k: v for k, v in entry.items() if k != "improvements"}
    e, v, exact = anytime.run_trace(row, old, 40)
    assert not exact and e.tolist() == [5, 55, 105, 155, 205] and v.tolist() == entry["curve"]
    exact_e, exact_v, _ = anytime.run_trace(row, entry, 40)
    for point, value in zip(e, v):  # the checkpoints agree with the exact improvements
        assert anytime.value_at(exact_e, exact_v, point) == value
    with gzip.open(tmp_path / CURVES_FILE, "rt") as f:
        stripped = [{k: x for k, x in json.loads(line).items() if k != "improvements"} for line in f]
    (tmp_path / CURVES_FILE).write_bytes(gzip.compress("".join(json.dumps(s) + "\n" for s in stripped).encode()))
    assert "From the stored checkpoints only" in write_report(tmp_path).read_text()


# ------------------------------------------------------------------------------------------- fixed budget
@pytest.mark.parametrize("name", ["CLSPSO", "APSO", "pretrained", "PSO", "cmaes", "random-search"])
def test_a_fixed_budget_run_counts_only_its_first_evaluations(name):
    """``max_evaluations`` B: a run stops after the iteration that reaches B and is scored by the best of its first
    B evaluations, whatever it spends per iteration (CLSPSO 1.2 N, APSO and es N + 1, PSO N); an algorithm without
    a schedule (PSO's constants, CMA-ES, random search) makes the same run as without B, cut at B."""
    from benchmarks_fn import resolve_functions
    from evaluation.registry import resolve_algorithm

    f = resolve_functions("bbob:f7", 5)[0]
    algorithm = resolve_algorithm(name)
    full = algorithm(f, 10, 60, 2, 10)
    budget = 400  # of 610 (N (T + 1)) or more: every algorithm is cut
    capped = algorithm(f, 10, 60, 2, 10, None, budget)
    within = min(v for e, v in capped.improvements if e <= budget)
    assert capped.best_value == within and capped.error == pytest.approx(within - f.optimum_value)
    assert capped.evaluations == budget < full.evaluations
    assert min(capped.curve) == within and capped.curve == sorted(capped.curve, reverse=True)
    if name in ("PSO", "cmaes", "random-search"):
        assert [i for i in capped.improvements if i[0] <= budget] == [i for i in full.improvements if i[0] <= budget]
    if name not in ("cmaes", "random-search"):  # a PSO run stops after the iteration that reaches the budget
        assert len(capped.curve) < len(full.curve)
    assert algorithm(f, 10, 60, 2, 10, None, budget).best_value == capped.best_value  # deterministic


def test_schedules_plan_for_the_budget():
    """With B, LinWPSO's w falls with the evaluations spent before each iteration (GLEET's clock), w_t = 0.9 - 0.5 N
    (t + 1) / B, whatever ``iterations`` caps; without B it falls from 0.9 to 0.4 over ``iterations``."""
    from agents.controller import RuleController
    from agents.variants import LinWPSO
    from benchmarks_fn import resolve_functions
    from evaluation.runner import run

    rule, sphere = RuleController(LinWPSO()), resolve_functions("sphere", 3)[0]
    for iterations in (39, 100):
        record = run(rule, sphere, swarm_size=10, iterations=iterations, seed=0, max_evaluations=400)
        n = np.arange(1, len(record.extra["w"]) + 1)
        assert len(n) == 39 and record.evaluations == 400
        np.testing.assert_allclose(record.extra["w"], 0.9 - 0.5 * 10 * n / 400, rtol=0, atol=1e-15)
    assert run(rule, sphere, swarm_size=10, iterations=100, seed=0).extra["w"][-1] == pytest.approx(0.4)
    with pytest.raises(ValueError, match=r"max_evaluations=400 needs iterations >= 39 at swarm_size=10 .*"
                                         r"iterations=38\): raise iterations or lower max_evaluations"):
        run(rule, sphere, swarm_size=10, iterations=38, seed=0, max_evaluations=400)


def test_apso_sigma_and_the_progress_feature_follow_the_budget(monkeypatch):
    """APSO's elitist sigma and the env's progress feature are the evaluations spent / B; the env truncates at B."""
    import agents.apso
    from agents.apso import APSO
    from agents.controller import RuleController
    from benchmarks_fn import resolve_functions
    from evaluation.runner import run
    from pso_env import FEATURE_NAMES, PSOEnv

    calls = []
    real = agents.apso.elitist_learning
    monkeypatch.setattr(agents.apso, "elitist_learning",
                        lambda swarm, sigma, rows: calls.append((int(swarm.evaluations[0]), sigma)) or real(swarm, sigma, rows))
    run(RuleController(APSO()), resolve_functions("sphere", 3)[0], swarm_size=10, iterations=200, seed=1, max_evaluations=1000)
    assert calls and all(s == pytest.approx(1.0 - 0.9 * min(e / 1000, 1.0), abs=1e-15) for e, s in calls)

    env = PSOEnv(function="sphere", dim=3, swarm_size=10, max_iterations=200, max_evaluations=300,
                 obs_mode="features", action_mode="continuous", elitist=True)
    obs, info = env.reset(seed=0)
    steps, p = 0, FEATURE_NAMES.index("progress")
    while True:
        assert obs[p] == np.float32(min(info["evaluations"] / 300, 1.0))
        obs, _, terminated, truncated, info = env.step(np.array([0.0, 0.0, 0.0, 1.0 - 2.0 * (steps % 2)]))
        steps += 1
        if terminated or truncated:
            break
    assert truncated and info["evaluations"] >= 300 > info["evaluations"] - 11 and steps < 200
    assert obs[p] == 1.0


def test_a_fixed_budget_is_a_setting_of_the_output_directory(tmp_path):
    common = {"runs": 1, "swarm_size": 5, "iterations": 20, "dim": 2, "out_dir": tmp_path, "progress": False}
    run_protocol("PSO,CLSPSO", "sphere", max_evaluations=60, **common)
    rows, _ = load_results(tmp_path)
    assert {r["algorithm"]: r["evaluations"] for r in rows} == {"PSO": 60, "CLSPSO": 60}
    assert json.loads((tmp_path / "settings.json").read_text())["max_evaluations"] == 60
    with pytest.raises(ValueError, match="max_evaluations: 60 there, None now"):
        run_protocol("PSO", "sphere", **common)
    with pytest.raises(ValueError, match=r"max_evaluations must be an integer > swarm_size \(5: .*\), got 0"):
        run_protocol("PSO", "sphere", max_evaluations=0, **{**common, "out_dir": tmp_path / "new"})
    assert not (tmp_path / "new").exists()
    # a store made before schedules planned for the budget (no budget_clock) is refused, not resumed
    old = tmp_path / "old"
    old.mkdir()
    settings = json.loads((tmp_path / "settings.json").read_text())
    (old / "settings.json").write_text(json.dumps({k: v for k, v in settings.items() if k != "budget_clock"}))
    with pytest.raises(ValueError, match="budget_clock: None there, 'evaluations' now"):
        run_protocol("PSO", "sphere", max_evaluations=60, **{**common, "out_dir": old})


def test_budget_settings_are_checked_and_carried_to_every_run_path():
    """EnvConfig refuses a budget the initial swarm alone spends; the es search plans a budgeted env's generations
    for its planned iterations (tests/test_es.py: its episodes end at the budget); run_policy and run_variant carry the budget; env_kwargs cannot set the run's own settings;
    with a budget the stagnation scale and online DQNPSO's exploration follow the planned iterations."""
    from agents.baselines import run_variant
    from agents.controller import PolicyController, StaticPolicy, run_policy
    from agents.es import PolicySearch
    from benchmarks_fn import resolve_functions
    from pso_env import EnvConfig, PSOVectorEnv

    with pytest.raises(ValueError, match=r"max_evaluations must be None or more than swarm_size .* got "
                                         r"max_evaluations=10, swarm_size=10"):
        EnvConfig(swarm_size=10, max_evaluations=10)
    assert EnvConfig(swarm_size=10, max_iterations=1000, max_evaluations=400).horizon == 39
    assert EnvConfig(swarm_size=10, max_iterations=20, max_evaluations=400).horizon == 20  # the cap
    assert EnvConfig(max_iterations=50).horizon == 50
    env = PSOVectorEnv(2, function="sphere", dim=3, swarm_size=10, max_evaluations=400, action_mode="continuous")
    assert PolicySearch(env).steps_per_generation == 16 * 1 * 2 * 39  # popsize, functions, runs, planned iterations
    with pytest.raises(ValueError, match="env_kwargs must not hold 'max_evaluations'"):
        PolicyController(StaticPolicy([0, 1, 2, 3]), env_kwargs={"max_evaluations": 400})
    sphere = resolve_functions("sphere", 3)[0]
    assert run_variant("LinWPSO", sphere, swarm_size=10, iterations=100, max_evaluations=400).evaluations == 400
    record = run_policy(StaticPolicy([0, 1, 2, 3]), sphere, swarm_size=10, iterations=100, max_evaluations=400)
    assert record.evaluations == 400 and len(record.extra["actions"]) == 39


@pytest.mark.parametrize("name", ["pretrained", "APSO", "LinWPSO", "CLSPSO"])
def test_under_a_budget_iterations_are_only_a_cap(name):
    """The same run whatever ``iterations`` allows beyond the budget: schedules, sigma, progress and the
    stagnation scale all follow the budget (B // N - 1 = 99 planned iterations here)."""
    from benchmarks_fn import resolve_functions
    from evaluation.registry import resolve_algorithm

    f, algorithm = resolve_functions("rastrigin", 5)[0], resolve_algorithm(name)
    records = [algorithm(f, 20, iterations, 3, 10, None, 2000) for iterations in (99, 400, 5000)]
    assert len({r.best_value for r in records}) == 1 and {r.evaluations for r in records} == {2000}


def test_vector_env_rows_end_at_their_own_budget():
    """B > 1 sub-environments with a budget: rows that switch elitist learning on spend N + 1 per step and end
    sooner; each ended row restarts (next-step autoreset) with progress N / B again."""
    from pso_env import FEATURE_NAMES, PSOVectorEnv

    envs = PSOVectorEnv(3, function="sphere", dim=3, swarm_size=10, max_iterations=100, max_evaluations=200,
                        obs_mode="features", action_mode="continuous", elitist=True)
    obs, _ = envs.reset(seed=0)
    p = FEATURE_NAMES.index("progress")
    actions = np.zeros((3, 4), dtype=np.float32)
    actions[:, 3] = [1.0, -1.0, 1.0]  # rows 0 and 2: N + 1 evaluations per step; row 1: N
    ends = {}
    for step in range(1, 25):
        obs, _, _, truncated, infos = envs.step(actions)
        for row in np.flatnonzero(truncated):
            ends.setdefault(int(row), (step, int(infos["evaluations"][row])))
        if len(ends) == 3:
            break
    assert ends == {0: (18, 208), 1: (19, 200), 2: (18, 208)}
    obs, *_ = envs.step(actions)  # the autoreset step of the rows that ended last
    assert obs[1, p] == np.float32(10 / 200)
