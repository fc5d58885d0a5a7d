"""Per-particle control in PSOControl: ``action_mode="particle"`` (a (w, c1, c2) row per particle,
pso_env.actions.particle_parameters) and ``obs_mode="particle"`` (7 inputs per particle, pso_env.observation), and the
linear policy shared by the particles (agents.es)."""

from __future__ import annotations

import csv
import json
import warnings

import numpy as np
import pytest
from conftest import load_script as _script
from test_continuous import CASES, by_hand
from test_es import _particle_experiment
from test_features import _functions

from agents.controller import ConstantObservation, PolicyController, run_policy
from agents.es import LinearPolicy, PolicySearch, initial_weights, save_ensemble
from benchmarks_fn import get_function
from pso_env import FEATURE_NAMES, PARTICLE_FEATURE_NAMES, EnvConfig, PSOEnv, PSOVectorEnv
from pso_env.actions import ActionConfig, particle_parameters
from pso_env.swarm import Swarm

SMALL = {"function": "rastrigin", "dim": 4, "swarm_size": 8, "max_iterations": 12, "obs_mode": "particle",
         "action_mode": "particle"}
#: The per-particle experiment's action ranges (results/learned-control/per-particle).
RANGES = {"w_min": 0.3, "w_max": 1.0, "c_min": 0.5, "c_max": 2.5}


def _actions(rng, shape):
    """Actions with clipped components and exact corners among them."""
    a = rng.uniform(-1.3, 1.3, shape)
    a[..., 0, :] = -1.0
    a[..., 1, :] = 1.0
    return a


# ---------------------------------------------------------------- actions
def test_each_particle_gets_the_documented_mapping_of_its_row():
    rows = np.array(CASES, dtype=float)  # 8 particles, one documented case each
    w, c1, c2 = particle_parameters(np.stack([rows, rows[::-1]]), ActionConfig())
    assert w.shape == c1.shape == c2.shape == (2, len(CASES))
    for b, order in ((0, rows), (1, rows[::-1])):
        for i, a in enumerate(order):
            assert (w[b, i], c1[b, i], c2[b, i]) == pytest.approx(by_hand(a), rel=1e-15, abs=0)
    assert (w[0, 0], c1[0, 0], c2[0, 0]) == (0.4, 1.5, 1.5) and (w[0, 1], c1[0, 1], c2[0, 1]) == (0.9, 2.0, 2.0)
    cfg = ActionConfig(w_min=0.3, w_max=1.0, c_min=0.5, c_max=2.5)
    w, c1, c2 = particle_parameters(rows[None], cfg)
    for i, a in enumerate(rows):
        assert (w[0, i], c1[0, i], c2[0, i]) == pytest.approx(by_hand(a, 0.3, 1.0, 0.5, 2.5), rel=1e-15, abs=0)
    with pytest.raises(ValueError, match=r"actions must have shape \(B, N, 3\)"):
        particle_parameters(rows, cfg)


@pytest.mark.parametrize("dims", [(5,), (3, 5)], ids=["one swarm", "two dimensions"])
def test_the_swarm_moves_with_exactly_those_per_particle_parameters(dims, monkeypatch):
    """One dimension takes the fused path (the action kernel fills the swarm's coefficients: the run equals a Swarm
    stepped by hand with each particle's row's w, c1, c2, bit for bit), two the general one (each swarm's
    Swarm.step receives exactly those (B, N) arrays); the info reports the swarm's means."""
    calls = []
    step = Swarm.step
    monkeypatch.setattr(Swarm, "step", lambda self, *a, **k: calls.append([np.array(x) for x in a[:3]]) or step(
        self, *a, **k))
    fns = [get_function("griewank", d) for d in dims]
    env = PSOVectorEnv(len(fns), function=fns, swarm_size=len(CASES), max_iterations=20, instance_order="round_robin",
                       **{k: v for k, v in SMALL.items() if k not in ("function", "dim", "swarm_size", "max_iterations")},
                       **RANGES)
    env.reset(seed=4)
    # one swarm: a Swarm seeded as the environment seeds its own, stepped by hand
    ref = Swarm(fns, len(CASES), np.random.default_rng(np.random.SeedSequence(4).spawn(3)[0])) if len(fns) == 1 else None
    rng = np.random.default_rng(0)
    for _ in range(5):
        a = _actions(rng, (len(fns), len(CASES), 3)).astype(np.float32)
        _, _, _, _, info = env.step(a)
        want = np.array([[by_hand(row, **RANGES) for row in block] for block in a.astype(np.float64)])  # (B, N, 3)
        np.testing.assert_allclose(env._coefficients.transpose(1, 2, 0), want, rtol=1e-15, atol=0)
        np.testing.assert_allclose(np.stack([info["w"], info["c1"], info["c2"]], axis=1), want.mean(axis=1),
                                   rtol=1e-14)
        if ref is None:  # the general path: one Swarm.step per dimension, with the per-particle arrays
            assert len(calls) == len(dims)
            for got in calls:
                np.testing.assert_array_equal(np.stack(got, axis=-1), want)
            calls.clear()
        else:
            ref.step(*(want[:, :, k] for k in range(3)))
            calls.clear()
            np.testing.assert_array_equal(ref.positions, env.swarm.positions)
            np.testing.assert_array_equal(ref.gbest_fitness, info["best_fitness"])
    with pytest.raises(ValueError, match=r"actions must be an array of shape \(\d, 8, 3\) of finite numbers"):
        env.step(a[:, :4])
    with pytest.raises(ValueError, match=r"actions must be an array of shape"):
        env.step(np.where(a > 0.5, np.nan, a))


def test_equal_rows_make_the_continuous_run_bit_for_bit():
    """A particle action whose rows are all one continuous action is that action: the same run, bit for bit."""
    runs = []
    for mode in ("continuous", "particle"):
        env = PSOEnv(function="bbob:f15", dim=5, swarm_size=10, max_iterations=30, action_mode=mode,
                     obs_mode="features")
        env.reset(seed=7)
        rng = np.random.default_rng(1)
        for _ in range(30):
            a = rng.uniform(-1, 1, 3).astype(np.float32)
            env.step(a if mode == "continuous" else np.tile(a, (10, 1)))
        runs.append((env.swarm.best_history, env.swarm.positions.copy(), env.w, env.c1))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    assert runs[0][2:] == pytest.approx(runs[1][2:], rel=1e-15)


