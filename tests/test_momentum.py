"""Momentum in the swarm core: EMPSO (Mohapatra et al. 2022, eqs 4-7) and MPSO (eq 3), both backends."""

import numpy as np
import pytest

from agents.baselines import make_rule, run_variant
from agents.variants import EMPSO, MPSO
from benchmarks_fn import get_function
from pso_env import Swarm

BACKENDS = ["numpy", "torch"]


def _host(a):
    return a if isinstance(a, np.ndarray) else a.cpu().numpy()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("clamp", [None, 0.2])
@pytest.mark.parametrize("extra", ["momentum", "drift"])
def test_a_zero_extra_term_is_the_classic_update_bit_for_bit(backend, clamp, extra):
    """beta = 0 (EMPSO's momentum) and a zero drift (HG-PSO's gradient term) leave the classic update with w = 1."""
    fns = [get_function(n, 4) for n in ("rastrigin", "sphere", "ackley")]
    plain, zero = (Swarm(fns, 8, 0, seeds=[3, 4, 5], velocity_clamp=clamp, backend=backend) for _ in range(2))
    kwargs = {"momentum": 0.0} if extra == "momentum" else {"drift": np.zeros((3, 8, 4))}
    for _ in range(40):
        plain.step(1.0, 0.8, 0.9)
        zero.step(1.0, 0.8, 0.9, **kwargs)
    for attr in ("positions", "velocities", "pbest_fitness", "gbest_fitness"):
        np.testing.assert_array_equal(_host(getattr(zero, attr)), _host(getattr(plain, attr)))
    assert plain.momentum_buffer is None and (zero.momentum_buffer is not None) == (extra == "momentum")


@pytest.mark.parametrize("backend", BACKENDS)
def test_momentum_carries_the_exponential_weights_of_eq_7(backend):
    """After n steps ``M = sum_i beta^(i-1) (1 - beta) v(t - i)`` (M(0) = 0): the weights of eq 7."""
    beta, n = 0.7, 12
    swarm = Swarm(get_function("sphere", 3), 5, 1, velocity_clamp=None, bounds="none", backend=backend)
    seen = []
    for _ in range(n):
        seen.append(_host(swarm.velocities).copy())  # v(t) before step t -> t + 1
        swarm.step(1.0, 0.8, 0.9, momentum=beta)
    expected = sum(beta ** (i - 1) * (1.0 - beta) * seen[n - i] for i in range(1, n + 1))
    np.testing.assert_allclose(_host(swarm.momentum_buffer), expected, rtol=1e-12, atol=1e-14)
    swarm.reset()  # a restart zeroes the momentum
    assert not np.any(_host(swarm.momentum_buffer))


@pytest.mark.parametrize("kind", ["average", "previous"])
def test_one_step_follows_eqs_4_5_and_eq_3(kind):
    """The numpy move against the equations written out, with the r1, r2 the step drew."""
    beta, c1, c2 = 0.6, 0.8, 0.9
    swarm = Swarm(get_function("sphere", 3), 6, 2, velocity_clamp=None, bounds="none")
    swarm.step(1.0, c1, c2, momentum=beta, momentum_kind=kind)  # a non-zero buffer
    x, v, m = swarm.positions.copy(), swarm.velocities.copy(), swarm.momentum_buffer.copy()
    p, g = swarm.pbest_positions.copy(), swarm.gbest_position.copy()
    swarm.step(1.0, c1, c2, momentum=beta, momentum_kind=kind)
    r1, r2 = swarm._r[:, 0], swarm._r[:, 1]
    attraction = c1 * r1 * (p - x) + c2 * r2 * (g[:, None, :] - x)
    m_new = beta * m + (1.0 - beta) * v
    v_new = m_new + attraction
    np.testing.assert_allclose(swarm.velocities, v_new, rtol=1e-12)
    np.testing.assert_allclose(swarm.positions, x + v_new, rtol=1e-12)
    np.testing.assert_allclose(swarm.momentum_buffer, m_new if kind == "average" else v, rtol=1e-12)
    if kind == "previous":  # MPSO's rule: w = 1, c (1 - lambda): eq 3 exactly
        lam = beta
        w, c1m, c2m, _ = MPSO(lam, c1, c2).parameters(swarm, 0)
        x, v, prev, p, g = (a.copy() for a in (swarm.positions, swarm.velocities, swarm.momentum_buffer,
                                                swarm.pbest_positions, swarm.gbest_position))
        swarm.step(w, c1m, c2m, momentum=lam, momentum_kind="previous")
        r1, r2 = swarm._r[:, 0], swarm._r[:, 1]
        eq3 = (1 - lam) * (v + c1 * r1 * (p - x) + c2 * r2 * (g[:, None, :] - x)) + lam * prev
        np.testing.assert_allclose(swarm.velocities, eq3, rtol=1e-10)


