"""The PSOControl environment."""

import argparse
import json
import math
import pydoc
import subprocess
import sys
import warnings

import gymnasium as gym
import numpy as np
import pytest
from hmmlearn.hmm import CategoricalHMM

import pso_env
from benchmarks_fn import PAPER_FUNCTIONS, from_callable, get_function
from pso_env import OBS_MODES, REWARD_MODES, EnvConfig, PSOEnv, PSOVectorEnv
from pso_env.actions import ActionConfig
from pso_env.belief import PAPER_EMISSIONPROB, PAPER_STARTPROB, PAPER_TRANSMAT, STATE_NAMES
from pso_env.config import add_field_arguments, field_values
from pso_env.factor import discretise, evolutionary_factor
from pso_env.observation import Features, swarm_statistics
from pso_env.reward import Reward
from pso_env.swarm import Swarm


def small_env(**kwargs):
    args = {"function": "rastrigin", "dim": 5, "swarm_size": 10, "max_iterations": 30}
    args.update(kwargs)
    return PSOEnv(**args)


def rollout(env, seed, actions):
    obs, info = env.reset(seed=seed)
    out = [(obs, 0.0, info)]
    for a in actions:
        obs, r, term, trunc, info = env.step(a)
        out.append((obs, r, info))
        if term or trunc:
            break
    return out


@pytest.mark.parametrize("obs_mode", OBS_MODES)
@pytest.mark.parametrize("reward_mode", REWARD_MODES)
def test_env_checkers_pass(obs_mode, reward_mode):
    from gymnasium.utils.env_checker import check_env as gym_check
    from stable_baselines3.common.env_checker import check_env as sb3_check

    env = small_env(obs_mode=obs_mode, reward_mode=reward_mode)
    with warnings.catch_warnings():
        warnings.simplefilter("error", category=UserWarning)  # any checker warning fails the test
        gym_check(env, skip_render_check=True)
    sb3_check(env, warn=False)
    obs, _ = env.reset(seed=1)
    assert env.observation_space.contains(obs)
    assert obs.shape == {"features": (13,), "particle": (env.swarm_size, 7)}.get(obs_mode, (4,))


def test_registered_make_and_vector_constructors():
    from stable_baselines3.common.env_util import make_vec_env

    env = gym.make(pso_env.ENV_ID, function="rastrigin", dim=10, max_iterations=20)
    obs, info = env.reset(seed=0)
    assert obs.shape == (4,) and info["function"] == "rastrigin"
    venv = gym.make_vec(pso_env.ENV_ID, num_envs=4, function="sphere", dim=5, max_iterations=5)
    obs, _ = venv.reset(seed=0)
    assert obs.shape == (4, 4)
    venv.step(np.array([0, 1, 2, 3]))
    venv.close()
    sb3 = make_vec_env(pso_env.ENV_ID, n_envs=2, env_kwargs={"function": "sphere", "dim": 5, "max_iterations": 5})
    assert sb3.reset().shape == (2, 4)
    sb3.close()


def test_same_seed_same_trajectory_other_seed_differs():
    actions = np.random.default_rng(0).integers(0, 4, 30)
    for mode in OBS_MODES:
        a = rollout(small_env(obs_mode=mode, reward_mode="log"), 7, actions)
        b = rollout(small_env(obs_mode=mode, reward_mode="log"), 7, actions)
        c = rollout(small_env(obs_mode=mode, reward_mode="log"), 8, actions)
        for (oa, ra, ia), (ob, rb, ib) in zip(a, b):
            np.testing.assert_array_equal(oa, ob)
            assert ra == rb and ia == ib
        assert [i["best_fitness"] for _, _, i in a] != [i["best_fitness"] for _, _, i in c]


def test_reset_without_seed_continues_the_stream_and_reseeding_replays_it():
    env = small_env(function=["sphere", "rastrigin", "ackley"], shift=True, rotate=True)
    first = [env.reset(seed=3)[1]["best_fitness"]] + [env.reset()[1]["best_fitness"] for _ in range(3)]
    again = [env.reset(seed=3)[1]["best_fitness"]] + [env.reset()[1]["best_fitness"] for _ in range(3)]
    assert first == again and len(set(first)) == 4


