"""HG-PSO: the drift of the swarm core, the HGPSO rule and the gradients of the benchmark functions."""

import numpy as np
import pytest

from agents.baselines import run_variant
from agents.variants import HGPSO, ParameterRule
from benchmarks_fn import from_callable, get_function, list_functions
from pso_env import Swarm

BACKENDS = ["numpy", "torch"]


def _host(a):
    return a if isinstance(a, np.ndarray) else a.cpu().numpy()


def _state(swarm):
    return [_host(getattr(swarm, a)).copy() for a in ("positions", "velocities", "pbest_fitness", "gbest_fitness")]


@pytest.mark.parametrize("backend", BACKENDS)
def test_drift_alone_is_one_gradient_descent_step(backend):
    fn = get_function("rastrigin", 6)
    swarm = Swarm(fn, 7, 1, velocity_clamp=None, bounds="none", backend=backend)
    x = _host(swarm.positions).copy()
    alpha = 1e-3
    grad = _host(swarm.gradients())
    np.testing.assert_array_equal(grad[0], fn.gradient(x[0]))
    swarm.step(0.0, 0.0, 0.0, drift=-alpha * swarm.gradients())
    np.testing.assert_array_equal(_host(swarm.positions), x - alpha * grad)
    np.testing.assert_array_equal(_host(swarm.velocities), -alpha * grad)


def test_drift_comes_before_the_clamp_and_the_box():
    swarm = Swarm(get_function("sphere", 3), 4, 2, velocity_clamp=0.1, bounds="clip")
    swarm.step(0.0, 0.0, 0.0, drift=np.full((1, 4, 3), 1e6))
    assert np.all(swarm.velocities == 20.0)  # clamped at 0.1 * 200
    assert np.all(swarm.positions <= 100.0)


def test_drift_of_the_wrong_shape_is_refused():
    swarm = Swarm(get_function("sphere", 3), 4, 0)
    with pytest.raises(ValueError, match="drift must have shape"):
        swarm.step(0.7, 1.5, 1.5, drift=np.zeros((4, 3)))


def test_drift_with_momentum_is_momentum_plus_drift():
    """Both extras at once: the momentum kernel with the drift added (bit for bit the sum of the parts)."""
    fn = get_function("sphere", 3)
    a, b = (Swarm(fn, 5, 4, velocity_clamp=None, bounds="none") for _ in range(2))
    drift = np.full((1, 5, 3), 0.25)
    a.step(1.0, 0.8, 0.9, momentum=0.5, drift=drift)
    v0 = b.velocities.copy()
    b.step(1.0, 0.8, 0.9, momentum=0.5)
    np.testing.assert_array_equal(a.velocities, b.velocities + drift)
    assert not np.array_equal(v0, b.velocities)


# ------------------------------------------------------------------------------------------- gradients
PAPER = [n for n, fam in list_functions("paper")]


def _finite_differences(fn, X, h):
    return np.stack([(fn.evaluate(X + h * e) - fn.evaluate(X - h * e)) / (2 * h) for e in np.eye(fn.dim)], axis=1)


@pytest.mark.parametrize("transformed", [False, True])
@pytest.mark.parametrize("name", PAPER)
def test_gradients_match_finite_differences(name, transformed):
    kw = {"shift": True, "rotate": True, "seed": 2} if transformed else {}
    fn = get_function(name, 2 if name == "dropwave" else 7, **kw)
    X = np.random.default_rng(0).uniform(0.9 * fn.lower, 0.9 * fn.upper, (6, fn.dim))
    grad = fn.gradient(X)
    assert grad.shape == X.shape and grad.dtype == np.float64
    fd = _finite_differences(fn, X, 1e-6 * (fn.upper[0] - fn.lower[0]) / 10)
    scale = 1.0 + np.abs(grad).max(axis=1, keepdims=True)  # Elliptic's components span 1e6
    assert np.max(np.abs(grad - fd) / scale) < 1e-5
    if name == "sphere" and not transformed:
        np.testing.assert_allclose(grad, 2.0 * X, rtol=1e-15)


