"""Issue 13's controller: the elitist action (pso_env.operators), the linear policy and its CMA-ES search
(agents.es), and the constant-observation ablation (agents.controller.ConstantObservation)."""

from __future__ import annotations

import csv
import json
import sys
import warnings

import numpy as np
import pytest
from conftest import ROOT
from conftest import load_script as _script

from agents.controller import ConstantObservation, PolicyController, run_policy
from agents.es import LinearPolicy, PolicySearch, initial_weights
from agents.variants import linear
from benchmarks_fn import get_function
from pso_env import EnvConfig, PSOEnv, PSOVectorEnv
from pso_env.observation import FEATURE_NAMES
from pso_env.operators import elitist_sigma

SMALL = {"function": "rastrigin", "dim": 4, "swarm_size": 8, "max_iterations": 12, "action_mode": "continuous"}


# ---------------------------------------------------------------- the elitist action
def test_elitist_adds_a_fourth_component_and_both_checkers_pass():
    from gymnasium.utils.env_checker import check_env
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    env = PSOEnv(**SMALL, elitist=True)
    assert env.action_space.shape == (4,) and PSOVectorEnv(3, **SMALL, elitist=True).action_space.shape == (3, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(PSOEnv(**SMALL, elitist=True, obs_mode="features"), skip_render_check=True)
        sb3_check_env(PSOEnv(**SMALL, elitist=True), warn=True)


def test_elitist_needs_continuous_numpy_and_four_numbers():
    with pytest.raises(ValueError, match="elitist needs action_mode='continuous'"):
        EnvConfig(elitist=True)
    env = PSOEnv(**SMALL, elitist=True)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="4 finite numbers"):
        env.step([0.0, 0.0, 0.0])
    envs = PSOVectorEnv(2, **SMALL, elitist=True)
    envs.reset(seed=0)
    with pytest.raises(ValueError, match="rows of 4 finite numbers"):
        envs.step(np.zeros((2, 3)))


def test_the_switch_costs_one_evaluation_where_it_is_on_and_off_is_the_plain_continuous_env_bit_for_bit():
    on = PSOVectorEnv(3, **SMALL, elitist=True)
    plain = PSOVectorEnv(3, **SMALL)
    on.reset(seed=5)
    plain.reset(seed=5)
    before = None
    rng = np.random.default_rng(0)
    for t in range(6):
        a = rng.uniform(-1, 1, (3, 3)).astype(np.float32)
        o1, r1, *_, i1 = on.step(np.hstack([a, -np.ones((3, 1), np.float32)]))  # switch off
        o2, r2, *_, i2 = plain.step(a)
        np.testing.assert_array_equal(o1, o2)
        np.testing.assert_array_equal(r1, r2)
        np.testing.assert_array_equal(i1["best_fitness"], i2["best_fitness"])
        before = i1["evaluations"]
    switch = np.array([[0, 0, 0, 1.0], [0, 0, 0, 0.0], [0, 0, 0, 0.3]], np.float32)  # 0 is off: "> 0" switches on
    *_, info = on.step(switch)
    assert (info["evaluations"] - before).tolist() == [9, 8, 9]


def test_elitist_sigma_is_apsos_schedule():
    for t in (0, 3, 10):
        assert elitist_sigma(t / 10) == pytest.approx(linear(1.0, 0.1, t, 11), abs=1e-15)
    assert elitist_sigma(0.0) == 1.0 and elitist_sigma(1.0) == pytest.approx(0.1)
    np.testing.assert_allclose(elitist_sigma(np.array([-0.5, 0.5, 1.0, 2.0])), [1.0, 0.55, 0.1, 0.1])
    assert isinstance(elitist_sigma(0.5), float)


# ---------------------------------------------------------------- the linear policy
def test_linear_policy_is_clip_of_w_times_obs_and_one():
    rng = np.random.default_rng(1)
    weights = rng.normal(0, 2, (4, 14))
    policy = LinearPolicy(weights)
    obs = rng.uniform(0, 1, (7, 13)).astype(np.float32)
    actions, state = policy.predict(obs)
    expected = np.clip(np.hstack([obs.astype(np.float64), np.ones((7, 1))]) @ weights.T, -1, 1)
    assert state is None and actions.dtype == np.float32 and actions.shape == (7, 4)
    np.testing.assert_allclose(actions, expected, rtol=1e-6, atol=1e-7)
    assert policy.predict(obs[0])[0].shape == (4,)
    with pytest.raises(ValueError, match="13 entries"):
        policy.predict(np.zeros(4))
    with pytest.raises(ValueError, match="weights"):
        LinearPolicy(np.full((3, 14), np.nan))


def test_an_ensemble_averages_its_members_clipped_actions_and_one_member_is_the_policy_bit_for_bit():
    rng = np.random.default_rng(2)
    stack = rng.normal(0, 2, (3, 4, 14))
    obs = rng.uniform(0, 1, (6, 13)).astype(np.float32)
    members = [LinearPolicy(w).predict(obs)[0].astype(np.float64) for w in stack]
    ensemble = LinearPolicy(stack)
    actions = ensemble.predict(obs)[0]
    assert actions.shape == (6, 4) and actions.dtype == np.float32
    # float32 members round before the mean; the ensemble averages in float64 and rounds once
    np.testing.assert_allclose(actions, np.mean(members, axis=0), atol=1e-6)
    assert np.all(np.abs(actions) <= 1) and not np.allclose(actions, members[0], atol=1e-3)  # the clip is per member
    np.testing.assert_array_equal(ensemble.predict(obs[2])[0], actions[2])
    one = LinearPolicy(stack[:1]).predict(obs)[0]
    np.testing.assert_array_equal(one, LinearPolicy(stack[0]).predict(obs)[0])
    np.testing.assert_array_equal(LinearPolicy(np.stack([stack[1], stack[1]])).predict(obs)[0],
                                  LinearPolicy(stack[1]).predict(obs)[0])
    with pytest.raises(ValueError, match=r"\(K, A, n \+ 1\)"):
        LinearPolicy(np.zeros((0, 4, 14)))


def test_linwpso_start_sets_linwpsos_parameters():
    config = EnvConfig(obs_mode="features", action_mode="continuous", elitist=True, w_min=0.3, w_max=1.0,
                       c_min=0.5, c_max=2.5)
    weights = initial_weights("linwpso", config, len(FEATURE_NAMES), 4)
    policy = LinearPolicy(weights, "features", {"w_min": 0.3, "w_max": 1.0, "c_min": 0.5, "c_max": 2.5,
                                                "elitist": True})
    record = run_policy(policy, get_function("sphere", 5), swarm_size=6, iterations=20, seed=0)
    t = np.arange(20)
    np.testing.assert_allclose(record.extra["w"], 0.9 - 0.5 * t / 20, atol=1e-12)  # progress = t / T
    np.testing.assert_allclose(record.extra["c1"], 2.0, atol=1e-12)
    np.testing.assert_allclose(record.extra["c2"], 2.0, atol=1e-12)
    assert record.evaluations == 6 * 21  # elitist learning off
    assert not initial_weights("zeros", config, 13, 4).any()


