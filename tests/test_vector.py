"""Batched beliefs, the vector environment, its SB3 adapter and its torch backend (the swarm: test_swarm)."""

from __future__ import annotations

import math
import warnings
from unittest import mock

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode
from scipy.stats import mannwhitneyu

import pso_env
from pso_env import PSOEnv, vector
from pso_env.actions import ActionConfig, actions_into, apply_actions
from pso_env.belief import DEFAULT_REFIT_EVERY, Belief
from pso_env.factor import (
    discretise,
)
from pso_env.observation import Features
from pso_env.reward import Reward
from pso_env.vector import PSOVectorEnv, SB3VecEnv, make_sb3_vec_env

SMALL = {"function": "rastrigin", "dim": 5, "swarm_size": 10, "max_iterations": 50, "hmm_refit_every": 0}
ACTIONS = [0, 1, 2, 3] * 13  # the fixed action sequence of the statistical tests


def final_errors_single(seeds, **kwargs):
    out = []
    for seed in seeds:
        env = PSOEnv(**{**SMALL, **kwargs})
        env.reset(seed=int(seed))
        for a in ACTIONS[: env.max_iterations]:
            *_, truncated, info = env.step(a)
        assert truncated
        out.append(info["error"])
    return np.array(out)


def final_errors_vector(seed, n=30, cls=PSOVectorEnv, **kwargs):
    env = cls(n, **{**SMALL, **kwargs})
    env.reset(seed=seed)
    for a in ACTIONS[: env.max_iterations]:
        *_, truncated, info = env.step(np.full(n, a))
    assert truncated.all()
    return info["error"]


# ------------------------------------------------------------------------------------------- beliefs
def _f_sequences(batch, steps, seed):
    rng = np.random.default_rng(seed)
    return rng.random((steps, batch)) ** rng.uniform(0.2, 4.0, (1, batch))


class _TrackerLoop:
    """B one-sequence beliefs (B = 1) behind Belief's interface: the reference for B > 1."""

    def __init__(self, batch_size, **kwargs):
        self.trackers = [Belief(1, **kwargs) for _ in range(batch_size)]
        self.states = np.array([t.states[0] for t in self.trackers])

    def _rows(self, indices):
        return np.arange(len(self.trackers))[slice(None) if indices is None else indices]

    def reset(self, indices=None):
        for i in self._rows(indices):
            self.trackers[i].reset()
            self.states[i] = self.trackers[i].states[0]

    def update(self, f, indices=None):
        for i, x in zip(self._rows(indices), np.asarray(f, dtype=float)):
            self.states[i] = self.trackers[i].update([x])[0]
        return self.states.copy()

    @property
    def posterior(self):
        return np.array([t.posterior[0] for t in self.trackers])


def _assert_batch_equals_trackers(batch, ref):
    np.testing.assert_array_equal(batch.states, ref.states)
    np.testing.assert_array_equal(batch.posterior, ref.posterior)  # bit for bit
    for i, tr in enumerate(ref.trackers):
        assert batch.n_symbols[i] == tr.n_symbols[0] and batch.n_refits[i] == tr.n_refits[0]
        assert batch.n_rejected_rows[i] == tr.n_rejected_rows[0]
    np.testing.assert_array_equal(batch.transmat, [tr.transmat[0] for tr in ref.trackers])
    np.testing.assert_array_equal(batch.emissionprob, [tr.emissionprob[0] for tr in ref.trackers])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"refit_every": 0},
        {"refit_every": 7, "refit_min_length": 10},
        {"refit_every": 20, "refit_iter": 3, "refit_pseudocount": 0.0, "floor": 1e-3},
        {"refit_every": 1, "refit_min_length": 1, "startprob": [0.25] * 4},
    ],
)
def test_batch_belief_equals_belief_trackers_bit_for_bit(monkeypatch, kwargs):
    """States, posteriors and re-estimated models of Belief(B) are those of B Belief(1)s, bit for bit, through
    mid-run resets and subset updates (so that sequences reach their refits at different steps) and
    through the growth of the stored histories."""
    monkeypatch.setattr(pso_env.belief, "_INITIAL_CAPACITY", 32)
    steps, n = 150, 12
    f = _f_sequences(n, steps, 0)
    f[17, 3] = np.nan  # NaN maps to the top symbol in both
    f[18, :8] = [0.2, 0.3, 0.4, 0.6, 0.7, 0.8, -0.1, 1.5]  # interval edges belong to the right; clipping
    batch, ref = Belief(n, **kwargs), _TrackerLoop(n, **kwargs)
    _assert_batch_equals_trackers(batch, ref)
    rng = np.random.default_rng(1)
    for t in range(steps):
        if t in (40, 90):  # mid-run resets of some sequences, by indices and by mask
            idx = [2, 5] if t == 40 else rng.random(n) < 0.3
            batch.reset(idx)
            ref.reset(idx)
        if 50 <= t < 70:  # only some sequences step
            idx = np.flatnonzero(rng.random(n) < 0.5)
            states = batch.update(f[t, idx], idx)
            np.testing.assert_array_equal(states, ref.update(f[t, idx], idx))
        elif t % 3:
            np.testing.assert_array_equal(batch.update(f[t]), ref.update(f[t]))
        else:  # the symbol path
            s = discretise(f[t])
            np.testing.assert_array_equal(batch.update_symbols(s), ref.update(f[t]))
        _assert_batch_equals_trackers(batch, ref)
    for i, tr in enumerate(ref.trackers):
        np.testing.assert_array_equal(batch.symbols(i), tr.symbols(0))
    if kwargs["refit_every"]:
        assert len(set(batch.n_refits.tolist())) > 1 and batch.n_refits.min() > 0


