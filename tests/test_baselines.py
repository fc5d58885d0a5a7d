"""The hand-designed PSO variants, APSO's rules, CMA-ES, random search and the run record."""

import copy
import csv
import math
from pathlib import Path

import numpy as np
import pytest

from agents.apso import (
    CONVERGENCE,
    EXPLOITATION,
    EXPLORATION,
    JUMPING_OUT,
    adapt_coefficients,
    classify_state,
    elitist_learning,
    memberships,
)
from agents.baselines import (
    VARIANTS,
    list_variants,
    make_rule,
    run_cmaes,
    run_random_search,
    run_variant,
)
from agents.controller import RuleController
from agents.variants import SAPSO, YSPSO, RandWPSO, SelPSO, constriction_factor
from benchmarks_fn import get_function
from evaluation.records import RunRecord, checkpoint_curve
from evaluation.runner import run as run_controller
from pso_env.actions import ActionConfig, adaptive_inertia, clamp_coefficients
from pso_env.operators import vote_width
from pso_env.swarm import Swarm, finite_or_inf


class LocalSphere:
    """Sphere on [-100, 100]^D with no more than the attributes a run needs (and settable ``optimum_value``)."""

    name = "sphere"
    optimum_value = 0.0

    def __init__(self, dim):
        self.dim = dim
        self.lower = np.full(dim, -100.0)
        self.upper = np.full(dim, 100.0)

    def evaluate(self, x):
        return np.sum(np.asarray(x) ** 2, axis=-1)

    __call__ = evaluate


def sphere(dim=10):
    return get_function("sphere", dim)


OPTIMISERS = list_variants() + ["CMA-ES", "RandomSearch"]
SMALL = {"swarm_size": 20, "iterations": 100}


def run(name, seed, function=None, **kwargs):
    function = function or sphere(10)
    options = {**SMALL, **kwargs}
    if name == "CMA-ES":
        return run_cmaes(function, seed=seed, **options)
    if name == "RandomSearch":
        return run_random_search(function, seed=seed, **options)
    return run_variant(name, function, seed=seed, **options)


# ---------------------------------------------------------------------------- every optimiser
@pytest.mark.parametrize("name", OPTIMISERS)
def test_improves_on_sphere_and_is_reproducible(name):
    a, b, c = run(name, 3), run(name, 3), run(name, 4)
    assert a.best_value < a.curve[0]
    assert a.curve[-1] == a.best_value
    assert np.all(np.diff(a.curve) <= 0.0)  # best-so-far never rises
    assert a.curve == b.curve and a.best_value == b.best_value and a.evaluations == b.evaluations
    assert a.curve != c.curve


# Final best values on sphere(5), 10 particles, 20 iterations, seed 1: a refactoring must give every
# variant the same run bit for bit. (Pinned at main@2a53454; five moved in the last bit when the functions'
# row sums became a numba kernel with its own fixed summation order.) (Sphere: no transcendental functions, so
# the values do not depend on the CPU's vector maths; CMA-ES is left out, its eigensolver depends on BLAS.)
PINNED = {
    "PSO": 23.988243133477837, "LinWPSO": 44.42173460825038, "RandWPSO": 14.525286089941252,
    "SAPSO": 45.50879208277594, "LnCPSO": 189.2119605334215, "AsyLnCPSO": 212.36222646737673,
    "YSPSO": 26.11095506574832, "CLSPSO": 1.564167211615756, "SelPSO": 85.25558163583774,
    "SecPSO": 33.747697673104305, "APSO": 11.15400836507984, "HMM-APSO": 2.99372481448012,
    "EMPSO": 158.35740188194924, "MPSO": 175.0613469081549, "RandomSearch": 2241.0383066537256,
    "HGPSO": 40.37029924944784, "HGPSO-success": 7.3377604276093145, "HGPSO-state": 8.310338061226824,
}


def test_runs_are_pinned_bit_for_bit():
    assert set(PINNED) == {*VARIANTS, "RandomSearch"}
    for name, value in PINNED.items():
        assert run(name, 1, function=sphere(5), swarm_size=10, iterations=20).best_value == value, name


def test_variant_list_and_names():
    assert list_variants() == list(VARIANTS)
    assert {"PSO", "LinWPSO", "RandWPSO", "SAPSO", "LnCPSO", "AsyLnCPSO", "YSPSO", "CLSPSO", "SelPSO", "SecPSO", "APSO",
            "HMM-APSO"} <= set(VARIANTS)
    assert type(make_rule("apso")) is VARIANTS["APSO"]
    assert type(make_rule("hmm_apso")) is VARIANTS["HMM-APSO"]
    assert type(make_rule("LINWPSO")) is VARIANTS["LinWPSO"]
    with pytest.raises(ValueError, match="known: .*LinWPSO"):
        run_variant("nonsense", sphere(2), iterations=1)


