"""The swarm core (one run: B = 1; B swarms; numpy and torch backends) and the evolutionary factor."""

import copy

import numpy as np
import pytest
import torch
from scipy.spatial.distance import pdist, squareform
from scipy.stats import mannwhitneyu

from benchmarks_fn import PAPER_FUNCTIONS, from_callable, get_function
from pso_env.factor import (
    batch_evolutionary_factor,
    batch_mean_distances,
    discretise,
    evolutionary_factor,
    mean_distances,
    torch_evolutionary_factor,
)
from pso_env.objective import group_functions
from pso_env.swarm import Swarm


def make_swarm(name="sphere", dim=10, n=30, seed=0, **kwargs):
    kwargs.setdefault("batch_size", 1)
    return Swarm(get_function(name, dim), n, np.random.default_rng(seed), history=True, **kwargs)


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
        w = np.full((1, 30), 0.5 + t / 100.0)  # a per-particle w exercises that path too
        for s in (a, b, c):
            s.step(w, 2.0, 2.0)
    for attr in ("positions", "velocities", "pbest_positions", "pbest_fitness", "gbest_position", "best_history",
                 "fitness", "gbest_fitness", "evaluations"):
        np.testing.assert_array_equal(getattr(a, attr), getattr(b, attr))
    assert not np.array_equal(a.positions, c.positions)


def test_bookkeeping_counts_history_and_best_invariants():
    swarm = make_swarm(n=12)
    assert swarm.evaluations.tolist() == [12] and swarm.best_history.shape == (1, 1)
    for _ in range(20):
        swarm.step(0.9, 2.0, 2.0)
    assert swarm.evaluations.tolist() == [12 * 21] and swarm.iteration.tolist() == [20]
    hist = swarm.best_history[0]
    assert hist.shape == (21,) and np.all(np.diff(hist) <= 0)
    assert hist[-1] == swarm.gbest_fitness[0] == swarm.pbest_fitness.min()
    np.testing.assert_array_equal(swarm.functions[0](swarm.pbest_positions[0]), swarm.pbest_fitness[0])
    assert np.all(swarm.pbest_fitness <= swarm.fitness)
    with pytest.raises(ValueError, match="history=True"):
        _ = Swarm(get_function("sphere", 2), 3, 0, batch_size=1).best_history


@pytest.mark.parametrize("bounds", ["clip-back", "clip", "reflect"])
def test_positions_stay_in_box_and_velocity_is_clamped(bounds):
    swarm = make_swarm("schwefel", n=20, bounds=bounds, velocity_clamp=0.5)
    for _ in range(30):
        swarm.step(1.2, 2.5, 2.5)  # divergent settings push particles against the walls
        assert np.all(swarm.positions >= swarm.lower[:, None]) and np.all(swarm.positions <= swarm.upper[:, None])
        assert np.all(np.abs(swarm.velocities) <= swarm.vmax[:, None] + 1e-12)


def test_bounds_none_lets_particles_leave_and_no_clamp():
    swarm = make_swarm(n=20, bounds="none", velocity_clamp=None)
    for _ in range(30):
        swarm.step(1.2, 2.5, 2.5)
    assert np.any(np.abs(swarm.positions) > 100.0)


def test_constriction_scales_the_velocity_update():
    a, b = (make_swarm(seed=1, velocity_clamp=None, bounds="clip") for _ in range(2))
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
    swarm = Swarm(fn, 30, np.random.default_rng(0), batch_size=1)
    for _ in range(100):
        swarm.step(0.7, 1.5, 1.5)
        assert np.isfinite(swarm.gbest_fitness).all()
        assert swarm.gbest_position[0, 0] <= 0.0 and abs(swarm.gbest_position[0, 1]) <= 50
    assert not np.isnan(swarm.fitness).any() and not np.isneginf(swarm.fitness).any()