def test_belief_defaults():
    batch = Belief(3)
    assert batch.refit_every == DEFAULT_REFIT_EVERY and Belief().batch_size == 1
    assert Belief(2, 0).refit_every == 0
    assert Belief(2, 5, floor=1e-3).floor == 1e-3
    np.testing.assert_array_equal(batch.posterior, np.tile(Belief(1).posterior, (3, 1)))


def test_batch_belief_bad_arguments():
    with pytest.raises(ValueError, match="batch_size"):
        Belief(0)
    with pytest.raises(ValueError, match="refit_every"):
        Belief(2, refit_every=-1)
    with pytest.raises(ValueError, match="floor"):
        Belief(2, floor=0.5)
    with pytest.raises(ValueError, match="f must have shape"):
        Belief(2).update(np.zeros(3))
    with pytest.raises(ValueError, match="symbols must be 2 integers"):
        Belief(2).update_symbols(np.array([0, 7]))
    with pytest.raises(ValueError, match="symbols must be 1 integers"):
        Belief(2).update_symbols(np.array([0.0]), indices=[1])
    batch = Belief(3)
    for bad in ([0, 0], [3], [-1], np.array([True, False])):
        with pytest.raises(ValueError, match="indices"):
            batch.update(np.full(np.size(bad), 0.5), indices=bad)
    assert batch.n_symbols.tolist() == [0, 0, 0]  # nothing written by the refused calls
    batch.update([0.5], indices=1)  # a single index
    batch.update_symbols(np.array([6]), indices=np.int64(2))
    assert batch.n_symbols.tolist() == [0, 1, 1]


# ------------------------------------------------------------------- actions, rewards and features
class _Queue:
    """A stand-in generator returning queued numbers, to feed the same draws to both code paths."""

    def __init__(self, values):
        self.values = list(values)

    def random(self, size=None):
        if size is None:
            return self.values.pop(0)
        return np.array(self.values).reshape(size)


def test_actions_follow_the_table_by_hand():
    cfg = ActionConfig()
    a = np.array([0, 1, 2, 3, 0, 1])
    u = np.array([[0.0, 1.0, 0.5, 0.5, 0.5, 0.0], [0.5, 0.0, 0.0, 0.0, 0.0, 0.0]])  # delta = 0.05 + 0.05 u[0]
    f = np.array([0.0, 1.0, 0.0, 0.0, 0.0, 0.0])
    c1 = np.array([2.0, 2.0, 2.0, 2.0, 2.45, 1.5])
    c2 = np.array([2.0, 2.0, 2.0, 2.0, 2.45, 1.5])
    w, n1, n2 = apply_actions(a, np.zeros(6), c1, c2, f, u, cfg)
    np.testing.assert_allclose(w, [0.65, 1 / (1 + 1.5 * math.exp(-2.6)), 0.9, 0.4, 0.4, 0.4], rtol=1e-15)
    np.testing.assert_allclose(n1, [2.05, 2.1 * 4 / 4.05, 2.0375, 1.925, 2.5 * 4 / 4.875, 1.55], rtol=1e-15)
    np.testing.assert_allclose(n2, [1.95, 1.95 * 4 / 4.05, 1.925, 2.075, 2.375 * 4 / 4.875, 1.5], rtol=1e-15)
    assert (n1 + n2 <= 4 + 1e-12).all()