@pytest.mark.parametrize("name", list(PAPER_FUNCTIONS))
@pytest.mark.parametrize("cec", [False, True])
def test_random_episode_is_finite_and_improvement_rewards_telescope(name, cec):
    dim = 2 if name == "dropwave" else 10
    env = PSOEnv(function=name, dim=dim, swarm_size=20, max_iterations=60, shift=cec, rotate=cec,
                 obs_mode="features")
    obs, info = env.reset(seed=11)
    start, total = info["best_fitness"], 0.0
    rng = np.random.default_rng(0)
    done = False
    while not done:
        obs, r, term, trunc, info = env.step(int(rng.integers(4)))
        assert np.isfinite(obs).all() and math.isfinite(r) and r >= 0
        total += r
        done = term or trunc
    assert info["iteration"] == 60 and info["evaluations"] == 20 * 61
    assert total == pytest.approx(start - info["best_fitness"], rel=1e-9, abs=1e-9)
    assert info["best_fitness"] < start


def _rastrigin(X):
    return np.sum(X**2 - 10.0 * np.cos(2 * np.pi * X) + 10.0, axis=1)


@pytest.mark.parametrize("mode", ["log", "relative"])
@pytest.mark.parametrize("known_optimum", [True, False])
def test_scale_free_rewards(mode, known_optimum):
    f_star = 0.0 if known_optimum else None

    def episode(scale):
        fn = from_callable(lambda X: scale * _rastrigin(X), 5, -5.12, 5.12, name="r", optimum_value=f_star,
                           vectorized=True)
        env = PSOEnv(function=fn, swarm_size=20, max_iterations=100, reward_mode=mode)
        _, info = env.reset(seed=0)
        rewards = []
        for t in range(100):
            _, r, _, _, info = env.step(t % 4)
            rewards.append(r)
        return np.array(rewards), info, env

    rewards, info, env = episode(1.0)
    assert rewards.sum() > 0.1
    e0 = env.swarm.best_history[0]  # rastrigin's optimum value is 0, so the best value is the error
    if known_optimum:
        expected = math.log10(e0) - math.log10(info["error"]) if mode == "log" else (e0 - info["error"]) / e0
        assert rewards.sum() == pytest.approx(expected)
    # the same run on the function scaled by 1e6 gives the same rewards: nothing depends on the scale
    scaled, _, _ = episode(1e6)
    np.testing.assert_allclose(scaled, rewards, rtol=1e-6, atol=1e-12)


def test_reward_is_finite_with_nasty_objective():
    fn = from_callable(lambda X: np.where(X[:, 0] > 0, np.nan, np.sum(X**2, 1)), 3, -1.0, 1.0, name="nasty", vectorized=True)
    allnan = from_callable(lambda X: np.full(len(X), np.inf), 3, -1.0, 1.0, name="inf", vectorized=True)
    for f in (fn, allnan):
        for mode in REWARD_MODES:
            env = PSOEnv(function=f, swarm_size=10, max_iterations=20, reward_mode=mode, obs_mode="features")
            obs, _ = env.reset(seed=0)
            for t in range(20):
                obs, r, *_ = env.step(t % 4)
                assert math.isfinite(r) and np.isfinite(obs).all()


def test_viterbi_state_matches_hmmlearn_decode():
    env = PSOEnv(function="ackley", dim=10, swarm_size=20, max_iterations=80, hmm_refit_every=0)
    model = CategoricalHMM(n_components=4, n_features=7, init_params="", params="")
    model.startprob_, model.transmat_, model.emissionprob_ = (
        env.belief.startprob, env.belief.transmat[0], env.belief.emissionprob[0])
    _, info = env.reset(seed=4)
    fs, rng = [info["f"]], np.random.default_rng(1)
    states = [info["state"]]
    for _ in range(80):
        _, _, _, _, info = env.step(int(rng.integers(4)))
        fs.append(info["f"])
        states.append(info["state"])
    symbols = discretise(np.array(fs)).reshape(-1, 1)
    for t in range(1, len(fs) + 1):
        _, path = model.decode(symbols[:t], algorithm="viterbi")
        assert states[t - 1] == STATE_NAMES[path[-1]]
    # the tracker decodes with the paper's model (floored where it is zero)
    np.testing.assert_allclose(env.belief.transmat[0], PAPER_TRANSMAT, atol=1e-4)
    np.testing.assert_allclose(env.belief.emissionprob[0], PAPER_EMISSIONPROB, atol=1e-4)
    np.testing.assert_allclose(env.belief.startprob, PAPER_STARTPROB, atol=1e-4)