def test_all_particles_non_finite_at_start_still_runs():
    fn = from_callable(lambda X: np.full(X.shape[0], np.nan), 4, -1.0, 1.0, name="nan", vectorized=True)
    swarm = Swarm(fn, 10, np.random.default_rng(0), batch_size=1)
    assert swarm.gbest_fitness[0] == np.inf
    for _ in range(10):
        swarm.step(0.7, 1.5, 1.5)
    assert swarm.gbest_fitness[0] == np.inf and np.isfinite(swarm.positions).all()
    assert 0.0 <= swarm.evolutionary_factor()[0] <= 1.0


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
            assert 0.0 <= swarm.evolutionary_factor()[0] <= 1.0


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
     ({"bounds": "wrap"}, "bounds"), ({"rng": "x"}, "rng"), ({"rng": -1}, "rng"), ({"batch_size": 0}, "batch_size"),
     ({"seeds": [1, 2]}, "seeds"), ({"backend": "jax"}, "backend"),
     ({"device": "cuda"}, "device"), ({"dtype": "float32"}, "dtype"), ({"history": 1}, "history"),
     ({"functions": [get_function("sphere", 3), get_function("sphere", 4)], "batch_size": None}, "same dim"),
     ({"functions": [get_function("sphere", 3)] * 2}, "batch_size"), ({"functions": "sphere"}, "functions"),
     ({"backend": "torch", "device": "nonsense"}, "device"), ({"backend": "torch", "dtype": "float16"}, "dtype"),
     ({"backend": "torch", "functions": get_function("bbob:f1", 3)}, "functions.*torch")],
)
def test_bad_arguments(kwargs, match):
    args = {"functions": get_function("sphere", 3), "n_particles": 5, "rng": np.random.default_rng(0), "batch_size": 3}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        Swarm(args.pop("functions"), args.pop("n_particles"), args.pop("rng"), **args)


def test_bad_step_reset_and_set_arguments():
    s = Swarm(get_function("rastrigin", 5), 8, 0, batch_size=6)
    with pytest.raises(ValueError, match="w"):
        s.step(np.ones(3), 2.0, 2.0)
    with pytest.raises(ValueError, match="c1"):
        s.step(0.7, np.ones((6, 7)), 2.0)
    with pytest.raises(ValueError, match="previous"):
        s.step(0.7, 2.0, 2.0, previous=np.zeros((6, 8, 4)))
    with pytest.raises(ValueError, match="indices"):
        s.reset([7])
    with pytest.raises(ValueError, match="indices"):
        s.reset([1, 1])
    with pytest.raises(ValueError, match="functions"):
        s.reset([0], functions=get_function("sphere", 3))
    with pytest.raises(ValueError, match="seeds"):
        s.reset([0], seeds=[3])  # built without seeds
    with pytest.raises(ValueError, match="positions"):
        s.evaluate(np.zeros((5, 2, 5)))
    with pytest.raises(ValueError, match="mode"):
        s.set_particles(0, 0, np.zeros(5), mode="swap")


