"""The continuous action mode: Box(-1, 1, (3,)) mapped onto w, c1, c2 (pso_env.actions.continuous_parameters)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from conftest import load_script as _script

from benchmarks_fn import get_function
from pso_env import EnvConfig, PSOEnv, PSOVectorEnv
from pso_env.actions import ActionConfig, continuous_parameters
from pso_env.swarm import Swarm

SMALL = {"function": "sphere", "dim": 4, "swarm_size": 8, "max_iterations": 12, "action_mode": "continuous"}


def by_hand(a, w_min=0.4, w_max=0.9, c_min=1.5, c_max=2.5, c_sum_max=4.0):
    """The documented mapping, written out independently of the kernel."""
    u = [(min(max(float(x), -1.0), 1.0) + 1.0) / 2.0 for x in a]
    w, c1, c2 = w_min + u[0] * (w_max - w_min), c_min + u[1] * (c_max - c_min), c_min + u[2] * (c_max - c_min)
    if c1 + c2 > c_sum_max:
        c1, c2 = c1 * c_sum_max / (c1 + c2), c2 * c_sum_max / (c1 + c2)
    return w, c1, c2


CASES = [(-1, -1, -1), (1, 1, 1), (1, -1, 1), (0, 0, 0), (-0.5, 0.25, -0.75), (3, -7, 0.5), (0.2, 1, 1),
         (np.float32(0.1), -0.3, 0.9)]


def test_the_mapping_is_the_documented_one():
    w, c1, c2 = continuous_parameters(np.array(CASES, dtype=float), ActionConfig())
    for k, a in enumerate(CASES):
        assert (w[k], c1[k], c2[k]) == pytest.approx(by_hand(a), rel=1e-15, abs=0)
    # the corners and the centre, exactly
    assert (w[0], c1[0], c2[0]) == (0.4, 1.5, 1.5)
    assert (w[1], c1[1], c2[1]) == (0.9, 2.0, 2.0)  # 2.5 + 2.5 > 4: both scaled by 4 / 5
    assert (w[2], c1[2], c2[2]) == (0.9, 1.5, 2.5)
    assert (w[3], c1[3], c2[3]) == (0.65, 2.0, 2.0)
    assert (w[5], c1[5], c2[5]) == (0.9, 1.5, 2.25)  # clipped to the box first
    assert (c1 + c2 <= 4.0 + 1e-12).all()
    cfg = ActionConfig(w_min=0.2, w_max=1.0, c_min=0.5, c_max=3.0, c_sum_max=5.0)
    w, c1, c2 = continuous_parameters(np.array(CASES, dtype=float), cfg)
    for k, a in enumerate(CASES):
        assert (w[k], c1[k], c2[k]) == pytest.approx(by_hand(a, 0.2, 1.0, 0.5, 3.0, 5.0), rel=1e-15, abs=0)


def test_env_applies_exactly_those_parameters_to_the_swarm():
    env = PSOEnv(function="griewank", dim=6, swarm_size=10, max_iterations=len(CASES), action_mode="continuous",
                 w_min=0.3, c_max=2.6)
    _, info = env.reset(seed=4)
    swarm = Swarm([get_function("griewank", 6)], 10, np.random.default_rng(np.random.SeedSequence(4).spawn(3)[0]))
    assert swarm.gbest_fitness[0] == info["best_fitness"]
    for a in CASES:
        _, _, _, _, info = env.step(np.array(a, dtype=np.float32))
        want = by_hand(np.float32(a), w_min=0.3, c_max=2.6)
        assert (info["w"], info["c1"], info["c2"]) == pytest.approx(want, rel=1e-15, abs=0)
        swarm.step(info["w"], info["c1"], info["c2"])
        assert swarm.gbest_fitness[0] == info["best_fitness"]  # the swarm moved with exactly these
    assert env.actions_taken[2].tolist() == [1.0, -1.0, 1.0]


def test_vector_env_rows_general_path_and_no_action_draws():
    fns = [get_function("sphere", 3), get_function("rastrigin", 5)]  # two dimensions: the general path
    for function in ("sphere", fns):
        env = PSOVectorEnv(3, **{**SMALL, "function": function, "instance_order": "round_robin"})
        assert env.single_action_space.shape == (3,) and env.action_space.shape == (3, 3)
        env.reset(seed=0)
        draws = env._action_rng.bit_generator.state
        a = np.array([[-1, -1, -1], [1, 1, 1], [0.5, -0.5, 2]], dtype=np.float32)
        _, _, _, _, infos = env.step(a)
        for i in range(3):
            assert (infos["w"][i], infos["c1"][i], infos["c2"][i]) == pytest.approx(by_hand(a[i]), rel=1e-15, abs=0)
        assert env._action_rng.bit_generator.state == draws  # no random draw in this mode
        with pytest.raises(ValueError, match="actions must be 3 rows of 3 finite numbers"):
            env.step(a[:2])
        with pytest.raises(ValueError, match="actions must be 3 rows of 3 finite numbers"):
            env.step(np.where(a == 1, np.nan, a))


def test_both_env_checkers_pass():
    from gymnasium.utils.env_checker import check_env
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(PSOEnv(**SMALL), skip_render_check=True)
        sb3_check_env(PSOEnv(**SMALL), warn=True)
        check_env(PSOEnv(**SMALL, obs_mode="features"), skip_render_check=True)


@pytest.mark.parametrize("bad", [[0.0, 0.0], [0.0, np.inf, 0.0], "abc", [[0.0, 0.0, 0.0]], None])
def test_bad_actions_and_config(bad):
    env = PSOEnv(**SMALL)
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"action must be 3 finite numbers"):
        env.step(bad)
    with pytest.raises(ValueError, match=r"action_mode must be one of \('discrete', 'continuous', 'particle'\)"):
        EnvConfig(action_mode="box")


def test_an_integer_is_not_a_continuous_action_and_discrete_stays_discrete():
    env = PSOEnv(**SMALL)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action must be 3 finite numbers"):
        env.step(1)
    env = PSOEnv(**{**SMALL, "action_mode": "discrete"})
    env.reset(seed=0)
    assert env.action_space.n == 4
    with pytest.raises(ValueError, match=r"action must be an integer in 0\.\.3"):
        env.step(np.zeros(3))


@pytest.mark.parametrize("algo", ["sac", "td3", "ppo"])
def test_sb3_learns_and_predicts_in_the_box(algo):
    from agents.models import make_model

    env = PSOEnv(**SMALL, reward_mode="log")
    kwargs = {"n_steps": 32, "batch_size": 16} if algo == "ppo" else {"learning_starts": 8, "batch_size": 8,
                                                                      "buffer_size": 200}
    model = make_model(algo, env, seed=0, **kwargs)
    model.learn(40)
    obs, _ = env.reset(seed=1)
    action, _ = model.predict(obs, deterministic=True)
    assert action.shape == (3,) and np.all(np.abs(action) <= 1.0)
    _, _, _, _, info = env.step(action)
    assert (info["w"], info["c1"], info["c2"]) == pytest.approx(by_hand(action), rel=1e-15, abs=0)
    with pytest.raises(ValueError, match="algo 'sac' needs an environment with action_mode='continuous'"):
        make_model("sac", PSOEnv(function="sphere", dim=2))
    with pytest.raises(ValueError, match="algo 'dqn' needs an environment with the discrete actions"):
        make_model("dqn", env)


# --------------------------------------------------------------------------------------------------
# Continuous agents end to end: train_agent.py, load_agent, PolicyController, evaluate.py agent:DIR

@pytest.mark.parametrize(("algo", "action_mode", "need"), [
    ("sac", "discrete", "'continuous' or 'particle'"), ("td3", "discrete", "'continuous' or 'particle'"),
    ("custom-dqn", "continuous", "'discrete'"), ("dqn", "continuous", "'discrete'"), ("qrdqn", "continuous", "'discrete'"),
    ("custom-dqn", "particle", "'discrete'")])
def test_train_config_rejects_an_algo_without_that_action_mode_before_writing(algo, action_mode, need, tmp_path,
                                                                              monkeypatch, capsys):
    from agents.training import TrainConfig

    message = f"algo {algo!r} needs action_mode {need}, got action_mode {action_mode!r}"
    with pytest.raises(ValueError) as err:
        TrainConfig(algo=algo, action_mode=action_mode)
    assert str(err.value) == message
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        _script("train_agent").main(["--algo", algo, "--action-mode", action_mode])
    assert exit_.value.code == 2 and message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
    for either in ("ppo", "a2c", "recurrent_ppo"):  # these take both
        assert TrainConfig(algo=either, action_mode=action_mode).action_mode == action_mode


def test_a_continuous_agent_trains_loads_and_is_evaluated(tmp_path, monkeypatch):
    import csv
    import json

    from agents.controller import PolicyController, run_policy
    from agents.models import LoadedPolicy, load_agent

    monkeypatch.chdir(tmp_path)
    train = ["--algo", "sac", "--action-mode", "continuous", "--obs-mode", "features", "--reward-mode", "log",
             "--functions", "sphere", "--held-out", "ackley", "--dim", "3", "--swarm-size", "6", "--iterations", "25",
             "--timesteps", "300", "--checkpoint-every", "200", "--eval-every", "200", "--out", "sac", "--no-progress"]
    assert _script("train_agent").main(train) == 0
    run = json.loads((tmp_path / "sac" / "run.json").read_text())
    assert (run["algo"], run["action_mode"], run["config"]["action_mode"]) == ("sac", "continuous", "continuous")
    policy = load_agent(tmp_path / "sac")
    assert (policy.algo, policy.obs_mode, policy.action_mode) == ("sac", "features", "continuous")
    obs = np.random.default_rng(0).uniform(0, 1, (5, 13)).astype(np.float32)
    actions, _ = policy.predict(obs)
    assert actions.shape == (5, 3) and np.all(np.abs(actions) <= 1.0) and np.ptp(actions) > 0

    record = run_policy(policy, get_function("rastrigin", 3), swarm_size=6, iterations=15, seed=4)
    trace = record.extra
    assert len(trace["actions"]) == 15 and all(len(a) == 3 and isinstance(a[0], float) for a in trace["actions"])
    for a, w, c1, c2 in zip(trace["actions"], trace["w"], trace["c1"], trace["c2"]):
        assert (w, c1, c2) == pytest.approx(by_hand(a), rel=1e-12, abs=0)  # the policy's own actions, not ints
    assert isinstance(PolicyController(policy).act(obs[0], 0), list)

    # a discrete policy keeps its integer actions
    ppo = LoadedPolicy(None, "ppo", {"obs_mode": "features"})
    assert ppo.action_mode == "discrete"

    out = tmp_path / "eval"
    assert _script("evaluate").main(["--algorithms", f"agent:{tmp_path / 'sac'}", "--functions", "rastrigin",
                                     "--dim", "3", "--swarm-size", "6", "--iterations", "15", "--runs", "1",
                                     "--jobs", "1", "--no-progress", "--out", str(out)]) == 0
    with (out / "runs.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["algorithm"], r["function"], r["seed"]) for r in rows] == [("agent:sac", "rastrigin", "0")]
    assert int(rows[0]["evaluations"]) == 6 * 16
    again = run_policy(policy, get_function("rastrigin", 3), swarm_size=6, iterations=15, seed=0)
    assert float(rows[0]["best_value"]) == pytest.approx(again.best_value, rel=1e-12)  # the same deterministic run