def test_elitist_is_the_particles_vote_and_equals_the_continuous_switch():
    """With elitist=True each particle's row has a 4th entry; the swarm runs elitist learning when their mean is > 0.
    Rows that share (w, c1, c2) but disagree on the 4th entry run, bit for bit, as the continuous action whose 4th
    component has the sign of their mean, with one evaluation more per step where it is on."""
    n = 10
    runs = []
    for mode in ("continuous", "particle"):
        env = PSOEnv(function="bbob:f3", dim=5, swarm_size=n, max_iterations=30, action_mode=mode, obs_mode="features",
                     elitist=True)
        assert env.action_space.shape == ((4,) if mode == "continuous" else (n, 4))
        env.reset(seed=3)
        rng, votes = np.random.default_rng(5), np.random.default_rng(6)
        counts = []
        for t in range(30):
            a = rng.uniform(-1, 1, 4).astype(np.float32)
            a[3] = 0.5 if t % 3 else -0.5
            if mode == "particle":
                spread = votes.permutation(np.repeat([0.6, -0.6], n // 2))  # votes a[3] +- 0.6, inside [-1, 1]
                a = np.column_stack([np.tile(a[:3], (n, 1)), a[3] + spread]).astype(np.float32)
                assert (a[:, 3] > 0).any() and (a[:, 3] < 0).any()  # the particles disagree; their mean decides
            before = int(env.swarm.evaluations)
            env.step(a)
            counts.append(int(env.swarm.evaluations) - before)
        assert counts == [n + (1 if t % 3 else 0) for t in range(30)]
        runs.append((env.swarm.best_history, env.swarm.positions.copy()))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    from gymnasium.utils.env_checker import check_env

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(PSOEnv(**SMALL, elitist=True), skip_render_check=True)
    envs = PSOVectorEnv(2, **SMALL, elitist=True)
    assert envs.action_space.shape == (2, 8, 4)
    envs.reset(seed=0)
    with pytest.raises(ValueError, match=r"shape \(2, 8, 4\) of finite numbers \(per particle w, c1, c2, elitist"):
        envs.step(np.zeros((2, 8, 3)))
    a = np.zeros((2, 8, 4))
    a[:, 0, 3], a[:, 1:, 3] = 9.0, -1.0  # raw mean > 0, clipped mean (1 - 7) / 8 < 0: off
    a[1, 1, 3], a[1, 2:, 3] = 1.0, 0.5  # swarm 1: clipped mean (1 + 1 + 6 * 0.5) / 8 > 0: on
    before = envs.swarm.evaluations.copy()
    envs.step(a)
    assert (envs.swarm.evaluations - before).tolist() == [8, 9]
    assert initial_weights("linwpso", EnvConfig(**SMALL, elitist=True), 6, 4)[3].tolist() == [0.0] * 6 + [-1.0]
    both = initial_weights("linwpso", EnvConfig(**SMALL, elitist=True, random_factors="action"), 6, 5)
    assert both[3:].tolist() == [[0.0] * 6 + [-1.0]] * 2  # elitist learning off, r1, r2 per dimension at the start
    undecided = initial_weights("undecided", EnvConfig(**SMALL, elitist=True, random_factors="action"), 6, 5)
    assert np.array_equal(undecided[:3], both[:3]) and not undecided[3:].any()  # both switches on their threshold


def test_elitist_always_runs_elitist_learning_at_every_iteration():
    """elitist_always=True runs, bit for bit, as elitist=True whose particles all vote on, with no 4th column; it
    spends N + 1 evaluations per step, in discrete mode too, and a saved policy carries it to the environment."""
    n, rng = 8, np.random.default_rng(4)
    actions = rng.uniform(-1, 1, (20, n, 3)).astype(np.float32)
    runs = []
    for kw in ({"elitist": True}, {"elitist_always": True}):
        env = PSOEnv(**{**SMALL, "max_iterations": 20}, **kw)
        assert env.action_space.shape == (n, 4 if "elitist" in kw else 3)
        env.reset(seed=2)
        for a in actions:
            env.step(np.column_stack([a, np.full(n, 0.3, np.float32)]) if "elitist" in kw else a)
        runs.append((env.swarm.best_history, env.swarm.positions.copy(), int(env.swarm.evaluations)))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    assert runs[0][2] == runs[1][2] == n + 20 * (n + 1)
    plain = PSOEnv(**{**SMALL, "max_iterations": 20})
    plain.reset(seed=2)
    for a in actions:
        plain.step(a)
    assert not np.array_equal(plain.swarm.best_history, runs[1][0])  # the operator changed the run
    envs = PSOVectorEnv(3, function="sphere", dim=3, swarm_size=5, max_iterations=4, elitist_always=True)
    envs.reset(seed=0)
    before = envs.swarm.evaluations.copy()
    envs.step(np.array([0, 1, 3]))
    assert (envs.swarm.evaluations - before).tolist() == [6, 6, 6]
    twins = []  # across autoresets (max_iterations=3): as the switch held on, which skips the reset steps
    for kw, on in (({"elitist_always": True}, []), ({"elitist": True}, [0.3])):
        envs = PSOVectorEnv(2, function="rastrigin", dim=3, swarm_size=5, max_iterations=3, action_mode="continuous",
                            **kw)
        envs.reset(seed=1)
        for t in range(8):
            envs.step(np.array([[0.2 * t - 0.5, 0.1, -0.3, *on]] * 2))
        twins.append((envs.swarm.positions.copy(), envs.swarm.gbest_fitness.copy(), envs.swarm.evaluations.copy()))
    for a, b in zip(*twins):
        np.testing.assert_array_equal(a, b)
    for bad, match in (({"elitist": True}, "elitist_always needs elitist=False"),
                       ({"backend": "torch"}, "elitist_always needs .* backend='numpy'")):
        with pytest.raises(ValueError, match=match):
            EnvConfig(elitist_always=True, action_mode="continuous", **bad)
    policy = LinearPolicy(np.zeros((3, 7)), obs_mode="particle", action_mode="particle",
                          env_kwargs={**RANGES, "elitist": False, "elitist_always": True})
    controller = PolicyController(policy)
    controller.start(get_function("rastrigin", 4), swarm_size=n, iterations=10, seed=0)
    for t in range(10):
        controller.step(t)
    assert controller.env.unwrapped.config.elitist_always and controller.env.unwrapped.swarm.evaluations == n + 10 * (n + 1)


def test_elitist_step_vote_sets_the_width_from_the_vote_and_a_saved_policy_carries_it(monkeypatch, tmp_path):
    """elitist_step="vote": a full vote (every particle's 4th entry 1) runs bit for bit as APSO's width
    (elitist_step="range"); a weaker one steps by pso_env.operators.vote_width of the clipped mean vote. It needs
    elitist; a policy trained with it saves it and runs with it, and one at the default saves no such entry;
    range-step:X runs X with APSO's step and refuses a controller that already takes it."""
    n, rng = 8, np.random.default_rng(7)
    actions = rng.uniform(-1, 1, (15, n, 3)).astype(np.float32)
    runs = []
    for step in ("range", "vote"):
        env = PSOEnv(**{**SMALL, "max_iterations": 15}, elitist=True, elitist_step=step)
        env.reset(seed=4)
        for a in actions:
            env.step(np.column_stack([a, np.full(n, 1.0, np.float32)]))
        runs.append(env.swarm.best_history.copy())
    np.testing.assert_array_equal(runs[0], runs[1])
    twins = []  # continuous actions: a 4th component above 1 is a full vote too
    for step in ("range", "vote"):
        env = PSOEnv(function="rastrigin", dim=4, swarm_size=n, max_iterations=15, action_mode="continuous",
                     elitist=True, elitist_step=step)
        env.reset(seed=4)
        for a in actions:
            env.step(np.r_[a[0], 5.0].astype(np.float32))
        twins.append(env.swarm.best_history.copy())
    np.testing.assert_array_equal(twins[0], twins[1])
    import pso_env.vector
    from pso_env.operators import vote_width

    seen = []
    real = pso_env.vector.elitist_learning

    def spy(swarm, sigma, rows, width=None):
        seen.append((rows.copy(), None if width is None else width.copy(), vote_width(swarm, rows, [0.3] * rows.size)))
        return real(swarm, sigma, rows, width)

    monkeypatch.setattr(pso_env.vector, "elitist_learning", spy)
    envs = PSOVectorEnv(2, **SMALL, elitist=True, elitist_step="vote")
    envs.reset(seed=1)
    a = np.zeros((2, n, 4))
    a[0, :, 3] = 0.3
    a[1, :, 3] = np.r_[[5.0], np.full(n - 1, -0.2)]  # clipped mean (1 - 1.4) / 8 < 0: off
    envs.step(a)
    (rows, width, expected), = seen
    assert rows.tolist() == [0] and width.shape == (1, 4)
    np.testing.assert_array_equal(width, expected)
    span = envs.swarms[4].upper[0] - envs.swarms[4].lower[0]
    assert (width[0] < span).all()  # a weak vote steps at the swarm's scale, below the box's range
    monkeypatch.setattr(pso_env.vector, "elitist_learning", real)
    for bad in ({}, {"elitist_always": True}):
        with pytest.raises(ValueError, match="elitist_step='vote' needs elitist=True"):
            EnvConfig(**SMALL, elitist_step="vote", **bad)
    with pytest.raises(ValueError, match=r"elitist_step must be one of \('range', 'vote'\), got 'box'"):
        EnvConfig(**SMALL, elitist=True, elitist_step="box")
    cli = _script("train_agent")
    for step in ("range", "vote"):
        out = tmp_path / step
        assert cli.main(["--algo", "es", "--obs-mode", "particle", "--action-mode", "particle", "--functions", "sphere",
                         "--dim", "3", "--swarm-size", "6", "--iterations", "15", "--elitist", "--elitist-step", step,
                         "--timesteps", "300", "--hyperparameters", '{"popsize": 4, "runs_per_function": 1}',
                         "--out", str(out), "--no-progress"]) == 0
        saved = json.loads((out / "best_model.json").read_text())["env_kwargs"]
        assert ("elitist_step" in saved) == (step == "vote") and saved.get("elitist_step", "range") == step
        controller = PolicyController(PolicySearch.load(out / "best_model"))
        controller.start(get_function("rastrigin", 3), swarm_size=6, iterations=5, seed=0)
        assert controller.env.unwrapped.config.elitist_step == step
    from evaluation.registry import resolve_algorithm

    ablation = resolve_algorithm(f"range-step:agent:{tmp_path / 'vote'}")  # what the vote's width adds
    assert ablation.name == "range-step:agent:vote"
    controller = ablation.controller()
    controller.start(get_function("rastrigin", 3), swarm_size=6, iterations=5, seed=0)
    assert controller.env.unwrapped.config.elitist_step == "range" and controller.env.unwrapped.config.elitist
    with pytest.raises(ValueError, match=r"range-step: .* already runs with \{'elitist_step': 'range'\}"):
        resolve_algorithm(f"range-step:agent:{tmp_path / 'range'}")


def test_random_factors_reach_the_swarm_from_the_config_and_from_a_saved_policy():
    """random_factors="particle" gives the environment's swarms one r1, r2 per particle (PSOEnv, PSOVectorEnv); a
    policy that carries it runs its evaluation swarm so, as the environment it was trained in, bit for bit."""
    env = PSOEnv(**SMALL, random_factors="particle")
    env.reset(seed=3)
    env.step(np.zeros((8, 3), np.float32))
    r = env.swarm._r
    assert env.swarm.random_factors == "particle" and (r == r[..., :1]).all() and not (r[..., 0] == r[..., 0, :1]).all()
    envs = PSOVectorEnv(2, **SMALL, random_factors="particle")
    envs.reset(seed=0)
    assert all(s.random_factors == "particle" for s in envs.swarms.values())
    with pytest.raises(ValueError, match=r"random_factors must be one of \('dimension', 'particle', 'action'\), got 'row'"):
        EnvConfig(random_factors="row")
    weights = np.random.default_rng(5).normal(0, 0.5, (3, 7))
    runs = []
    for factors in ("particle", "dimension"):
        policy = LinearPolicy(weights, obs_mode="particle", action_mode="particle",
                              env_kwargs={**RANGES, "random_factors": factors})
        controller = PolicyController(policy)
        controller.start(get_function("rastrigin", 4), swarm_size=8, iterations=12, seed=6)
        for t in range(12):
            controller.step(t)
        assert controller.env.unwrapped.swarm.random_factors == factors
        runs.append(controller.env.unwrapped.swarm.best_history.copy())
    direct = PSOEnv(**SMALL, **RANGES, random_factors="particle")
    obs, _ = direct.reset(seed=6)
    for _ in range(12):
        obs, *_ = direct.step(LinearPolicy(weights, obs_mode="particle", action_mode="particle").predict(obs)[0])
    np.testing.assert_array_equal(direct.swarm.best_history, runs[0])
    assert not np.array_equal(runs[0], runs[1])

def test_the_last_action_column_chooses_each_particles_draw():
    """random_factors="action": each particle row gets a last column, the draw choice (after the elitist vote); > 0
    gives that particle one r1, r2 for all its dimensions at that iteration; -1 everywhere is the classic run bit for
    bit; both env checkers pass, and bad settings and actions are named."""
    from gymnasium.utils.env_checker import check_env
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    env = PSOEnv(**SMALL, random_factors="action")
    assert env.action_space.shape == (8, 4) and PSOEnv(**SMALL, random_factors="action", elitist=True).action_space.shape == (8, 5)
    env.reset(seed=3)
    a = np.zeros((8, 4), np.float32)
    a[:3, 3] = 0.5
    env.step(a)
    r = env.swarm._r.reshape(2, 8, 4)  # the last step's r1, r2 per particle and dimension
    assert (r[:, :3] == r[:, :3, :1]).all() and not (r[:, 3:] == r[:, 3:, :1]).all(axis=-1).any()
    runs = []
    for factors, last in (("action", -1.0), ("dimension", None), ("action", 1.0)):
        env = PSOEnv(**SMALL, random_factors=factors)
        env.reset(seed=4)
        for t in range(12):
            row = np.tile([[0.2 - 0.1 * t, 0.3, -0.4]], (8, 1))
            env.step(row if last is None else np.hstack([row, np.full((8, 1), last)]))
        runs.append(env.swarm.best_history.copy())
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(PSOEnv(**SMALL, random_factors="action"), skip_render_check=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sb3_check_env(PSOEnv(**SMALL, random_factors="action"), warn=True)
    assert len(caught) == 1 and "unconventional shape" in str(caught[0].message)  # the (N, 7) observation
    envs = PSOVectorEnv(2, **SMALL, random_factors="action", elitist=True)
    envs.reset(seed=0)
    with pytest.raises(ValueError, match=r"shape \(2, 8, 5\) of finite numbers \(per particle w, c1, c2, elitist, "
                                         r"shared_factors in \[-1, 1\]"):
        envs.step(np.zeros((2, 8, 4)))
    with pytest.raises(ValueError, match=r"random_factors='action' needs action_mode='particle'.*'continuous'"):
        EnvConfig(action_mode="continuous", random_factors="action")


def test_the_draw_choice_reaches_every_swarm_and_backend_and_leaves_the_elitist_vote_alone():
    """Rows of two dimensions (one swarm each: the general path) take each row's choice; on torch the choice -1
    everywhere is the classic run bit for bit; with ``elitist`` the 4th column votes elitist learning and the 5th
    chooses the draw, each without the other; Swarm refuses the environment's setting by name."""
    envs = PSOVectorEnv(2, function=[get_function("rastrigin", 4), get_function("sphere", 3)], swarm_size=8,
                        max_iterations=12, obs_mode="particle", action_mode="particle", random_factors="action",
                        instance_order="round_robin")
    envs.reset(seed=0)
    a = np.zeros((2, 8, 4))
    a[0, :2, 3] = a[1, 5:, 3] = 1.0
    envs.step(a)
    for d, row, chosen in ((4, 0, slice(0, 2)), (3, 1, slice(5, 8))):
        r = envs.swarms[d]._r[row]  # (2, N, D)
        same = (r == r[..., :1]).all(axis=(0, 2))
        assert same[chosen].all() and same.sum() == chosen.stop - chosen.start, (d, same)
    runs = []
    for factors, last in (("action", -1.0), ("dimension", None), ("action", 1.0)):
        torch_envs = PSOVectorEnv(2, **SMALL, backend="torch", random_factors=factors)
        torch_envs.reset(seed=1)
        for _ in range(5):
            row = np.full((2, 8, 3), 0.3)
            _, _, _, _, info = torch_envs.step(row if last is None else np.concatenate([row, np.full((2, 8, 1), last)], 2))
        runs.append(np.asarray(info["best_fitness"]))
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])
    for vote, choice, extra in ((1.0, -1.0, 1), (-1.0, 1.0, 0)):
        env = PSOEnv(**SMALL, elitist=True, random_factors="action")
        env.reset(seed=2)
        before = int(env.swarm.evaluations)
        env.step(np.tile([[0.0, 0.0, 0.0, vote, choice]], (8, 1)))
        r = env.swarm._r.reshape(2, 8, 4)
        assert int(env.swarm.evaluations) - before == 8 + extra and (r == r[..., :1]).all() == (choice > 0)
    with pytest.raises(ValueError, match=r"random_factors='action' is the environment's setting .*step\(shared=\.\.\.\)"):
        Swarm(get_function("sphere", 2), 4, 0, random_factors="action")


# ---------------------------------------------------------------- observations
def test_observation_is_the_experiments_inputs_on_the_same_swarm():
    """The particle observation equals the per-particle experiment's inputs (its own numpy implementation,
    results/learned-control/per-particle/particle_es.py) on the same swarm at every step, to float32 rounding; its
    swarm entries are the "features" observation's entries of those names."""
    pe = _particle_experiment()
    budget, n = 900, 10
    env = PSOVectorEnv(3, function="bbob:f21", dim=6, swarm_size=n, max_iterations=200, max_evaluations=budget,
                       **{k: SMALL[k] for k in ("obs_mode", "action_mode")}, **RANGES)
    twin = PSOVectorEnv(3, function="bbob:f21", dim=6, swarm_size=n, max_iterations=200, max_evaluations=budget,
                        obs_mode="features", action_mode="particle", **RANGES)
    obs, _ = env.reset(seed=11)
    feats, _ = twin.reset(seed=11)
    rule = pe.ParticleRule(pe.linwpso_weights())
    rule.reset(env.swarm, 200, budget)
    rng = np.random.default_rng(2)
    swarm_names = ("progress", "stagnation", "diversity")
    mine, theirs = [PARTICLE_FEATURE_NAMES.index(x) for x in swarm_names], [FEATURE_NAMES.index(x) for x in swarm_names]
    start = np.median(_distances(env.swarm), axis=1)
    for t in range(budget // n - 1):
        assert obs.shape == (3, n, 7) and obs.dtype == np.float32
        np.testing.assert_allclose(obs[:, :, :6], rule.inputs(env.swarm, t), rtol=2e-7, atol=2e-7)
        np.testing.assert_array_equal(obs[:, :, mine], np.repeat(feats[:, None, theirs], n, axis=1))
        np.testing.assert_allclose(obs[:, :, 6], np.repeat(_median_distance(env.swarm, start)[:, None], n, axis=1),
                                   rtol=2e-7, atol=2e-7)
        a = rng.uniform(-1, 1, (3, n, 3))
        obs, _, _, truncated, _ = env.step(a)
        feats, *_ = twin.step(a)
        rule.after_step(env.swarm, t)
    assert truncated.all()
    ranks = np.sort(obs[:, :, 0], axis=1)
    np.testing.assert_allclose(ranks, np.tile(np.arange(n) / (n - 1), (3, 1)), rtol=1e-6)  # a permutation
    assert (obs[:, :, 2] > 0).any() and (obs[:, :, 1].max(axis=1) == 1.0).all()
    assert (obs[:, :, 6] < 0.95).all()  # the swarms contracted: the median particle nearer the best than at reset


def _distances(swarm):
    """Each particle's Euclidean distance to its swarm's global best, (B, N), from the swarm's arrays."""
    return np.linalg.norm(swarm.positions - swarm.gbest_position[:, None, :], axis=-1)


def _median_distance(swarm, start):
    """An independent reference of the median_distance input: ``1 + log10(m / m0) / 12`` clipped to [0, 1], ``m`` the
    median particle's distance to the global best and ``m0`` the one at the episode's start, (B,)."""
    m = np.median(_distances(swarm), axis=1)
    with np.errstate(divide="ignore"):
        return np.clip(1 + (np.log10(m) - np.log10(start)) / 12, 0, 1)


def test_observation_on_the_general_path_is_the_experiments_inputs_of_each_swarm():
    """Two dimensions in one batch: each row's particle observation is the experiment's inputs of its own swarm."""
    pe = _particle_experiment()
    fns = [get_function("bbob:f3", 4), get_function("bbob:f15", 6)]
    budget = 600
    env = PSOVectorEnv(4, function=fns, swarm_size=10, max_iterations=100, max_evaluations=budget,
                       instance_order="round_robin", obs_mode="particle", action_mode="particle", **RANGES)
    obs, _ = env.reset(seed=5)
    assert sorted(env.swarms) == [4, 6]
    rules = {}
    for d, swarm in env.swarms.items():
        rules[d] = pe.ParticleRule(pe.linwpso_weights())
        rules[d].reset(swarm, 100, budget)
    rng = np.random.default_rng(3)
    start = {d: np.median(_distances(swarm), axis=1) for d, swarm in env.swarms.items()}
    for t in range(budget // 10 - 1):
        for d, swarm in env.swarms.items():
            rows = env._dims == d
            np.testing.assert_allclose(obs[rows][..., :6], rules[d].inputs(swarm, t)[rows], rtol=2e-7, atol=2e-7)
            want = _median_distance(swarm, start[d])[rows]
            np.testing.assert_allclose(obs[rows][..., 6], np.repeat(want[:, None], 10, axis=1), rtol=2e-7, atol=2e-7)
        obs, *_ = env.step(rng.uniform(-1, 1, (4, 10, 3)))
        for d, swarm in env.swarms.items():
            rules[d].after_step(swarm, t)


@pytest.mark.parametrize("mode", ["NextStep", "SameStep"])
def test_median_distance_starts_at_one_in_every_episode_and_follows_the_new_start(mode):
    """Each episode's first observation reads 1 in column 6, automatic resets and reset masks included, and later
    observations are measured against that episode's own start median (an independent numpy reference)."""
    env = PSOVectorEnv(3, **{**SMALL, "max_iterations": 4}, autoreset_mode=mode)
    obs, _ = env.reset(seed=0)
    start = np.median(_distances(env.swarm), axis=1)
    rng, firsts = np.random.default_rng(1), 0
    for _ in range(14):
        obs, *_ = env.step(rng.uniform(-1, 1, (3, 8, 3)))
        first = env.iteration == 0  # rows whose episode (re)started in this step: obs is its first observation
        firsts += int(first.sum())
        np.testing.assert_array_equal(obs[first, :, 6], 1.0)
        start[first] = np.median(_distances(env.swarm), axis=1)[first]
        want = np.repeat(_median_distance(env.swarm, start)[:, None], 8, axis=1)
        np.testing.assert_allclose(obs[~first, :, 6], want[~first], rtol=2e-7, atol=2e-7)
    assert firsts >= 6  # every row restarted at least twice
    obs, _ = env.reset(options={"reset_mask": np.array([False, True, False])})
    np.testing.assert_array_equal(obs[1, :, 6], 1.0)
    assert (obs[[0, 2], :, 6] < 1.0).all()


def test_median_distance_counts_a_non_finite_position_as_far():
    """A particle whose position is NaN (a diverging swarm with bounds="none") is as far from the best as can be: two
    of three such particles make the median infinite, which reads 1 (numba's median alone would depend on where the
    NaN sits)."""
    from pso_env.observation import particle_inputs_into

    x, g = np.zeros((1, 3, 2)), np.zeros((1, 2))
    x[0, :, 0] = [0.0, 4.0, 8.0]
    fit, state, out = np.array([[0.0, 16.0, 64.0]]), np.zeros((3, 1, 3)), np.zeros((1, 3, 4))
    particle_inputs_into(x, fit, g, fit.copy(), np.array([0]), True, state, np.log1p(10.0), out)
    assert state[2, 0, 0] == 4.0 and (out[0, :, 3] == 1.0).all()
    x[0, :, 0] = [1.0, 1.0, 1.0]
    particle_inputs_into(x, fit, g, fit.copy(), np.array([0]), False, state, np.log1p(10.0), out)
    np.testing.assert_allclose(out[0, :, 3], 1 + np.log10(1 / 4) / 12)
    x[0, :2, 0] = np.nan
    particle_inputs_into(x, fit, g, fit.copy(), np.array([0]), False, state, np.log1p(10.0), out)
    assert (out[0, :, 3] == 1.0).all()


@pytest.mark.parametrize("fn", _functions(), ids=lambda f: f.name)
def test_every_particle_input_stays_in_its_bounds_for_any_values(fn):
    env = PSOEnv(function=fn, swarm_size=8, max_iterations=25, obs_mode="particle", action_mode="particle",
                 hmm_refit_every=10, bounds="none", velocity_clamp=None)
    rng = np.random.default_rng(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the non-finite values' warning
        obs, _ = env.reset(seed=0)
        seen = [obs]
        for _ in range(25):
            obs, *_ = env.step(rng.uniform(-1, 1, (8, 3)))
            seen.append(obs)
    seen = np.array(seen)
    assert seen.shape == (26, 8, 7) and np.isfinite(seen).all()
    assert (seen[0, :, 6] == 1).all() and (seen[:, :, 6] == seen[:, :1, 6]).all()  # 1 at reset; one per swarm
    assert (seen >= 0).all() and (seen <= 1).all() and all(env.observation_space.contains(o) for o in seen)
    np.testing.assert_allclose(np.sort(seen[:, :, 0], axis=1), np.tile(np.arange(8) / 7, (26, 1)), rtol=1e-6)
    if fn.name in ("all-nan", "all-inf", "all-minus-inf", "constant"):
        assert (seen[1:, :, 2] > 0).all()  # no personal best ever improves


class _Counts:
    """An independent reference of the own-stagnation input: each particle's iterations since its personal best
    last changed, restarted where an episode starts."""

    def __init__(self, env):
        self.env, self.k, self.last = env, np.zeros((env.num_envs, env.swarm_size)), np.zeros((env.num_envs, env.swarm_size))

    def pbest(self):
        out = np.empty_like(self.k)
        for d, swarm in self.env.swarms.items():
            rows = self.env._dims == d
            out[rows] = swarm.pbest_fitness[rows]
        return out

    def start(self, rows):
        self.k[rows], self.last[rows] = 0.0, self.pbest()[rows]

    def step(self):
        p = self.pbest()
        self.k = np.where(p != self.last, 0.0, self.k + 1.0)
        self.last = p

    def check(self, obs, rows=slice(None)):
        log_horizon = np.log1p(self.env.config.horizon)
        np.testing.assert_allclose(obs[rows, :, 2], np.minimum(np.log1p(self.k[rows]) / log_horizon, 1.0), rtol=2e-7)


@pytest.mark.parametrize("autoreset_mode", ["NextStep", "SameStep"])
def test_the_particles_counters_restart_with_each_episode_and_only_there(autoreset_mode):
    """Rows of two dimensions (the general path) whose episodes end at different steps, autoresets of both kinds
    and a partial reset: the own-stagnation input follows the reference count of each row."""
    fns = [get_function("rastrigin", 3), get_function("sphere", 5)]
    env = PSOVectorEnv(3, function=fns, swarm_size=8, max_iterations=40, max_evaluations=8 * 7,
                       instance_order="round_robin", obs_mode="particle", action_mode="particle",
                       autoreset_mode=autoreset_mode)
    obs, _ = env.reset(seed=0)
    ref = _Counts(env)
    ref.start(slice(None))
    ref.check(obs)
    assert (obs[:, :, 2] == 0).all()
    rng = np.random.default_rng(0)
    ended_once = np.zeros(3, dtype=bool)
    pending = np.zeros(3, dtype=bool)
    for t in range(20):
        if t == 9:  # a partial reset: row 1 starts over, rows 0 and 2 keep their counts
            before = obs.copy()
            obs, _ = env.reset(options={"reset_mask": np.array([False, True, False])})
            ref.start([1])
            ref.check(obs)
            np.testing.assert_array_equal(obs[[0, 2]], before[[0, 2]])
            pending[:] = False
            continue
        obs, _, terminated, truncated, _ = env.step(rng.uniform(-1, 1, (3, 8, 3)))
        done = terminated | truncated
        ref.step()
        if autoreset_mode == "NextStep":
            ref.start(pending)  # these rows were reset by this step, not stepped
            pending = done
        else:
            ref.start(done)
        ref.check(obs)
        ended_once |= done
    assert ended_once.all() and (obs[:, :, 2] > 0).any()


def test_a_replaced_particle_restarts_its_count():
    """Operators that put a new particle in place (Swarm.set_particles(mode="replace"), e.g. an advisor's) may make
    its personal best worse: that restarts its count too."""
    env = PSOVectorEnv(1, **{**SMALL, "max_iterations": 30})
    env.reset(seed=1)
    for _ in range(10):
        obs, *_ = env.step(np.full((1, 8, 3), -1.0))
    worst = int(np.argmax(env.swarm.pbest_fitness[0]))
    stale = int(np.argmax(obs[0, :, 2]))
    assert obs[0, stale, 2] > 0
    env.swarm.set_particles(0, stale, np.full(4, 5.0), mode="replace")  # far from the optimum: a worse best
    assert env.swarm.pbest_fitness[0, stale] >= env.swarm.pbest_fitness[0, worst]
    obs, *_ = env.step(np.full((1, 8, 3), -1.0))
    assert obs[0, stale, 2] == 0.0


def test_torch_backend_runs_per_particle_control():
    pytest.importorskip("torch")
    env = PSOVectorEnv(2, **SMALL, backend="torch")
    obs, _ = env.reset(seed=0)
    for _ in range(5):
        obs, _, _, _, info = env.step(np.tile([[-1.0, 1.0, -1.0]], (2, 8, 1)))
    assert obs.shape == (2, 8, 7) and (obs >= 0).all() and (obs <= 1).all()
    np.testing.assert_allclose(info["w"], 0.4)
    np.testing.assert_allclose(info["c2"], 1.5)


def test_both_env_checkers_pass_and_bad_configs_are_named():
    from gymnasium.utils.env_checker import check_env
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(PSOEnv(**SMALL), skip_render_check=True)
        check_env(PSOEnv(**{**SMALL, "obs_mode": "features"}), skip_render_check=True)
        sb3_check_env(PSOEnv(**{**SMALL, "obs_mode": "features"}), warn=True)
        check_env(PSOEnv(**{**SMALL, "action_mode": "discrete"}), skip_render_check=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sb3_check_env(PSOEnv(**SMALL), warn=True)
    # SB3's one remark: an (N, 7) observation is neither a vector nor an image (its MlpPolicy flattens it)
    assert len(caught) == 1 and "unconventional shape" in str(caught[0].message)
    env = PSOEnv(**SMALL)
    assert env.observation_space.shape == (8, 7) and env.action_space.shape == (8, 3)
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"action must be an array of shape \(8, 3\) of finite numbers"):
        env.step(np.zeros(3))
    with pytest.raises(ValueError, match="elitist needs action_mode='continuous' or 'particle'"):
        EnvConfig(action_mode="discrete", elitist=True)
    with pytest.raises(ValueError, match="elitist needs .* backend='numpy'"):
        EnvConfig(**SMALL, elitist=True, backend="torch")
    with pytest.raises(ValueError, match="advisor needs action_mode='discrete'"):
        EnvConfig(action_mode="particle", advisor="random")


# ---------------------------------------------------------------- the shared linear policy
def test_linear_policy_acts_per_particle_and_starts_as_linwpso():
    cfg = EnvConfig(**SMALL, **RANGES)
    w = initial_weights("linwpso", cfg, 6, 3)
    pe = _particle_experiment()
    np.testing.assert_allclose(w, pe.linwpso_weights(), rtol=1e-15)  # the experiment's starting point
    policy = LinearPolicy(np.random.default_rng(0).normal(size=(3, 7)), "particle", RANGES, "particle")
    obs = np.random.default_rng(1).uniform(0, 1, (2, 8, 6)).astype(np.float32)
    actions, _ = policy.predict(obs)
    assert actions.shape == (2, 8, 3)
    want = np.clip(obs.astype(np.float64) @ policy.weights[:, :-1].T + policy.weights[:, -1], -1, 1)
    np.testing.assert_allclose(actions, want, rtol=1e-6)
    np.testing.assert_allclose(policy.predict(obs[0])[0], actions[0])
    with pytest.raises(ValueError, match="obs_mode='particle' with action_mode='particle'"):
        LinearPolicy(np.zeros((3, 7)), "particle", RANGES, "continuous")
    with pytest.raises(ValueError, match="obs_mode='particle' with action_mode='particle'"):
        PolicySearch(PSOEnv(**{**SMALL, "obs_mode": "features"}))


def test_search_over_particle_control_is_reproducible_and_reads_the_named_inputs():
    env = PSOVectorEnv(1, **SMALL, **RANGES)
    runs = []
    for _ in range(2):
        model = PolicySearch(env, popsize=4, runs_per_function=1, inputs=["rank", "progress"], seed=3)
        model.learn(1)
        runs.append(model.weights.copy())
    np.testing.assert_array_equal(runs[0], runs[1])
    free = [PARTICLE_FEATURE_NAMES.index("rank"), PARTICLE_FEATURE_NAMES.index("progress"), 7]
    assert (np.delete(runs[0], free, axis=1) == 0).all() and (runs[0][:, 0] != 0).any()
    assert model.obs_mean.shape == (7,) and 0 < model.obs_mean[0] < 1
    with pytest.raises(ValueError, match="inputs must name entries"):
        PolicySearch(env, inputs=["fdc"])


def test_a_warm_start_first_acts_as_the_saved_policy_with_the_switch_it_lacks_on_its_threshold(tmp_path):
    """init=PATH copies a saved policy's rows by action column and starts the elitist vote it lacks at 0 (off, on its
    threshold): the warm-started policy runs bit for bit as the saved one; a saved search resumes without the source
    and names it by SHA-256; a policy whose weights would act differently, an ensemble, weights outside ``inputs`` or
    a wrong name are refused by name."""
    import hashlib

    source = PolicySearch(PSOVectorEnv(1, **SMALL, **RANGES), popsize=4, runs_per_function=1, seed=5)
    source.learn(1)
    source.save(tmp_path / "source")
    saved = PolicySearch.load(tmp_path / "source.json")
    env = PSOVectorEnv(1, **SMALL, **RANGES, elitist=True, elitist_step="vote")
    warm = PolicySearch(env, popsize=4, runs_per_function=1, init=str(tmp_path / "source.json"), seed=0)
    assert np.array_equal(warm.weights[:3], saved.weights) and not warm.weights[3].any()
    with pytest.raises(ValueError, match=r"env has 4 actions .* the saved policy 3 .* \(hyperparameters \{\"init\": "):
        PolicySearch.load(tmp_path / "source.json", env)  # load continues a search; the switch needs a warm start
    fn = get_function("rastrigin", 4)
    runs = [run_policy(p, fn, swarm_size=8, iterations=15, seed=2) for p in (saved, warm.policy)]
    assert runs[0].best_value == runs[1].best_value and runs[0].evaluations == runs[1].evaluations
    both_env = PSOVectorEnv(1, **SMALL, **RANGES, elitist=True, random_factors="action")
    both = PolicySearch(both_env, init=str(tmp_path / "source"))  # both switches added, both at 0
    assert np.array_equal(both.weights[:3], saved.weights) and not both.weights[3:].any()
    both.weights = both.weights + np.arange(5)[:, None]
    both.save(tmp_path / "both")
    assert np.array_equal(PolicySearch(both_env, init=str(tmp_path / "both.json")).weights, both.weights)
    save_ensemble([tmp_path / "source.json", tmp_path / "source.json"], tmp_path / "ensemble")
    with pytest.raises(ValueError, match="init: .* is an ensemble"):
        PolicySearch(env, init=str(tmp_path / "ensemble"))  # a run directory: its model.json
    warm.learn(1)
    warm.save(tmp_path / "warm")
    digest = hashlib.sha256((tmp_path / "source.json").read_bytes()).hexdigest()
    assert json.loads((tmp_path / "warm.json").read_text())["init_sha256"] == digest
    (tmp_path / "source.json").unlink()
    resumed = PolicySearch.load(tmp_path / "warm", env)
    assert np.array_equal(resumed.weights, warm.weights) and resumed.init == str(tmp_path / "source.json")
    assert resumed.init_sha256 == digest
    refused = {"w_max=1.0 there, 0.9 here": {**SMALL, **RANGES, "w_max": 0.9, "elitist": True,
                                                  "elitist_step": "vote"},
               "elitist=True there, False here": {**SMALL, **RANGES},  # the vote would be dropped
               "elitist_step='vote' there, 'range' here": {**SMALL, **RANGES, "elitist": True},
               "obs_mode='particle' .* the environment has 'features'": {**SMALL, **RANGES, "obs_mode": "features",
                                                                         "action_mode": "continuous"}}
    for message, settings in refused.items():
        with pytest.raises(ValueError, match=f"init: .*({message})"):
            PolicySearch(PSOVectorEnv(1, **settings), init=str(tmp_path / "warm.json"))
    with pytest.raises(ValueError, match="inputs: the warm start .* reads entries outside"):
        PolicySearch(env, init=str(tmp_path / "warm.json"), inputs=["rank"])
    with pytest.raises(ValueError, match=r"init: not one of \('linwpso', 'undecided', 'zeros'\) nor the path"):
        PolicySearch(env, init="linwpos")
    with pytest.raises(ValueError, match="init must be one of"):
        PolicySearch(env, init=None)


def test_a_policy_saved_with_six_inputs_acts_as_before_and_warm_starts_with_median_distance_at_zero(tmp_path):
    """median_distance was added as each particle row's 7th entry: a policy saved before (6 inputs, such as every
    committed controller) reads each row's first 6 entries, so it acts as it did; a warm start from it adds the input
    with weights 0, so the search's first mean runs bit for bit as the saved policy. A "features" policy, whose
    observation gained nothing, still has to match its observation's length."""
    env = PSOVectorEnv(1, **SMALL, **RANGES)
    source = PolicySearch(env, popsize=4, runs_per_function=1, seed=5)
    source.learn(1)
    source.save(tmp_path / "new")
    saved = json.loads((tmp_path / "new.json").read_text())
    saved["weights"] = [row[:6] + row[7:] for row in saved["weights"]]  # as if saved before the 7th input
    saved["obs_mean"] = saved["obs_mean"][:6]
    (tmp_path / "old.json").write_text(json.dumps(saved))
    old = PolicySearch.load(tmp_path / "old.json")
    assert old.weights.shape == (3, 7)
    obs = np.random.default_rng(0).uniform(0, 1, (2, 8, 7)).astype(np.float32)
    np.testing.assert_array_equal(old.predict(obs)[0], old.predict(obs[..., :6])[0])
    warm = PolicySearch(env, popsize=4, runs_per_function=1, init=str(tmp_path / "old.json"))
    assert warm.weights.shape == (3, 8) and not warm.weights[:, 6].any()
    np.testing.assert_array_equal(np.delete(warm.weights, 6, axis=1), old.weights)
    fn = get_function("rastrigin", 4)
    runs = [run_policy(p, fn, swarm_size=8, iterations=15, seed=2) for p in (old, warm.policy)]
    assert runs[0].best_value == runs[1].best_value and runs[0].evaluations == runs[1].evaluations
    with pytest.raises(ValueError, match=r"obs must have 12 entries per row, got shape \(13,\)"):
        LinearPolicy(np.zeros((3, 13))).predict(np.zeros(13))
    with pytest.raises(ValueError, match=r"obs must have 3 entries per row"):  # only 6 of 7 is a saved policy's
        LinearPolicy(np.zeros((3, 4)), "particle", RANGES, "particle").predict(obs)


def test_constant_particle_feeds_the_swarm_inputs_and_one_row_of_particle_inputs():
    weights = np.zeros((3, 8))
    weights[0, PARTICLE_FEATURE_NAMES.index("rank")] = 1.0  # a0 = rank
    weights[1, PARTICLE_FEATURE_NAMES.index("diversity")] = 1.0  # a1 = diversity
    weights[2, PARTICLE_FEATURE_NAMES.index("median_distance")] = 1.0  # a2 = median distance
    policy = LinearPolicy(weights, "particle", RANGES, "particle")
    policy.obs_mean = np.full(7, 0.25)
    swarm_inputs = ("progress", "stagnation", "diversity", "median_distance")
    ablated = ConstantObservation(policy, keep=swarm_inputs)
    assert ablated.name.startswith("constant-particle:") and ablated.action_mode == "particle"
    obs = np.random.default_rng(0).uniform(0, 1, (8, 7)).astype(np.float32)
    actions, _ = ablated.predict(obs)
    np.testing.assert_allclose(actions[:, 0], 0.25, rtol=1e-6)  # every particle: the constant rank
    np.testing.assert_allclose(actions[:, 1], obs[:, 5], rtol=1e-6)
    np.testing.assert_allclose(actions[:, 2], obs[:, 6], rtol=1e-6)
    old = LinearPolicy(weights[:, [0, 1, 2, 3, 4, 5, 7]], "particle", RANGES, "particle")  # saved with 6 inputs
    old.obs_mean = np.full(6, 0.25)
    np.testing.assert_array_equal(ConstantObservation(old, keep=swarm_inputs).predict(obs)[0][:, :2], actions[:, :2])
    with pytest.raises(ValueError, match="keep must name"):
        ConstantObservation(policy, keep=("fdc",))
    swarm_policy = LinearPolicy(np.zeros((3, 14)))  # obs_mode "features": its entries have those names too
    swarm_policy.obs_mean = np.full(13, 0.5)
    with pytest.raises(ValueError, match="constant-particle needs a policy of obs_mode='particle'"):
        ConstantObservation(swarm_policy, keep=swarm_inputs)


def test_hold_feeds_one_input_its_training_mean_and_passes_the_others():
    rng = np.random.default_rng(1)
    policy = LinearPolicy(rng.normal(size=(4, 8)), "particle", RANGES, "particle")
    policy.obs_mean = rng.uniform(0, 1, 7)
    obs = rng.uniform(0, 1, (2, 8, 7)).astype(np.float32)
    for k, name in enumerate(PARTICLE_FEATURE_NAMES):
        held = ConstantObservation(policy, hold=name)
        assert held.name.startswith(f"hold:{name}:")
        fed = obs.copy()
        fed[..., k] = policy.obs_mean[k]  # every particle of every swarm: entry k at its training mean, nothing else
        np.testing.assert_array_equal(held.predict(obs)[0], policy.predict(fed)[0])
        assert not np.array_equal(held.predict(obs)[0], policy.predict(obs)[0])
    swarm = LinearPolicy(rng.normal(size=(3, 14)))  # obs_mode "features": one row (13,) or a batch (B, 13)
    swarm.obs_mean = rng.uniform(0, 1, 13)
    for k, name in enumerate(FEATURE_NAMES):
        held = ConstantObservation(swarm, hold=name)
        assert held.name.startswith(f"hold:{name}:")
        for rows in (rng.uniform(0, 1, 13), rng.uniform(0, 1, (5, 13))):
            fed = rows.astype(np.float32)
            fed[..., k] = swarm.obs_mean[k]
            np.testing.assert_array_equal(held.predict(rows.astype(np.float32))[0], swarm.predict(fed)[0])
    old = LinearPolicy(rng.normal(size=(4, 7)), "particle", RANGES, "particle")  # saved with 6 inputs
    old.obs_mean = np.full(6, 0.5)
    with pytest.raises(ValueError, match=r"holding \['median_distance'\] would change nothing"):
        ConstantObservation(old, hold="median_distance")
    w = np.zeros((3, 14))
    w[:, FEATURE_NAMES.index("progress")] = 1.0
    narrow = LinearPolicy(w)  # reads only progress (trained on inputs=["progress"])
    assert narrow.reads == [FEATURE_NAMES.index("progress")]
    narrow.obs_mean = np.full(13, 0.5)
    with pytest.raises(ValueError, match=r"reads only \['progress'\], all kept: holding \['fdc'\] would change"):
        ConstantObservation(narrow, hold="fdc")
    with pytest.raises(ValueError, match="hold must name one entry"):
        ConstantObservation(narrow, hold="rank")


def test_hold_in_the_registry_names_the_input_and_refuses_what_it_cannot_hold():
    from evaluation.registry import list_algorithms, model_paths, resolve_algorithm

    held = resolve_algorithm("hold:diversity:pretrained")
    assert (held.name, held.kind) == ("hold:diversity:ES-pretrained", "hold")
    assert model_paths([held])[held.name] == model_paths([resolve_algorithm("pretrained")])["ES-pretrained"]
    assert {"hold:NAME:pretrained", "hold:NAME:agent:PATH"} <= set(list_algorithms())
    assert resolve_algorithm("HOLD:Median-Distance:agent:results/learned-control/agents/ev5a-s145").name == (
        "hold:median_distance:agent:ev5a-s145")
    # the default since pre-registration 44 (seed 152) reads median_distance; seed 135, saved with 6 inputs, does not
    assert resolve_algorithm("hold:median_distance:pretrained").name == "hold:median_distance:ES-pretrained"
    features = "agent:results/learned-control/agents/es-cec-s0"  # trained on inputs progress, stagnation, diversity
    for bad, why in [("hold:fdc:pretrained", "hold must name one entry"), ("hold:fdc:" + features, "change nothing"),
                     ("hold:rank:" + features, "hold must name one entry"),
                     ("hold:median_distance:agent:results/learned-control/agents/ev4v-s135", "change nothing"),
                     ("hold:foo:pretrained", "needs NAME one of"), ("hold:rank", "and a learned controller X"),
                     ("hold:rank:APSO", "takes a learned controller"),
                     ("hold:diversity:dqnpso-pretrained", "hold needs a policy with named inputs"),
                     ("hold:rank:agent:", "agent: needs a path")]:
        with pytest.raises(ValueError, match=why):
            resolve_algorithm(bad)


def test_train_evaluate_and_ablate_a_particle_controller(tmp_path):
    cli = _script("train_agent")
    out = tmp_path / "particle"
    assert cli.main(["--algo", "es", "--obs-mode", "particle", "--action-mode", "particle", "--functions", "sphere",
                     "--dim", "3", "--swarm-size", "6", "--iterations", "15", "--w-min", "0.3", "--w-max", "1.0",
                     "--c-min", "0.5", "--timesteps", "300", "--hyperparameters",
                     '{"popsize": 4, "runs_per_function": 1}', "--random-factors", "particle", "--out", str(out),
                     "--no-progress"]) == 0
    run = json.loads((out / "run.json").read_text())
    assert (run["obs_mode"], run["action_mode"], run["config"]["w_min"]) == ("particle", "particle", 0.3)
    assert run["config"]["random_factors"] == "particle"
    agent = f"agent:{out}"
    store = tmp_path / "eval"
    algorithms = f"{agent},constant-particle:{agent},dimension-factors:{agent},hold:rank:{agent}"
    assert _script("evaluate").main(["--algorithms", algorithms,
                                     "--functions", "rastrigin", "--dim", "3", "--swarm-size", "6", "--iterations",
                                     "15", "--runs", "2", "--jobs", "1", "--no-progress", "--out", str(store)]) == 0
    with (store / "runs.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert sorted({r["algorithm"] for r in rows}) == ["agent:particle", "constant-particle:agent:particle",
                                                      "dimension-factors:agent:particle", "hold:rank:agent:particle"]
    assert {int(r["evaluations"]) for r in rows} == {6 * 16}
    best = {(r["algorithm"], int(r["seed"])): float(r["best_value"]) for r in rows}
    for seed in (0, 1):  # the ablation is the same policy in a swarm that draws r1, r2 per dimension, nothing else
        runs = [run_policy(PolicySearch.load(out / "best_model"), get_function("rastrigin", 3), swarm_size=6,
                           iterations=15, seed=seed, env_kwargs={"random_factors": factors}).best_value
                for factors in ("particle", "dimension")]
        assert runs == [best["agent:particle", seed], best["dimension-factors:agent:particle", seed]]
        assert runs[0] != runs[1]
        held = ConstantObservation(PolicySearch.load(out / "best_model"), hold="rank")
        assert run_policy(held, get_function("rastrigin", 3), swarm_size=6, iterations=15,
                          seed=seed).best_value == best["hold:rank:agent:particle", seed]
    from evaluation.registry import resolve_algorithm

    with pytest.raises(ValueError, match=r"already runs with \{'random_factors': 'dimension'\}, so the ablation would"):
        resolve_algorithm("dimension-factors:pretrained")  # drawn per dimension already: a rerun under a new name
    controller = PolicyController(ConstantObservation(PolicySearch.load(out / "model")))
    controller.start(get_function("rastrigin", 3), swarm_size=6, iterations=15, seed=0)
    controller.step(0)
    assert np.asarray(controller.trace()["actions"][0]).shape == (6, 3)


class _FirstColumns:
    """A policy's actions without their last column (the draw choice), for the environment without it."""

    def __init__(self, policy):
        self.policy, self.obs_mode, self.action_mode = policy, "particle", "particle"

    def predict(self, obs, state=None, episode_start=None, deterministic=True):
        return self.policy.predict(obs)[0][..., :-1], None


def test_train_and_ablate_a_controller_that_chooses_the_draw(tmp_path):
    """--random-factors action trains a controller with a 4th column per particle; dimension-factors: runs it with
    every particle drawing per dimension, which is its first three columns in the classic swarm bit for bit;
    particle-factors: with every particle sharing; agents.FixedDraw refuses a controller without the choice."""
    from agents.controller import FixedDraw

    out = tmp_path / "choice"
    assert _script("train_agent").main([
        "--algo", "es", "--obs-mode", "particle", "--action-mode", "particle", "--functions", "sphere", "--dim", "3",
        "--swarm-size", "6", "--iterations", "15", "--timesteps", "300", "--hyperparameters",
        '{"popsize": 4, "runs_per_function": 1}', "--random-factors", "action", "--out", str(out), "--no-progress"]) == 0
    assert json.loads((out / "run.json").read_text())["config"]["random_factors"] == "action"
    agent, store = f"agent:{out}", tmp_path / "eval"
    assert _script("evaluate").main(["--algorithms", f"{agent},dimension-factors:{agent},particle-factors:{agent}",
                                     "--functions", "rastrigin", "--dim", "3", "--swarm-size", "6", "--iterations",
                                     "15", "--runs", "2", "--jobs", "1", "--no-progress", "--out", str(store)]) == 0
    with (store / "runs.csv").open() as fh:
        best = {(r["algorithm"], int(r["seed"])): float(r["best_value"]) for r in csv.DictReader(fh)}
    policy = PolicySearch.load(out / "best_model")
    assert policy.predict(np.zeros((6, 7), np.float32))[0].shape == (6, 4)
    fn = get_function("rastrigin", 3)
    for seed in (0, 1):
        classic = run_policy(_FirstColumns(policy), fn, swarm_size=6, iterations=15, seed=seed,
                             env_kwargs={"random_factors": "dimension"}).best_value
        assert best["dimension-factors:agent:choice", seed] == classic
        assert run_policy(policy, fn, swarm_size=6, iterations=15, seed=seed).best_value == best["agent:choice", seed]
        assert best["particle-factors:agent:choice", seed] != classic
    fixed = FixedDraw(policy, shared=True)
    assert fixed.name.startswith("particle-factors:") and (fixed.predict(np.zeros((6, 7)))[0][:, 3] == 1).all()
    with pytest.raises(ValueError, match=r"FixedDraw needs a policy trained with random_factors='action'.*'dimension'"):
        FixedDraw(LinearPolicy(np.zeros((3, 7)), "particle", {**RANGES, "random_factors": "dimension"}, "particle"),
                  shared=False)