# ---------------------------------------------------------------- the search
def _search(**changes):
    config = EnvConfig(function=["sphere", "rastrigin"], dim=3, swarm_size=6, max_iterations=15,
                       obs_mode="features", action_mode="continuous", elitist=True)
    return PolicySearch(PSOEnv(config), popsize=6, runs_per_function=2, seed=3, **changes)


def test_search_is_reproducible_and_counts_its_steps():
    a, b = _search(), _search()
    a.learn(1)
    a.learn(2 * a.steps_per_generation, reset_num_timesteps=False)
    b.learn(3 * b.steps_per_generation)
    assert a.generation == b.generation == 3 and a.num_timesteps == 3 * 6 * 2 * 2 * 15
    np.testing.assert_array_equal(a.weights, b.weights)
    assert len(a.episode_returns) == 3 * 24 and set(a.episode_lengths) == {15}
    assert not np.array_equal(a.weights, initial_weights("linwpso", a.config, 13, 4))
    assert np.all((a.obs_mean >= 0) & (a.obs_mean <= 1))


def test_inputs_restrict_what_the_policy_reads():
    search = _search(inputs=["progress", "diversity"])
    search.learn(2 * search.steps_per_generation)
    reads = np.flatnonzero(np.abs(search.weights[:, :-1]).sum(axis=0))
    assert [FEATURE_NAMES[i] for i in reads] == ["progress", "diversity"]
    assert np.all(search.weights[:, -1] != 0)  # biases are searched too
    with pytest.raises(ValueError, match="inputs must name entries"):
        _search(inputs=["time"])


def test_worker_processes_give_the_same_search():
    one, two = _search(), _search(workers=2)
    one.learn(2 * one.steps_per_generation)
    two.learn(2 * two.steps_per_generation)
    two.close()
    np.testing.assert_array_equal(one.weights, two.weights)
    assert one.episode_returns == two.episode_returns


def test_search_improves_a_poor_start_on_the_training_functions():
    config = EnvConfig(function="sphere", dim=5, swarm_size=8, max_iterations=40, obs_mode="features",
                       action_mode="continuous", w_min=0.2, w_max=1.2)
    search = PolicySearch(PSOEnv(config), popsize=8, runs_per_function=3, sigma0=0.5, init="zeros", seed=0)

    def median_log_best(policy):
        kw = {"w_min": 0.2, "w_max": 1.2}
        return np.median([np.log10(run_policy(policy, get_function("sphere", 5), swarm_size=8, iterations=40,
                                               seed=100 + s, env_kwargs=kw).best_value) for s in range(9)])

    start = median_log_best(search.policy)
    search.learn(12 * search.steps_per_generation)
    assert median_log_best(search.policy) < start - 1.0  # at least a decade better after 12 generations


def test_rollouts_on_a_budget_end_each_episode_where_its_swarm_spends_it():
    from agents.es import _rollout_chunk

    config = EnvConfig(function=["sphere", "rastrigin"], dim=3, swarm_size=6, max_iterations=30, max_evaluations=100,
                       obs_mode="features", action_mode="continuous", elitist=True)
    weights = np.zeros((2, 4, 14))
    weights[0, 3, -1], weights[1, 3, -1] = 1.0, -1.0  # candidate 0: elitist learning every iteration; 1: never
    best, returns, obs_sum, lengths = _rollout_chunk(config, 2, weights, 5)
    # 6 + 7 t >= 100 at t = 14 with the elitist evaluation, 6 + 6 t >= 100 at t = 16 without
    assert lengths.tolist() == [14, 14, 16, 16] and best.shape == (2, 2) and np.all(np.isfinite(returns))
    # each row's values are its own episode's, up to its own end: stepped here by hand, cut at each row's end
    env = PSOVectorEnv(4, config.replace(instance_order="round_robin"))
    obs, _ = env.reset(seed=5)
    actions = np.repeat(weights[:, :, -1], 2, axis=0).astype(np.float32)  # rows: candidate j // 2 (the policy: bias)
    want_best, want_returns, want_obs, end = np.zeros(4), np.zeros(4), np.zeros(13), np.zeros(4, dtype=int)
    for t in range(1, 17):
        live = end == 0
        want_obs += obs[live].sum(axis=0)
        obs, rewards, terminated, truncated, infos = env.step(actions)
        want_returns[live] += rewards[live]
        for j in np.flatnonzero(live & (terminated | truncated)):
            want_best[j], end[j] = infos["best_fitness"][j], t
    assert end.tolist() == [14, 14, 16, 16]
    np.testing.assert_array_equal(best.ravel(), want_best)
    np.testing.assert_array_equal(returns, want_returns)
    np.testing.assert_allclose(obs_sum, want_obs, rtol=1e-12)
    # without the switch a budgeted episode is the whole episode of plain PSO's length (16), bit for bit (best values,
    # returns, lengths; the observations differ: progress on the evaluation clock)
    plain = np.zeros((1, 4, 14))
    plain[0, 3, -1] = -1.0
    budget = _rollout_chunk(config, 2, plain, 5)
    whole = _rollout_chunk(config.replace(max_evaluations=None, max_iterations=16), 2, plain, 5)
    for i in (0, 1, 3):
        np.testing.assert_array_equal(budget[i], whole[i])

    search = PolicySearch(PSOEnv(config), popsize=4, runs_per_function=2, seed=1)
    search.learn(1)
    again = PolicySearch(PSOEnv(config), popsize=4, runs_per_function=2, seed=1)
    again.learn(1)
    np.testing.assert_array_equal(search.weights, again.weights)
    assert set(search.episode_lengths) <= {14, 15, 16} and search.num_timesteps == sum(search.episode_lengths)
    assert np.all(search.obs_mean >= 0) and np.all(search.obs_mean <= 1)
    assert search.steps_per_generation == 4 * 2 * 2 * 15  # planned: 100 // 6 - 1 iterations per episode