@pytest.mark.parametrize("mode", ["improvement", "log", "relative"])
def test_reward_and_features_by_hand(mode):
    """Rewards and features of a hand-made sequence of best values, f* known (0) and unknown."""
    best = np.array([[100.0, 100.0], [10.0, 10.0], [10.0, 10.0], [1e-3, 1e-3]])
    f_star = np.array([0.0, np.nan])
    reward, feats = Reward(mode, 2), Features(2, 3, ActionConfig())
    reward.reset(slice(None), best[0], f_star)
    feats.reset(np.arange(2))
    # errors: f* = 0 -> best itself; unknown -> 1 + (best - 100) / 100 = best / 100 (floored at 1e-8)
    e = np.stack([best[:, 0], best[:, 1] / 100])
    for t in range(1, 4):
        r = reward(best[t - 1], best[t])
        want = {"improvement": best[t - 1] - best[t],
                "log": np.log10(e[:, t - 1]) - np.log10(e[:, t]),
                "relative": (e[:, t - 1] - e[:, t]) / e[:, 0]}[mode]
        np.testing.assert_allclose(r, want, rtol=1e-12)
    post = np.array([[0.7, 0.1, 0.1, 0.1], [0.25, 0.25, 0.25, 0.25]])
    since = [0, 0, 1, 0]
    # features need no f*: both columns (f* known, unknown) see the same best values
    share = [0.0, 1.0, 1.0, 1.0]  # the window (10) reaches back to the reset: all the improvement is recent
    div = np.array([[1.0, 2.0], [0.1, 4.0], [1e-12, 2e-6], [0.0, np.nan]])
    div_want = np.array([[1.0, 1.0], [1 - 1 / 12, 1.0], [0.0, 0.5], [0.0, 0.0]])
    fdc = np.array([[0.5, 0.0], [-1.0, 2.0], [np.nan, -0.5], [1.0, np.nan]])
    fdc_want = np.array([[0.75, 0.5], [0.0, 1.0], [0.5, 0.25], [1.0, 0.5]])
    for t in range(4):
        obs = feats.observe(slice(None), post, np.array([0.3, np.nan]), np.full(2, t), np.array([0.4, 0.9]),
                            np.array([1.5, 2.0]), np.array([2.5, 3.0]), best[t], div[t], fdc[t])
        want = np.column_stack([post, [0.3, 1.0], np.full(2, t / 3), [0.0, 1.0], [0.0, 0.5], [1.0, 1.0],
                                np.full(2, share[t]), np.full(2, math.log1p(since[t]) / math.log(4)), div_want[t],
                                fdc_want[t]])
        np.testing.assert_allclose(obs, want, rtol=1e-6, atol=1e-7)


# ----------------------------------------------------------------------------------- vector environment
def _rollout(env, seed, steps=12):
    obs, info = env.reset(seed=seed)
    out = [obs, info["best_fitness"]]
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        obs, r, term, trunc, info = env.step(rng.integers(0, 4, env.num_envs))
        out += [obs, r, term, trunc, info["best_fitness"], info["w"], info["c1"]]
    return out


@pytest.mark.parametrize("kwargs", [{"obs_mode": "features"}, {"shift": True, "rotate": True, "hmm_refit_every": 5},
                                    {"function": ["sphere", "ackley", "rastrigin"], "instance_order": "round_robin"}])
def test_vector_env_same_seed_identical_other_seed_differs(kwargs):
    args = {**SMALL, "max_iterations": 5, **kwargs}
    a = _rollout(PSOVectorEnv(4, **args), 3)
    b = _rollout(PSOVectorEnv(4, **args), 3)
    c = _rollout(PSOVectorEnv(4, **args), 4)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))