def test_variant_options_reach_the_rule():
    record = run_variant("PSO", sphere(5), swarm_size=10, iterations=5, w=0.5, c1=1.0, c2=1.5)
    assert (
        record.extra["w"] == [0.5] * 5 and record.extra["c1"] == [1.0] * 5 and record.extra["c2"] == [1.5] * 5
    )


def test_function_by_name_needs_and_checks_dim():
    record = run_variant("PSO", "sphere", dim=4, swarm_size=10, iterations=10)
    assert record.dim == 4 and record.function == "sphere"
    with pytest.raises(ValueError, match="dim"):
        run_variant("PSO", "sphere", swarm_size=10, iterations=10)
    with pytest.raises(ValueError, match="dim"):
        run_variant("PSO", get_function("sphere", 3), dim=4, swarm_size=10, iterations=10)


# ---------------------------------------------------------------------------- records
def test_record_fields_curve_and_costs():
    record = run("PSO", 0, iterations=100, checkpoint_every=10)
    assert isinstance(record, RunRecord)
    assert (record.algorithm, record.function, record.dim, record.seed) == ("PSO", "sphere", 10, 0)
    assert len(record.curve) == 100 // 10 + 1
    assert record.evaluations == 20 * (100 + 1)
    assert record.error == pytest.approx(record.best_value - 0.0)
    assert record.cpu_seconds > 0.0 and record.wall_seconds > 0.0
    row = record.to_row()
    assert "curve" not in row and "extra" not in row and "extra_w" not in row  # lists stay out
    assert row["best_value"] == record.best_value and row["evaluations"] == record.evaluations
    assert len(record.extra["w"]) == 100


def test_record_scalar_extra_in_row_and_unknown_optimum():
    class NoOptimum(LocalSphere):
        optimum_value = None

    record = run("APSO", 0, function=NoOptimum(3), iterations=20)
    assert record.error is None
    row = record.to_row()
    assert row["extra_elitist_successes"] == record.extra["elitist_successes"]
    assert "extra_state" not in row


def test_curve_includes_last_iteration_when_not_a_multiple():
    assert checkpoint_curve(np.arange(26.0)[::-1], 10) == [25.0, 15.0, 5.0, 0.0]
    assert checkpoint_curve(np.arange(21.0)[::-1], 10) == [20.0, 10.0, 0.0]
    record = run("LinWPSO", 0, iterations=25, checkpoint_every=10)
    assert len(record.curve) == 4 and record.curve[-1] == record.best_value
    with pytest.raises(ValueError):
        checkpoint_curve(np.zeros(3), 0)


@pytest.mark.parametrize("name", ["CMA-ES", "RandomSearch"])
def test_references_spend_the_pso_budget(name):
    record = run(name, 0, iterations=50, checkpoint_every=10)
    assert record.evaluations == 20 * 51
    assert len(record.curve) == 6
    assert record.cpu_seconds > 0.0 and record.wall_seconds > 0.0


def test_cmaes_draws_only_from_its_own_generator():
    state = np.random.get_state()
    np.random.seed(123)
    a = run_cmaes(sphere(5), swarm_size=10, iterations=40, seed=2)
    after = np.random.get_state()
    assert after[0] == "MT19937" and np.array_equal(after[1], np.random.RandomState(123).get_state()[1])
    np.random.seed(456)  # another global state: same record
    b = run_cmaes(sphere(5), swarm_size=10, iterations=40, seed=2)
    np.random.set_state(state)
    assert a.curve == b.curve and a.best_value == b.best_value and a.extra == b.extra
    assert a.curve != run_cmaes(sphere(5), swarm_size=10, iterations=40, seed=3).curve
    # restarts (small budget-free instances stop early on a flat function) and tiny populations too
    flat = LocalSphere(2)
    flat.evaluate = lambda x: np.zeros(len(x))
    before = np.random.get_state()
    c = run_cmaes(flat, swarm_size=4, iterations=60, popsize=3, seed=0)
    assert c.extra["restarts"] >= 1
    after = np.random.get_state()
    assert all(np.array_equal(u, v) for u, v in zip(before, after))


def test_cmaes_budget_is_exact():
    record = run_cmaes(sphere(5), budget=333, swarm_size=10, iterations=40, seed=1)
    assert record.evaluations == 333
    assert len(record.curve) == 5