def test_gradient_of_a_tensor_stays_a_tensor():
    import torch

    fn = get_function("ackley", 5)
    X = torch.linspace(-3.0, 3.0, 15, dtype=torch.float64).reshape(3, 5)
    grad = fn.gradient(X)
    assert torch.is_tensor(grad) and grad.dtype == torch.float64 and not grad.requires_grad
    np.testing.assert_array_equal(grad.numpy(), fn.gradient(X.numpy()))


def test_functions_without_gradients_say_so():
    with pytest.raises(ValueError, match="has no gradient"):
        get_function("bbob:f1", 2).gradient(np.zeros((1, 2)))
    with pytest.raises(ValueError, match="has no gradient"):
        from_callable(lambda x: float(x @ x), 2, -1, 1).gradient(np.zeros((1, 2)))
    with pytest.raises(ValueError, match=r"X must have shape \(n, 3\)"):
        get_function("sphere", 3).gradient(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="has no gradient"):
        run_variant("HGPSO", get_function("bbob:f1", 2), swarm_size=4, iterations=1)


# ------------------------------------------------------------------------------------------- the rule
def test_alpha_zero_is_plain_pso_bit_for_bit():
    fn = get_function("rastrigin", 5)
    plain = run_variant("PSO", fn, swarm_size=10, iterations=30, seed=2, w=0.7298, c1=1.49618, c2=1.49618)
    hg = run_variant("HGPSO", fn, swarm_size=10, iterations=30, seed=2, alpha=0.0)
    assert plain.curve == hg.curve and plain.best_value == hg.best_value
    assert hg.extra["gradient_evaluations"] == 0 and hg.extra["alpha"] == [0.0] * 30
    rule = HGPSO(alpha=0.0)
    swarm, zero = Swarm(fn, 10, 2), Swarm(fn, 10, 2)
    rule.reset(swarm, 5)
    for _ in range(5):
        rule.move(swarm, 0.7298, 1.49618, 1.49618, 1.0)
        zero.step(0.7298, 1.49618, 1.49618, drift=np.zeros((1, 10, 5)))
    for a, b in zip(_state(swarm), _state(zero)):
        np.testing.assert_array_equal(a, b)


def test_hgpso_is_gradient_descent_without_the_swarm_terms():
    fn = get_function("sphere", 4)
    record = run_variant("HGPSO", fn, swarm_size=3, iterations=10, seed=0, alpha=0.1, w=0.0, c1=0.0, c2=0.0,
                         velocity_clamp=None)
    x0 = Swarm(fn, 3, np.random.default_rng(0), velocity_clamp=None).positions
    expected = np.min(fn.evaluate(x0[0] * 0.8 ** 10))  # x <- x - 0.1 * 2x, ten times
    assert record.best_value == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("schedule", HGPSO.SCHEDULES)
def test_schedules_run_reproducibly_and_help_on_a_smooth_function(schedule):
    fn = get_function("ackley", 10)
    runs = [run_variant("HGPSO", fn, swarm_size=10, iterations=60, seed=s, alpha=0.05, schedule=schedule)
            for s in (0, 0, 1)]
    assert runs[0].curve == runs[1].curve and runs[0].curve != runs[2].curve
    alphas = runs[0].extra["alpha"]
    assert len(alphas) == 60 and all(5e-5 <= a <= 50.0 for a in alphas)
    if schedule == "constant":
        assert set(alphas) == {0.05}
    else:
        assert len(set(alphas)) > 1
    assert runs[0].best_value < runs[0].curve[0]


def test_the_success_rule_moves_alpha_by_its_factor():
    record = run_variant("HGPSO-success", get_function("sphere", 3), swarm_size=5, iterations=20, seed=0,
                         alpha=0.01, adapt=2.0)
    ratios = np.array(record.extra["alpha"][1:]) / np.array(record.extra["alpha"][:-1])
    assert set(np.round(ratios, 12)) <= {0.5, 1.0, 2.0}


def test_state_alpha_follows_the_evolutionary_factor():
    fn = get_function("rastrigin", 4)
    rule = HGPSO(alpha=0.02, schedule="state")
    swarm = Swarm(fn, 6, 0)
    rule.reset(swarm, 5)
    f = swarm.evolutionary_factor()
    np.testing.assert_allclose(rule.step_size(swarm), 0.02 * 2.0 ** (1.0 - 2.0 * f))