# ------------------------------------------------------------------------------------ the update rule
@pytest.mark.parametrize("bounds", ["clip-back", "clip", "reflect", "none"])
@pytest.mark.parametrize("second", [False, True])
def test_step_equals_the_formula_computed_by_hand(bounds, second):
    """v <- chi (w v + c1 r1 (p - x) + c2 r2 (g - x)), clamp, x + v, bounds; r from a copy of the generator."""
    fn = get_function("schwefel", 3, shift=True, rotate=True, seed=3)
    s = Swarm([fn, get_function("schwefel", 3)], 4, np.random.default_rng(5), bounds=bounds, velocity_clamp=0.3)
    for t in range(25):
        w = np.array([[0.9, 0.5, 1.3, 0.2], [1.1, 0.4, 0.7, 0.8]]) if t % 2 else np.array([0.7, 1.2])
        c1, c2, chi = np.array([1.5, 2.5]), 2.0, (0.73 if t % 3 == 0 else 1.0)
        if t % 4 == 1:  # per particle, as GLEET sets them
            c1 = np.array([[0.5, 1.0, 3.5, 2.0], [1.5, 2.5, 0.1, 4.0]])
            c2 = np.array([[3.0, 2.0, 0.5, 1.0], [0.0, 1.0, 2.0, 3.0]])
        x, v, p, g = s.positions.copy(), s.velocities.copy(), s.pbest_positions.copy(), s.gbest_position.copy()
        pf, gf = s.pbest_fitness.copy(), s.gbest_fitness.copy()
        prev = x + 3.0 if second else None
        r = copy.deepcopy(s.rng).random((2, 2, 4, 3))  # drawn as (B, 2, N, D)
        s.step(w, c1, c2, chi, previous=prev)
        ww = w[:, :, None] if w.ndim == 2 else w[:, None, None]
        dp = p + (prev - 2 * x) if second else p - x
        dg = g[:, None] + (prev - 2 * x) if second else g[:, None] - x
        cc1 = c1[:, :, None] if c1.ndim == 2 else c1[:, None, None]
        cc2 = c2[:, :, None] if np.ndim(c2) == 2 else c2
        vn = chi * (ww * v + (cc1 * r[:, 0]) * dp + (cc2 * r[:, 1]) * dg)
        vmax = s.vmax[:, None]
        vn = np.clip(vn, -vmax, vmax)
        xn = x + vn
        lo, hi = s.lower[:, None], s.upper[:, None]
        if bounds == "reflect":
            out = (xn < lo) | (xn > hi)
            xn = np.where(xn < lo, 2 * lo - xn, np.where(xn > hi, 2 * hi - xn, xn))
            vn = np.where(out, -vn, vn)
        if bounds == "clip-back":
            vn = np.where((xn < lo) | (xn > hi), -0.5 * vn, vn)
        if bounds != "none":
            xn = np.clip(xn, lo, hi)
        np.testing.assert_allclose(s.velocities, vn, rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(s.positions, xn, rtol=1e-12, atol=1e-9)
        f = np.stack([fn.evaluate(s.positions[0]), get_function("schwefel", 3).evaluate(s.positions[1])])
        np.testing.assert_array_equal(s.fitness, f)
        better = f < pf
        np.testing.assert_array_equal(s.pbest_fitness, np.where(better, f, pf))
        np.testing.assert_array_equal(s.pbest_positions, np.where(better[..., None], s.positions, p))
        np.testing.assert_array_equal(s.gbest_fitness, np.minimum(gf, s.pbest_fitness.min(axis=1)))
        rows = np.arange(2)
        np.testing.assert_array_equal(s.gbest_fitness, s.pbest_fitness[rows, s.pbest_fitness.argmin(axis=1)])
        np.testing.assert_array_equal(s.gbest_position, s.pbest_positions[rows, s.pbest_fitness.argmin(axis=1)])


@pytest.mark.parametrize("seeds", [None, [4, 9]])
def test_particle_random_factors_draw_one_r1_r2_per_particle(seeds):
    """random_factors="particle": r1, r2 of shape (B, 2, N, 1) from the swarm's generator(s), shared by the D
    dimensions of each particle, in the update computed by hand; the classic draw stays the default."""
    fns = [get_function("rastrigin", 4, shift=True, rotate=True, seed=2), get_function("sphere", 4)]
    s = Swarm(fns, 5, np.random.default_rng(7), seeds=seeds, random_factors="particle", velocity_clamp=None,
              bounds="none")
    for _ in range(6):
        x, v, p, g = s.positions.copy(), s.velocities.copy(), s.pbest_positions.copy(), s.gbest_position.copy()
        gens = [s.rng] if seeds is None else [s.generator(q) for q in range(2)]
        draws = [copy.deepcopy(gen).random((2, 5, 1) if seeds else (2, 2, 5, 1)) for gen in gens]
        r = draws[0] if seeds is None else np.stack(draws)
        s.step(0.6, np.array([1.5, 2.5]), 1.2)
        c1 = np.array([1.5, 2.5])[:, None, None]
        vn = 0.6 * v + (c1 * r[:, 0]) * (p - x) + (1.2 * r[:, 1]) * (g[:, None] - x)
        np.testing.assert_allclose(s.velocities, vn, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(s.positions, x + vn, rtol=1e-12, atol=1e-12)
    assert make_swarm().random_factors == "dimension"
    with pytest.raises(ValueError, match=r"random_factors must be one of \('dimension', 'particle'\), got 'axis'"):
        make_swarm(random_factors="axis")


@pytest.mark.parametrize("seeds", [None, [4, 9]])
def test_shared_gives_the_chosen_particles_their_first_dimensions_r1_r2(seeds):
    """step(shared=mask): the masked particles move with the r1, r2 drawn for their first dimension in all their
    dimensions, the others with their per-dimension draw, in the update computed by hand; the draw itself is the
    classic one, so a mask of False is the classic run bit for bit."""
    fns = [get_function("rastrigin", 4, shift=True, rotate=True, seed=2), get_function("sphere", 4)]
    s = Swarm(fns, 5, np.random.default_rng(7), seeds=seeds, velocity_clamp=None, bounds="none")
    plain = Swarm(fns, 5, np.random.default_rng(7), seeds=seeds, velocity_clamp=None, bounds="none")
    masks = np.random.default_rng(1).random((6, 2, 5)) < 0.5
    for mask in masks:
        x, v, p, g = s.positions.copy(), s.velocities.copy(), s.pbest_positions.copy(), s.gbest_position.copy()
        gens = [s.rng] if seeds is None else [s.generator(q) for q in range(2)]
        draws = [copy.deepcopy(gen).random((2, 5, 4) if seeds else (2, 2, 5, 4)) for gen in gens]
        r = draws[0] if seeds is None else np.stack(draws)
        r = np.where(mask[:, None, :, None], r[..., :1], r)
        s.step(0.6, np.array([1.5, 2.5]), 1.2, shared=mask)
        plain.step(0.6, np.array([1.5, 2.5]), 1.2, shared=np.zeros((2, 5), bool))
        c1 = np.array([1.5, 2.5])[:, None, None]
        vn = 0.6 * v + (c1 * r[:, 0]) * (p - x) + (1.2 * r[:, 1]) * (g[:, None] - x)
        np.testing.assert_allclose(s.velocities, vn, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(s.positions, x + vn, rtol=1e-12, atol=1e-12)
    classic = Swarm(fns, 5, np.random.default_rng(7), seeds=seeds, velocity_clamp=None, bounds="none")
    for _ in range(6):
        classic.step(0.6, np.array([1.5, 2.5]), 1.2)
    np.testing.assert_array_equal(plain.positions, classic.positions)
    with pytest.raises(ValueError, match=r"shared must be a bool array of shape \(2, 5\), got float64 of shape"):
        s.step(0.6, 1.5, 1.5, shared=np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"shared must be a bool array of shape \(2, 5\), got bool of shape \(5,\)"):
        s.step(0.6, 1.5, 1.5, shared=np.zeros(5, bool))
    with pytest.raises(ValueError, match=r"shared needs random_factors='dimension'"):
        Swarm(fns, 5, 0, random_factors="particle").step(0.6, 1.5, 1.5, shared=np.ones((2, 5), bool))


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_particle_random_factors_make_the_update_commute_with_rotations(backend):
    """With one r1, r2 per particle (no clamp, no bounds), a swarm on f(M x) started at the rotated points moves as
    the swarm on f, rotated (Wilke, Kok & Groenwold 2007), to rounding; with the classic per-dimension draw it
    does not."""
    base = get_function("elliptic", 8)
    rotated = get_function("elliptic", 8, rotate=True, seed=5)  # g(x) = f(M x)
    m = np.asarray(rotated.M)

    def host(a):
        return a if isinstance(a, np.ndarray) else a.cpu().numpy()

    gaps = {}
    for factors in ("particle", "shared", "dimension"):  # "shared": every particle chooses one r1, r2 (step's shared)
        plain, turned = (Swarm(fn, 12, 3, velocity_clamp=None, bounds="none", backend=backend,
                               random_factors=factors.replace("shared", "dimension")) for fn in (base, rotated))
        shared = np.ones((1, 12), bool) if factors == "shared" else None
        x0, v0 = host(plain.positions)[0], host(plain.velocities)[0]
        turned.gbest_fitness[:] = float("inf")
        turned.set_particles(0, np.arange(12), x0 @ m, mode="replace")  # x_B = M^T x_A
        turned.velocities[:] = turned._asarray((v0 @ m)[None])
        for _ in range(40):
            plain.step(0.7, 1.6, 1.6, shared=shared)
            turned.step(0.7, 1.6, 1.6, shared=shared)
        scale = np.abs(host(plain.positions)).max()
        gaps[factors] = np.abs(host(turned.positions) - host(plain.positions) @ m).max() / scale
        if factors != "dimension":
            np.testing.assert_allclose(host(turned.gbest_fitness), host(plain.gbest_fitness), rtol=1e-8)
    assert gaps["particle"] < 1e-10 and gaps["shared"] < 1e-10 and gaps["dimension"] > 1e-2, gaps


def test_one_run_matches_pyswarms_in_distribution():
    ps = pytest.importorskip("pyswarms")
    import logging

    logging.getLogger("pyswarms").setLevel(logging.ERROR)
    fn = get_function("sphere", 5)
    ours = []
    for seed in range(20):
        s = Swarm(fn, 10, seed, batch_size=1, velocity_clamp=None)
        for _ in range(40):
            s.step(0.7, 1.5, 1.5)
        ours.append(s.gbest_fitness[0])
    np.random.seed(0)
    theirs = [ps.single.GlobalBestPSO(10, 5, {"c1": 1.5, "c2": 1.5, "w": 0.7}, bounds=(fn.lower, fn.upper),
                                      bh_strategy="nearest").optimize(fn.evaluate, 40, verbose=False)[0]
              for _ in range(20)]
    assert mannwhitneyu(ours, theirs).pvalue > 0.01


@pytest.mark.parametrize("factors", ["dimension", "particle"])
def test_seeded_swarms_run_as_their_single_runs(factors):
    fns = [get_function("sphere", 4), get_function("ackley", 4), get_function("sphere", 4, shift=True, seed=2)]
    seeds = [11, 12, 13]
    batch = Swarm(fns, 6, 0, seeds=seeds, history=True, random_factors=factors)
    singles = [Swarm(fn, 6, 99, batch_size=1, seeds=[sd], history=True, random_factors=factors)
               for fn, sd in zip(fns, seeds)]
    for t in range(30):
        w = np.linspace(0.4, 0.9, 3)
        batch.step(w, 1.8, np.array([2.0, 1.5, 1.9]))
        for b, s in enumerate(singles):
            s.step(w[b], 1.8, [2.0, 1.5, 1.9][b])
    batch.reset([1])
    singles[1].reset()
    drawn = batch.draw("normal", size=(2,))
    for b, s in enumerate(singles):
        for attr in ("positions", "velocities", "pbest_positions", "fitness", "gbest_fitness", "iteration"):
            np.testing.assert_array_equal(getattr(batch, attr)[b], getattr(s, attr)[0])
        np.testing.assert_array_equal(drawn[b], s.draw("normal", size=(2,))[0])
    np.testing.assert_array_equal(batch.best_history[[0, 2]], np.concatenate([s.best_history for s in
                                                                                (singles[0], singles[2])]))


def _run_batch(seed, steps=20, **kwargs):
    s = Swarm(get_function("rastrigin", 5), 8, np.random.default_rng(seed), batch_size=6, **kwargs)
    w = np.linspace(0.4, 0.9, 6)
    for _ in range(steps):
        s.step(w, 2.0, 1.8)
    return s


def test_batch_same_seed_identical_other_seed_differs():
    a, b, c = _run_batch(1), _run_batch(1), _run_batch(2)
    np.testing.assert_array_equal(a.positions, b.positions)
    np.testing.assert_array_equal(a.gbest_fitness, b.gbest_fitness)
    assert not np.array_equal(a.positions, c.positions)


@pytest.mark.parametrize("bounds", ["clip", "reflect"])
def test_batch_invariants_box_clamp_and_monotone_bests(bounds):
    fns = [get_function(n, 6) for n in ("rastrigin", "sphere", "ackley", "schwefel")]
    s = Swarm(fns, 12, np.random.default_rng(3), bounds=bounds)
    rng = np.random.default_rng(4)
    prev_g, prev_p = s.gbest_fitness.copy(), s.pbest_fitness.copy()
    for _ in range(40):
        s.step(rng.uniform(0.4, 1.2, 4), rng.uniform(1.5, 2.5, 4), rng.uniform(1.5, 2.5, 4))
        assert np.all(s.positions >= s.lower[:, None, :]) and np.all(s.positions <= s.upper[:, None, :])
        assert np.all(np.abs(s.velocities) <= s.vmax[:, None, :] + 1e-12)
        assert np.all(s.gbest_fitness <= prev_g) and np.all(s.pbest_fitness <= prev_p)
        np.testing.assert_array_equal(s.gbest_fitness, s.pbest_fitness.min(axis=1))
        np.testing.assert_array_equal(s.fitness, s.evaluate(s.positions))
        prev_g, prev_p = s.gbest_fitness.copy(), s.pbest_fitness.copy()
    assert s.iteration.tolist() == [40] * 4 and s.evaluations.tolist() == [12 * 41] * 4


def test_mixed_functions_are_grouped_and_evaluated_as_their_objects():
    custom = from_callable(lambda x: float(np.sum(np.abs(x))), 5, -1.0, 1.0)
    fns = [
        get_function("rastrigin", 5), get_function("rastrigin", 5),  # two objects, one group
        get_function("sphere", 5, shift=True, rotate=True, seed=1, bias=2.0),
        get_function("sphere", 5, shift=True, rotate=True, seed=2),
        get_function("schwefel", 5, shift=True, seed=3), custom, get_function("bbob:f3", 5),
    ]
    assert sorted(len(g.indices) for g in group_functions(fns)) == [1, 1, 1, 2, 2]
    s = Swarm(fns, 9, np.random.default_rng(0))
    x = np.random.default_rng(1).uniform(-1, 1, (len(fns), 9, 5))
    got = s.evaluate(x)
    for b, fn in enumerate(fns):
        np.testing.assert_allclose(got[b], fn.evaluate(x[b]), rtol=1e-13, atol=1e-12)
    rows = np.array([3, 5, 3, 0])  # rows of chosen swarms, repeats allowed
    before = s.evaluations.copy()
    got = s.evaluate(x[:4], swarms=rows, count=True)
    for k, b in enumerate(rows):
        np.testing.assert_allclose(got[k], fns[b].evaluate(x[k]), rtol=1e-13, atol=1e-12)
    assert (s.evaluations - before).tolist() == [9, 0, 0, 18, 0, 9, 0]


def test_reset_subset_restarts_only_those_swarms():
    s = _run_batch(0, steps=5, history=True)
    before = s.positions.copy()
    new = get_function("sphere", 5)
    s.reset([1, 4], functions=new)
    assert s.iteration.tolist() == [5, 0, 5, 5, 0, 5]
    assert s.functions[1] is new and s.functions[4] is new and s.functions[0] is not new
    np.testing.assert_array_equal(s.positions[[0, 2, 3, 5]], before[[0, 2, 3, 5]])
    np.testing.assert_array_equal(s.gbest_fitness[[1, 4]], new.evaluate(s.positions[[1, 4]].reshape(-1, 5))
                                  .reshape(2, 8).min(axis=1))
    assert s.best_history[1, -1] == s.gbest_fitness[1]
    s.reset(np.array([True, False, False, False, False, False]))
    assert s.iteration.tolist() == [0, 0, 5, 5, 0, 5]
    s.reset()
    assert s.best_history.shape == (6, 1)


def test_set_particles_batched_pairs():
    s = Swarm(get_function("sphere", 2), 3, 0, batch_size=2, history=True)
    s.pbest_fitness[:] = s.fitness[:] = 1e9
    s.gbest_fitness[:] = 1e9
    pts = np.array([[1.0, 0.0], [0.5, 0.0], [3.0, 0.0]])
    vals = s.set_particles([0, 0, 1], [0, 2, 1], pts, mode="move")
    assert vals.tolist() == [1.0, 0.25, 9.0] and s.evaluations.tolist() == [5, 4]
    assert s.gbest_fitness.tolist() == [0.25, 9.0] == s.best_history[:, -1].tolist()
    np.testing.assert_array_equal(s.gbest_position, [[0.5, 0.0], [3.0, 0.0]])
    np.testing.assert_array_equal(s.positions[1, 1], [3.0, 0.0])


def test_set_particles_and_evaluate_shortcuts_equal_their_general_paths():
    """Pairs of distinct swarms in order skip set_particles' sort, and swarms equal to all of them take evaluate's
    one-call path: both give what the general paths give (the same pairs out of order; no swarms argument)."""
    fns = [get_function("sphere", 3), get_function("rastrigin", 3), get_function("sphere", 3)]
    states = []
    for swarms, particles, order in (([0, 2], [1, 0], [0, 1]), ([2, 0], [0, 1], [1, 0])):
        s = Swarm(fns, 4, 0, seeds=[1, 2, 3], history=True)
        pts = s.gbest_position[[0, 2]] * 0.5
        s.set_particles(swarms, particles, pts[order], mode="replace")
        states.append((s.gbest_fitness.copy(), s.gbest_position.copy(), s.pbest_fitness.copy(), s.best_history))
    for a, b in zip(*states):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(states[0][0][[0, 2]], (pts ** 2).sum(axis=1))  # the halved bests took over
    s = Swarm(fns, 4, 0, seeds=[1, 2, 3])
    x = np.random.default_rng(0).uniform(-2, 2, (3, 5, 3))
    before = s.evaluations.copy()
    np.testing.assert_array_equal(s.evaluate(x, count=True, swarms=[0, 1, 2]), s.evaluate(x, count=True))
    assert (s.evaluations - before).tolist() == [10, 10, 10]
    np.testing.assert_array_equal(s.evaluate(x[[2, 0]], swarms=[2, 0]), s.evaluate(x)[[2, 0]])


# ------------------------------------------------------------------------------- evolutionary factor
def test_batched_factor_equals_single_swarm_factor():
    rng = np.random.default_rng(7)
    cases = [rng.uniform(-5, 5, (20, 30, 30)),
             400.0 + 1e-6 * rng.random((20, 30, 30)),  # collapsed far from the origin
             rng.uniform(-1, 1, (20, 12, 3))]
    dup = rng.uniform(-1, 1, (20, 12, 4))
    dup[:, 3] = dup[:, 4]  # coinciding particles
    dup[:, 5] = dup[:, 6] + 1e-13
    dup[0] = 1.5  # a fully collapsed swarm: f = 0
    cases.append(dup)
    for s in (_run_batch(0, steps=200), Swarm(get_function("sphere", 10), 30, 1, batch_size=8)):
        for _ in range(300):
            s.step(0.5, 1.5, 1.5)
        cases.append(s.positions.copy())
        assert s.evolutionary_factor().tolist() == batch_evolutionary_factor(s.positions, s.fitness).tolist()
    for pos in cases:
        fit = rng.random(pos.shape[:2])
        d = batch_mean_distances(pos)
        f = batch_evolutionary_factor(pos, fit)
        for b in range(pos.shape[0]):
            np.testing.assert_array_equal(d[b], mean_distances(pos[b]))  # the same kernel: bit for bit
            assert f[b] == evolutionary_factor(pos[b], fit[b])
        got = torch_evolutionary_factor(torch.as_tensor(pos), torch.as_tensor(fit)).numpy()
        np.testing.assert_allclose(got, f, rtol=0, atol=1e-9)
    assert batch_evolutionary_factor(cases[3], np.zeros((20, 12)))[0] == 0.0


# --------------------------------------------------------------------------------------------- torch
@pytest.mark.parametrize("name", list(PAPER_FUNCTIONS))
def test_torch_backend_function_values_equal_numpy(name):
    dim = 2 if name == "dropwave" else 6
    rng = np.random.default_rng(0)
    for kw in ({}, {"shift": True}, {"shift": True, "rotate": True, "bias": 3.0}, {"rotate": True}):
        fns = [get_function(name, dim, **({**kw, "seed": s} if kw else {})) for s in (1, 2, 3)]
        t, n = Swarm(fns, 7, 0, backend="torch"), Swarm(fns, 7, 0)
        span = fns[0].upper - fns[0].lower  # points up to one box width outside the box as well
        x = rng.uniform(fns[0].lower - span, fns[0].upper + span, (3, 7, dim))
        got = t.evaluate(x)
        assert isinstance(got, torch.Tensor)
        np.testing.assert_allclose(got.numpy(), n.evaluate(x), rtol=1e-12, atol=1e-9)
        for b, fn in enumerate(fns):
            np.testing.assert_allclose(fn.evaluate(torch.as_tensor(x[b])).numpy(), fn.evaluate(x[b]), rtol=1e-12,
                                       atol=1e-9)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("bounds", ["clip-back", "clip", "reflect"])
def test_torch_swarm_shapes_and_invariants(dtype, bounds):
    fns = [get_function(n, 6) for n in ("rastrigin", "sphere", "ackley")]
    s = Swarm(fns, 9, 3, dtype=dtype, backend="torch", bounds=bounds, history=True)
    assert s.positions.shape == (3, 9, 6) and s.gbest_fitness.shape == (3,)
    assert s.positions.dtype == (torch.float64 if dtype == "float64" else torch.float32)
    prev, prev_p = s.gbest_fitness.clone(), s.pbest_fitness.clone()
    for t in range(30):
        s.step(np.array([0.5, 0.7, 0.9]), 2.0, np.array([1.5, 2.0, 2.5]), previous=s.positions if t % 2 else None)
        assert torch.all(s.positions >= s.lower[:, None, :]) and torch.all(s.positions <= s.upper[:, None, :])
        assert torch.all(s.velocities.abs() <= s.vmax[:, None, :] * (1 + 1e-6))
        assert torch.all(s.gbest_fitness <= prev) and torch.all(s.pbest_fitness <= prev_p)
        assert torch.equal(s.gbest_fitness, s.pbest_fitness.min(dim=1).values)
        prev, prev_p = s.gbest_fitness.clone(), s.pbest_fitness.clone()
    assert s.iteration.tolist() == [30] * 3 and s.best_history.shape == (3, 31)
    f = s.evolutionary_factor()
    assert f.shape == (3,) and torch.all((f >= 0) & (f <= 1))
    np.testing.assert_allclose(f.double().numpy(), batch_evolutionary_factor(s.positions.double().numpy(),
                                                                              s.fitness.double().numpy()),
                               atol=1e-5 if dtype == "float32" else 1e-9)
    vals = s.set_particles([0, 2], [1, 1], s.gbest_position[[0, 2]] * 0.0, mode="best")
    assert torch.all(s.gbest_fitness[[0, 2]] == vals) and s.evaluations.tolist() == [9 * 31 + 1, 9 * 31, 9 * 31 + 1]
    s.reset([1])
    assert s.iteration.tolist() == [30, 0, 30]
    with pytest.raises(ValueError, match="functions"):
        s.reset([0], functions=get_function("bbob:f1", 6))


def test_torch_per_particle_coefficients_equal_the_formula():
    """Torch's tensor step with w, c1, c2 per particle (B, N) and given r1, r2: v <- w v + c1 r1 (p - x) + c2 r2 (g - x)."""
    s = Swarm(get_function("sphere", 3), 4, 2, batch_size=2, backend="torch", velocity_clamp=None, bounds="none")
    rng = np.random.default_rng(0)
    w, c1, c2 = rng.uniform(0, 1, (2, 4)), rng.uniform(0, 3, (2, 4)), rng.uniform(0, 3, (2, 4))
    x, v, p, g = (t.numpy().copy() for t in (s.positions, s.velocities, s.pbest_positions, s.gbest_position))
    r = rng.random((2, 2, 4, 3))
    s._advance(torch.from_numpy(r), *(torch.from_numpy(c)[:, :, None] for c in (w, c1, c2)), 1.0, None)
    vn = w[:, :, None] * v + c1[:, :, None] * r[:, 0] * (p - x) + c2[:, :, None] * r[:, 1] * (g[:, None] - x)
    np.testing.assert_allclose(s.velocities.numpy(), vn, rtol=1e-12)
    np.testing.assert_allclose(s.positions.numpy(), x + vn, rtol=1e-12)
    s.step(w, c1, c2)  # and step() takes (B, N) coefficients
    with pytest.raises(ValueError, match="c2"):
        s.step(w, c1, np.ones((2, 3)))


@pytest.mark.parametrize("factors", ["dimension", "particle"])
def test_torch_seeded_and_same_seed_runs_are_reproducible(factors):
    fn = get_function("rastrigin", 4)
    runs = []
    for _ in range(2):
        s = Swarm(fn, 6, 5, batch_size=3, backend="torch", random_factors=factors)
        one = Swarm(fn, 6, 0, batch_size=1, backend="torch", seeds=[8], random_factors=factors)
        both = Swarm(fn, 6, 1, batch_size=2, backend="torch", seeds=[7, 8], random_factors=factors)
        for _ in range(10):
            for x in (s, one, both):
                x.step(0.7, 1.5, 1.5)
        runs.append(s.positions.clone())
        assert torch.equal(both.positions[1], one.positions[0])
    assert torch.equal(runs[0], runs[1])


class _NoR1(Swarm):  # deliberately broken: r1 is never drawn (always 1)
    def _draw_r(self):
        r = super()._draw_r()
        r[:, 0] = 1.0
        return r


class _SocialSignFlipped(Swarm):  # deliberately broken: pushed away from the global best
    def _draw_r(self):
        r = super()._draw_r()
        r[:, 1] = -r[:, 1]
        return r


def _final_best(cls, fn, seed, backend, n=20, steps=50):
    s = cls(fn, 10, seed, batch_size=n, backend=backend)
    for _ in range(steps):
        s.step(0.6, 1.7, 1.7)
    return np.asarray(s.gbest_fitness)


@pytest.mark.parametrize("name", ["sphere", "rastrigin"])
def test_torch_backend_matches_numpy_statistically_and_detects_broken_updates(name):
    fn = get_function(name, 5)
    reference = _final_best(Swarm, fn, 0, "numpy")
    assert mannwhitneyu(reference, _final_best(Swarm, fn, 1, "torch")).pvalue > 0.01
    if name == "sphere":  # the sharper function: both broken variants fall far outside the range
        assert mannwhitneyu(reference, _final_best(_NoR1, fn, 1, "torch")).pvalue < 0.01
        assert mannwhitneyu(reference, _final_best(_SocialSignFlipped, fn, 1, "torch")).pvalue < 0.01


@pytest.mark.slow  # inductor compiles two variants: ~7 s, ~14 s with a cold cache
@pytest.mark.filterwarnings("ignore:Dynamo detected a call to a `functools.lru_cache`")
def test_torch_compiled_step_matches_eager_without_graph_breaks_or_recompiles():
    """``torch.compile(fullgraph=True)`` of the step's tensor work: a graph break is an error, and after one
    warm-up step per coefficient form (Python floats; (B,) arrays) new values do not recompile."""
    fn = get_function("rastrigin", 3)
    eager, compiled = (Swarm(fn, 4, 0, batch_size=2, backend="torch") for _ in range(2))
    compiled._advance = torch.compile(compiled._advance, fullgraph=True)

    def step(t):
        floats = (0.7 - t / 100, 1.5, 1.5 + t / 100, 1.0 - t / 100)
        arrays = (np.full(2, 0.6 + t / 100), torch.full((2,), 1.4, dtype=torch.float64), 1.6, np.full(2, 0.9))
        for s in (eager, compiled):
            s.step(*(floats if t % 2 else arrays))

    try:
        step(0)
    except torch._dynamo.exc.BackendCompilerFailed as exc:  # no C++ toolchain for inductor on this machine
        pytest.skip(f"torch.compile unavailable: {exc}")
    step(1)
    with torch._dynamo.config.patch(error_on_recompile=True):
        for t in range(2, 8):
            step(t)
    for attr in ("positions", "velocities", "pbest_positions", "pbest_fitness", "gbest_position", "gbest_fitness"):
        torch.testing.assert_close(getattr(compiled, attr), getattr(eager, attr), rtol=1e-12, atol=1e-12)
    assert compiled.iteration.tolist() == [8, 8]