def test_step_kernel_agrees_with_the_public_functions():
    """The fused step kernel (its numba cache is keyed on vector.py only) gives the factor, reward and features
    of the modules it calls, bit for bit: a stale cached kernel after an edit of one of them fails here."""
    env = PSOEnv(function="rastrigin", dim=6, swarm_size=12, max_iterations=30, reward_mode="log", obs_mode="features")
    obs, info = env.reset(seed=3)
    reward, feats = Reward("log", 1), Features(1, 30, ActionConfig())
    reward.reset(slice(None), np.array([info["best_fitness"]]), np.array([0.0]))
    for t in range(31):
        s = env.swarm
        stats = swarm_statistics(s.positions[None], s.fitness[None], s.gbest_position[None])
        want = feats.observe(slice(None), env.belief.posterior, *(np.array([info[k]]) for k in
                             ("f", "iteration", "w", "c1", "c2", "best_fitness")), *stats)
        np.testing.assert_array_equal(obs, want[0])
        assert info["f"] == evolutionary_factor(env.swarm.positions, env.swarm.fitness)
        if t < 30:
            previous = info["best_fitness"]
            obs, r, _, _, info = env.step(t % 4)
            assert r == reward(np.array([previous]), np.array([info["best_fitness"]]))[0]


@pytest.mark.parametrize("action", range(4))
def test_constant_action_equals_driving_the_swarm_directly(action):
    env = PSOEnv(function="griewank", dim=8, swarm_size=15, max_iterations=40)
    _, info = env.reset(seed=5)
    params, bests = [], []
    for _ in range(40):
        _, _, _, _, info = env.step(action)
        params.append((info["w"], info["c1"], info["c2"]))
        bests.append(info["best_fitness"])
    # the environment's swarm generator is the first of three children of the seed (PSOVectorEnv's seeding)
    swarm = Swarm([get_function("griewank", 8)], 15, np.random.default_rng(np.random.SeedSequence(5).spawn(3)[0]))
    for (w, c1, c2), best in zip(params, bests):
        swarm.step(w, c1, c2)
        assert swarm.gbest_fitness[0] == best
    # and the parameters follow the action's rule from w = w_max, c1 = c2 = 2 (the rules by hand: test_vector.py)
    assert all(1.5 <= c1 <= 2.5 and 1.5 <= c2 <= 2.5 and c1 + c2 <= 4.0 + 1e-12 for _, c1, c2 in params)
    if action == 2:
        assert all(p[0] == 0.9 for p in params)
    if action == 3:
        assert all(p[0] == 0.4 for p in params) and params[-1][1:] == pytest.approx((1.5, 2.5))
    if action == 0:
        assert all(0.4 <= p[0] <= 0.9 for p in params) and params[-1][1] + params[-1][2] <= 4 + 1e-12


def test_target_error_terminates_and_step_after_end_raises():
    env = PSOEnv(function="sphere", dim=2, swarm_size=20, max_iterations=500, target_error=1e-3)
    env.reset(seed=0)
    for _ in range(500):
        _, _, term, trunc, info = env.step(3)
        if term or trunc:
            break
    assert term and not trunc and info["error"] <= 1e-3 and info["iteration"] < 500
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)
    with pytest.raises(RuntimeError, match="reset"):
        PSOEnv(function="sphere", dim=2).step(0)