def test_function_weights_weigh_each_function_s_ranks(monkeypatch, tmp_path):
    from scipy.stats import rankdata

    from agents import es

    # weights of 1 are the plain mean rank, bit for bit
    plain, ones = _search(), _search(function_weights={"sphere": 1, "rastrigin@3": 1})
    plain.learn(2 * plain.steps_per_generation)
    ones.learn(2 * ones.steps_per_generation)
    np.testing.assert_array_equal(plain.weights, ones.weights)

    # sphere (the first function) weighs 3: fitness = (3 * sphere ranks + rastrigin ranks) / (4 R), by hand
    seen = {"best": [], "fitness": None}
    rollout = es._rollout_chunk

    def recording(*args):
        out = rollout(*args)
        seen["best"].append(out[0])
        return out

    monkeypatch.setattr(es, "_rollout_chunk", recording)
    search = _search(function_weights={"sphere": 3})
    strategy = search._strategy()
    tell = strategy.tell
    monkeypatch.setattr(strategy, "tell", lambda x, f: (seen.update(fitness=f), tell(x, f))[1])
    search.learn(1)
    assert search.function_weights == {"sphere": 3}
    ranks = [np.apply_along_axis(rankdata, 0, best) for best in seen["best"]]  # (6, 2) each: sphere, rastrigin
    want = sum(3 * r[:, 0] + r[:, 1] for r in ranks) / (4 * len(ranks))
    np.testing.assert_allclose(seen["fitness"], want, rtol=0, atol=1e-12)
    assert not np.allclose(want, sum(r.mean(axis=1) for r in ranks) / len(ranks))  # the weight changes them

    # saved with the policy, and a loaded search keeps them
    search.save(tmp_path / "model")
    saved = json.loads((tmp_path / "model.json").read_text())["hyperparameters"]
    assert saved["function_weights"] == {"sphere": 3}
    again = PolicySearch.load(tmp_path / "model", env=PSOEnv(search.config))
    np.testing.assert_array_equal(again._function_weights, [3.0, 1.0])


def test_function_weights_name_functions_and_dimensions(tmp_path, capsys):
    from agents.es import resolve_function_weights as resolve

    names, dims = ["bbob:f15", "bbob:f17", "bbob:f15"], [10, 10, 30]
    np.testing.assert_array_equal(resolve({"bbob:f15@30": 2.5}, names, dims), [1, 1, 2.5])
    np.testing.assert_array_equal(resolve({"bbob:f15": 2, "bbob:F17@10": np.float32(0.5)}, names, dims), [2, 0.5, 2])
    for spec in ({"bbob:f15@30": 3, "bbob:f15": 2}, {"bbob:f15": 2, "bbob:f15@30": 3}):  # NAME@D wins, in any order
        np.testing.assert_array_equal(resolve(spec, names, dims), [2, 1, 3])
    assert resolve(None, names, dims) is None and resolve({}, names, dims) is None
    with pytest.raises(ValueError, match=r"'bbob:f15@20' names no training function; they are bbob:f15@10, "
                                         r"bbob:f17@10, bbob:f15@30"):
        resolve({"bbob:f15@20": 2}, names, dims)
    for bad in (0, -1, float("nan"), float("inf"), 10**400, True, "2"):
        with pytest.raises(ValueError, match=r"function_weights\['bbob:f17'\] must be a finite number > 0"):
            resolve({"bbob:f17": bad}, names, dims)
    with pytest.raises(ValueError, match="function_weights must map training functions"):
        resolve([2, 1, 1], names, dims)
    with pytest.raises(ValueError, match="names no training function"):
        _search(function_weights={"ackley": 2})
    with pytest.raises(ValueError, match="function_weights must map training functions"):
        _search(function_weights=[2, 1])

    # names as --functions reads them, and the base name of a function shifted and rotated each episode
    config = EnvConfig(function=["sphere", "rastrigin"], dim=3, swarm_size=6, max_iterations=15, shift=True,
                       rotate=True, obs_mode="features", action_mode="continuous")
    search = PolicySearch(PSOEnv(config), popsize=4, function_weights={"Sphere@3": 2})
    np.testing.assert_array_equal(search._function_weights, [2.0, 1.0])

    # on the command line: a usage error before anything is written
    argv = [*TRAIN[:TRAIN.index("--hyperparameters")], "--timesteps", "700", "--out", str(tmp_path / "run"),
            "--hyperparameters", '{"function_weights": {"sphrere": 3}}']
    with pytest.raises(SystemExit) as exit_:
        _script("train_agent").main(argv)
    assert exit_.value.code == 2 and not (tmp_path / "run").exists()
    err = capsys.readouterr().err
    assert "--hyperparameters: function_weights: 'sphrere' names no training function; they are sphere@3, " in err


def test_save_load_round_trip_and_bad_files(tmp_path):
    search = _search()
    search.learn(1)
    search.save(tmp_path / "model")
    policy = PolicySearch.load(tmp_path / "model")
    assert isinstance(policy, LinearPolicy) and policy.env_kwargs["elitist"] is True
    np.testing.assert_array_equal(policy.weights, search.weights)
    np.testing.assert_array_equal(policy.obs_mean, search.obs_mean)
    again = PolicySearch.load(tmp_path / "model.json", env=PSOEnv(search.config))
    assert again.generation == 1 and np.array_equal(again.weights, search.weights)
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(ValueError, match="not a saved es policy"):
        PolicySearch.load(tmp_path / "bad")
    with pytest.raises(ValueError, match="continuous"):
        PolicySearch(PSOEnv(function="sphere", dim=2))


# ---------------------------------------------------------------- training run, evaluation, ablation
TRAIN = ["--algo", "es", "--action-mode", "continuous", "--obs-mode", "features", "--elitist", "--w-min", "0.3",
         "--w-max", "1.0", "--c-min", "0.5", "--c-max", "2.5", "--functions", "sphere,rastrigin", "--held-out", "ackley",
         "--dim", "3", "--swarm-size", "6", "--iterations", "15", "--eval-every", "700", "--eval-runs", "2",
         "--checkpoint-every", "700", "--hyperparameters", '{"popsize": 6, "runs_per_function": 2}', "--no-progress"]