class CountingSphere(LocalSphere):
    calls = 0

    def evaluate(self, x):
        CountingSphere.calls += 1
        return super().evaluate(x)


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"swarm_size": 1}, "swarm_size must be an integer >= 2, got 1"),
        ({"swarm_size": 10.0}, "swarm_size must be an integer"),
        ({"swarm_size": True}, "swarm_size must be an integer"),
        ({"iterations": -1}, "iterations must be an integer >= 0, got -1"),
        ({"iterations": 2.5}, "iterations must be an integer"),
        ({"checkpoint_every": 0}, "checkpoint_every must be an integer >= 1, got 0"),
        ({"checkpoint_every": 1.5}, "checkpoint_every must be an integer"),
    ],
)
def test_run_settings_are_checked_before_the_run(settings, message):
    CountingSphere.calls = 0
    options = {"swarm_size": 10, "iterations": 50, **settings}
    with pytest.raises(ValueError, match=message):
        run_variant("PSO", CountingSphere(3), **options)
    with pytest.raises(ValueError, match=message):
        run_controller(RuleController(make_rule("APSO")), CountingSphere(3), **options)
    assert CountingSphere.calls == 0
    if "swarm_size" not in settings:  # the references take one point per iteration too
        for reference in (run_cmaes, run_random_search):
            with pytest.raises(ValueError, match=message):
                reference(CountingSphere(3), **options)
        assert CountingSphere.calls == 0
    run_variant(
        "PSO", sphere(3), swarm_size=np.int64(2), iterations=np.int64(3), checkpoint_every=np.int64(2)
    )


def test_references_accept_one_point_per_iteration():
    assert run_random_search(sphere(3), swarm_size=1, iterations=9).evaluations == 10
    assert run_cmaes(sphere(3), swarm_size=1, iterations=9).evaluations == 10


# ---------------------------------------------------------------------------- shared helpers
def test_finite_or_inf():
    values = np.array([1.0, np.nan, -np.inf, np.inf, -2.0])
    assert np.array_equal(finite_or_inf(values), [1.0, np.inf, np.inf, np.inf, -2.0])
    finite = np.array([3.0, -1.0])
    assert finite_or_inf(finite) is finite
    assert finite_or_inf([1, 2]).dtype == float


def test_clamp_coefficients():
    assert clamp_coefficients(2.0, 1.9, 1.5, 2.5, 4.0) == (2.0, 1.9)
    assert clamp_coefficients(3.0, 1.0, 1.5, 2.5, 5.0) == (2.5, 1.5)  # clamped
    assert clamp_coefficients(2.4, 2.2, 1.5, 2.5, 4.0) == pytest.approx((2.4 * 4 / 4.6, 2.2 * 4 / 4.6))
    assert sum(clamp_coefficients(2.5, 2.5, 1.5, 2.5, 4.0)) == pytest.approx(4.0)


def test_action_config_accepts_any_real_number_but_bool():
    config = ActionConfig(w_min=np.float32(0.4), c_max=np.int64(3), c_sum_max=np.float16(4.0))
    assert type(config.w_min) is float and config.w_min == float(np.float32(0.4)) and config.c_max == 3.0
    for bad in (True, "0.4", None, float("nan"), np.float32("inf"), -0.1, 1 + 0j):
        with pytest.raises(ValueError, match="w_min"):
            ActionConfig(w_min=bad)


def test_protocol_and_evaluate_share_the_baselines_names():
    import importlib.util
    from pathlib import Path

    import agents.baselines
    import evaluation.registry

    spec = importlib.util.spec_from_file_location(
        "evaluate", Path(__file__).resolve().parents[1] / "evaluate.py"
    )
    evaluate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(evaluate)
    assert evaluation.registry.resolve_algorithm("hmm\t_apso", check=False).name == "HMM-APSO"
    assert not hasattr(evaluation.registry, "_key")
    assert agents.baselines._key("HMM- apso") == "hmmapso"
    default = evaluate.build_parser().parse_args([]).algorithms
    assert default.split(",") == list(evaluation.registry.DEFAULT_ALGORITHMS)


def one_run(function, n, seed=0, **kwargs):
    """A swarm of one run (B = 1) with its best history."""
    return Swarm(function, n, np.random.default_rng(seed), batch_size=1, history=True, **kwargs)


