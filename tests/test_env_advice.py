"""The consult action: an advisor inside PSOEnv / PSOVectorEnv (pso_env.advice)."""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import pytest

from agents.advisors import Advisor, RandomAdvisor, SurrogateAdvisor
from pso_env import EnvConfig, PSOEnv, PSOVectorEnv
from pso_env.config import add_field_arguments, field_values

SETTINGS = {"function": "rastrigin", "dim": 4, "swarm_size": 12, "max_iterations": 40}
ADVICE_KEYS = ("consultations", "advisor_failures", "advice_evaluations")


class Oracle(Advisor):
    """Proposes the optimum of a function whose optimum is the origin, then the point (1, ..., 1)."""

    name = "oracle"

    def _propose(self, state, k, rng):
        return [np.zeros(state.dim), np.ones(state.dim)][:k], None


class Failing(Advisor):
    """Every consultation fails (as an LLM advisor's malformed reply)."""

    def _propose(self, state, k, rng):
        return None, None


def episode(env, actions):
    """(observations, rewards, ends, infos) of ``env`` from ``reset(seed=0)`` under ``actions`` (ints)."""
    obs, info = env.reset(seed=0)
    out = [(obs, 0.0, False, False, info)]
    for a in actions:
        out.append(env.step(a))
    return out


def assert_same(a, b):
    assert len(a) == len(b)
    for (o1, r1, te1, tr1, i1), (o2, r2, te2, tr2, i2) in zip(a, b):
        np.testing.assert_array_equal(o1, o2)
        assert (r1, te1, tr1) == (r2, te2, tr2) and i1 == i2


def test_without_an_advisor_the_four_actions_stay():
    env = PSOEnv(**SETTINGS)
    _, info = env.reset(seed=0)
    assert env.action_space.n == 4 and not set(ADVICE_KEYS) & set(info) and env._core._advice is None
    with pytest.raises(ValueError, match=r"action must be an integer in 0\.\.3, got 4"):
        env.step(4)
    venv = PSOVectorEnv(2, **SETTINGS)
    venv.reset(seed=0)
    with pytest.raises(ValueError, match=r"integers in 0\.\.3"):
        venv.step(np.array([0, 4]))


def test_an_advisor_never_consulted_changes_nothing():
    actions = np.random.default_rng(3).integers(0, 4, 30).tolist()
    plain = episode(PSOEnv(**SETTINGS), actions)
    advised = episode(PSOEnv(**SETTINGS, advisor="surrogate"), actions)
    for step in advised:
        assert {k: step[4].pop(k) for k in ADVICE_KEYS} == dict.fromkeys(ADVICE_KEYS, 0)
    assert_same(plain, advised)


def test_consulting_counts_proposals_and_the_best_only_improves():
    env = PSOEnv(**SETTINGS, advisor="surrogate", advisor_k=4)
    assert env.action_space.n == 8
    actions = np.random.default_rng(0).integers(0, 8, 40).tolist()
    steps = episode(env, actions)
    n, consulted = SETTINGS["swarm_size"], 0
    for a, (_, _, _, _, before), (_, reward, _, _, after) in zip(actions, steps, steps[1:]):
        added = after["advice_evaluations"] - before["advice_evaluations"]
        assert after["evaluations"] - before["evaluations"] == n + added
        assert after["consultations"] - before["consultations"] == (a >= 4)
        assert 0 <= added <= (4 if a >= 4 else 0)
        assert after["best_fitness"] <= before["best_fitness"]
        assert reward == before["best_fitness"] - after["best_fitness"]
        consulted += a >= 4
    last = steps[-1][4]
    assert last["consultations"] == consulted > 0 and last["advisor_failures"] == 0
    assert last["advice_evaluations"] > 0  # the surrogate proposed points once its archive was large enough
    assert env._core.swarm.evaluations[0] == last["evaluations"] == n * 41 + last["advice_evaluations"]


def test_the_reward_and_observation_of_a_consulting_step_include_the_advice():
    env = PSOEnv(function="sphere", dim=3, swarm_size=6, max_iterations=10, advisor=Oracle(), advisor_k=1,
                 obs_mode="features")
    _, info = env.reset(seed=0)
    *_, info0 = env.step(0)
    worst = int(np.argmax(env.swarm.fitness))
    obs, reward, terminated, _, info = env.step(4)  # action 0, then the oracle's origin replaces the worst particle
    assert info["best_fitness"] == 0.0 and info["error"] == 0.0 and reward == info0["best_fitness"]
    assert info["advice_evaluations"] == 1 and info["evaluations"] == info0["evaluations"] + 7
    np.testing.assert_array_equal(env.swarm.positions[worst], np.zeros(3))
    np.testing.assert_array_equal(env.swarm.gbest_position, np.zeros(3))
    assert env.swarm.velocities[worst].tolist() == [0.0, 0.0, 0.0]
    assert obs[10] == 0.0  # feature 10: iterations since the best improved, 0 after this step's improvement
    assert not terminated  # no target_error


