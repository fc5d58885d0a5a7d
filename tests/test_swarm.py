"""The swarm core and the evolutionary factor."""

import numpy as np
import pytest
from scipy.spatial.distance import pdist, squareform

from benchmarks_fn import from_callable, get_function
from pso_env import Swarm
from pso_env.factor import discretise, evolutionary_factor, mean_distances


def make_swarm(name="sphere", dim=10, n=30, seed=0, **kwargs):
    return Swarm(get_function(name, dim), n, np.random.default_rng(seed), **kwargs)


def test_sphere_converges_below_1e_6():
    swarm = make_swarm()
    for _ in range(1000):
        swarm.step(0.7, 1.5, 1.5)
        if swarm.gbest_fitness < 1e-6:
            break
    assert swarm.gbest_fitness < 1e-6
    assert swarm.iteration < 1000


def test_same_seed_bit_identical_other_seed_differs():
    a, b, c = make_swarm("rastrigin", seed=3), make_swarm("rastrigin", seed=3), make_swarm("rastrigin", seed=4)
    for t in range(50):
        w = np.full(30, 0.5 + t / 100.0)  # a per-particle w exercises that path too
        for s in (a, b, c):
            s.step(w, 2.0, 2.0)
    for attr in ("positions", "velocities", "pbest_positions", "pbest_fitness", "gbest_position", "best_history"):
        np.testing.assert_array_equal(getattr(a, attr), getattr(b, attr))
    assert not np.array_equal(a.positions, c.positions)


def test_bookkeeping_counts_history_and_best_invariants():
    swarm = make_swarm(n=12)
    assert swarm.evaluations == 12 and swarm.best_history.shape == (1,)
    for _ in range(20):
        swarm.step(0.9, 2.0, 2.0)
    assert swarm.evaluations == 12 * 21
    hist = swarm.best_history
    assert hist.shape == (21,) and np.all(np.diff(hist) <= 0)
    assert hist[-1] == swarm.gbest_fitness == swarm.pbest_fitness.min()
    np.testing.assert_array_equal(swarm.function(swarm.pbest_positions), swarm.pbest_fitness)
    assert np.all(swarm.pbest_fitness <= swarm.fitness)


@pytest.mark.parametrize("bounds", ["clip", "reflect"])
def test_positions_stay_in_box_and_velocity_is_clamped(bounds):
    swarm = make_swarm("schwefel", n=20, bounds=bounds, velocity_clamp=0.5)
    for _ in range(30):
        swarm.step(1.2, 2.5, 2.5)  # divergent settings push particles against the walls
        assert np.all(swarm.positions >= swarm.lower) and np.all(swarm.positions <= swarm.upper)
        assert np.all(np.abs(swarm.velocities) <= swarm.vmax + 1e-12)


def test_bounds_none_lets_particles_leave_and_no_clamp():
    swarm = make_swarm(n=20, bounds="none", velocity_clamp=None)
    for _ in range(30):
        swarm.step(1.2, 2.5, 2.5)
    assert np.any(np.abs(swarm.positions) > 100.0)


def test_constriction_scales_the_velocity_update():
    a, b = make_swarm(seed=1, velocity_clamp=None), make_swarm(seed=1, velocity_clamp=None)
    v0, x0 = a.velocities.copy(), a.positions.copy()
    a.step(0.7, 2.0, 2.0, chi=0.5)
    b.step(0.7, 2.0, 2.0)
    np.testing.assert_allclose(a.velocities, 0.5 * b.velocities, rtol=1e-12)
    np.testing.assert_allclose(b.positions, np.clip(x0 + b.velocities, -100, 100))
    assert not np.array_equal(v0, a.velocities)


def test_non_finite_objective_values_never_become_best():
    def nasty(X):
        out = np.sum(X**2, axis=1)
        out[X[:, 0] > 0] = np.nan
        out[X[:, 1] > 50] = np.inf
        out[X[:, 1] < -50] = -np.inf
        return out

    fn = from_callable(nasty, 5, -100.0, 100.0, name="nasty", vectorized=True)
    swarm = Swarm(fn, 30, np.random.default_rng(0))
    for _ in range(100):
        swarm.step(0.7, 1.5, 1.5)
        assert np.isfinite(swarm.gbest_fitness)
        assert swarm.gbest_position[0] <= 0.0 and abs(swarm.gbest_position[1]) <= 50
    assert not np.isnan(swarm.fitness).any() and not np.isneginf(swarm.fitness).any()