def test_set_particles_modes():
    def fresh():
        swarm = one_run(LocalSphere(2), 4)
        swarm.gbest_fitness[0] = np.inf
        swarm.set_particles(0, range(4), [[10.0, 0.0], [20.0, 0.0], [30.0, 0.0], [40.0, 0.0]],
                            [100.0, 400.0, 900.0, 1600.0], mode="replace")
        assert swarm.gbest_fitness[0] == 100.0 == swarm.best_history[0, -1]
        return swarm

    points = np.array([[25.0, 0.0], [5.0, 0.0]])  # worse for particle 1, best of all for particle 2
    for mode in ("move", "improve", "best", "replace"):
        swarm = fresh()
        evaluations = swarm.evaluations[0]
        values = swarm.set_particles(0, [1, 2], points, mode=mode)
        assert np.array_equal(values, [625.0, 25.0]) and swarm.evaluations[0] == evaluations + 2
        assert swarm.gbest_fitness[0] == 25.0 == swarm.best_history[0, -1]
        assert np.array_equal(swarm.gbest_position[0], [5.0, 0.0])
        assert np.array_equal(swarm.pbest_positions[0, 2], [5.0, 0.0]) and swarm.pbest_fitness[0, 2] == 25.0
        moved1 = mode in ("move", "replace")
        assert np.array_equal(swarm.positions[0, 1], [25.0, 0.0] if moved1 else [20.0, 0.0])
        assert swarm.fitness[0, 1] == (625.0 if moved1 else 400.0)
        assert swarm.pbest_fitness[0, 1] == (625.0 if mode == "replace" else 400.0)
        assert np.array_equal(swarm.positions[0, 2], [30.0, 0.0] if mode == "best" else [5.0, 0.0])
        assert np.array_equal(swarm.positions[0, [0, 3]], [[10.0, 0.0], [40.0, 0.0]])
    swarm = fresh()
    swarm.set_particles(0, 3, [1.0, 0.0], [np.nan])  # given values: not evaluated, not counted
    assert swarm.evaluations[0] == 4 and swarm.fitness[0, 3] == np.inf and swarm.gbest_fitness[0] == 100.0
    with pytest.raises(ValueError, match="mode"):
        swarm.set_particles(0, 0, [1.0, 0.0], mode="swap")


# ---------------------------------------------------------------------------- schedules
def test_linwpso_inertia_falls_from_09_to_04():
    w = run("LinWPSO", 0).extra["w"]
    assert w[0] == pytest.approx(0.9) and w[-1] == pytest.approx(0.4)
    assert np.all(np.diff(w) < 0)


def test_lncpso_and_asylncpso_coefficient_endpoints():
    ln = run("LnCPSO", 0).extra
    assert (ln["c1"][0], ln["c1"][-1]) == pytest.approx((2.1, 0.8))
    assert ln["c1"] == ln["c2"] and set(ln["w"]) == {0.9}
    asy = run("AsyLnCPSO", 0).extra
    assert (asy["c1"][0], asy["c1"][-1]) == pytest.approx((2.5, 0.5))
    assert (asy["c2"][0], asy["c2"][-1]) == pytest.approx((0.5, 2.5))
    assert set(asy["w"]) == {0.9}


def test_randwpso_inertia_mean_is_075():
    swarm = one_run(LocalSphere(2), 3)
    rule = RandWPSO()
    w = np.array([rule.parameters(swarm, t)[0] for t in range(2000)]).ravel()
    assert len(w) == 2000
    swarms = Swarm(LocalSphere(2), 3, 0, batch_size=2000)
    assert rule.parameters(swarms, 0)[0].shape == (2000,)
    w = np.concatenate([w, rule.parameters(swarms, 0)[0]])
    assert w.mean() == pytest.approx(0.75, abs=0.02)
    assert w.std() == pytest.approx(math.sqrt(0.2**2 + 0.3**2 / 12), abs=0.02)


def test_sapso_weight_per_particle():
    class Holder:
        fitness = np.array([[1.0, 2.0, 3.0, 10.0, np.inf],  # finite mean 4
                            [5.0, 5.0, 5.0, 5.0, 5.0],  # all equal: w_min
                            [np.inf, np.nan, np.inf, np.inf, np.inf]])  # none finite: w_max

    w, *_ = SAPSO().parameters(Holder, 0)
    assert w[0] == pytest.approx([0.6, 0.7, 0.8, 0.9, 0.9])
    assert w[1] == pytest.approx([0.6] * 5) and w[2] == pytest.approx([0.9] * 5)


def test_yspso_constriction():
    assert constriction_factor(2.05, 2.05) == pytest.approx(0.7298, abs=1e-4)
    assert YSPSO().parameters(None, 0) == pytest.approx((1.0, 2.05, 2.05, 0.7298), abs=1e-4)
    with pytest.raises(ValueError):
        constriction_factor(2.0, 2.0)