def test_sphere_converges_at_the_defaults_and_diverges_with_c_2():
    """No velocity clamp, no box. The paper's defaults (c1 = 0.8, c2 = 0.9, beta = 0.9) converge; with
    c1 = c2 = 2 (c1 + c2 > 2, outside the supplement's stability region) the particles run away."""
    swarm = Swarm(get_function("sphere", 2), 50, 0, batch_size=10, seeds=range(10), velocity_clamp=None,
                  bounds="none")
    for _ in range(300):
        swarm.step(1.0, 0.8, 0.9, momentum=0.9)
    assert swarm.gbest_fitness.max() < 1e-20
    assert np.abs(swarm.positions).max() < 1e-8  # the whole swarm, not only its best

    fn = get_function("sphere", 30)  # box [-100, 100]^30
    spread = {}
    for c in (0.9, 2.0):
        swarm = Swarm(fn, 30, 0, batch_size=10, seeds=range(10), velocity_clamp=None, bounds="none")
        start = swarm.fitness.mean()
        for _ in range(50):
            swarm.step(1.0, c, c, momentum=0.9)
        spread[c] = (np.median(np.abs(swarm.positions).max(axis=(1, 2))), swarm.fitness.mean() / start)
    assert spread[2.0][0] > 1e3 and spread[2.0][1] > 100.0  # ten box widths out; mean value up 100-fold
    assert spread[0.9][0] < 100.0 and spread[0.9][1] < 1.0


@pytest.mark.parametrize("backend", BACKENDS)
def test_bad_momentum_is_refused(backend):
    swarm = Swarm(get_function("sphere", 2), 4, 0, batch_size=2, backend=backend)
    for bad in (1.0, -0.1, [0.5, 1.0], [0.1, 0.2, 0.3]):
        with pytest.raises(ValueError, match="momentum"):
            swarm.step(0.7, 1.5, 1.5, momentum=bad)
    with pytest.raises(ValueError, match="momentum_kind"):
        swarm.step(0.7, 1.5, 1.5, momentum=0.5, momentum_kind="nesterov")
    swarm.step(0.7, 1.5, 1.5, momentum=np.array([0.0, 0.9]))  # one beta per swarm
    with pytest.raises(ValueError, match="beta"):
        EMPSO(beta=1.0)
    with pytest.raises(ValueError, match="lam"):
        MPSO(lam=-0.5)


def test_rules_are_registered_and_run():
    assert isinstance(make_rule("empso"), EMPSO) and isinstance(make_rule("MPSO"), MPSO)
    assert (make_rule("EMPSO").beta, make_rule("EMPSO").c1, make_rule("EMPSO").c2) == (0.9, 0.8, 0.9)
    a, b = (run_variant("EMPSO", "sphere", dim=2, swarm_size=50, iterations=200, seed=3, velocity_clamp=None)
            for _ in range(2))
    assert a.best_value == b.best_value < 1e-12
    zero = run_variant("EMPSO", "rastrigin", dim=5, swarm_size=10, iterations=30, seed=1, beta=0.0)
    classic = run_variant("PSO", "rastrigin", dim=5, swarm_size=10, iterations=30, seed=1, w=1.0, c1=0.8, c2=0.9)
    assert zero.curve == classic.curve  # beta = 0: PSO with w = 1, bit for bit


def test_environment_momentum_field():
    from pso_env import PSOEnv

    def run(momentum):
        env = PSOEnv(function="sphere", dim=5, swarm_size=10, max_iterations=20, momentum=momentum)
        env.reset(seed=4)
        return [env.step(t % 4)[4]["error"] for t in range(20)]

    assert run(0.0) == run(None)
    assert run(0.9) != run(None)
    with pytest.raises(ValueError, match="momentum"):
        PSOEnv(function="sphere", dim=5, momentum=1.0)