def test_the_target_error_ends_the_consulting_step():
    env = PSOEnv(function="sphere", dim=3, swarm_size=6, max_iterations=10, advisor=Oracle(), advisor_k=1,
                 target_error=1e-12)
    env.reset(seed=0)
    *_, terminated, truncated, info = env.step(5)
    assert terminated and not truncated and info["error"] == 0.0


def test_failures_are_counted_and_cost_no_evaluation():
    env = PSOEnv(**SETTINGS, advisor=Failing())
    env.reset(seed=0)
    for a in (4, 0, 7, 6):
        *_, info = env.step(a)
    assert (info["consultations"], info["advisor_failures"], info["advice_evaluations"]) == (3, 3, 0)
    assert info["evaluations"] == 5 * SETTINGS["swarm_size"]
    env.reset(seed=1)  # a new episode resets the advisor's counts
    *_, info = env.step(4)
    assert (info["consultations"], info["advisor_failures"]) == (1, 1)


@pytest.mark.parametrize("advisor", ["random", "surrogate"])
def test_same_seed_same_episode_bit_for_bit(advisor):
    actions = np.random.default_rng(1).integers(0, 8, 30).tolist()
    first = episode(PSOEnv(**SETTINGS, advisor=advisor), actions)
    second = episode(PSOEnv(**SETTINGS, advisor=advisor), actions)
    assert_same(first, second)
    assert first[-1][4]["advice_evaluations"] > 0
    other = PSOEnv(**SETTINGS, advisor=advisor)
    other.reset(seed=1)
    assert other.step(actions[0])[4]["best_fitness"] != first[1][4]["best_fitness"]


def test_vector_sub_environments_consult_independently():
    def run(actions_1):
        venv = PSOVectorEnv(2, **SETTINGS, advisor="random", autoreset_mode="Disabled")
        obs, infos = venv.reset(seed=0)
        rows = []
        for a0, a1 in zip([4, 1, 6, 3] * 5, actions_1):
            obs, rewards, _, _, infos = venv.step(np.array([a0, a1]))
            rows.append((obs.copy(), rewards.copy(), {k: v.copy() for k, v in infos.items()}))
        return venv, rows

    venv_a, a = run([0] * 20)
    _, b = run([7] * 20)
    assert venv_a._advice.advisors[0] is not venv_a._advice.advisors[1]
    for (oa, ra, ia), (ob, rb, ib) in zip(a, b):
        np.testing.assert_array_equal(oa[0], ob[0])  # sub-environment 0 does not see 1's consultations
        assert ra[0] == rb[0]
        for key in ("best_fitness", "evaluations", "iteration", "consultations", "advice_evaluations", "w", "f"):
            assert ia[key][0] == ib[key][0], key
    assert a[-1][2]["consultations"].tolist() == [10, 0] and b[-1][2]["consultations"].tolist() == [10, 20]
    k = SETTINGS["swarm_size"] // 4
    assert b[-1][2]["advice_evaluations"].tolist() == [10 * k, 20 * k]  # random points: never duplicates here
    assert b[-1][2]["evaluations"].tolist() == [12 * 21 + 10 * k, 12 * 21 + 20 * k]
    assert a[-1][2]["_consultations"].all()


def test_an_advisor_object_is_copied_for_the_other_sub_environments():
    advisor = SurrogateAdvisor(candidates=32)
    venv = PSOVectorEnv(3, **SETTINGS, advisor=advisor)
    venv.reset(seed=0)
    advisors = venv._advice.advisors
    assert advisors[0] is advisor and all(isinstance(a, SurrogateAdvisor) and a is not advisor for a in advisors[1:])
    assert advisors[2].candidates == 32 and advisors[1]._archive is not advisor._archive
    for _ in range(3):
        venv.step(np.array([4, 0, 4]))
    assert [a.calls for a in advisors] == [3, 0, 3]