# ---------------------------------------------------------------------------- update rules
def test_selpso_worse_half_copies_better_half():
    swarm = Swarm(LocalSphere(3), 7, np.random.default_rng(0), batch_size=2)
    before = swarm.positions.copy()
    orders = np.argsort(swarm.fitness, axis=1)
    SelPSO().after_step(swarm, 0)
    for b, order in enumerate(orders):
        for k in range(3):  # 7 // 2 pairs: best -> worst, second -> second worst, ...
            assert np.array_equal(swarm.positions[b, order[-1 - k]], before[b, order[k]])
        assert np.array_equal(swarm.positions[b, order[3]], before[b, order[3]])


def test_clspso_evaluation_count():
    record = run("CLSPSO", 0, iterations=30)
    assert record.evaluations == 20 * 31 + math.ceil(0.2 * 20) * 30


def test_clspso_redraws_the_rest_in_the_shrunken_region():
    swarm = Swarm(LocalSphere(3), 10, np.random.default_rng(0), batch_size=3)
    rule = make_rule("CLSPSO")
    rule.reset(swarm, 11)
    pbest = swarm.pbest_fitness.copy()
    rule.after_step(swarm, 10)  # last iteration: half-width 0.5 * 200 * 1e-3 = 0.1
    assert swarm.evaluations.tolist() == [12] * 3
    for b in range(3):
        elite = np.argsort(pbest[b], kind="stable")[:2]
        rest = np.setdiff1d(np.arange(10), elite)
        assert np.all(np.abs(swarm.positions[b, rest] - swarm.gbest_position[b]) <= 0.1 + 1e-12)
        assert np.all(swarm.velocities[b, rest] == 0.0) and np.all(np.isinf(swarm.fitness[b, rest]))
        assert np.all(np.isfinite(swarm.fitness[b, elite]))


def test_secpso_second_order_update():
    """v <- w v + c1 r1 (p - 2x + x') + c2 r2 (g - 2x + x'), x' the previous position (x itself at t = 0)."""
    swarm = Swarm(LocalSphere(2), 4, np.random.default_rng(0), batch_size=2, velocity_clamp=None, bounds="none")
    rule = make_rule("SecPSO")
    rule.reset(swarm, 3)
    previous = swarm.positions.copy()
    for _ in range(3):
        x, v = swarm.positions.copy(), swarm.velocities.copy()
        p, g = swarm.pbest_positions.copy(), swarm.gbest_position[:, None].copy()
        r = copy.deepcopy(swarm.rng).random((2, 2, 4, 2))  # (B, 2, N, D)
        rule.move(swarm, 0.7, 1.0, 1.0, 1.0)
        expected = 0.7 * v + r[:, 0] * (p - 2 * x + previous) + r[:, 1] * (g - 2 * x + previous)
        assert np.allclose(swarm.velocities, expected)
        assert np.allclose(swarm.positions, x + expected)
        previous = x


# ---------------------------------------------------------------------------- APSO
@pytest.mark.parametrize("previous", range(4))
def test_apso_state_outside_overlaps(previous):
    assert classify_state(0.05, previous) == CONVERGENCE
    assert classify_state(0.35, previous) == EXPLOITATION
    assert classify_state(0.65, previous) == EXPLORATION
    assert classify_state(0.95, previous) == JUMPING_OUT


def test_apso_memberships():
    assert memberships(0.25) == pytest.approx([0.0, 0.5, 0.25, 0.0])
    assert memberships(0.45) == pytest.approx([0.25, 0.75, 0.0, 0.0])
    assert memberships(0.75) == pytest.approx([0.5, 0.0, 0.0, 0.25])
    assert memberships(0.0) == pytest.approx([0, 0, 1, 0]) and memberships(1.0) == pytest.approx([0, 0, 0, 1])
    for f in np.linspace(0.0, 1.0, 101):
        assert 1 <= np.count_nonzero(memberships(f)) <= 2


@pytest.mark.parametrize(
    "f, previous, expected",
    [
        # S2 (0.5) and S3 (0.25) overlap
        (0.25, CONVERGENCE, CONVERGENCE),  # stay
        (0.25, EXPLOITATION, EXPLOITATION),  # stay
        (0.25, EXPLORATION, EXPLOITATION),  # S1 -> S2
        (0.25, JUMPING_OUT, EXPLOITATION),  # neither: larger membership
        # S1 (0.25) and S2 (0.75) overlap
        (0.45, EXPLORATION, EXPLORATION),
        (0.45, JUMPING_OUT, EXPLORATION),  # S4 -> S1 beats the larger S2
        (0.45, CONVERGENCE, EXPLOITATION),
        # S1 (0.5) and S4 (0.25) overlap
        (0.75, JUMPING_OUT, JUMPING_OUT),
        (0.75, CONVERGENCE, JUMPING_OUT),  # S3 -> S4 beats the larger S1
        (0.75, EXPLOITATION, EXPLORATION),
    ],
)
def test_apso_state_in_overlaps_uses_history(f, previous, expected):
    assert classify_state(f, previous) == expected