@pytest.mark.parametrize("refit", [0, 10])
def test_vector_env_belief_paths_are_interchangeable(refit):
    """The environment's belief (its fused step) equals one-sequence beliefs fed its factors, bit for bit."""
    env = PSOVectorEnv(8, **{**SMALL, "max_iterations": 45, "obs_mode": "features", "hmm_refit_every": refit})
    assert isinstance(env.belief, Belief)
    ref = _TrackerLoop(8, refit_every=refit)
    obs, info = env.reset(seed=5)
    ref.update(info["f"])
    rng, refitted = np.random.default_rng(5), np.zeros(8, dtype=bool)
    for _ in range(60):  # autoresets at 46
        obs, *_, info = env.step(rng.integers(0, 4, 8))
        new = info["iteration"] == 0  # reset by the autoreset: the step's factor was not observed
        ref.update(info["f"][~new], np.flatnonzero(~new))
        refitted |= [tr.n_refits[0] > 0 for tr in ref.trackers]
        ref.reset(np.flatnonzero(new))
        ref.update(info["f"][new], np.flatnonzero(new))
        np.testing.assert_array_equal(env.belief.states, ref.states)
        np.testing.assert_array_equal(obs[:, :4], ref.posterior.astype(np.float32))
    assert refitted.all() == bool(refit)


def test_vector_env_spaces_and_info_convention():
    env = PSOVectorEnv(3, **{**SMALL, "function": ["sphere", "bbob:f1"], "instance_order": "round_robin",
                             "obs_mode": "features"})
    assert env.single_observation_space == gym.spaces.Box(0, 1, (13,), np.float32)
    assert env.single_action_space == gym.spaces.Discrete(4)
    assert env.observation_space.shape == (3, 13) and env.action_space == gym.spaces.MultiDiscrete([4, 4, 4])
    assert env.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    assert info["function"].tolist() == ["sphere", "bbob:f1", "sphere"]
    obs, r, term, trunc, info = env.step(np.array([0, 1, 2]))
    assert env.observation_space.contains(obs) and r.dtype == np.float64 and term.dtype == trunc.dtype == np.bool_
    for key in ("best_fitness", "error", "w", "c1", "c2", "state", "f", "iteration", "evaluations", "function"):
        assert info[key].shape == (3,) and info[f"_{key}"].dtype == np.bool_
    assert info["_best_fitness"].all() and info["_error"].all()  # bbob f* is known
    assert set(info["state"]) <= set(pso_env.STATE_NAMES) and info["iteration"].tolist() == [1, 1, 1]


def test_an_ioh_logger_sees_each_psoenv_episode_as_one_run(tmp_path):
    import json

    import ioh

    from benchmarks_fn import get_function

    fn = get_function("bbob:f3", 4)
    logger = ioh.logger.Analyzer(root=str(tmp_path), folder_name="runs")
    fn.problem.attach_logger(logger)
    env = PSOEnv(function=fn, swarm_size=6, max_iterations=5, hmm_refit_every=0)
    bests = []
    for seed in range(3):
        env.reset(seed=seed)
        assert fn.problem.state.evaluations == 6  # the initial swarm's, not the last episode's too
        for a in (0, 1, 2, 3, 0):
            *_, info = env.step(a)
        assert fn.problem.state.evaluations == info["evaluations"] == 36
        assert fn.problem.state.current_best.y == info["best_fitness"]
        bests.append(info["error"])  # the logger's y: the best value less f*
    logger.close()
    runs = json.loads(next(tmp_path.glob("runs*/*.json")).read_text())["scenarios"][0]["runs"]
    assert [run["evals"] for run in runs] == [36] * 3  # on main: one run of 3 x 36 evaluations
    assert [run["best"]["y"] for run in runs] == pytest.approx(bests, rel=1e-14)  # ioh writes 16 digits


@pytest.mark.parametrize("mode", ["NextStep", "SameStep"])
def test_each_sub_environment_runs_its_own_ioh_problem_one_run_per_episode(mode):
    from benchmarks_fn import get_function

    fn = get_function("bbob:f3", 4)
    env = PSOVectorEnv(3, function=fn, swarm_size=6, max_iterations=4, hmm_refit_every=0, autoreset_mode=mode)
    env.reset(seed=0)
    problems = [f.problem for f in env.functions]
    assert env.functions[0] is fn and len({id(p) for p in problems}) == 3
    rng, seen = np.random.default_rng(0), set()
    for _ in range(11):
        *_, infos = env.step(rng.integers(0, 4, 3))
        assert [f.problem for f in env.functions] == problems  # each sub-environment keeps its copy
        assert [p.state.evaluations for p in problems] == infos["evaluations"].tolist()
        assert [p.state.current_best.y for p in problems] == infos["best_fitness"].tolist()
        seen |= set(infos["evaluations"].tolist())
    assert seen == ({6, 12, 18, 24, 30} if mode == "NextStep" else {6, 12, 18, 24})  # restarted per episode
    mixed = PSOVectorEnv(2, function=[("bbob:f3", 2), ("bbob:f1", 5)], dim=5, swarm_size=6, max_iterations=4,
                         instance_order="round_robin", autoreset_mode=mode)
    mixed.reset(seed=0)
    *_, infos = mixed.step(np.array([0, 0]))  # the rows of the other dimension's swarm evaluate a spare problem
    assert [f.problem.state.evaluations for f in mixed.functions] == infos["evaluations"].tolist() == [12, 12]


