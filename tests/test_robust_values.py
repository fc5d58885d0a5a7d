"""Non-finite and malformed objective values, boxes and float precision (issue 12 item 3)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from agents.baselines import make_rule, run_cmaes, run_variant
from agents.controller import RuleController
from benchmarks_fn import TransformedFunction, from_callable, get_function
from evaluation import run, run_protocol
from evaluation.records import make_record
from pso_env import PSOEnv, Swarm
from pso_env.vector import PSOVectorEnv

torch = pytest.importorskip("torch")


def _nan_on_right(X):
    """Sphere, NaN where x0 > 0.5, -inf where x1 > 0.5: the share of non-finite values is known."""
    out = np.sum(X**2, axis=1)
    out[X[:, 0] > 0.5] = np.nan
    out[X[:, 1] > 0.5] = -np.inf
    return out


NASTY = from_callable(_nan_on_right, 3, -1.0, 1.0, name="nasty", optimum_value=0.0, vectorized=True)


def _expected(x):
    return int(np.sum((x[..., 0] > 0.5) | (x[..., 1] > 0.5)))


def test_swarm_counts_non_finite_values_of_every_counted_evaluation():
    s = Swarm(NASTY, 8, 0, batch_size=2)
    total = np.array([_expected(s.positions[0]), _expected(s.positions[1])])
    assert s.nonfinite.dtype == np.int64 and s.nonfinite.tolist() == total.tolist() and total.sum() > 0
    for _ in range(5):
        s.step(0.7, 1.5, 1.5)
        total += [_expected(s.positions[0]), _expected(s.positions[1])]
        assert s.nonfinite.tolist() == total.tolist()
    assert np.isposinf(s.fitness[np.isin(s.fitness, [np.inf])]).all() and not np.isneginf(s.pbest_fitness).any()
    pts = np.array([[[0.9, 0.0, 0.0], [0.0, 0.9, 0.0], [0.1, 0.1, 0.0]]] * 2)
    s.evaluate(pts)  # a read-out, not counted
    assert s.nonfinite.tolist() == total.tolist()
    s.evaluate(pts, count=True)
    s.set_particles(1, 0, [0.9, 0.9, 0.0])
    assert s.nonfinite.tolist() == (total + [2, 3]).tolist()
    s.reset([0])
    assert s.nonfinite[0] == _expected(s.positions[0])


def test_torch_swarm_counts_like_numpy():
    fn = get_function("sphere", 3)
    s = Swarm(fn, 6, 0, batch_size=2, backend="torch")
    fn.evaluate = lambda X: torch.where(X[:, 0] > 0, torch.nan, (X * X).sum(1))  # instance attribute
    s.step(0.7, 1.5, 1.5)
    assert s.nonfinite.tolist() == (s.positions[..., 0] > 0).sum(1).tolist()


@pytest.mark.parametrize("vector", [False, True])
def test_env_info_counts_each_step_and_warns_once_per_episode(vector):
    env = PSOVectorEnv(2, function=NASTY, swarm_size=10, max_iterations=4) if vector else \
        PSOEnv(function=NASTY, swarm_size=10, max_iterations=4)
    rows = 2 if vector else 1

    def swarm():
        return env.swarm if vector else env._core.swarm

    for episode in range(2):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            _, info = env.reset(seed=episode)
            before = swarm().nonfinite.copy()
            np.testing.assert_array_equal(np.ravel(info["nonfinite"]), before[:rows])
            for _ in range(4):
                info = env.step(env.action_space.sample() if vector else 0)[-1]
                after = swarm().nonfinite.copy()
                np.testing.assert_array_equal(np.ravel(info["nonfinite"]), (after - before)[:rows])
                before = after
        messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
        assert len(messages) == rows and all("'nasty' returned" in m and "non-finite" in m for m in messages)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a finite objective never warns
        env = PSOEnv(function="sphere", dim=3, swarm_size=5, max_iterations=2)
        assert env.reset(seed=0)[1]["nonfinite"] == 0 and env.step(0)[-1]["nonfinite"] == 0


def test_run_record_holds_the_total():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        rec = run(RuleController(make_rule("PSO")), NASTY, swarm_size=10, iterations=20, seed=3)
    assert rec.nonfinite > 0 and rec.to_row()["nonfinite"] == rec.nonfinite
    assert run(RuleController(make_rule("PSO")), get_function("sphere", 3), swarm_size=5, iterations=3).nonfinite == 0


# ------------------------------------------------------------------------------ malformed values
def _wrong_after(calls: int, vectorized: bool = True):
    """A callable objective that returns one value too many from its call number ``calls`` on."""
    state = {"n": 0}

    def fn(X):
        state["n"] += 1
        return np.zeros(len(X) + (state["n"] > calls)) if vectorized else np.zeros(1 + (state["n"] > calls))
    return fn


SHAPE_ERROR = r"function 'bad' returned shape \((\d+),\) for (\d+) points; it must return shape \(\d+,\)"


class _Duck:
    """A function object that is not a BenchmarkFunction: dim, lower, upper and a call."""

    dim, lower, upper, name = 2, np.full(2, -1.0), np.full(2, 1.0), "bad"

    def __init__(self, calls):
        self.fn = _wrong_after(calls)

    def __call__(self, X):
        return self.fn(X)


@pytest.mark.parametrize("make", [lambda c: from_callable(_wrong_after(c), 2, -1.0, 1.0, name="bad", vectorized=True),
                                  lambda c: _Duck(c)], ids=["from_callable", "object"])
def test_wrong_shape_is_one_clear_error_on_every_path(make):
    with pytest.raises(ValueError, match=SHAPE_ERROR):  # initialisation
        Swarm(make(0), 4, 0)
    s = Swarm(make(1), 4, 0)
    with pytest.raises(ValueError, match=SHAPE_ERROR):
        s.step(0.7, 1.5, 1.5)
    for path in (lambda s: s.evaluate(np.zeros((1, 3, 2))), lambda s: s.set_particles(0, 0, np.zeros(2)),
                 lambda s: s.reset()):
        with pytest.raises(ValueError, match=SHAPE_ERROR):
            path(Swarm(make(1), 4, 0))
    with pytest.raises(ValueError, match=SHAPE_ERROR):  # reset onto a new function
        Swarm(get_function("sphere", 2), 4, 0).reset(functions=make(0))


def test_wrong_shape_from_a_point_callable_and_on_torch():
    f = from_callable(lambda x: np.zeros(2), 2, -1.0, 1.0, name="bad")
    with pytest.raises(ValueError, match=r"'bad' returned shape \(2,\) for one point"):
        f(np.zeros((3, 2)))
    g = from_callable(lambda x: "high", 2, -1.0, 1.0, name="bad")
    with pytest.raises(ValueError, match="'bad' returned list that is not an array of numbers for 1 points"):
        g(np.zeros(2))
    fn = get_function("sphere", 2)
    s = Swarm(fn, 4, 0, backend="torch")
    fn.evaluate = lambda X: X  # (M, 2) instead of (M,)
    with pytest.raises(ValueError, match=r"'sphere' returned shape \(4, 2\) for 4 points"):
        s.step(0.7, 1.5, 1.5)


def test_boxes_of_infinite_width_are_rejected():
    with pytest.raises(ValueError, match=r"function 'huge': the box width upper - lower must be finite"):
        from_callable(lambda x: 0.0, 2, -1e308, 1e308, name="huge")
    duck = _Duck(10)
    duck.lower, duck.upper = np.full(2, -1e308), np.full(2, 1e308)
    with pytest.raises(ValueError, match="function 'bad': the box width"):
        Swarm(duck, 4, 0)
    assert from_callable(lambda x: 0.0, 2, -1e307, 1e307).lower[0] == -1e307  # wide but finite


# ------------------------------------------------------------------------------ float precision
def test_errors_are_never_negative_and_target_error_is_checked_against_the_dtype():
    fn = get_function("schwefel", 30)
    env = PSOEnv(function=fn, backend="torch", dtype="float32", swarm_size=5, max_iterations=3)
    env.reset(seed=0)
    env._core.swarm.gbest_fitness[:] = -9.8e-4  # what float32 rounding gives near Schwefel's optimum
    env._core._best[:] = -9.8e-4
    assert env._info()["error"] == 0.0 and env._core._info()["error"].tolist() == [0.0]
    rec = make_record(fn, np.array([1.0, -9.8e-4]), algorithm="x", seed=0, evaluations=1, cpu_seconds=0.0,
                      wall_seconds=0.0)
    assert rec.error == 0.0 and rec.best_value == -9.8e-4
    msg = r"target_error=1e-08 is below what float32 resolves for 'schwefel' .* smallest allowed is 0.00599"
    with pytest.raises(ValueError, match=msg):
        PSOEnv(function="schwefel", backend="torch", dtype="float32", target_error=1e-8)
    with pytest.raises(ValueError, match="below what float32 resolves for 'ackley'"):  # every function of a set
        PSOVectorEnv(2, function=["sphere", "ackley"], backend="torch", dtype="float32", target_error=1e-6)
    with pytest.raises(ValueError, match="below what float64 resolves for 'schwefel'"):
        PSOEnv(function="schwefel", target_error=1e-13)
    PSOEnv(function="schwefel", target_error=1e-8)  # float64 resolves it
    env = PSOEnv(function="schwefel", backend="torch", dtype="float32", target_error=0.01, max_iterations=5)
    with pytest.raises(ValueError, match=r"below what float32 resolves for 'sphere\[bias=1e\+06\]'"):
        env.reset(seed=0, options={"function": TransformedFunction(get_function("sphere", 30), bias=1e6)})


@pytest.mark.parametrize("runner", ["run_variant", "run_cmaes", "run_random_search"])
def test_infinite_box_is_rejected_naming_the_function_on_every_run_path(runner):
    import agents

    class Huge:
        name, dim = "huge", 3
        lower, upper = np.full(3, -1e308), np.full(3, 1e308)

        def evaluate(self, x):
            return np.sum(x * x, axis=1)

        __call__ = evaluate

    args = ("PSO", Huge()) if runner == "run_variant" else (Huge(),)
    with pytest.raises(ValueError, match=r"function 'huge': the box width"):
        getattr(agents, runner)(*args, iterations=3)


def test_learning_curve_without_finished_episodes(tmp_path):
    """A training run stopped before its first episode ended still gets its (empty) learning curve."""
    import warnings

    from agents.training import plot_learning_curve

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "No artists with labels" warning from an empty legend
        path = plot_learning_curve(tmp_path)
    assert path.exists() and path.stat().st_size > 0


@pytest.mark.parametrize("runner", ["run_variant", "run_cmaes", "run_random_search"])
def test_evaluation_runs_warn_about_non_finite_values(runner):
    import agents

    fn = from_callable(lambda x: np.where(x[:, 0] > 0, np.nan, np.sum(x * x, axis=1)), 3, -5.0, 5.0,
                       name="half-nan", vectorized=True)
    args = ("PSO", fn) if runner == "run_variant" else (fn,)
    with pytest.warns(RuntimeWarning, match="'half-nan' returned non-finite values"):
        record = getattr(agents, runner)(*args, iterations=5, swarm_size=8)
    assert record.nonfinite > 0


@pytest.mark.parametrize(("fn", "vectorized", "message"), [
    (lambda x: np.array([1.0, 2.0]), False, r"returned shape \(2,\) for one point; without vectorized=True"),
    (lambda x: None, False, "returned None for one point"),
    (lambda X: None, True, r"returned None for 5 points; it must return shape \(5,\)"),
])
def test_callable_return_errors_say_what_was_returned(fn, vectorized, message):
    f = from_callable(fn, 3, -1.0, 1.0, name="t", vectorized=vectorized)
    with pytest.raises(ValueError, match=f"function 't' {message}"):
        f.evaluate(np.zeros((5, 3)))


class _Objective:
    """A whole function object of the fewest members: dim, lower, upper and evaluate (no call, no f*)."""

    dim, lower, upper, name = 2, -1.0, 1.0, "objective"

    def evaluate(self, X):
        return np.sum(X**2, axis=1)


def _without(member):
    """An :class:`_Objective` lacking ``member`` (without ``evaluate`` it has no way to evaluate at all)."""
    return type("Partial", (), {k: v for k, v in vars(_Objective).items() if k != member})()


def _env_run(make):
    env = make()
    env.reset(seed=0)
    return env.step(np.zeros(env.action_space.shape, dtype=env.action_space.dtype))[-1]


_ENTRY_POINTS = {
    "PSOEnv": lambda f, out: _env_run(lambda: PSOEnv(function=f, dim=2)),
    "PSOEnv.reset": lambda f, out: PSOEnv(function="sphere", dim=2).reset(seed=0, options={"function": f})[1],
    "PSOVectorEnv": lambda f, out: _env_run(lambda: PSOVectorEnv(2, function=f, dim=2)),
    "Swarm": lambda f, out: Swarm(f, 4, 0).gbest_fitness,
    "run_variant": lambda f, out: run_variant("PSO", f, iterations=3).best_value,
    "run_cmaes": lambda f, out: run_cmaes(f, iterations=3).best_value,
    "run_protocol": lambda f, out: run_protocol(["PSO"], [get_function("sphere", 2), f], runs=1, iterations=3, dim=None,
                                                out_dir=out, progress=False).done_now,
}


@pytest.mark.parametrize("entry", _ENTRY_POINTS)
@pytest.mark.parametrize("member", ["dim", "lower", "upper", "evaluate"])
def test_every_entry_point_checks_the_function_interface_naming_the_missing_member(entry, member, tmp_path):
    with pytest.raises(ValueError, match=r"a function object with dim, lower, upper and evaluate \(or __call__\); "
                                         rf"<.*Partial object at \w+> has no {member}"):
        _ENTRY_POINTS[entry](_without(member), tmp_path / "out")
    assert not (tmp_path / "out").exists()  # run_protocol checks before it writes anything


@pytest.mark.parametrize("entry", _ENTRY_POINTS)
def test_a_function_object_with_evaluate_and_no_call_runs_everywhere(entry, tmp_path):
    result = _ENTRY_POINTS[entry](_Objective(), tmp_path / "out")
    if entry.startswith("PSO"):  # the info of the first step (of the reset)
        assert list(np.atleast_1d(result["function"])) == ["objective"] * (2 if entry == "PSOVectorEnv" else 1)
    elif entry == "run_protocol":
        assert result == 2  # one run on each function
    else:  # the best value of x . x on [-1, 1]^2
        assert 0 <= float(np.ravel(result)[0]) < 2