def test_apso_coefficient_rules():
    assert adapt_coefficients(2.0, 2.0, EXPLORATION, 0.1) == pytest.approx((2.1, 1.9))
    assert adapt_coefficients(2.0, 2.0, EXPLOITATION, 0.1) == pytest.approx((2.05, 1.95))
    assert adapt_coefficients(1.8, 1.8, CONVERGENCE, 0.1) == pytest.approx((1.85, 1.85))
    assert adapt_coefficients(2.0, 2.0, JUMPING_OUT, 0.1) == pytest.approx((1.9, 2.1))
    assert adapt_coefficients(2.5, 1.5, EXPLORATION, 0.1) == pytest.approx((2.5, 1.5))  # clamped
    assert adapt_coefficients(2.0, 2.0, CONVERGENCE, 0.1) == pytest.approx((2.0, 2.0))  # 4.1 rescaled to 4
    assert adaptive_inertia(0.0) == pytest.approx(0.4)
    assert adaptive_inertia(1.0) == pytest.approx(0.9, abs=1e-3)


def test_apso_rules_batched_equal_one_at_a_time_and_check_their_states():
    rng = np.random.default_rng(1)
    f = np.concatenate([rng.random(200), [0.1, 0.3, 0.4, 0.6, 0.7, 0.8, np.nan, np.inf]])
    prev = rng.integers(0, 4, f.size)
    states = classify_state(f, prev)
    assert states.dtype == np.int64 and states.tolist() == [classify_state(float(x), int(p)) for x, p in zip(f, prev)]
    assert states[-2] == states[-1] == JUMPING_OUT  # NaN and inf: S4, as Zhan's S4 membership gives 1 for both
    assert np.array_equal(memberships(f[:5]), np.array([memberships(float(x)) for x in f[:5]]))
    c1, c2, delta = rng.uniform(1.4, 2.6, 200), rng.uniform(1.4, 2.6, 200), rng.uniform(0.05, 0.1, 200)
    a, b = adapt_coefficients(c1, c2, states[:200], delta)
    one = [adapt_coefficients(float(x), float(y), int(s), float(d)) for x, y, s, d in zip(c1, c2, states, delta)]
    assert np.array_equal(np.stack([a, b], axis=1), np.array(one))
    assert np.all((a >= 1.5 - 1e-12) & (b >= 1.5 - 1e-12)) and np.all(a + b <= 4.0 + 1e-12)
    for bad in (4, -1, 1.5):
        with pytest.raises(ValueError, match="previous must be integer states in 0..3"):
            classify_state(0.5, bad)
        with pytest.raises(ValueError, match="state must be integer states in 0..3"):
            adapt_coefficients(2.0, 2.0, np.array([0, bad]), 0.1)
    with pytest.raises(ValueError, match=r"f must be a number or a 1-D array .* got shape \(2, 2\)"):
        classify_state(np.zeros((2, 2)), 0)


class FixedDraws:
    """Stands in for the swarm's generator in elitist learning: dimension ``d``, Gaussian ``z * sigma``."""

    def __init__(self, d, z):
        self.d, self.z = d, z

    def integers(self, n):
        return self.d

    def normal(self, loc, scale):
        return loc + self.z * scale


def els_swarm():
    """Sphere on [-100, 100]^3 with personal bests at 50, 55, ... per coordinate: g = (50, 50, 50)."""
    swarm = one_run(LocalSphere(3), 5)
    swarm.pbest_positions[0] = (50.0 + 5.0 * np.arange(5))[:, None]
    swarm.pbest_fitness[:] = swarm.evaluate(swarm.pbest_positions)
    swarm.gbest_position[0] = swarm.pbest_positions[0, 0]
    swarm.gbest_fitness[0] = swarm.pbest_fitness[0, 0]
    return swarm