def test_autoreset_next_step_mode():
    env = PSOVectorEnv(3, **{**SMALL, "function": "sphere", "max_iterations": 4, "target_error": 200.0})
    env.reset(seed=1)
    seen_term = False
    for _ in range(12):
        prev_iter = None
        _obs, _r, term, trunc, info = env.step(np.array([3, 3, 3]))
        ended = term | trunc
        if ended.any():
            seen_term |= bool(term.any())
            prev_iter = info["iteration"].copy()
            obs2, r2, term2, trunc2, info2 = env.step(np.array([0, 1, 2]))
            assert np.all(r2[ended] == 0.0) and not term2[ended].any() and not trunc2[ended].any()
            assert np.all(info2["iteration"][ended] == 0)
            assert np.all(info2["evaluations"][ended] == 10)
            assert np.all(info2["w"][ended] == 0.9) and np.all(info2["c1"][ended] == 2.0)
            np.testing.assert_array_equal(obs2[ended], np.eye(4, dtype=np.float32)[
                [pso_env.STATE_NAMES.index(s) for s in info2["state"][ended]]])
            assert np.all(info2["iteration"][~ended] == prev_iter[~ended] + 1)
    assert seen_term  # some episodes ended by target_error, others by truncation


def test_autoreset_same_step_and_disabled_modes():
    args = {**SMALL, "max_iterations": 3}
    same = PSOVectorEnv(2, autoreset_mode="SameStep", **args)
    same.reset(seed=0)
    for _ in range(2):
        same.step(np.array([0, 0]))
    obs, _r, _term, trunc, info = same.step(np.array([1, 1]))
    assert trunc.all() and info["_final_obs"].all() and info["final_obs"][0].shape == (4,)
    assert info["final_info"]["iteration"].tolist() == [3, 3] and info["iteration"].tolist() == [0, 0]
    np.testing.assert_array_equal(obs, np.eye(4, dtype=np.float32)[[pso_env.STATE_NAMES.index(s) for s in info["state"]]])
    disabled = PSOVectorEnv(2, autoreset_mode=AutoresetMode.DISABLED, **args)
    disabled.reset(seed=0)
    for _ in range(3):
        disabled.step(np.array([0, 0]))
    with pytest.raises(RuntimeError, match="reset_mask"):
        disabled.step(np.array([0, 0]))
    _obs, info = disabled.reset(options={"reset_mask": np.array([True, False])})
    assert info["_iteration"].tolist() == [True, False] and info["iteration"][0] == 0
    disabled.reset(options={"reset_mask": np.array([False, True])})
    disabled.step(np.array([0, 0]))