def test_all_particles_non_finite_at_start_still_runs():
    fn = from_callable(lambda X: np.full(X.shape[0], np.nan), 4, -1.0, 1.0, name="nan", vectorized=True)
    swarm = Swarm(fn, 10, np.random.default_rng(0))
    assert swarm.gbest_fitness == np.inf
    for _ in range(10):
        swarm.step(0.7, 1.5, 1.5)
    assert swarm.gbest_fitness == np.inf and np.isfinite(swarm.positions).all()
    assert 0.0 <= swarm.evolutionary_factor() <= 1.0


def test_mean_distances_match_scipy_even_far_from_origin():
    rng = np.random.default_rng(0)
    for offset, scale in [(0.0, 10.0), (420.97, 1e-7), (-1e4, 1.0)]:
        x = offset + scale * rng.standard_normal((30, 30))
        expected = squareform(pdist(x)).sum(axis=1) / 29
        np.testing.assert_allclose(mean_distances(x), expected, rtol=1e-12)
    assert mean_distances(np.ones((1, 4))).tolist() == [0.0]


def test_factor_functions_reject_bad_shapes():
    with pytest.raises(ValueError, match=r"positions must have shape \(N, D\)"):
        mean_distances(np.zeros(5))
    with pytest.raises(ValueError, match=r"positions must have shape \(N, D\)"):
        evolutionary_factor(np.zeros((2, 3, 4)), np.zeros(3))
    with pytest.raises(ValueError, match=r"fitness must have shape \(6,\)"):
        evolutionary_factor(np.zeros((6, 2)), np.zeros(5))


def test_evolutionary_factor_definition():
    x = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [5.0, 5.0]])
    d = squareform(pdist(x)).sum(axis=1) / 3
    for g in range(4):
        fit = np.arange(4.0)
        fit[g] = -1.0
        assert evolutionary_factor(x, fit) == pytest.approx((d[g] - d.min()) / (d.max() - d.min()))
    assert evolutionary_factor(np.ones((5, 3)), np.arange(5.0)) == 0.0
    assert evolutionary_factor(x[:1], np.zeros(1)) == 0.0
    # NaN fitness never marks the best particle; non-contiguous and integer inputs are accepted
    fit = np.array([np.nan, 3.0, -1.0, 2.0])
    assert evolutionary_factor(x, fit) == evolutionary_factor(x, np.array([np.inf, 3.0, -1.0, 2.0]))
    assert evolutionary_factor(np.asfortranarray(x).astype(int), fit) == evolutionary_factor(x, fit)


def test_evolutionary_factor_stays_in_unit_interval_along_runs():
    for name in ("sphere", "rastrigin", "ackley"):
        swarm = make_swarm(name)
        for _ in range(200):
            swarm.step(0.7, 1.5, 1.5)
            assert 0.0 <= swarm.evolutionary_factor() <= 1.0


@pytest.mark.parametrize(
    "f, symbol",
    [(0.0, 0), (0.199999, 0), (0.2, 1), (0.3, 2), (0.4, 3), (0.5999, 3), (0.6, 4), (0.7, 5), (0.8, 6),
     (1.0, 6), (-0.1, 0), (1.5, 6)],
)
def test_discretise_interval_edges(f, symbol):
    assert discretise(f) == symbol


def test_discretise_vectorised():
    np.testing.assert_array_equal(discretise(np.array([0.1, 0.25, 0.35, 0.5, 0.65, 0.75, 0.9])), np.arange(7))


@pytest.mark.parametrize(
    "kwargs, match",
    [({"n_particles": 1}, "n_particles"), ({"n_particles": 2.5}, "n_particles"),
     ({"velocity_clamp": 0.0}, "velocity_clamp"), ({"velocity_clamp": np.nan}, "velocity_clamp"),
     ({"bounds": "wrap"}, "bounds"), ({"rng": 0}, "rng")],
)
def test_bad_arguments(kwargs, match):
    args = {"function": get_function("sphere", 3), "n_particles": 5, "rng": np.random.default_rng(0)}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        Swarm(**args)