def test_elitist_learning_keeps_a_better_point():
    swarm = els_swarm()
    evaluations = swarm.evaluations[0]
    swarm.rng = FixedDraws(d=1, z=-0.2)  # 50 + 200 * (-0.2 * 0.5) = 30
    assert elitist_learning(swarm, sigma=0.5).tolist() == [True]
    assert np.array_equal(swarm.gbest_position[0], [50.0, 30.0, 50.0])
    assert swarm.gbest_fitness[0] == 2 * 2500.0 + 900.0 == swarm.best_history[0, -1]
    assert np.array_equal(swarm.pbest_positions[0, 0], [50.0, 30.0, 50.0])
    assert np.array_equal(swarm.pbest_positions[0, 4], [70.0, 70.0, 70.0])  # worst untouched
    assert swarm.evaluations[0] == evaluations + 1


def test_elitist_learning_replaces_the_worst_particle_otherwise():
    swarm = els_swarm()
    swarm.rng = FixedDraws(d=2, z=0.5)  # 50 + 200 * 0.5 = 150, clipped to 100: worse than g
    assert elitist_learning(swarm, sigma=1.0).tolist() == [False]
    point = [50.0, 50.0, 100.0]
    assert np.array_equal(swarm.gbest_position[0], [50.0, 50.0, 50.0]) and swarm.gbest_fitness[0] == 7500.0
    assert np.array_equal(swarm.positions[0, 4], point) and np.array_equal(swarm.pbest_positions[0, 4], point)
    assert swarm.fitness[0, 4] == swarm.pbest_fitness[0, 4] == 2 * 2500.0 + 10000.0


def test_elitist_learning_on_some_swarms_of_a_batch():
    swarm = Swarm(LocalSphere(3), 5, 0, batch_size=4, seeds=[1, 2, 3, 4])
    before = swarm.gbest_fitness.copy()
    success = elitist_learning(swarm, 0.5, swarms=[1, 3])
    assert success.shape == (2,) and swarm.evaluations.tolist() == [5, 6, 5, 6]
    assert np.all(swarm.gbest_fitness <= before) and swarm.gbest_fitness[[0, 2]].tolist() == before[[0, 2]].tolist()
    one = Swarm(LocalSphere(3), 5, 0, batch_size=1, seeds=[4])
    assert elitist_learning(one, 0.5).tolist() == success[1:].tolist()
    np.testing.assert_array_equal(one.pbest_positions[0], swarm.pbest_positions[3])


def test_vote_width_interpolates_the_range_and_the_personal_bests_extent():
    """elitist_step='vote': the width is range^v * extent^(1 - v) per dimension (range 200, extent of the personal
    bests 50..70: 20), a full vote gives APSO's step, and a collapsed swarm's extent is floored at eps times the range."""
    swarm = els_swarm()
    width = vote_width(swarm, [0], [1.0])
    assert width.shape == (1, 3) and width.tolist() == [[200.0] * 3]
    assert vote_width(swarm, [0], [1e-300]) == pytest.approx(np.full((1, 3), 20.0))
    assert vote_width(swarm, [0], [0.5]) == pytest.approx(np.full((1, 3), math.sqrt(200.0 * 20.0)), rel=1e-14)
    swarm.rng = FixedDraws(d=1, z=-0.2)  # 50 + 20 * (-0.2 * 0.5) = 48: better than g
    assert elitist_learning(swarm, 0.5, None, vote_width(swarm, [0], [1e-300])).tolist() == [True]
    assert swarm.gbest_position[0] == pytest.approx([50.0, 48.0, 50.0], rel=1e-14)
    swarm.pbest_positions[0] = 50.0
    assert vote_width(swarm, [0], [0.0]).tolist() == [[np.finfo(float).eps * 200.0] * 3]
    assert vote_width(swarm, None, [0.0]).tolist() == vote_width(swarm, [0], [0.0]).tolist()  # None: every swarm


def test_apso_elitist_sigma_falls_from_1_to_01(monkeypatch):
    import agents.apso

    sigmas = []
    monkeypatch.setattr(agents.apso, "elitist_learning", lambda swarm, sigma, swarms: sigmas.append(sigma) or False)
    rule = make_rule("APSO")
    rule.reset(one_run(LocalSphere(2), 3), 11)
    rule.state = np.array([CONVERGENCE])
    for t in (0, 5, 10):
        rule.after_step(None, t)
    rule.state = np.array([EXPLOITATION])
    rule.after_step(None, 3)  # no elitist learning outside S3
    assert sigmas == pytest.approx([1.0, 0.55, 0.1])


