"""Bound handling (issue 12 item 10): SPSO 2011's clip-back by default, no swarm pinned to a box face."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks_fn import from_callable, get_function
from pso_env import EnvConfig, Swarm
from pso_env.swarm import BOUND_MODES

torch = pytest.importorskip("torch")

X0 = np.array([[0.75, -0.5], [0.0, 0.25]])
V0 = np.array([[0.5, -0.125], [-1.5, 0.25]])  # x + v = [[1.25, -0.625], [-1.5, 0.5]] in the box [-1, 1]^2
EXPECTED = {  # mode: (x, v) after one step with w = 1, c1 = c2 = 0, by hand
    "clip-back": ([[1.0, -0.625], [-1.0, 0.5]], [[-0.25, -0.125], [0.75, 0.25]]),
    "clip": ([[1.0, -0.625], [-1.0, 0.5]], [[0.5, -0.125], [-1.5, 0.25]]),
    "reflect": ([[0.75, -0.625], [-0.5, 0.5]], [[-0.5, -0.125], [1.5, 0.25]]),
    "none": ([[1.25, -0.625], [-1.5, 0.5]], [[0.5, -0.125], [-1.5, 0.25]]),
}


def test_default_is_clip_back_everywhere():
    assert BOUND_MODES[0] == "clip-back" and set(BOUND_MODES) == set(EXPECTED)
    assert EnvConfig().bounds == "clip-back"
    assert Swarm(get_function("sphere", 2), 2, 0).bounds == "clip-back"


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("mode", list(EXPECTED))
def test_bound_rule_against_a_hand_computed_step(mode, backend):
    s = Swarm(get_function("sphere", 2), 2, 0, bounds=mode, velocity_clamp=None, backend=backend)
    s.lower[:], s.upper[:] = -1.0, 1.0
    if backend == "numpy":
        s.positions[0], s.velocities[0] = X0, V0
    else:
        s.positions, s.velocities = torch.tensor(X0)[None], torch.tensor(V0)[None]
    s.step(1.0, 0.0, 0.0)
    x, v = EXPECTED[mode]
    np.testing.assert_array_equal(np.asarray(s.positions[0]), x)
    np.testing.assert_array_equal(np.asarray(s.velocities[0]), v)


def _near_face_problems(dim=10):
    """Shifted Sphere and Ellipsoid in [-5, 5]^10 whose optimum has coordinates at -4.9 (first and last)."""
    o = np.random.default_rng(1).uniform(-4.0, 4.0, dim)
    o[0] = o[-1] = -4.9
    sphere, ellipsoid = get_function("sphere", dim), get_function("elliptic", dim)
    return [from_callable(lambda X, f=f: f.evaluate(X - o), dim, -5.0, 5.0, name=f.name, optimum_value=0.0,
                          optimum_x=o, vectorized=True) for f in (sphere, ellipsoid)]


def _final_errors(fn, bounds, rule, iterations=400):
    s = Swarm(fn, 20, 0, batch_size=10, seeds=range(10), bounds=bounds)
    for t in range(iterations):
        w = 0.4 if rule == "w=0.4" else 0.9 - 0.5 * t / iterations  # linearly decreasing w (LinWPSO)
        s.step(w, 2.0, 2.0)
    on_face = np.any((s.gbest_position == -5.0) | (s.gbest_position == 5.0), axis=1)
    return s.gbest_fitness, on_face


@pytest.mark.parametrize("rule", ["w=0.4", "linear w"])
def test_no_run_stalls_on_a_face_with_the_default_and_clip_does(rule):
    for fn in _near_face_problems():
        # the smallest value with one coordinate on a face: 0.1^2 (one of the -4.9 coordinates at -5)
        face = min(fn.evaluate(np.where(np.arange(10) == i, -5.0, fn.optimum_x)[None])[0] for i in range(10))
        assert face == pytest.approx(0.01)
        errors, on_face = _final_errors(fn, "clip-back", rule)
        assert np.all(errors < face / 100) and not on_face.any(), (fn.name, errors)
        errors, on_face = _final_errors(fn, "clip", rule)  # the old default pins some runs to a face
        assert np.any((errors >= face * (1 - 1e-9)) & on_face), (fn.name, errors)