@pytest.mark.parametrize(("kwargs", "name"), [({"alpha": -1.0}, "alpha"), ({"alpha": float("nan")}, "alpha"),
                                              ({"schedule": "cosine"}, "schedule"), ({"adapt": 1.0}, "adapt")])
def test_bad_settings_are_named(kwargs, name):
    with pytest.raises(ValueError, match=name):
        HGPSO(**kwargs)


def test_hgpso_is_a_parameter_rule():
    assert issubclass(HGPSO, ParameterRule)


# ------------------------------------------------------------------------------------------- the trainer
def _digits_loaders(batch_size=64):
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from benchmarks_fn.network import load_dataset

    Xt, yt, Xv, yv = load_dataset("digits")
    train = DataLoader(TensorDataset(torch.as_tensor(Xt), torch.as_tensor(yt)), batch_size=batch_size, shuffle=True,
                       generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(torch.as_tensor(Xv), torch.as_tensor(yv)), batch_size=270)


def test_trainer_learns_digits_far_above_chance_and_restores_the_best_epoch():
    import torch

    from benchmarks_fn import mlp
    from pso_env import HGPSOTrainer

    train, test = _digits_loaders()
    net = mlp((64, 32, 10))
    trainer = HGPSOTrainer(net, swarm_size=8, alpha=0.1, seed=0)
    history = trainer.fit(train, epochs=4, val_loader=test, progress=False)
    assert len(history["loss"]) == len(history["val_accuracy"]) == 4
    assert history["loss"][-1] < 0.6 * history["loss"][0]
    best = int(np.argmin(history["val_loss"]))
    assert history["val_accuracy"][best] > 0.8  # chance: 0.1
    assert history["gradient_evaluations"] == [8 * 20 * (e + 1) for e in range(4)]  # 20 batches per epoch
    assert history["evaluations"][0] == 8 + 1 + 8 * 20 + 8 * 19  # start, particle 0, moves, re-evaluated bests
    Xv, yv = test.dataset.tensors
    with torch.no_grad():
        accuracy = float((net(Xv).argmax(1) == yv).double().mean())
    assert accuracy == pytest.approx(history["val_accuracy"][best], abs=1e-12)
    # same seed, same run
    again = HGPSOTrainer(mlp((64, 32, 10)), swarm_size=8, alpha=0.1, seed=0).fit(_digits_loaders()[0], epochs=1,
                                                                                progress=False)
    assert again["loss"] == history["loss"][:1]


def test_trainer_with_alpha_zero_is_plain_pso_and_slower():
    from benchmarks_fn import mlp
    from pso_env import HGPSOTrainer

    train, _ = _digits_loaders()
    plain = HGPSOTrainer(mlp((64, 32, 10)), swarm_size=8, alpha=0.0, seed=0).fit(train, epochs=2, progress=False)
    hg = HGPSOTrainer(mlp((64, 32, 10)), swarm_size=8, alpha=0.1, seed=0).fit(_digits_loaders()[0], epochs=2,
                                                                             progress=False)
    assert hg["loss"][-1] < plain["loss"][-1]


@pytest.mark.parametrize(("kwargs", "name"), [({"swarm_size": 1}, "swarm_size"), ({"alpha": -0.1}, "alpha"),
                                              ({"schedule": "cosine"}, "schedule"), ({"loss": "hinge"}, "loss"),
                                              ({"seed": -1}, "seed")])
def test_trainer_names_bad_arguments(kwargs, name):
    from benchmarks_fn import mlp
    from pso_env import HGPSOTrainer

    with pytest.raises(ValueError, match=name):
        HGPSOTrainer(mlp((4, 2)), **kwargs)
    with pytest.raises(ValueError, match="model"):
        HGPSOTrainer("net")
    trainer = HGPSOTrainer(mlp((4, 2)))
    with pytest.raises(ValueError, match="epochs"):
        trainer.fit([], epochs=0)
    with pytest.raises(ValueError, match="loader"):
        trainer.fit([], epochs=1)
