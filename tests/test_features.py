"""The "features" observation: its swarm statistics by hand, its bounds for any objective values, no f* in it."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from benchmarks_fn import from_callable, get_function
from pso_env import FEATURE_NAMES, PSOEnv, PSOVectorEnv
from pso_env.actions import ActionConfig
from pso_env.observation import Features, swarm_statistics


def test_swarm_statistics_by_hand():
    rng = np.random.default_rng(0)
    x, fit, g = rng.normal(size=(3, 9, 4)) * [[1.0], [1e3], [1e-9]][0], rng.normal(size=(3, 9)), rng.normal(size=(3, 4))
    div, fdc = swarm_statistics(x, fit, g)
    for q in range(3):
        np.testing.assert_allclose(div[q], np.linalg.norm(x[q] - x[q].mean(axis=0), axis=1).mean(), rtol=1e-13)
        np.testing.assert_allclose(fdc[q], np.corrcoef(fit[q], np.linalg.norm(x[q] - g[q], axis=1))[0, 1],
                                   rtol=1e-12)
    line = np.zeros((1, 5, 2))
    line[0, :, 0] = np.arange(5.0)
    d = np.arange(5.0)
    assert swarm_statistics(line, d[None] ** 2, np.zeros((1, 2)))[1][0] > 0.95  # values grow with the distance
    assert swarm_statistics(line, (7 - 2 * d)[None], np.zeros((1, 2)))[1][0] == pytest.approx(-1.0, abs=1e-15)
    assert swarm_statistics(line, 1e300 * d[None], np.zeros((1, 2)))[1][0] == pytest.approx(1.0, abs=1e-15)
    # huge values of both signs: no overflow; the non-finite ones are left out
    huge = np.array([[-1.7e308, 1.7e308, np.inf, np.nan, 0.0]])
    assert swarm_statistics(line, huge, np.zeros((1, 2)))[1][0] == pytest.approx(
        np.corrcoef([-1.7, 1.7, 0.0], [0.0, 1.0, 4.0])[0, 1], rel=1e-12)
    # undefined: constant values, one finite value, all particles at the best
    for values in ([[3.0] * 5], [[np.nan, np.inf, 1.0, np.inf, np.nan]]):
        assert np.isnan(swarm_statistics(line, np.array(values), np.zeros((1, 2)))[1][0])
    assert np.isnan(swarm_statistics(np.ones((1, 5, 2)), d[None], np.ones((1, 2)))[1][0])
    assert swarm_statistics(np.ones((1, 5, 2)), d[None], np.ones((1, 2)))[0][0] == 0.0


def test_recent_improvement_is_a_window_share_and_invariant_to_affine_values():
    best = np.array([50.0, 40, 40, 30, 30, 30, 30, 30, 30, 30, 30, 20, 20, 20, 10, 10])
    for a, b in ((1.0, 0.0), (1e-3, -7.0), (1e300, -1e301)):
        feats = Features(1, 20, ActionConfig())
        got = [feats.observe(slice(None), np.full((1, 4), 0.25), *np.zeros((5, 1)), [a * v + b], [1.0], [0.0])[0, 9]
               for v in best]
        want = [(best[max(t - 10, 0)] - best[t]) / (best[0] - best[t]) if best[t] < best[0] else 0.0
                for t in range(len(best))]
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    assert want[11] == 20 / 30 and want[14] == 20 / 40  # the window reaches back to best[1] = 40, best[4] = 30


def _functions():
    nan = from_callable(lambda X: np.full(len(X), np.nan), 3, -5, 5, name="all-nan", vectorized=True)
    inf = from_callable(lambda X: np.full(len(X), np.inf), 3, -5, 5, name="all-inf", vectorized=True)
    ninf = from_callable(lambda X: np.full(len(X), -np.inf), 3, -5, 5, name="all-minus-inf", vectorized=True)
    const = from_callable(lambda X: np.full(len(X), 4.2), 3, -5, 5, name="constant", vectorized=True)
    huge = from_callable(lambda X: 1.7e308 * np.tanh(X.sum(axis=1)), 3, -5, 5, name="huge", vectorized=True)
    tiny = from_callable(lambda X: 1e-310 * (X ** 2).sum(axis=1), 3, -5, 5, name="tiny", vectorized=True)
    mixed = from_callable(lambda X: np.where(X[:, 0] > 0, np.nan, np.where(X[:, 1] > 2, -np.inf,
                                                                            1e300 * X[:, 2])), 3, -5, 5,
                          name="mixed", vectorized=True)
    return [nan, inf, ninf, const, huge, tiny, mixed]


@pytest.mark.parametrize("fn", _functions(), ids=lambda f: f.name)
def test_every_feature_stays_in_its_bounds_for_any_values(fn):
    env = PSOEnv(function=fn, swarm_size=8, max_iterations=25, obs_mode="features", hmm_refit_every=10,
                 bounds="none", velocity_clamp=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the non-finite values' warning
        obs, _ = env.reset(seed=0)
        seen = [obs]
        for t in range(25):
            obs, *_ = env.step(t % 4)
            seen.append(obs)
    seen = np.array(seen)
    assert seen.shape == (26, len(FEATURE_NAMES)) and np.isfinite(seen).all()
    assert (seen >= 0).all() and (seen <= 1).all() and all(env.observation_space.contains(o) for o in seen)
    if fn.name in ("all-nan", "all-inf", "all-minus-inf", "constant"):
        assert (seen[:, 12] == 0.5).all() and (seen[:, 9] == 0).all()  # no correlation, no improvement
        assert (seen[1:, 10] > 0).all()  # stagnating from the first step


def test_features_in_bounds_on_the_general_path_and_equal_on_shifted_scaled_values():
    """Several dimensions in one batch take the general path; values a f + b give the same swarm and features."""
    fns = [get_function("rastrigin", 3), get_function("ackley", 5)]
    scaled = [from_callable(lambda X, f=f: 3.0 * f(X) + 7.0, f.dim, f.lower, f.upper, name=f"scaled-{f.name}",
                            vectorized=True) for f in fns]
    runs = []
    for functions in (fns, scaled):
        env = PSOVectorEnv(2, function=functions, swarm_size=10, max_iterations=30, obs_mode="features",
                           instance_order="round_robin")
        obs, _ = env.reset(seed=2)
        out = [obs]
        for t in range(30):
            obs, *_ = env.step(np.array([t % 4, (t + 1) % 4]))
            out.append(obs)
        runs.append(np.array(out))
    assert (runs[0] >= 0).all() and (runs[0] <= 1).all()
    assert runs[0][:, :, 11].min() < 1.0 and 0.0 < runs[0][:, :, 12].mean() < 1.0
    np.testing.assert_allclose(runs[0], runs[1], atol=1e-5)  # float32 observations, rounding of 3 f + 7 aside