def test_several_functions_orders_and_explicit_choice():
    names = ["sphere", "rastrigin", "ackley"]
    env = small_env(function=names, instance_order="round_robin")
    seen = [env.reset(seed=0)[1]["function"]] + [env.reset()[1]["function"] for _ in range(5)]
    assert seen == names * 2
    env = small_env(function=names)
    seen = {env.reset(seed=s)[1]["function"] for s in range(30)}
    assert seen == set(names)
    assert env.reset(options={"function": "ackley"})[1]["function"] == "ackley"
    assert env.reset(options={"function": 0})[1]["function"] == "sphere"
    suite = PSOEnv(function="paper", dim=10, max_iterations=5)
    assert len(suite.instances) == 10
    assert suite.reset(options={"function": "dropwave"})[1]["function"] == "dropwave"


def test_info_keys_and_ansi_and_rgb_render():
    env = small_env(render_mode="ansi")
    _, info = env.reset(seed=0)
    for key in ("best_fitness", "error", "w", "c1", "c2", "state", "f", "iteration", "evaluations", "function"):
        assert key in info
    assert info["state"] in STATE_NAMES
    env.step(0)
    text = env.render()
    assert isinstance(text, str) and "rastrigin" in text and "\n" not in text
    for fn, dim in (("dropwave", 2), ("sphere", 5)):
        env = PSOEnv(function=fn, dim=dim, swarm_size=10, max_iterations=10, render_mode="rgb_array")
        env.reset(seed=0)
        env.step(1)
        img = env.render()
        assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3 and img.std() > 0
        env.close()


@pytest.mark.parametrize(
    "kwargs, match",
    [({"function": "nosuch"}, "function"), ({"dim": 0}, "dim"), ({"function": "dropwave", "dim": 3}, "function"),
     ({"swarm_size": 1}, "swarm_size"), ({"max_iterations": 0}, "max_iterations"),
     ({"obs_mode": "pixels"}, "obs_mode"), ({"reward_mode": "raw"}, "reward_mode"), ({"w_min": -1}, "w_min"),
     ({"w_min": 0.9, "w_max": 0.4}, "w_min"), ({"c1": 0}, "c1"), ({"c2": float("nan")}, "c2"),
     ({"delta_range": (0.1, 0.05)}, "delta_range"), ({"delta_range": 0.1}, "delta_range"),
     ({"c_min": 3.0}, "c_min"), ({"velocity_clamp": -0.1}, "velocity_clamp"), ({"bounds": "wrap"}, "bounds"),
     ({"hmm_refit_every": -1}, "hmm_refit_every"), ({"target_error": -1.0}, "target_error"),
     ({"instance_order": "sorted"}, "instance_order"), ({"render_mode": "human"}, "render_mode"),
     ({"function": []}, "function"), ({"function": [3]}, "function")],
)
def test_bad_constructor_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        small_env(**kwargs)


@pytest.mark.parametrize("action", [4, -1, 1.5, "a", np.array([1, 2])])
def test_invalid_action_raises(action):
    env = small_env()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action"):
        env.step(action)


def test_numpy_integer_actions_accepted():
    env = small_env()
    env.reset(seed=0)
    env.step(np.int64(2))
    env.step(np.array(1))


# ----------------------------------------------------------------------------------- configuration
def test_config_validates_every_field_once_with_one_prefix():
    with pytest.raises(ValueError, match=r"^shift must be True or False, got 'yes'$"):
        EnvConfig(shift="yes")
    with pytest.raises(ValueError, match=r"^rotate must be True or False, got 1$"):
        PSOEnv(rotate=1)
    assert EnvConfig(rotate=np.bool_(True)).rotate is True  # numpy's booleans are booleans, stored as bool
    with pytest.raises(ValueError, match=r"^swarm_size must be an integer >= 2, got 1$"):
        gym.make("pso_env/PSOControl-v0", swarm_size=1)
    with pytest.raises(ValueError, match=r"^function: unknown name 'rastrign'; did you mean 'rastrigin'"):
        PSOEnv(function="rastrign")
    with pytest.raises(ValueError, match="config must be an EnvConfig"):
        PSOEnv(config={"dim": 3})