def test_vector_env_matches_single_env_statistically_and_detects_a_different_w():
    """Final errors over 30 episodes of each, fixed action sequence; Mann-Whitney U."""

    class InertiaIgnored(PSOVectorEnv):  # a deliberately wrong update: the velocity is never damped by w
        def _advance(self, a):
            def w_one(actions, u, t, wc, cfg, coefs):
                actions_into(actions, u, t, wc, cfg, coefs)
                wc[0] = 1.0  # the w row of the parameters
                coefs[:(coefs.shape[0] - 1) // 3] = 1.0  # and the swarm's w per particle

            with mock.patch.object(vector, "actions_into", w_one):
                super()._advance(a)


    single = final_errors_single(range(30))
    assert mannwhitneyu(single, final_errors_vector(0)).pvalue > 0.01
    assert mannwhitneyu(single, final_errors_vector(0, cls=InertiaIgnored)).pvalue < 0.01
    # sphere separates update rules far more sharply: the same test, and a w that differs by action
    single = final_errors_single(range(30), function="sphere")
    assert mannwhitneyu(single, final_errors_vector(1, function="sphere")).pvalue > 0.01
    assert mannwhitneyu(single, final_errors_vector(1, function="sphere", w_min=0.9)).pvalue < 0.01


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"num_envs": 0}, "num_envs"),
        ({"backend": "jax"}, "backend"),
        ({"device": "cuda"}, "device"),
        ({"obs_mode": "pixels"}, "obs_mode"),
        ({"swarm_size": 1}, "swarm_size"),
        ({"delta_range": (0.2, 0.1)}, "delta_range"),
        ({"hmm_refit_every": -1}, "hmm_refit_every"),
        ({"function": "nope"}, "function"),
        ({"autoreset_mode": "sometimes"}, "autoreset_mode"),
        ({"backend": "torch", "function": "bbob:f1"}, "functions"),
        ({"backend": "torch", "dtype": "float16"}, "dtype"),
    ],
)
def test_vector_env_bad_arguments(kwargs, match):
    args = {**SMALL, "num_envs": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        PSOVectorEnv(**args)


def test_vector_env_bad_calls():
    env = PSOVectorEnv(2, **SMALL)
    with pytest.raises(RuntimeError, match="reset"):
        env.step(np.array([0, 0]))
    with pytest.raises(ValueError, match="seed"):
        env.reset(seed=-1)
    env.reset(seed=[1, 2])
    for bad in (np.array([0, 4]), np.array([0]), np.array([0.5, 1.0]), [[0, 1]]):
        with pytest.raises(ValueError, match="actions"):
            env.step(bad)
    with pytest.raises(ValueError, match="reset_mask"):
        env.reset(options={"reset_mask": np.array([False, False])})


def test_make_vec_returns_the_vector_env():
    env_id = "pso_env/PSOControlVectorTest-v0"
    gym.register(env_id, entry_point="pso_env.env:PSOEnv", vector_entry_point="pso_env.vector:PSOVectorEnv")
    try:
        env = gym.make_vec(env_id, num_envs=3, vectorization_mode="vector_entry_point", function="sphere", dim=4,
                           max_iterations=5)
        assert isinstance(env, PSOVectorEnv) and env.num_envs == 3
        obs, _ = env.reset(seed=0)
        assert obs.shape == (3, 4)
        env.step(np.array([0, 1, 2]))
        env.close()
    finally:
        gym.registry.pop(env_id, None)
    if gym.spec(pso_env.ENV_ID).vector_entry_point is not None:  # once the package registers it
        assert isinstance(gym.make_vec(pso_env.ENV_ID, num_envs=2, dim=4), PSOVectorEnv)


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
def test_make_vec_takes_what_gymnasium_forwards_and_truncates_as_the_sync_vector_env(mode):
    # make_vec hands a vector entry point num_envs, every keyword (max_episode_steps, disable_env_checker and
    # render_mode included: make takes them in "sync" mode) and the spec's max_episode_steps
    kwargs = {"function": "sphere", "dim": 3, "swarm_size": 5, "max_iterations": 50, "hmm_refit_every": 0,
              "max_episode_steps": 4, "disable_env_checker": True, "render_mode": None}
    native = gym.make_vec(pso_env.ENV_ID, num_envs=2, autoreset_mode=mode, **kwargs)
    sync = gym.make_vec(pso_env.ENV_ID, num_envs=2, vectorization_mode="sync", vector_kwargs={"autoreset_mode": mode},
                        **kwargs)
    assert isinstance(native, PSOVectorEnv) and native.max_episode_steps == 4
    runs = []
    for env in (native, sync):
        env.reset(seed=0)
        run = []
        for _ in range(11):
            obs, rewards, terminated, truncated, infos = env.step(np.array([0, 1]))
            assert obs.shape == (2, 4) and not terminated.any() and truncated[0] == truncated[1]
            final = infos["final_info"]["iteration"].tolist() if "final_info" in infos else None
            run.append((bool(truncated[0]), infos["iteration"].tolist(), final, rewards[0] == 0))
        runs.append(run)
    assert [r[:3] for r in runs[0]] == [r[:3] for r in runs[1]]  # the same ends, iterations and final infos
    if mode == AutoresetMode.NEXT_STEP:  # truncated at step 4; the next step resets (reward 0)
        assert [r[1][0] for r in runs[0]] == [1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1]
        assert [r[0] for r in runs[0]] == [t in (3, 8) for t in range(11)]
        assert all(run[t][3] for run in runs for t in (4, 9))
    else:  # truncated at step 4 and reset in the same step: the reset's iteration, the last one in final_info
        assert [r[1][0] for r in runs[0]] == [1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3]
        assert [r[0] for r in runs[0]] == [t in (3, 7) for t in range(11)]
        assert [r[2] for r in runs[0] if r[0]] == [[4, 4]] * 2
    env = PSOVectorEnv(2, **{**kwargs, "max_iterations": 3})  # the earlier of the two limits ends episodes
    env.reset(seed=0)
    assert [env.step(np.array([0, 0]))[3][0] for _ in range(3)] == [False, False, True]
    assert PSOVectorEnv(1, **{**kwargs, "max_episode_steps": -1}).max_episode_steps is None  # make's "no limit"


def test_make_vec_takes_the_specs_max_episode_steps_and_refuses_bad_arguments():
    env_id = "pso_env/PSOControlLimitTest-v0"
    gym.register(env_id, entry_point="pso_env.env:PSOEnv", vector_entry_point="pso_env.vector:PSOVectorEnv",
                 max_episode_steps=2)
    try:
        env = gym.make_vec(env_id, num_envs=2, function="sphere", dim=3, swarm_size=5)
        env.reset(seed=0)
        assert [env.step(np.array([0, 0]))[3].tolist() for _ in range(2)] == [[False, False], [True, True]]
    finally:
        gym.registry.pop(env_id, None)
    for bad in (0, 2.5, True, "3"):
        with pytest.raises(ValueError, match="max_episode_steps"):
            gym.make_vec(pso_env.ENV_ID, num_envs=2, function="sphere", dim=3, max_episode_steps=bad)
    with pytest.raises(ValueError, match="render_mode"):
        gym.make_vec(pso_env.ENV_ID, num_envs=2, function="sphere", dim=3, render_mode="rgb_array")


# ------------------------------------------------------------------------------------------ SB3 adapter
def test_sb3_adapter_semantics():
    venv = make_sb3_vec_env(3, seed=0, function="sphere", dim=4, swarm_size=8, max_iterations=4,
                            hmm_refit_every=0)
    assert isinstance(venv, SB3VecEnv) and venv.num_envs == 3
    obs = venv.reset()
    assert obs.shape == (3, 4) and obs.dtype == np.float32
    total = np.zeros(3)
    for t in range(4):
        obs, rewards, dones, infos = venv.step(np.array([0, 1, 2]))
        total += rewards
        assert obs.shape == (3, 4) and rewards.shape == (3,) and dones.shape == (3,) and len(infos) == 3
        assert dones.all() == (t == 3)
    for i, info in enumerate(infos):
        assert info["terminal_observation"].shape == (4,) and info["TimeLimit.truncated"] is True
        assert info["episode"]["l"] == 4 and math.isclose(info["episode"]["r"], total[i], rel_tol=1e-6)
        assert info["iteration"] == 4  # the ended episode's info
    obs, _, dones, infos = venv.step(np.array([0, 0, 0]))
    assert not dones.any() and infos[0]["iteration"] == 1  # reset happened in the previous step
    again = make_sb3_vec_env(3, seed=0, function="sphere", dim=4, swarm_size=8, max_iterations=4)
    np.testing.assert_array_equal(again.reset(), make_sb3_vec_env(3, seed=0, function="sphere", dim=4, swarm_size=8,
                                                                  max_iterations=4).reset())
    assert venv.get_attr("obs_mode") == ["viterbi"] * 3 and venv.env_is_wrapped(gym.Wrapper) == [False] * 3


def test_sb3_evaluate_policy_takes_the_adapters_episode_statistics_without_a_monitor_warning():
    from stable_baselines3.common.evaluation import evaluate_policy
    from stable_baselines3.common.monitor import Monitor
    from stable_baselines3.common.vec_env import VecMonitor

    class Cycle:  # a policy: actions 0, 1, 2, 3, 0, ... in every sub-environment
        t = 0

        def predict(self, obs, state=None, episode_start=None, deterministic=True):
            self.t += 1
            return np.full(len(obs), self.t % 4), state

    venv = make_sb3_vec_env(2, seed=0, function="sphere", dim=3, swarm_size=5, max_iterations=4, hmm_refit_every=0)
    assert venv.env_is_wrapped(Monitor) == [True, True] and venv.env_is_wrapped(VecMonitor) == [False, False]
    episodes, sums, running = [], [], np.zeros(2)

    def callback(local, _):
        running[local["i"]] += local["reward"]
        if local["done"]:
            episodes.append(local["info"]["episode"])
            sums.append(running[local["i"]])
            running[local["i"]] = 0.0

    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*Monitor")
        rewards, lengths = evaluate_policy(Cycle(), venv, n_eval_episodes=4, return_episode_rewards=True,
                                           callback=callback)
    assert rewards == [e["r"] for e in episodes] and lengths == [e["l"] for e in episodes] == [4] * 4
    assert rewards == pytest.approx(sums, rel=1e-6) and len(set(rewards)) == 4
    with pytest.warns(UserWarning, match="already wrapped with a `Monitor`"):  # SB3 sees who writes the episodes
        VecMonitor(venv)


def test_sb3_dqn_learns_200_steps():
    from stable_baselines3 import DQN

    venv = make_sb3_vec_env(4, seed=0, function="rastrigin", dim=5, swarm_size=10, max_iterations=30,
                            obs_mode="features", reward_mode="log", hmm_refit_every=0)
    model = DQN("MlpPolicy", venv, learning_starts=40, buffer_size=1000, train_freq=4, batch_size=16,
                policy_kwargs={"net_arch": [32]}, seed=0, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model.learn(200)
    assert model.num_timesteps >= 200 and len(model.ep_info_buffer) >= 4
    action, _ = model.predict(venv.reset(), deterministic=True)
    assert action.shape == (4,)


# --------------------------------------------------------------------------------------------- torch
def test_vector_env_torch_backend_matches_numpy_backend():
    args = {**SMALL, "function": "sphere"}
    numpy_errors = final_errors_vector(0, n=20, **args)
    torch_env = PSOVectorEnv(20, backend="torch", **args)
    assert torch_env.swarm is None
    torch_errors = final_errors_vector(0, n=20, backend="torch", **args)
    assert mannwhitneyu(numpy_errors, torch_errors).pvalue > 0.01
    np.testing.assert_array_equal(torch_errors, final_errors_vector(0, n=20, backend="torch", **args))
    a = _rollout(PSOVectorEnv(3, backend="torch", **{**SMALL, "max_iterations": 4, "obs_mode": "features"}), 0)
    assert a[0].shape == (3, 13)


# ----------------------------------------------------------------------------------- mixed dimensions
@pytest.mark.parametrize("mode", ["NextStep", "SameStep"])
def test_mixed_dimensions_run_one_swarm_per_dimension_across_resets_and_autoresets(mode):
    env = gym.make_vec("pso_env/PSOControl-v0", num_envs=64, vectorization_mode="vector_entry_point",
                       function="paper", dim=30, max_iterations=3, swarm_size=5, autoreset_mode=mode)
    venv = env.unwrapped if hasattr(env, "unwrapped") else env
    seen_dims = set()
    for seed in (0, 1):
        obs, info = env.reset(seed=seed)
        for _ in range(10):
            seen_dims.add(tuple(sorted(venv.swarms)))
            dims = np.array([fn.dim for fn in venv.functions])
            assert set(venv.swarms) == set(dims.tolist())
            for d, swarm in venv.swarms.items():  # each sub-environment's row runs its own function
                rows = np.flatnonzero(dims == d)
                assert all(swarm.functions[i] is venv.functions[i] for i in rows)
                np.testing.assert_array_equal(swarm.gbest_fitness[rows], venv._best[rows])
            obs, r, _, _, info = env.step(env.action_space.sample())
            assert obs.shape == (64, 4) and np.isfinite(r).all()
            assert (info["iteration"] <= 3).all()
    assert (2, 30) in seen_dims
    with pytest.raises(ValueError, match="swarms"):
        venv.swarm  # noqa: B018 - several dimensions: no single swarm


def test_mixed_dimensions_sb3_and_partial_reset_moves_rows_between_swarms():
    venv = make_sb3_vec_env(64, seed=0, function="paper", dim=30, max_iterations=2, swarm_size=5)
    venv.reset()
    for _ in range(6):
        obs, *_ = venv.step(np.random.default_rng(0).integers(0, 4, 64))
        assert obs.shape == (64, 4)
    env = PSOVectorEnv(2, function=[("dropwave", 2), ("sphere", 3)], dim=3, max_iterations=4, swarm_size=5,
                       instance_order="round_robin", autoreset_mode="Disabled")
    env.reset(seed=0)
    assert sorted(env.swarms) == [2, 3] and [fn.dim for fn in env.functions] == [2, 3]
    env.reset(options={"reset_mask": np.array([True, False]), "function": "sphere"})
    assert sorted(env.swarms) == [3] and env.swarm.functions[0] is env.functions[0]