def test_checkers_pass_with_an_advisor():
    from gymnasium.utils.env_checker import check_env as gym_check
    from stable_baselines3.common.env_checker import check_env as sb3_check

    env = PSOEnv(function="sphere", dim=3, swarm_size=8, max_iterations=20, advisor="surrogate")
    with warnings.catch_warnings():
        warnings.simplefilter("error", category=UserWarning)  # any checker warning fails the test
        gym_check(env, skip_render_check=True)
    sb3_check(env, warn=False)


def test_sb3_vec_env_reports_the_advice():
    from pso_env import make_sb3_vec_env

    venv = make_sb3_vec_env(2, seed=0, function="sphere", dim=3, swarm_size=8, max_iterations=5, advisor="random")
    venv.reset()
    assert venv.action_space.n == 8
    for _ in range(5):
        _, _, dones, infos = venv.step(np.array([4, 0]))
    assert dones.all() and [i["consultations"] for i in infos] == [5, 0]
    assert [i["advice_evaluations"] for i in infos] == [10, 0]


def test_config_checks_and_serialises_the_advisor():
    with pytest.raises(ValueError, match=r"advisor must be None, one of \('random', 'surrogate', 'llm'\)"):
        EnvConfig(advisor="oracle")
    with pytest.raises(ValueError, match="advisor must be None"):
        EnvConfig(advisor=object())
    with pytest.raises(ValueError, match="advisor_k must be an integer >= 1"):
        EnvConfig(advisor="random", advisor_k=0)
    with pytest.raises(ValueError, match="advisor_k must be <= swarm_size"):
        EnvConfig(advisor="random", swarm_size=10, advisor_k=11)
    with pytest.raises(ValueError, match="advisor needs backend='numpy'"):
        EnvConfig(advisor="random", backend="torch")
    with pytest.raises(ValueError, match="advisor: the advisor object .* cannot be written as JSON"):
        EnvConfig(advisor=RandomAdvisor()).to_dict()
    cfg = EnvConfig(advisor="surrogate", advisor_k=3)
    assert EnvConfig.from_dict(cfg.to_dict()) == cfg and EnvConfig().to_dict()["advisor"] is None
    parser = argparse.ArgumentParser()
    add_field_arguments(parser, EnvConfig)
    assert EnvConfig(**field_values(EnvConfig, parser.parse_args(["--advisor", "random", "--advisor-k", "2"]))) \
        == EnvConfig(advisor="random", advisor_k=2)
    assert field_values(EnvConfig, parser.parse_args(["--advisor", "none"]))["advisor"] is None
    with pytest.raises(SystemExit):
        parser.parse_args(["--advisor", "oracle"])


def test_consulting_in_a_batch_of_several_dimensions():
    venv = PSOVectorEnv(2, function=[("sphere", 3, {}), ("dropwave", 2, {})], swarm_size=8, max_iterations=10, advisor=Oracle(),
                        advisor_k=1, instance_order="round_robin")
    _, infos = venv.reset(seed=0)
    assert sorted(venv.swarms) == [2, 3] and infos["function"].tolist() == ["sphere", "dropwave"]
    _, rewards, _, _, infos = venv.step(np.array([0, 5]))  # only dropwave consults: the origin is its optimum
    assert infos["evaluations"].tolist() == [16, 17] and infos["advice_evaluations"].tolist() == [0, 1]
    assert infos["best_fitness"][1] == -1.0 and infos["error"][1] == 0.0 and rewards[1] > 0
    assert venv.swarms[3].evaluations[0] == 16 and venv.swarms[2].evaluations[1] == 17


def test_the_ignored_step_of_an_autoreset_does_not_consult():
    class Logged(RandomAdvisor):
        def __init__(self):
            self.log = []  # kept across episodes (reset() zeroes the counters only)
            super().__init__()

        def _propose(self, state, k, rng):
            self.log.append(state.iteration)
            return super()._propose(state, k, rng)

    advisor = Logged()
    venv = PSOVectorEnv(1, function="sphere", dim=3, swarm_size=8, max_iterations=2, advisor=advisor)
    venv.reset(seed=0)
    ends = [venv.step(np.array([4]))[3][0] for _ in range(5)]  # steps 1, 2 (truncated), autoreset, 1, 2
    assert ends == [False, True, False, False, True] and advisor.log == [1, 2, 1, 2]


def test_advisor_needs_discrete_actions():
    with pytest.raises(ValueError, match="advisor needs action_mode='discrete'"):
        EnvConfig(function="sphere", dim=2, swarm_size=4, advisor="random", action_mode="continuous")