def test_config_round_trips_and_both_envs_take_it():
    cfg = EnvConfig(function=["sphere", ("rastrigin", 3, {})], dim=4, swarm_size=6, max_iterations=5,
                    delta_range=(0.01, 0.02), target_error=None, shift=True)
    data = json.loads(json.dumps(cfg.to_dict()))
    assert EnvConfig.from_dict(data) == cfg
    with pytest.raises(ValueError, match="function object"):
        EnvConfig(function=get_function("sphere", 2)).to_dict()
    with pytest.raises(ValueError, match="unknown EnvConfig fields"):
        EnvConfig.from_dict({"dims": 3})
    env, venv = PSOEnv(cfg), PSOVectorEnv(3, cfg, max_iterations=7)
    assert env.config is cfg and venv.config == cfg.replace(max_iterations=7)
    assert PSOEnv(dim=4).config == EnvConfig(dim=4)


def test_config_command_line_options_come_from_the_fields():
    parser = argparse.ArgumentParser()
    add_field_arguments(parser, EnvConfig, exclude=("backend", "device", "dtype"))
    ns = parser.parse_args(["--function", "sphere,ackley", "--dim", "5", "--shift", "--delta-range", "0.1,0.2",
                            "--target-error", "none", "--velocity-clamp", "0.5"])
    cfg = EnvConfig(**field_values(EnvConfig, ns))
    assert cfg.function == "sphere,ackley" and len(PSOEnv(cfg).instances) == 2 and cfg.dim == 5 and cfg.shift is True
    assert cfg.delta_range == (0.1, 0.2) and cfg.target_error is None and cfg.velocity_clamp == 0.5
    assert EnvConfig(**field_values(EnvConfig, parser.parse_args([]))) == EnvConfig()
    help_text = parser.format_help()
    assert "--swarm-size" in help_text and "--backend" not in help_text


def test_help_shows_no_sentinels():
    assert "object object at" not in pydoc.render_doc(PSOEnv) and "object object at" not in pydoc.render_doc(
        PSOVectorEnv)


def test_import_registers_without_heavy_modules():
    code = ("import sys, gymnasium, pso_env; assert pso_env.ENV_ID in gymnasium.registry; "
            "print(sorted(m for m in ('numba', 'ioh', 'torch', 'benchmarks_fn', 'pso_env.env') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    assert set(pso_env.__all__) <= set(dir(pso_env)) and pso_env.PSOEnv is PSOEnv


# ----------------------------------------------------------------------------------- observations in their space
_NASTY = {
    "nan": lambda x: np.full(len(x), np.nan),
    "+inf": lambda x: np.full(len(x), np.inf),
    "-inf": lambda x: np.full(len(x), -np.inf),
    "1e308": lambda x: np.full(len(x), 1e308),
    "huge-spread": lambda x: np.where(x[:, 0] > 0, 1e308, -1e308),
    "constant": lambda x: np.full(len(x), 3.0),
    "mixture": lambda x: np.choose(np.arange(len(x)) % 5, [np.full(len(x), v) for v in
                                                           (np.nan, np.inf, -np.inf, 1e308, 0.0)]) + x[:, 0] * 0,
    "nan-then-finite": lambda x: np.where(x[:, 0] > 0.5, np.nan, (x ** 2).sum(axis=1)),
}


@pytest.mark.parametrize("obs_mode", OBS_MODES)
@pytest.mark.parametrize("name", sorted(_NASTY))
@pytest.mark.parametrize("reward_mode", REWARD_MODES)
def test_observations_stay_in_their_space_for_any_objective_values(name, obs_mode, reward_mode):
    fn = from_callable(_NASTY[name], dim=3, lower=-1.0, upper=1.0, name=name, vectorized=True)
    kw = {"function": fn, "swarm_size": 6, "max_iterations": 5, "obs_mode": obs_mode, "reward_mode": reward_mode}
    env = PSOEnv(**kw)
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs), obs
    for t in range(5):
        obs, r, *_ = env.step(t % 4)
        assert env.observation_space.contains(obs), obs
        assert math.isfinite(r)
    venv = PSOVectorEnv(4, **kw)
    obs, _ = venv.reset(seed=1)
    for _ in range(12):  # through autoresets
        assert venv.observation_space.contains(obs), obs
        obs, r, *_ = venv.step(venv.action_space.sample())
        assert np.isfinite(r).all()