def test_apso_run_is_consistent():
    record = run("APSO", 0, iterations=100)
    states, factors = np.array(record.extra["state"]), np.array(record.extra["factor"])
    c1, c2 = np.array(record.extra["c1"]), np.array(record.extra["c2"])
    assert len(states) == 100 and set(states) <= {0, 1, 2, 3}
    assert record.evaluations == 20 * 101 + np.count_nonzero(states == CONVERGENCE)  # one ELS per S3
    assert np.allclose(record.extra["w"], [adaptive_inertia(f) for f in factors])
    assert np.all((c1 >= 1.5) & (c1 <= 2.5) & (c2 >= 1.5) & (c2 <= 2.5)) and np.all(c1 + c2 <= 4.0 + 1e-12)
    assert all(classify_state(f, p) == s for f, p, s in zip(factors[1:], states[:-1], states[1:]))


def test_apso_and_hmm_apso_reproduce_the_committed_held_out_runs_bit_for_bit():
    """The committed store of issue 13's held-out table (results/learned-control/eval-budget, made before APSO's rules
    became numba kernels) holds these runs: the same seed gives the same best value, to the last bit."""
    from agents.baselines import make_rule
    from agents.controller import RuleController
    from benchmarks_fn import get_function
    from evaluation import run as run_record

    store = Path(__file__).resolve().parents[1] / "results/learned-control/eval-budget/runs.csv"
    with store.open() as fh:
        committed = {r["algorithm"]: float(r["best_value"]) for r in csv.DictReader(fh)
                     if r["function"] == "bbob:f20" and r["seed"] == "0" and r["algorithm"] in ("APSO", "HMM-APSO")}
    assert set(committed) == {"APSO", "HMM-APSO"}
    for name, value in committed.items():
        record = run_record(RuleController(make_rule(name), trace=False), get_function("bbob:f20", 10), swarm_size=20,
                            iterations=999, max_evaluations=20000, seed=0)
        assert record.best_value == value and record.evaluations == 20000, name


def test_hmm_apso_takes_the_state_from_the_tracker():
    class CyclingTracker:
        def reset(self):
            self.seen = []

        def update(self, f):
            self.seen.append(f)
            return (len(self.seen) + 1) % 4  # S2, S3, S4, S1, S2, ...

    def factory(batch_size):
        assert batch_size == 1
        return CyclingTracker()

    rule = make_rule("HMM-APSO", tracker_factory=factory)
    record = run_variant("HMM-APSO", sphere(5), swarm_size=10, iterations=30, tracker_factory=factory)
    states = [(t + 2) % 4 for t in range(30)]
    assert record.extra["state"] == states
    assert record.evaluations == 10 * 31 + states.count(CONVERGENCE)  # elitist learning in S3 only
    run_controller(RuleController(rule), sphere(5), swarm_size=10, iterations=30)
    assert [float(f[0]) for f in rule.tracker.seen] == record.extra["factor"]
    for bad in (4, 10**9, 2.0):  # a state outside 0..3 would index past the coefficient moves
        class BadTracker(CyclingTracker):
            def update(self, f, bad=bad):
                return bad

        with pytest.raises(ValueError, match="the tracker's states must be integer states in 0..3"):
            run_variant("HMM-APSO", sphere(5), swarm_size=10, iterations=3, tracker_factory=lambda b: BadTracker())


def test_hmm_apso_with_the_belief_tracker():
    record = run("HMM-APSO", 0, iterations=100)
    assert set(record.extra["state"]) <= {0, 1, 2, 3}
    assert record.best_value < record.curve[0]


def _drive(rule, swarm, iterations):
    rule.reset(swarm, iterations)
    for t in range(iterations):
        w, c1, c2, chi = rule.parameters(swarm, t)
        rule.move(swarm, w, c1, c2, chi)
        rule.after_step(swarm, t)
    return rule.trace()


@pytest.mark.parametrize("name", list(VARIANTS))
def test_rules_on_seeded_swarms_run_as_their_single_runs(name):
    """A rule on B swarms seeded per swarm gives each swarm the run it has alone (B = 1, same seed)."""
    fns = [get_function(n, 4) for n in ("rastrigin", "sphere", "ackley")]
    seeds = [3, 4, 5]
    batch = Swarm(fns, 8, 0, seeds=seeds)
    trace = _drive(make_rule(name), batch, 25)
    for b, (fn, seed) in enumerate(zip(fns, seeds)):
        one = Swarm(fn, 8, 0, batch_size=1, seeds=[seed])
        one_trace = _drive(make_rule(name), one, 25)
        for attr in ("positions", "pbest_fitness", "gbest_fitness", "evaluations"):
            np.testing.assert_array_equal(getattr(batch, attr)[b], getattr(one, attr)[0])
        for key, value in one_trace.items():
            assert trace[key][b] == value