def test_train_resume_evaluate_and_ablate(tmp_path):
    cli = _script("train_agent")
    assert cli.main([*TRAIN, "--timesteps", "2000", "--out", str(tmp_path / "full")]) == 0
    assert cli.main([*TRAIN, "--timesteps", "1000", "--out", str(tmp_path / "half")]) == 0
    assert cli.main([*TRAIN, "--timesteps", "2000", "--out", str(tmp_path / "half"), "--resume"]) == 0
    full, half = (json.loads((tmp_path / d / "model.json").read_text()) for d in ("full", "half"))
    assert full["generation"] == half["generation"] == 6 and full["weights"] == half["weights"]  # resumed bit for bit
    run = json.loads((tmp_path / "full" / "run.json").read_text())
    assert run["config"]["elitist"] is True and run["config"]["w_min"] == 0.3
    assert (tmp_path / "full" / "best_model.json").is_file() and (tmp_path / "full" / "learning_curve.png").is_file()
    with (tmp_path / "full" / "progress.csv").open() as fh:
        assert [int(r["timesteps"]) for r in csv.DictReader(fh)] == [720, 1440, 2160]

    out = tmp_path / "eval"
    agent = f"agent:{tmp_path / 'full'}"
    assert _script("evaluate").main(["--algorithms", f"{agent},constant-obs:{agent}", "--functions", "rastrigin",
                                     "--dim", "3", "--swarm-size", "6", "--iterations", "15", "--runs", "2",
                                     "--jobs", "1", "--no-progress", "--out", str(out)]) == 0
    with (out / "runs.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert sorted({r["algorithm"] for r in rows}) == ["agent:full", "constant-obs:agent:full"]
    assert {int(r["evaluations"]) for r in rows} >= {6 * 16}  # at least the swarm's; elitist steps add one each

    from agents.models import load_agent

    policy = load_agent(tmp_path / "full", "best_model")
    assert policy.env_kwargs == {"w_min": 0.3, "w_max": 1.0, "c_min": 0.5, "c_max": 2.5, "elitist": True,
                                 "elitist_always": False, "random_factors": "dimension", "elitist_step": "range"}
    ablated = ConstantObservation(policy)
    controller = PolicyController(ablated)
    controller.start(get_function("rastrigin", 3), swarm_size=6, iterations=15, seed=0)
    for t in range(15):
        controller.step(t)
    actions = controller.trace()["actions"]
    assert len(actions) == 15 and all(a == actions[0] for a in actions) and len(actions[0]) == 4
    record = run_policy(policy, get_function("rastrigin", 3), swarm_size=6, iterations=15, seed=0)
    assert len({tuple(a) for a in record.extra["actions"]}) > 1  # the policy itself reacts to its observations


def test_a_sweep_run_is_the_single_run_of_its_seed_byte_for_byte(tmp_path):
    """The shipped controller came from a sweep (--seeds 152,153); the README reproduces it with --seed 152."""
    cli = _script("train_agent")
    assert cli.main([*TRAIN, "--timesteps", "1000", "--seeds", "0,1", "--jobs", "1", "--out", str(tmp_path / "sweep")]) == 0
    assert cli.main([*TRAIN, "--timesteps", "1000", "--seed", "1", "--out", str(tmp_path / "single")]) == 0
    for name in ("best_model.json", "model.json"):
        assert (tmp_path / "sweep" / "seed1" / name).read_bytes() == (tmp_path / "single" / name).read_bytes()
    assert (tmp_path / "sweep" / "seed0" / "model.json").read_bytes() != (tmp_path / "single" / "model.json").read_bytes()


def test_train_on_a_budget_scores_held_out_runs_on_it(tmp_path, capsys):
    from agents.models import load_agent
    from agents.training import TrainConfig, evaluate_policy_on

    cli = _script("train_agent")
    out = tmp_path / "budget"
    budget = ["--iterations", "20", "--max-evaluations", "100"]
    assert cli.main([*TRAIN, *budget, "--timesteps", "700", "--out", str(out)]) == 0
    run = json.loads((out / "run.json").read_text())
    assert run["config"]["max_evaluations"] == 100
    with (out / "episodes.csv").open() as fh:
        lengths = {int(r["length"]) for r in csv.DictReader(fh)}
    assert lengths and lengths <= {14, 15, 16}  # 6 + 7 t >= 100 at 14 (elitist every iteration), 16 without
    with (out / "progress.csv").open() as fh:
        score = float(list(csv.DictReader(fh))[-1]["held_out_score"])
    # the held-out score is the budgeted runs' error: the best of each run's first 100 evaluations
    config = TrainConfig.from_dict(run["config"])
    policy = load_agent(out, "model")
    assert score == evaluate_policy_on(policy, config.held_out_entries(), config, runs=2)
    errors = [run_policy(policy, get_function("ackley", 3), swarm_size=6, iterations=20, seed=10_000 + k,
                         max_evaluations=100).error for k in range(2)]
    assert score == np.mean([np.log10(max(e, 1e-8)) for e in errors])
    assert score != evaluate_policy_on(policy, config.held_out_entries(),
                                       TrainConfig(**{**run["config"], "max_evaluations": None}), runs=2)
    # a budget the cap cannot spend, and a resume with another budget, are refused before anything is written
    with pytest.raises(SystemExit):
        cli.main([*TRAIN, "--iterations", "10", "--max-evaluations", "100", "--out", str(tmp_path / "no")])
    assert "--max-evaluations: max_evaluations=100 needs iterations >= 16" in capsys.readouterr().err
    assert not (tmp_path / "no").exists()
    with pytest.raises(ValueError, match=r"max_evaluations=100 needs iterations >= 16 at swarm_size=6"):
        TrainConfig.from_dict({**run["config"], "iterations": 10})
    with pytest.raises(SystemExit):
        cli.main([*TRAIN, "--iterations", "20", "--max-evaluations", "90", "--out", str(out), "--resume"])
    assert "--max-evaluations 90 (saved: 100)" in capsys.readouterr().err
    # a run.json written before the option (no max_evaluations: trained without a budget) resumes only without one
    del run["config"]["max_evaluations"]
    (out / "run.json").write_text(json.dumps(run))
    with pytest.raises(ValueError, match=r"--max-evaluations 100 \(saved: None\)"):
        TrainConfig.resumed(out, {"max_evaluations": 100})
    assert TrainConfig.resumed(out, {}).max_evaluations is None


def test_training_entries_at_several_dimensions_run_each_at_its_own(tmp_path):
    import agents.es
    from agents.training import TrainConfig

    cli = _script("train_agent")
    out = tmp_path / "dims"
    args = [a if a != "sphere,rastrigin" else "sphere,sphere@4,rastrigin@2" for a in TRAIN]
    assert cli.main([*args, "--timesteps", "1", "--out", str(out)]) == 0
    run = json.loads((out / "run.json").read_text())
    assert run["train_functions"] == ["sphere", "sphere", "rastrigin"] and run["train_dims"] == [3, 4, 2]
    assert run["held_out_functions"] == ["ackley"] and run["held_out_dims"] == [3]
    config = TrainConfig.from_dict(run["config"])
    assert [(e.name, e.dim) for e in config.train_entries()] == [("sphere", 3), ("sphere", 4), ("rastrigin", 2)]
    env = agents.es._CHUNK_ENV[0]  # the rollouts' batch environment: one swarm per dimension, each at its own
    assert sorted(env.swarms) == [2, 3, 4] and all(s.dim == d for d, s in env.swarms.items())
    assert np.bincount(env._dims, minlength=5)[2:].tolist() == [6, 6, 6]  # a chunk: each of 6 candidates on each entry
    with pytest.raises(ValueError, match="functions: 'sphere@x' must be a name followed by @D"):
        TrainConfig.from_dict({**run["config"], "functions": "sphere@x"})


def test_save_ensemble_writes_an_agent_directory_that_evaluates_like_its_members(tmp_path):
    from agents.es import save_ensemble
    from agents.models import load_agent
    from evaluation.registry import resolve_algorithm

    previous = ROOT / "results/learned-control/agents/es-cec-s15"  # the default before per-particle control
    shipped = previous / "model.json"
    assert save_ensemble([shipped, shipped], tmp_path / "twice").weights.shape == (2, 4, 14)
    run = json.loads((tmp_path / "twice" / "run.json").read_text())
    assert [m["policies"] for m in run["members"]] == [1, 1] and len(run["members"][0]["sha256"]) == 64
    assert load_agent(tmp_path / "twice", "best_model").env_kwargs == load_agent(previous).env_kwargs
    # the mean of two equal actions is that action: the ensemble's runs are the shipped controller's, bit for bit
    fn = get_function("rastrigin", 4)
    ensemble, single = (resolve_algorithm(a)(fn, 8, 12, 3, 5) for a in (f"agent:{tmp_path / 'twice'}", f"agent:{previous}"))
    assert ensemble.algorithm == "agent:twice" and ensemble.best_value == single.best_value
    assert ensemble.curve == single.curve and ensemble.extra["actions"] == single.extra["actions"]

    rng = np.random.default_rng(3)
    for i in range(2):
        policy = LinearPolicy(rng.normal(0, 1, (4, 14)), env_kwargs=load_agent(previous).env_kwargs)
        policy_file = tmp_path / f"m{i}.json"
        policy_file.write_text(json.dumps({"weights": policy.weights.tolist(), "obs_mode": "features",
                                           "env_kwargs": policy.env_kwargs, "obs_mean": [0.5 * i] * 13}))
    nested = save_ensemble([tmp_path / "m0", tmp_path / "m1.json"], tmp_path / "pair")
    assert nested.obs_mean.tolist() == [0.25] * 13
    newer = tmp_path / "newer.json"  # saved with fields that `shipped` predates, at their defaults: the same settings
    newer.write_text(json.dumps({**json.loads(shipped.read_text()),
                                 "env_kwargs": {**load_agent(previous).env_kwargs, "elitist_always": False,
                                                "random_factors": "dimension"}}))
    shared = tmp_path / "shared.json"  # one r1, r2 per particle: another swarm, so not an ensemble member of these
    shared.write_text(json.dumps({**json.loads(newer.read_text()),
                                  "env_kwargs": {**json.loads(newer.read_text())["env_kwargs"],
                                                 "random_factors": "particle"}}))
    assert save_ensemble([shipped, newer], tmp_path / "mixed").weights.shape == (2, 4, 14)
    three = save_ensemble([tmp_path / "pair" / "model.json", shipped], tmp_path / "three")  # an ensemble's members join
    assert three.weights.shape == (3, 4, 14)
    obs = rng.uniform(0, 1, (5, 13))
    parts = [LinearPolicy(w).predict(obs)[0].astype(np.float64) for w in three.weights]
    np.testing.assert_allclose(three.predict(obs)[0], np.mean(parts, axis=0), atol=1e-6)
    with pytest.raises(ValueError, match="can be evaluated, not trained"):
        PolicySearch.load(tmp_path / "three" / "model", env=PSOEnv(_search().config))

    (tmp_path / "m2.json").write_text(json.dumps({"weights": np.zeros((3, 14)).tolist(), "obs_mode": "features"}))
    (tmp_path / "junk.json").write_text("{")
    for members, match in [([shipped], "at least two"), ([shipped, tmp_path / "m2.json"], r"m2.json' has obs_mode"),
                           ([newer, shared], r"shared.json' has .*'random_factors': 'particle'"),
                           ([shipped, tmp_path / "junk"], "members: .*not a saved es policy"),
                           ([shipped, tmp_path / "absent.json"], "members: .*not a saved es policy")]:
        with pytest.raises(ValueError, match=match):
            save_ensemble(members, tmp_path / "refused")
        assert not (tmp_path / "refused").exists()
    with pytest.raises(ValueError, match="out: .* already holds a run"):
        save_ensemble([shipped, shipped], tmp_path / "twice")


def test_schedule_only_feeds_the_true_progress_and_the_constant_elsewhere():
    weights = np.zeros((3, 14))
    weights[0, FEATURE_NAMES.index("progress")] = 1.0  # a0 = progress
    weights[1, FEATURE_NAMES.index("diversity")] = 1.0  # a1 = diversity
    policy = LinearPolicy(weights)
    policy.obs_mean = np.full(13, 0.25)
    schedule = ConstantObservation(policy, keep=("progress",))
    assert schedule.name.startswith("schedule-only:")
    obs = np.random.default_rng(0).uniform(0, 1, (4, 13)).astype(np.float32)
    actions, _ = schedule.predict(obs)
    np.testing.assert_allclose(actions[:, 0], obs[:, FEATURE_NAMES.index("progress")], rtol=1e-6)
    np.testing.assert_allclose(actions[:, 1], 0.25, rtol=1e-6)
    np.testing.assert_allclose(ConstantObservation(policy).predict(obs)[0][:, 0], 0.25, rtol=1e-6)
    with pytest.raises(ValueError, match="keep must name"):
        ConstantObservation(policy, keep=("time",))
    with pytest.raises(ValueError, match="stores its mean observation"):
        ConstantObservation(LinearPolicy(weights))


def test_ablation_names_in_the_registry():
    from evaluation.registry import resolve_algorithm

    with pytest.raises(ValueError, match="takes a learned controller"):
        resolve_algorithm("schedule-only:APSO")
    with pytest.raises(ValueError, match="stores its mean observation"):
        resolve_algorithm("constant-obs:dqnpso-pretrained")
    algorithm = resolve_algorithm("schedule-only:pretrained")
    assert (algorithm.name, algorithm.kind) == ("schedule-only:ES-pretrained", "schedule-only")
    record = algorithm(get_function("rastrigin", 4), 8, 10, 0, 5)
    assert record.algorithm == "schedule-only:ES-pretrained" and record.evaluations >= 8 * 11


@pytest.mark.parametrize("bad", ["[1]", "{popsize: 2}"])
def test_hyperparameters_option_wants_a_json_object(bad, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        _script("train_agent").main(["--algo", "es", "--action-mode", "continuous", "--hyperparameters", bad])
    assert exc.value.code == 2 and "expected a JSON object" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_load_pretrained_returns_the_shipped_es_run_on_the_budget():
    from agents.models import load_pretrained

    policy = load_pretrained()
    run = policy.config  # the run.json that test_no_committed_controller_... checks against the test split
    assert run == json.loads((ROOT / "agents/pretrained/es/run.json").read_text())
    assert run["config"]["max_evaluations"] == 20000 and run["config"]["seed"] == 152  # since pre-registration 44
    assert (policy.obs_mode, policy.action_mode) == ("particle", "particle")  # since pre-registration 6
    assert policy.env_kwargs["elitist"] is True and policy.env_kwargs["elitist_step"] == "range"  # the particles' vote
    assert isinstance(policy.model, LinearPolicy) and policy.model.weights.shape == (4, 8)  # median_distance too


@pytest.mark.parametrize(("spec", "store", "name", "function", "protocol"), [
    ("pretrained", "ev5e/eval-heldout", "agent:ev5e-s152", "bbob:f4", (10, 20, 999, 20000)),  # the default
    ("agent:results/learned-control/agents/ev4v-s135", "ev4v/eval-heldout", "agent:ev4v-s135", "bbob:f4",
     (10, 20, 999, 20000)),  # the default until pre-registration 44
    ("agent:results/learned-control/agents/ev4u-s134", "ev4u/eval-heldout", "agent:ev4u-s134", "bbob:f4",
     (10, 20, 999, 20000)),  # the default until pre-registration 35
    ("agent:results/learned-control/agents/ev4p-s125", "ev4p/eval-heldout", "agent:ev4p-s125", "bbob:f4",
     (10, 20, 999, 20000)),  # the default until pre-registration 34
    ("agent:results/learned-control/agents/ev4t-s123", "ev4t/eval-heldout", "agent:ev4t-s123", "bbob:f4",
     (10, 20, 999, 20000)),  # the default until pre-registration 30
    ("agent:results/learned-control/agents/ev4-s119", "ev4e/eval-heldout", "agent:ev4-s119", "bbob:f4",
     (10, 20, 999, 20000)),  # never votes
    ("agent:results/learned-control/agents/ev4-s115", "ev4d/eval-heldout", "agent:ev4-s115", "bbob:f20",
     (10, 20, 999, 20000)),  # votes elitist learning on late in a run
    ("agent:results/learned-control/agents/ev4-s120", "ev4e/paper", "agent:ev4-s120", "rastrigin",
     (30, 30, 1000, 30030)),  # votes it on at every iteration
])
def test_committed_runs_of_the_vote_design_repeat_bit_for_bit(spec, store, name, function, protocol):
    """The environment's elitist vote (pso_env.vector, BENCHMARKS 19) still makes the committed runs of the default
    (seed 152) and the four defaults before it (seeds 135, 134, 125 and 123; all vote the operator on late in a run), of
    seed 119 (whose particles never vote it on) and of two other controllers that vote, value for value."""
    from evaluation.registry import resolve_algorithm

    dim, swarm_size, iterations, budget = protocol
    with open(ROOT / "results/learned-control" / store / "runs.csv", newline="") as fh:
        committed = {int(r["seed"]): r for r in csv.DictReader(fh) if (r["algorithm"], r["function"]) == (name, function)}
    algorithm = resolve_algorithm(spec)
    for seed in (0, 1):
        record = algorithm(get_function(function, dim), swarm_size, iterations, seed, 10, max_evaluations=budget)
        assert repr(record.best_value) == committed[seed]["best_value"]
        assert record.evaluations == int(committed[seed]["evaluations"])


def test_best_model_is_chosen_on_another_bbob_instance_of_the_training_functions(tmp_path, capsys):
    """--held-out-instance: best_model scored on the training functions at another ioh instance (new shift,
    rotation and optimum), the suite the selection rule of issue 13 uses since pre-registration 29."""
    from agents.models import load_agent
    from agents.training import TrainConfig, evaluate_policy_on

    cli = _script("train_agent")
    out, funcs = tmp_path / "inst", ["--functions", "bbob:f1,bbob:f3", "--held-out", "bbob:f1,bbob:f3"]
    assert cli.main([*TRAIN, *funcs, "--held-out-instance", "7", "--timesteps", "700", "--out", str(out)]) == 0
    run = json.loads((out / "run.json").read_text())
    config = TrainConfig.from_dict(run["config"])
    assert run["config"]["held_out_instance"] == 7
    assert [(e.name, e.options) for e in config.train_entries()] == [("bbob:f1", {"instance": 1}), ("bbob:f3", {"instance": 1})]
    assert [(e.name, e.options) for e in config.held_out_entries()] == [("bbob:f1", {"instance": 7}), ("bbob:f3", {"instance": 7})]
    with (out / "progress.csv").open() as fh:
        score = float(list(csv.DictReader(fh))[-1]["held_out_score"])
    policy = load_agent(out, "model")
    assert score == evaluate_policy_on(policy, config.held_out_entries(), config, runs=2)
    assert score != evaluate_policy_on(policy, config.train_entries(), config, runs=2)  # instance 1 scores otherwise
    # the training instance itself, and an instance without a BBOB function, are refused before anything is written
    for extra, message in ([*funcs, "--held-out-instance", "1"], "--held-out must not repeat training functions"), (
            ["--held-out-instance", "2"], "--held-out-instance: instance applies to BBOB functions"):
        with pytest.raises(SystemExit):
            cli.main([*TRAIN, *extra, "--out", str(tmp_path / "no")])
        assert message in capsys.readouterr().err
    assert not (tmp_path / "no").exists()
    with pytest.raises(ValueError, match="held_out_instance needs BBOB functions in held_out"):
        TrainConfig.from_dict({**run["config"], "held_out": ""})
    assert run["held_out_instance"] == 7 and run["held_out_functions"] == run["train_functions"]
    # a sweep names the option too
    with pytest.raises(SystemExit):
        cli.main([*TRAIN, "--held-out-instance", "2", "--seeds", "0,1", "--out", str(tmp_path / "no")])
    assert "error: --held-out-instance: instance applies to BBOB functions" in capsys.readouterr().err
    assert not (tmp_path / "no").exists()
    # a run.json written before the option chose on instance 1: resuming it on instance 7 is another run; without
    # the option it resumes
    del run["config"]["held_out_instance"]
    (out / "run.json").write_text(json.dumps(run))
    with pytest.raises(SystemExit):
        cli.main([*TRAIN, *funcs, "--held-out-instance", "7", "--timesteps", "1400", "--out", str(out), "--resume"])
    assert "--held-out-instance 7 (saved: 1)" in capsys.readouterr().err
    old = tmp_path / "old"
    assert cli.main([*TRAIN, "--timesteps", "700", "--out", str(old)]) == 0
    saved = json.loads((old / "run.json").read_text())
    del saved["config"]["held_out_instance"]
    (old / "run.json").write_text(json.dumps(saved))
    assert cli.main(["--out", str(old), "--resume", "--timesteps", "1400", "--no-progress"]) == 0
    assert json.loads((old / "run.json").read_text())["config"]["held_out_instance"] == 1


@pytest.mark.parametrize("agent", ["agents/pretrained/es", *sorted(
    f"results/learned-control/agents/{p.name}" for p in (ROOT / "results/learned-control/agents").iterdir())])
def test_no_committed_controller_trained_or_chose_on_a_held_out_test_function(agent):
    """The default and every controller of results/learned-control are judged on MetaBox's test functions: none
    of them trained on one or chose its best_model on one (its run.json, written by train_agent.py; an ensemble's
    run.json, written by agents.save_ensemble, names its members, whose own run.json are checked)."""
    from benchmarks_fn import metabox_split

    run = json.loads((ROOT / agent / "run.json").read_text())
    runs = [json.loads((ROOT / m["path"]).parent.joinpath("run.json").read_text()) for m in run["members"]] \
        if "members" in run else [run]
    test = {e.name for e in metabox_split().test}
    for run in runs:
        assert run["algo"] == "es" and len(test) == 16 and run["train_functions"] and run["held_out_functions"]
        assert not (set(run["train_functions"]) | set(run["held_out_functions"])) & test


def _particle_experiment():
    """results/learned-control/per-particle/particle_es.py (the per-particle experiment of issue 13) as a module."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("particle_es", ROOT / "results/learned-control/per-particle/particle_es.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["particle_es"] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


def test_the_rule_table_ranks_mean_errors_and_its_floor_counts_errors_below_it_as_zero(tmp_path, capsys):
    """particle_es table (the rule's table, results/learned-control): average ranks of the mean errors; with
    ``floor`` (diagnostic 24) errors below it count as 0, so a lead made only of digits below 1e-8 becomes a tie."""
    store = tmp_path / "store"
    store.mkdir()
    errors = {"A": {"f1": 1e-13, "f2": 5.0}, "B": {"f1": 1e-10, "f2": 4.0}}
    with open(store / "runs.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["algorithm", "function", "dim", "seed", "best_value", "error"])
        for algo, by_fn in errors.items():
            for fn, e in by_fn.items():
                for seed in range(5):
                    w.writerow([algo, fn, 10, seed, e * (1 + seed / 10), e * (1 + seed / 10)])
    experiment = _particle_experiment()
    table = experiment.table
    table([str(store)], ["A"], [], [])
    raw = capsys.readouterr().out
    assert "1.50  A" in raw and "1.50  B" in raw and "B" in raw.split("against")[1]
    assert "1/0/1" in raw.split("against")[1]  # A better on f1, worse on f2 (t-test)
    experiment.main(["table", str(store), "--focus", "A", "--floor", "1e-8"])
    floored = capsys.readouterr().out
    assert "1.25  B" in floored and "1.75  A" in floored and "0/1/1" in floored.split("against")[1]
    with pytest.raises(ValueError, match=r"^floor must be a number >= 0, got -1.0"):  # before any store is read
        table([str(tmp_path / "no-such-store")], [], [], [], floor=-1.0)
    with pytest.raises(SystemExit) as exc:
        experiment.main(["table", str(store), "--floor", "nan"])
    assert exc.value.code == 2 and "argument --floor: must be a number >= 0, got nan" in capsys.readouterr().err


def test_the_rule_table_warns_when_one_function_was_run_under_different_problem_settings(tmp_path, capsys):
    """particle_es table ranks a function's runs from all its stores as one function: stores of another dimension
    or budget for the same function (T5 and T5@30 given to one table) are named in one warning; stores that differ
    only in swarm size and iterations on one evaluation budget are not, stores without a budget are."""
    def store(name, algo, dim, settings):
        (tmp_path / name).mkdir()
        (tmp_path / name / "settings.json").write_text(json.dumps(settings))
        with open(tmp_path / name / "runs.csv", "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["algorithm", "function", "dim", "seed", "best_value", "error"])
            w.writerows([algo, "bbob:f1", dim, seed, 1.0 + seed, 1.0 + seed] for seed in range(3))
        return str(tmp_path / name)

    budget = {"swarm_size": 20, "iterations": 999, "max_evaluations": 20000, "budget_clock": "evaluations"}
    d10 = store("d10", "A", 10, {**budget, "dim": 10})
    n100 = store("n100", "B", 10, {**budget, "dim": 10, "swarm_size": 100, "iterations": 199})
    d30 = store("d30", "C", 30, {**budget, "dim": 30, "max_evaluations": 30030})
    pe = _particle_experiment()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pe.table([d10, n100], [], [], [])
    assert "2 entries, 1 functions" in capsys.readouterr().out
    with pytest.warns(UserWarning, match=r"^1 function\(s\) were run under different problem settings, and each is "
                      r"ranked as one function .*: bbob:f1 \(.*d10: dim=10, max_evaluations=20000.*d30: dim=30, "
                      r"max_evaluations=30030.*\)$") as record:
        pe.table([d10, n100, d30], [], [], [])
    assert len(record) == 1
    no_budget = {"swarm_size": 20, "iterations": 999, "dim": 10}  # the budget is then swarm_size x iterations
    a = store("nb20", "A", 10, no_budget)
    b = store("nb100", "B", 10, {**no_budget, "swarm_size": 100})
    with pytest.warns(UserWarning, match=r"nb20: dim=10, .*swarm_size=20, iterations=999; .*nb100: .*swarm_size=100"):
        pe.table([a, b], [], [], [])


def test_the_suites_agreement_is_spearmans_rho_of_average_ranks_with_the_targets(tmp_path, capsys):
    """particle_es agreement (pre-registration 26): each suite's average ranks of the entries against the target's,
    Spearman's rho as scipy computes it; a suite named twice is the union of its stores; an entry without runs on a
    function of a suite is an error naming it."""
    from scipy.stats import spearmanr

    def store(name, errors, step=1e-3):  # errors: {entry: {function: first run's error}}, 3 runs each
        (tmp_path / name).mkdir()
        with open(tmp_path / name / "runs.csv", "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["algorithm", "function", "dim", "seed", "best_value", "error"])
            for algo, by_fn in errors.items():
                for fn, e in by_fn.items():
                    for seed in range(3):
                        w.writerow([algo, fn, 10, seed, e + seed * step, e + seed * step])
        return str(tmp_path / name)

    target = store("held", {"A": {"h1": 1, "h2": 1}, "B": {"h1": 2, "h2": 2}, "C": {"h1": 3, "h2": 3}, "D": {"h1": 4, "h2": 4}})
    same = store("same", {"A": {"s": 1}, "B": {"s": 2}, "C": {"s": 3}, "D": {"s": 4}})
    swapped = store("swapped", {"A": {"t1": 4, "t2": 3}, "B": {"t1": 3, "t2": 4}, "C": {"t1": 2, "t2": 1},
                                "D": {"t1": 1, "t2": 2}})
    pe = _particle_experiment()
    pe.main(["agreement", "--suite", "S", same, "--suite", "T", swapped, "--suite", "U", same, "--suite", "U", swapped,
             "--target", target, *[x for a in "ABCD" for x in ("--only", a)]])
    out = capsys.readouterr().out
    lines = {line.split()[0]: line.split() for line in out.splitlines() if line[:2] in ("S ", "T ", "U ")}
    assert lines["S"][1:4] == ["1", "1.00", "0.000"] and lines["S"][4] == "A"
    assert lines["T"][1:3] == ["2", f"{spearmanr([3.5, 3.5, 1.5, 1.5], [1, 2, 3, 4])[0]:.2f}"] == ["2", "-0.89"]
    assert lines["T"][4] == "C"  # C and D tie on T's ranks: the first of them in --only order
    union = [(1 + 4 + 3) / 3, (2 + 3 + 4) / 3, (3 + 2 + 1) / 3, (4 + 1 + 2) / 3]  # S's rank and T's two, per entry
    assert lines["U"][1] == "3" and lines["U"][2] == f"{spearmanr(union, [1, 2, 3, 4])[0]:.2f}" and lines["U"][4] == "C"
    rows = {line.split()[0]: line.split()[1:] for line in out.split("average ranks")[1].splitlines()[1:]}
    assert rows == {"A": ["1.00", "1.00", "3.50", "2.67"], "B": ["2.00", "2.00", "3.50", "3.00"],
                    "C": ["3.00", "3.00", "1.50", "2.00"], "D": ["4.00", "4.00", "1.50", "2.33"]}
    assert "first there: A" in out
    # ranks among the --only entries alone (X would reorder them), Spearman's rather than Pearson's rho (the uneven
    # ranks tell them apart), errors below the floor as 0, and each store's BBOB instance kept apart
    uneven = store("uneven", {"A": {"u1": 1, "u2": 1, "u3": 1}, "B": {"u1": 2, "u2": 4, "u3": 4},
                              "C": {"u1": 3, "u2": 2, "u3": 2}, "D": {"u1": 4, "u2": 3, "u3": 3},
                              "X": {"u1": 0.5, "u2": 3.5, "u3": 0.5}})
    pe.main(["agreement", "--suite", "V", uneven, "--target", target, "--only", "A", "--only", "B", "--only", "C",
             "--only", "D", "--only", "A"])
    out = capsys.readouterr().out
    ranks = [1, (2 + 4 + 4) / 3, (3 + 2 + 2) / 3, (4 + 3 + 3) / 3]
    line = next(x.split() for x in out.splitlines() if x.startswith("V "))
    assert out.startswith("4 entries") and line[1:3] == ["3", f"{spearmanr(ranks, [1, 2, 3, 4])[0]:.2f}"]
    assert spearmanr(ranks, [1, 2, 3, 4])[0] != pytest.approx(np.corrcoef(ranks, [1, 2, 3, 4])[0, 1], abs=0.005)
    tiny = store("tiny", {"A": {"z": 3e-9}, "B": {"z": 1e-9}, "C": {"z": 2.0}, "D": {"z": 3.0}}, step=1e-10)
    pe.main(["agreement", "--suite", "Z", tiny, "--target", target, *[x for a in "ABCD" for x in ("--only", a)]])
    assert capsys.readouterr().out.split("Z")[1].split()[:3] == ["1", "0.80", "0.200"]  # B, A, C, D
    pe.main(["agreement", "--suite", "Z", tiny, "--target", target, *[x for a in "ABCD" for x in ("--only", a)],
             "--floor", "1e-8"])
    assert capsys.readouterr().out.split("Z")[1].split()[:2] == ["1", "0.95"]  # A and B tie at 0
    one, two = store("bbob1", {"A": {"bbob:f3": 1}, "B": {"bbob:f3": 2}}), store("bbob2", {"A": {"bbob:f3": 2},
                                                                                         "B": {"bbob:f3": 1}})
    (tmp_path / "bbob2" / "settings.json").write_text(json.dumps({"instance": 2}))
    values = pe._values([one, two], 0.0)
    assert sorted(values) == ["bbob:f3", "bbob:f3@instance=2"] and values["bbob:f3@instance=2"]["A"][0] == 2
    with pytest.raises(ValueError, match=r"^suite 'S' names no store"):
        pe.agreement([["S"]], [target], list("ABCD"))
    with pytest.raises(ValueError, match=r"^target: no runs of E$"):
        pe.agreement([["T", swapped]], [target], list("ABCDE"))
    with pytest.raises(ValueError, match=r"^T: no runs of A on t3, C on t3, D on t3$"):
        pe.agreement([["T", swapped, store("more", {"B": {"t3": 1}})]], [target], list("ABCD"))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_per_particle_controllers_never_trained_on_a_held_out_test_function(seed):
    from benchmarks_fn import metabox_split

    policy = json.loads((ROOT / f"results/learned-control/per-particle/s{seed}/policy.json").read_text())
    test = {e.name for e in metabox_split().test}
    assert policy["seed"] == seed and policy["generation"] == 104 and np.shape(policy["weights"]) == (3, 7)
    assert set(policy["train_functions"]) == {e.name for e in metabox_split().train} - {"bbob:f2", "bbob:f16"}
    assert not set(policy["train_functions"]) & test


def test_per_particle_rule_starts_as_linwpso_and_its_inputs_stay_in_bounds():
    """At its starting weights the per-particle rule (w, c1, c2 per particle through Swarm.step) makes LinWPSO's run
    to rounding; its inputs lie in [0, 1] and its coefficients in their ranges for any weights."""
    from agents.baselines import make_rule
    from agents.controller import RuleController
    from evaluation.runner import run

    pe = _particle_experiment()
    fn = get_function("bbob:f15", 5)
    ours = run(RuleController(pe.ParticleRule(pe.linwpso_weights())), fn, swarm_size=10, iterations=60, seed=3)
    ref = run(RuleController(make_rule("LinWPSO")), fn, swarm_size=10, iterations=60, seed=3)
    np.testing.assert_allclose(ours.curve, ref.curve, rtol=1e-9)
    from pso_env.swarm import Swarm

    rng = np.random.default_rng(0)
    swarm = Swarm(get_function("rastrigin", 4), 6, 0, batch_size=3)
    rule = pe.ParticleRule(rng.normal(0, 3, (3, 3, 7)))
    rule.reset(swarm, 30, None)
    for t in range(30):
        u = rule.inputs(swarm, t)
        assert u.shape == (3, 6, 6) and np.all((u >= 0) & (u <= 1))
        w, c1, c2, _ = rule.parameters(swarm, t)
        assert np.all((w >= 0.3) & (w <= 1.0)) and np.all((c1 >= 0.5 * 0.8 - 1e-12) & (c1 + c2 <= 4 + 1e-12))
        rule.move(swarm, w, c1, c2, 1.0)
        rule.after_step(swarm, t)
