"""Tests of benchmarks_fn: paper functions, CEC-style transforms, ioh wrappers, suites, errors."""

from __future__ import annotations

import itertools
import math
import pickle
import warnings

import ioh
import numpy as np
import pytest

from benchmarks_fn import (
    BenchmarkFunction,
    DropWave,
    IOHFunction,
    Rastrigin,
    TransformedFunction,
    from_callable,
    get_function,
    get_suite,
    list_functions,
    make_functions,
    random_orthogonal,
    resolve_functions,
    split_suite,
)

PAPER = [n for n, fam in list_functions() if fam == "paper"]


def paper_dim(name: str, dim: int = 10) -> int:
    return 2 if name == "dropwave" else dim


# Independent, loop-based references written straight from SPEC section 6.
def ref_value(name: str, x: list[float]) -> float:
    d = len(x)
    if name == "sphere":
        return sum(v * v for v in x)
    if name == "elliptic":
        return sum((1e6 ** (i / (d - 1) if d > 1 else 0.0)) * x[i] ** 2 for i in range(d))
    if name == "tablet":
        return 1e6 * x[0] ** 2 + sum(v * v for v in x[1:])
    if name == "quadric":
        total, partial = 0.0, 0.0
        for v in x:
            partial += v
            total += partial**2
        return total
    if name == "step":
        return sum(math.floor(v + 0.5) ** 2 for v in x)
    if name == "rastrigin":
        return sum(v * v - 10 * math.cos(2 * math.pi * v) + 10 for v in x)
    if name == "ackley":
        s1 = sum(v * v for v in x) / d
        s2 = sum(math.cos(2 * math.pi * v) for v in x) / d
        return -20 * math.exp(-0.2 * math.sqrt(s1)) - math.exp(s2) + 20 + math.e
    if name == "griewank":
        prod = 1.0
        for i, v in enumerate(x, start=1):
            prod *= math.cos(v / math.sqrt(i))
        return 1 + sum(v * v for v in x) / 4000 - prod
    if name == "schwefel":
        # CEC 2014 F10/F11's modified Schwefel: out-of-box coordinates folded back and penalised.
        total = 0.0
        for v in x:
            if v > 500:
                y = 500 - math.fmod(v, 500)
                total += y * math.sin(math.sqrt(y)) - (v - 500) ** 2 / (10000 * d)
            elif v < -500:
                y = 500 - math.fmod(abs(v), 500)
                total += -y * math.sin(math.sqrt(y)) - (v + 500) ** 2 / (10000 * d)
            else:
                total += v * math.sin(math.sqrt(abs(v)))
        return 418.98288727243369 * d - total
    if name == "dropwave":
        r = math.hypot(x[0], x[1])
        return -(1 + math.cos(12 * r)) / (0.5 * r * r + 2)
    raise KeyError(name)


HAND_VALUES = [
    ("sphere", [1.0, 2.0, 3.0], 14.0),
    ("sphere", [-0.5, 0.5], 0.5),
    ("elliptic", [1.0, 1.0, 1.0], 1_001_001.0),
    ("elliptic", [2.0, 0.0, 0.0], 4.0),
    ("tablet", [1.0, 2.0, 3.0], 1_000_013.0),
    ("tablet", [0.0, 2.0], 4.0),
    ("quadric", [1.0, 2.0, 3.0], 46.0),
    ("quadric", [1.0, -1.0], 1.0),
    ("step", [0.4, 0.6, -1.6], 5.0),
    ("step", [-0.6, 0.5], 2.0),
    ("rastrigin", [1.0, 2.0], 5.0),
    ("rastrigin", [0.5, 0.5], 40.5),
    ("ackley", [1.0, 1.0], 20.0 - 20.0 * math.exp(-0.2)),
    ("ackley", [0.5, 0.5], 20.0 - 20.0 * math.exp(-0.1) + math.e - math.exp(-1.0)),
    ("griewank", [math.pi, 0.0], 2.0 + math.pi**2 / 4000),
    ("griewank", [0.0, 0.0, 0.0], 0.0),
    ("schwefel", [0.0, 0.0], 2 * 418.98288727243369),
    ("schwefel", [420.96874635998205, 0.0], 418.98288727243369),
    # Out of the box (CEC fold + penalty): y = 400, penalty 100^2 / (10^4 D).
    ("schwefel", [600.0], 418.98288727243369 - 400 * math.sin(20.0) + 1.0),
    ("schwefel", [-600.0, 0.0], 2 * 418.98288727243369 + 400 * math.sin(20.0) + 0.5),
    ("schwefel", [1250.0], 418.98288727243369 - 250 * math.sin(math.sqrt(250)) + 56.25),
    ("dropwave", [0.0, 0.0], -1.0),
    ("dropwave", [math.pi / 12, 0.0], 0.0),
]


# ---------------------------------------------------------------- plain paper functions


def test_ten_paper_functions():
    assert PAPER == [
        "sphere", "elliptic", "tablet", "quadric", "step",
        "rastrigin", "ackley", "griewank", "schwefel", "dropwave",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "dim"), [(n, d) for n in PAPER for d in ([2] if n == "dropwave" else [1, 2, 30])]
)
def test_paper_optimum(name, dim):
    f = get_function(name, dim)
    assert f.name == f.base_name == name and f.family == "paper" and f.dim == dim
    assert f.lower.shape == f.upper.shape == f.optimum_x.shape == (dim,)
    assert f.lower.dtype == np.float64 and np.all(f.lower < f.upper)
    assert np.all(f.lower <= f.optimum_x) and np.all(f.optimum_x <= f.upper)
    value = f(f.optimum_x)
    assert isinstance(value, float)
    assert abs(value - f.optimum_value) < 1e-8
    assert f.optimum_value == (-1.0 if name == "dropwave" else 0.0)


@pytest.mark.parametrize(("name", "x", "expected"), HAND_VALUES)
def test_paper_hand_values(name, x, expected):
    f = get_function(name, len(x))
    assert f(np.array(x)) == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert ref_value(name, x) == pytest.approx(expected, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("name", PAPER)
def test_paper_matches_reference_and_batch_equals_rows(name):
    dim = paper_dim(name, 7)
    f = get_function(name, dim)
    X = np.random.default_rng(1).uniform(f.lower, f.upper, size=(12, dim))
    batch = f(X)
    assert batch.shape == (12,) and batch.dtype == np.float64
    np.testing.assert_allclose(f.evaluate(X), batch, rtol=0, atol=0)
    rows = np.array([f(x) for x in X])
    np.testing.assert_allclose(batch, rows, rtol=1e-12, atol=1e-12)
    ref = np.array([ref_value(name, list(x)) for x in X])
    np.testing.assert_allclose(batch, ref, rtol=1e-10, atol=1e-9)


@pytest.mark.parametrize("dim", [1, 3, 4, 5, 30, 101])
def test_row_sums_kernel_against_fsum(dim):
    from benchmarks_fn._kernels import row_sums

    X = np.random.default_rng(dim).uniform(-50.0, 50.0, size=(7, 2 * dim))[:, ::2]  # strided rows too
    for square in (False, True):
        got = row_sums(X, square)
        ref = [math.fsum(x * x if square else x) for x in X]
        assert got.shape == (7,) and got.dtype == np.float64
        np.testing.assert_allclose(got, ref, rtol=4 * dim * np.finfo(float).eps, atol=1e-12)
        np.testing.assert_array_equal(row_sums(np.ascontiguousarray(X), square), got)  # layout-free bits
    assert row_sums(np.empty((0, dim)), True).shape == (0,)


@pytest.mark.parametrize("dim", [1, 3, 4, 5, 30, 31])
def test_one_pass_rastrigin_is_the_three_pass_form_bit_for_bit(dim):
    """The small-batch kernel equals sum x^2 - 10 sum cos(2 pi x) + 10 D formed with numpy's cos and row_sums,
    and both agree with an exactly rounded sum to a few ulps of the terms' size."""
    from benchmarks_fn._kernels import rastrigin_rows, row_sums

    rng = np.random.default_rng(dim)
    for scale in (1e-9, 1e-3, 5.12, 1e4):
        X = rng.uniform(-scale, scale, size=(9, 2 * dim))[:, ::2]  # strided rows too
        ref = row_sums(X, True) - 10.0 * row_sums(np.cos(2.0 * math.pi * X), False) + 10.0 * dim
        np.testing.assert_array_equal(rastrigin_rows(X), ref)
        np.testing.assert_array_equal(get_function("rastrigin", dim).evaluate(X), ref)
        exact = [math.fsum([*(x * x), *(-10.0 * np.cos(2.0 * math.pi * x)), 10.0 * dim]) for x in X]
        terms = np.abs(X * X).sum(axis=1) + 10.0 * dim
        np.testing.assert_allclose(ref, exact, rtol=0, atol=float(8 * dim * np.finfo(float).eps * terms.max()))


def test_call_accepts_lists_ints_and_empty_batches():
    f = get_function("sphere", 3)
    assert f([1, 2, 3]) == 14.0
    np.testing.assert_array_equal(f([[1, 2, 3], [0, 0, 1]]), [14.0, 1.0])
    assert f(np.empty((0, 3))).shape == (0,)


def test_bounds_are_read_only():
    f = get_function("rastrigin", 4)
    with pytest.raises(ValueError):
        f.lower[0] = 0.0


def test_repr():
    assert repr(get_function("rastrigin", 30)) == (
        "Rastrigin(name='rastrigin', dim=30, bounds=[-5.12, 5.12], f*=0)"
    )
    assert "rastrigin[shift,rotate,seed=3]" in repr(get_function("rastrigin", 5, shift=True, rotate=True, seed=3))
    assert "bbob:f15" in repr(get_function("bbob:f15", 2))


# ---------------------------------------------------------------- CEC-style transforms


@pytest.mark.parametrize("name", PAPER)
def test_transformed_optimum_and_formula(name):
    dim = paper_dim(name, 10)
    plain = get_function(name, dim)
    f = get_function(name, dim, shift=True, rotate=True, bias=123.5, seed=7)
    assert isinstance(f, TransformedFunction)
    assert f.base_name == name and f.name == f"{name}[shift,rotate,seed=7,bias=123.5]"
    assert f.optimum_value == plain.optimum_value + 123.5
    np.testing.assert_array_equal(f.optimum_x, f.o)
    assert abs(f(f.o) - f.optimum_value) < 1e-8
    np.testing.assert_allclose(f.M @ f.M.T, np.eye(dim), atol=1e-12)
    np.testing.assert_array_equal(f.lower, plain.lower)
    # Inner 80% of the box.
    margin = 0.1 * (plain.upper - plain.lower)
    assert np.all(f.o >= plain.lower + margin) and np.all(f.o <= plain.upper - margin)
    # Value formula, point by point: f(M (x - o) + x0) + bias.
    X = np.random.default_rng(2).uniform(plain.lower, plain.upper, size=(5, dim))
    expected = [ref_value(name, list(f.M @ (x - f.o) + plain.optimum_x)) + 123.5 for x in X]
    np.testing.assert_allclose(f(X), expected, rtol=1e-10, atol=1e-8)


TRANSFORM_MODES = {"shift+rotate": (True, True), "shift": (True, False), "rotate": (False, True)}


@pytest.mark.parametrize("mode", list(TRANSFORM_MODES))
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name", PAPER)
def test_transformed_nothing_in_the_box_beats_f_star(name, seed, mode):
    # A transform may send z = M (x - o) + x0 outside the plain box; the value there must still
    # not fall below f* (it did for Schwefel 2.26 before the CEC fold + penalty).
    dim = paper_dim(name, 10)
    shift, rotate = TRANSFORM_MODES[mode]
    f = get_function(name, dim, shift=shift, rotate=rotate, seed=seed)
    rng = np.random.default_rng(100 + seed)
    width = f.upper - f.lower
    # Near the walls and at the 2^D corners z leaves the plain box the most.
    corners = f.lower + np.array(list(itertools.product([0.0, 1.0], repeat=dim))) * width
    U = rng.uniform(0.0, 1.0, size=(4_000, dim))
    shell = np.where(U < 0.5, f.lower + 0.2 * U * width, f.upper - 0.2 * (1.0 - U) * width)
    X = np.vstack(
        [
            rng.uniform(f.lower, f.upper, size=(20_000, dim)),
            np.clip(f.o + rng.normal(scale=1e-3 * width, size=(2_000, dim)), f.lower, f.upper),
            np.clip(f.o + rng.uniform(-0.05, 0.05, size=(2_000, dim)) * width, f.lower, f.upper),
            corners,
            shell,
        ]
    )
    values = f(X)
    assert np.all(np.isfinite(values))
    assert values.min() >= f.optimum_value - 1e-9
    assert abs(f(f.o) - f.optimum_value) < 1e-8


@pytest.mark.parametrize("dim", [1, 2, 30])
def test_schwefel_out_of_box_is_penalised_and_continuous(dim):
    f = get_function("schwefel", dim)
    rng = np.random.default_rng(dim)
    # Far outside the box (as with bounds="none"): never below f* = 0; strictly above it.
    X = rng.uniform(-5000.0, 5000.0, size=(20_000, dim))
    X[:, 0] = np.where(X[:, 0] >= 0, 1.0, -1.0) * (500.0 + np.abs(X[:, 0]))  # >= 1 coordinate out
    values = f(X)
    assert np.all(np.isfinite(values)) and values.min() > 0.0
    ref = np.array([ref_value("schwefel", list(x)) for x in X[:50]])
    np.testing.assert_allclose(values[:50], ref, rtol=1e-12, atol=1e-9)
    # Continuous across |z| = 500, in each coordinate and on both sides.
    base = rng.uniform(-500.0, 500.0, size=dim)
    for i in range(dim):
        for edge in (-500.0, 500.0):
            inside, outside = base.copy(), base.copy()
            inside[i] = edge - math.copysign(1e-9, edge)
            outside[i] = edge + math.copysign(1e-9, edge)
            assert f(outside) == pytest.approx(f(inside), abs=1e-6)
            assert f(outside) >= f(inside) - 1e-6
    # Moving one coordinate from the optimum out of the box only costs: at least its penalty.
    x = np.full(dim, 420.96874635998205)
    for z in (500.5, 700.0, 1000.0, 1320.9687, -500.5, -900.0, -2500.0):
        x[0] = z
        assert f(x) >= (abs(z) - 500.0) ** 2 / (1e4 * dim) - 1e-9
    # Inside the box the values are exactly the plain formula's, also inside a batch that
    # takes the out-of-box path.
    Xin = rng.uniform(-500.0, 500.0, size=(40, dim))
    plain = 418.98288727243369 * dim - (Xin * np.sin(np.sqrt(np.abs(Xin)))).sum(axis=1)
    inside = f(Xin)
    np.testing.assert_allclose(inside, plain, rtol=1e-15, atol=0.0)
    np.testing.assert_array_equal(f(np.vstack([Xin, np.full((1, dim), 750.0)]))[:40], inside)


def test_transform_seed_reproducible_and_distinct():
    a = get_function("rastrigin", 10, shift=True, rotate=True, seed=3)
    b = get_function("rastrigin", 10, shift=True, rotate=True, seed=3)
    c = get_function("rastrigin", 10, shift=True, rotate=True, seed=4)
    np.testing.assert_array_equal(a.o, b.o)
    np.testing.assert_array_equal(a.M, b.M)
    assert not np.allclose(a.o, c.o) and not np.allclose(a.M, c.M)
    # seed=None is the documented default seed 0.
    d = get_function("rastrigin", 10, shift=True, rotate=True)
    e = get_function("rastrigin", 10, shift=True, rotate=True, seed=0)
    np.testing.assert_array_equal(d.o, e.o)
    np.testing.assert_array_equal(d.M, e.M)
    # The shift does not depend on whether a rotation is drawn too.
    np.testing.assert_array_equal(get_function("rastrigin", 10, shift=True, seed=3).o, a.o)


def test_transform_pinned_values():
    # Pins o and M for one seed, so a change of the random streams (which would make results
    # incomparable across runs and machines) fails loudly.
    f = get_function("sphere", 3, shift=True, rotate=True, seed=3)
    np.testing.assert_allclose(f.o, [-65.37669145042184, -20.847871241430873, -24.28261640936384], rtol=1e-12)
    np.testing.assert_allclose(
        f.M,
        [
            [-0.4977984703539571, 0.5497770076403381, -0.6707771051424586],
            [-0.7602702156631636, 0.09556460821464008, 0.6425391854449574],
            [0.41735582191787834, 0.8298268780455466, 0.3704071683761453],
        ],
        rtol=1e-9,
    )


def test_random_orthogonal_sign_fix():
    # With the sign fix, Q^T A is QR's R with a positive diagonal (what makes Q Haar-distributed).
    Q = random_orthogonal(8, np.random.default_rng(11))
    A = np.random.default_rng(11).standard_normal((8, 8))
    R = Q.T @ A
    np.testing.assert_allclose(np.tril(R, -1), 0.0, atol=1e-12)
    assert np.all(np.diag(R) > 0)


def test_shift_only_and_rotate_only():
    s = get_function("schwefel", 5, shift=True, seed=1)
    np.testing.assert_array_equal(s.M, np.eye(5))
    assert s(s.o) == pytest.approx(0.0, abs=1e-8)
    x = np.full(5, 10.0)
    plain = get_function("schwefel", 5)
    assert s(x) == pytest.approx(plain(x - s.o + plain.optimum_x), rel=1e-12)

    r = get_function("schwefel", 5, rotate=True, seed=1)
    np.testing.assert_array_equal(r.o, plain.optimum_x)  # rotation about the plain optimum
    assert r(plain.optimum_x) == pytest.approx(0.0, abs=1e-8)
    assert not np.allclose(r.M, np.eye(5))


def test_bias_only_keeps_the_plain_optimum():
    f = get_function("sphere", 4, bias=-50.0)
    assert f.name == "sphere[bias=-50]" and f.optimum_value == -50.0
    np.testing.assert_array_equal(f.optimum_x, np.zeros(4))
    assert f(np.ones(4)) == 4.0 - 50.0


def test_different_functions_get_different_shifts():
    a = get_function("sphere", 10, shift=True, seed=3)
    b = get_function("elliptic", 10, shift=True, seed=3)
    assert not np.allclose(a.o, b.o)


def test_pickle_paper_and_transformed():
    X = np.random.default_rng(0).uniform(-5, 5, (4, 6))
    for f in (get_function("ackley", 6), get_function("rastrigin", 6, shift=True, rotate=True, seed=2)):
        g = pickle.loads(pickle.dumps(f))
        np.testing.assert_array_equal(f(X), g(X))
        assert g.name == f.name


# ---------------------------------------------------------------- ioh wrappers

IOH_CASES = [("bbob", 1, 5, 1), ("bbob", 15, 10, 3), ("bbob", 24, 2, 1), ("cec2022", 3, 10, 1),
             ("cec2022", 7, 20, 1), ("cec2022", 12, 2, 1)]  # fmt: skip


@pytest.mark.parametrize(("suite", "fid", "dim", "instance"), IOH_CASES)
def test_ioh_matches_ioh(suite, fid, dim, instance):
    f = get_function(f"{suite}:f{fid}", dim, instance=instance)
    pclass = ioh.ProblemClass.BBOB if suite == "bbob" else ioh.ProblemClass.CEC2022
    ioh_id = fid if suite == "bbob" else 1000 + fid
    p = ioh.get_problem(ioh_id, instance, dim, pclass)
    assert f.name == f"{suite}:f{fid}" and f.family == suite and f.dim == dim
    np.testing.assert_array_equal(f.lower, p.bounds.lb)
    np.testing.assert_array_equal(f.upper, p.bounds.ub)
    assert f.optimum_value == p.optimum.y
    np.testing.assert_array_equal(f.optimum_x, p.optimum.x)
    assert f(f.optimum_x) == pytest.approx(f.optimum_value, abs=1e-8)
    X = np.random.default_rng(fid).uniform(f.lower, f.upper, size=(6, dim))
    ours = f(X)
    assert ours.shape == (6,) and ours.dtype == np.float64
    np.testing.assert_array_equal(ours, [p(x) for x in X])
    # Order of calls does not matter; single points give floats.
    f(X[::-1])
    assert f(X[2]) == ours[2] and isinstance(f(X[2]), float)
    g = pickle.loads(pickle.dumps(f))
    np.testing.assert_array_equal(g(X), ours)
    assert g.optimum_value == f.optimum_value and g.instance == instance


@pytest.mark.parametrize(("fid", "dim", "instance"), [(1, 2, 1), (1, 30, 7), (2, 10, 2), (2, 30, 1)])
def test_bbob_exact_is_ioh_without_f_star(fid, dim, instance):
    from benchmarks_fn import SuiteEntry, resolve_entries

    ioh_fn = get_function(f"bbob:f{fid}", dim, instance=instance)
    f = get_function(f"bbob-exact:f{fid}", dim, instance=instance)
    assert f.name == f"bbob-exact:f{fid}" and f.optimum_value == 0.0 and f.family == "bbob-exact"
    np.testing.assert_array_equal(f.optimum_x, ioh_fn.optimum_x)
    X = np.random.default_rng(fid).uniform(f.lower, f.upper, size=(20, dim))
    # the same function: ioh's value less its f*, to the rounding of ioh's sum with f*
    np.testing.assert_allclose(f(X), ioh_fn(X) - ioh_fn.optimum_value, rtol=1e-12, atol=1e-12 * ioh_fn.value_scale)
    assert f(f.optimum_x) == 0.0
    # near the optimum ioh's errors stop at its float floor; the exact form keeps going
    near = f.optimum_x + 1e-12 * np.random.default_rng(0).standard_normal((5, dim))
    exact, floored = f(near), ioh_fn(near) - ioh_fn.optimum_value
    assert abs(ioh_fn.optimum_value) >= 1  # so ioh's steps near f* are >= 2.2e-16
    assert np.all((exact > 0) & (exact < 1e-16)) and np.all((floored == 0) | (np.abs(floored) >= 1e-16))
    g = pickle.loads(pickle.dumps(f))
    np.testing.assert_array_equal(g(X), f(X))
    assert g.exact and g.name == f.name
    # a point's value does not depend on the array's memory layout
    assert f(X).tolist() == f(np.asfortranarray(X)).tolist()
    assert resolve_entries(f"bbob-exact:f{fid}@{dim}", 5, instance=instance) == [
        SuiteEntry(f"bbob-exact:f{fid}", dim, {"instance": instance})]


def test_bbob_exact_errors_and_listing():
    from agents.training import TrainConfig

    assert list_functions("bbob-exact") == [("bbob-exact:f1", "bbob-exact"), ("bbob-exact:f2", "bbob-exact")]
    with pytest.raises(ValueError, match="name.*bbob-exact:f3"):
        get_function("bbob-exact:f3", 5)
    with pytest.raises(ValueError, match="exact applies to bbob:f1, bbob:f2 only"):
        IOHFunction("bbob", 3, 5, exact=True)
    with pytest.raises(ValueError, match="exact applies"):
        IOHFunction("cec2022", 1, 10, exact=True)
    with pytest.raises(ValueError, match="dim must be >= 2 for 'bbob-exact:f1'"):
        get_function("bbob-exact:f1", 1)
    with pytest.raises(ValueError, match="shift/rotate/bias apply to paper functions only"):
        get_function("bbob-exact:f2", 5, shift=True)
    from evaluation.anytime import function_group

    assert function_group("bbob-exact:f1") == function_group("bbob-exact:f2") == "unimodal"
    # non-finite and huge points give nan and inf, as ioh does, without warnings
    f2 = get_function("bbob-exact:f2", 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = f2(np.array([[np.inf, 0.0, 0.0], [np.nan, 0.0, 0.0], [1e200, 0.0, 0.0]]))
    assert np.isnan(values[0]) and np.isnan(values[1]) and values[2] == np.inf
    # a training run may not train on f1 without f* at the instance it selects on
    with pytest.raises(ValueError, match="held_out must not repeat"):
        TrainConfig(functions="bbob-exact:f1", held_out="bbob:f1", dim=10)


def test_bbob_instances_differ_and_name_forms():
    a, b = get_function("bbob:f3", 5, instance=1), get_function("BBOB:3", 5, instance=2)
    assert b.name == "bbob:f3"
    assert a.optimum_value != b.optimum_value or not np.allclose(a.optimum_x, b.optimum_x)


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "rastrign", "dim": 5}, r"name.*rastrigin"),
        ({"name": "bbob:f25", "dim": 5}, r"name"),
        ({"name": "", "dim": 5}, r"name"),
        ({"name": 3, "dim": 5}, r"name"),
        ({"name": "sphere", "dim": 0}, r"dim"),
        ({"name": "sphere", "dim": -3}, r"dim"),
        ({"name": "sphere", "dim": 2.5}, r"dim"),
        ({"name": "sphere", "dim": True}, r"dim"),
        ({"name": "dropwave", "dim": 3}, r"dim must be 2"),
        ({"name": "cec2022:f1", "dim": 30}, r"dim must be one of \(2, 10, 20\)"),
        ({"name": "cec2022:f6", "dim": 2}, r"dim must be one of \(10, 20\)"),
        ({"name": "bbob:f1", "dim": 1}, r"dim must be >= 2"),
        ({"name": "sphere", "dim": 3, "bias": float("nan")}, r"bias"),
        ({"name": "sphere", "dim": 3, "bias": float("inf")}, r"bias"),
        ({"name": "sphere", "dim": 3, "shift": True, "seed": -1}, r"seed"),
        ({"name": "sphere", "dim": 3, "instance": 2}, r"instance"),
        ({"name": "bbob:f1", "dim": 3, "instance": 0}, r"instance"),
        ({"name": "cec2022:f1", "dim": 10, "instance": 2}, r"instance"),
        ({"name": "bbob:f1", "dim": 3, "shift": True}, r"shift"),
    ],
)
def test_get_function_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        get_function(**kwargs)


@pytest.mark.parametrize("name", ["sphere", "bbob:f2"])
@pytest.mark.parametrize("shape", [(4,), (3, 4), (6,), (2, 2, 5), ()])
def test_wrong_x_shape(name, shape):
    f = get_function(name, 5)
    with pytest.raises(ValueError, match=r"X must have shape \(n, 5\) or \(5,\)"):
        f(np.zeros(shape))


def test_drop_wave_class_rejects_other_dims():
    with pytest.raises(ValueError, match="dim"):
        DropWave(30)


def test_suite_errors():
    with pytest.raises(ValueError, match="suite.*paper"):
        get_suite("papr")
    with pytest.raises(ValueError, match=r"dim must be one of \(10, 20\)"):
        get_suite("cec2022", 30)
    with pytest.raises(ValueError, match="dim"):
        get_suite("bbob", 1)
    with pytest.raises(ValueError, match="shift"):
        get_suite("bbob", 5, shift=True)
    with pytest.raises(ValueError, match="instance"):
        get_suite("paper", 5, instance=2)
    with pytest.raises(ValueError, match="bias"):
        get_suite("paper", 5, bias=float("nan"))
    suite = get_suite("paper", 5)
    with pytest.raises(ValueError, match="test_fraction"):
        split_suite(suite, 1.5)
    with pytest.raises(ValueError, match="test_names.*rastrigin"):
        split_suite(suite, test_names=["rastrign"])
    with pytest.raises(ValueError, match="test_fraction and test_names"):
        split_suite(suite, 0.2, test_names=["sphere"])
    with pytest.raises(ValueError, match="functions"):
        resolve_functions("sphere,rastrign", 5)
    with pytest.raises(ValueError, match="functions"):
        resolve_functions(" , ", 5)


# ---------------------------------------------------------------- listing, suites, splits


def test_list_functions():
    names = list_functions()
    assert len(names) == 10 + 24 + 2 + 12 + 2 + 2 == len({n for n, _ in names})
    families = [fam for _, fam in names]
    assert families.count("paper") == 10 and families.count("bbob") == 24 and families.count("cec2022") == 12
    assert families.count("tuning") == 2 and families.count("nn") == 2 and families.count("bbob-exact") == 2
    assert ("bbob:f15", "bbob") in names and ("cec2022:f3", "cec2022") in names
    assert list_functions("cec2022") == [(f"cec2022:f{i}", "cec2022") for i in range(1, 13)]
    with pytest.raises(ValueError, match="family"):
        list_functions("cec2017")


def test_suites_sizes_and_entries():
    paper = get_suite("paper", dim=30)
    assert len(paper) == 10
    assert {e.dim for e in paper if e.name != "dropwave"} == {30}
    assert [e.dim for e in paper if e.name == "dropwave"] == [2]
    assert len(get_suite("paper", dim=(10, 30))) == 19  # drop-wave once
    bbob = get_suite("bbob", dim=5, instance=3)
    assert len(bbob) == 24 and all(e.options == {"instance": 3} and e.dim == 5 for e in bbob)
    assert len(get_suite("cec2022", 10)) == 12
    assert len(get_suite("cec2022", (10, 20))) == 24
    shifted = get_suite("paper", 10, shift=True, rotate=True, seed=5)
    assert shifted[0].options == {"shift": True, "rotate": True, "seed": 5}
    fns = make_functions(shifted)
    assert all(isinstance(f, TransformedFunction) for f in fns)
    assert fns[-1].dim == 2 and fns[0].name == "sphere[shift,rotate,seed=5]"
    assert [f.name for f in make_functions(get_suite("cec2022", 10)[:2])] == ["cec2022:f1", "cec2022:f2"]


def test_split_deterministic_disjoint():
    suite = get_suite("bbob", 5)
    train, test = split_suite(suite, 0.25, seed=1)
    train2, test2 = split_suite(suite, 0.25, seed=1)
    assert train == train2 and test == test2
    assert len(test) == 6 and len(train) == 18
    assert not {e.name for e in train} & {e.name for e in test}
    assert sorted(train + test, key=suite.index) == suite
    others = {tuple(e.name for e in split_suite(suite, 0.25, seed=s)[1]) for s in range(2, 8)}
    assert len(others) > 1


def test_split_by_names_and_across_dims():
    suite = get_suite("cec2022", (10, 20))
    train, test = split_suite(suite, test_names=["cec2022:f3", "CEC2022:12"])
    assert [(e.name, e.dim) for e in test] == [("cec2022:f3", 10), ("cec2022:f12", 10),
                                                ("cec2022:f3", 20), ("cec2022:f12", 20)]  # fmt: skip
    assert len(train) == 20
    train, test = split_suite(suite, 0.5, seed=0)
    assert len({e.name for e in test}) == 6 and not {e.name for e in train} & {e.name for e in test}


def test_metabox_split_is_metabox_difficult_and_test_functions_never_train_or_select():
    from agents.training import TrainConfig
    from benchmarks_fn import SPLITS, metabox_split, resolve_entries

    split = metabox_split()
    names = {side: [e.name for e in getattr(split, side)] for side in split._fields}
    # MetaBox 2.0.2's "difficult" mode: it trains on its small set of 8 and tests on the other 16
    assert sorted(names["train"] + names["validation"], key=lambda n: int(n[6:])) == [
        f"bbob:f{i}" for i in (1, 2, 3, 5, 15, 16, 17, 21)]
    assert names["validation"] == ["bbob:f2", "bbob:f16"]
    assert names["test"] == [f"bbob:f{i}" for i in (4, *range(6, 15), 18, 19, 20, 22, 23, 24)]
    everything = names["train"] + names["validation"] + names["test"]
    assert sorted(everything) == sorted(f"bbob:f{i}" for i in range(1, 25)) and len(set(everything)) == 24
    assert all(e.dim == 10 and e.options == {"instance": 1} for side in split for e in side)
    assert all(e.dim == 5 and e.options == {"instance": 7} for side in metabox_split(5, instance=7) for e in side)
    # the split names on the command line give the same entries, and a training run on them never sees a test function
    for name in SPLITS:
        assert resolve_entries(name, 10) == getattr(split, name.removeprefix("metabox-"))
    cfg = TrainConfig(functions="metabox-train", held_out="metabox-validation", dim=10)
    seen = {e.name for e in cfg.train_entries() + cfg.held_out_entries()}
    assert seen == set(names["train"] + names["validation"]) and not seen & set(names["test"])
    with pytest.raises(ValueError, match="held_out must not repeat"):
        TrainConfig(functions="metabox-train", held_out="metabox-train,metabox-validation", dim=10)
    with pytest.raises(ValueError, match="dim must be >= 2"):
        metabox_split(1)
    with pytest.raises(ValueError, match="shift/rotate/bias apply to paper functions only, not to split"):
        resolve_entries("metabox-test", 10, shift=True)


def test_resolve_functions():
    fns = resolve_functions("sphere, Rastrigin ,dropwave", 20)
    assert [(f.name, f.dim) for f in fns] == [("sphere", 20), ("rastrigin", 20), ("dropwave", 2)]
    assert len(resolve_functions("paper", 30)) == 10
    assert len(resolve_functions(["paper", "sphere"], 30)) == 10  # duplicates dropped
    mixed = resolve_functions(["bbob:f1", "cec2022"], 10)
    assert len(mixed) == 13 and mixed[0].name == "bbob:f1"
    shifted = resolve_functions("rastrigin", 5, shift=True, seed=2)
    assert shifted[0].name == "rastrigin[shift,seed=2]"
    assert resolve_functions("rastrigin")[0].dim == 30
    from benchmarks_fn import metabox_split, resolve_entries

    at = resolve_entries("metabox-train,metabox-train@30, sphere@ 7,dropwave@5", 10)  # @D: that entry at D
    assert [e.dim for e in at] == [10] * 6 + [30] * 6 + [7, 2]
    assert [e.name for e in at[:6]] == [e.name for e in at[6:12]] == [e.name for e in metabox_split().train]
    assert resolve_entries("paper@3,paper", 3) == resolve_entries("paper", 3)  # duplicates dropped
    for bad in ("sphere@", "@4", "sphere@x", "sphere@0", "sphere@-2"):
        with pytest.raises(ValueError, match=f"functions: '{bad}' must be a name followed by @D"):
            resolve_entries(bad, 10)
    with pytest.raises(ValueError, match="dim must be >= 2"):
        resolve_entries("metabox-test@1")
    # the BBOB instance reaches every BBOB entry (names, the suite, the splits) and nothing else
    inst = resolve_entries("bbob:f3,metabox-validation,sphere,cec2022:f1", 10, instance=4)
    assert [(e.name, e.options) for e in inst] == [("bbob:f3", {"instance": 4}), ("bbob:f2", {"instance": 4}),
                                                  ("bbob:f16", {"instance": 4}), ("sphere", {}), ("cec2022:f1", {})]
    assert {e.options["instance"] for e in resolve_entries("bbob", 5, instance=3)} == {3}
    for names in ("sphere", "cec2022", "paper,cec2022:f2"):
        with pytest.raises(ValueError, match=r"instance applies to BBOB functions \(bbob:fN, bbob-exact:fN, bbob, "
                           r"metabox-train, metabox-validation, metabox-test\), got instance 2 and none of them in"):
            resolve_entries(names, 10, instance=2)
    with pytest.raises(ValueError, match="instance must be an integer >= 1"):
        resolve_entries("bbob:f1", 10, instance=0)


# ---------------------------------------------------------------- user functions


def test_from_callable_point_and_vectorized():
    def point(x):
        return float(np.sum(np.abs(x)))

    f = from_callable(point, 3, -1.0, 1.0, name="l1", optimum_value=0.0, optimum_x=np.zeros(3))
    X = np.array([[1.0, -2.0, 0.5], [0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(f(X), [3.5, 0.0])
    assert f(X[0]) == 3.5 and f.name == "l1" and f.family == "custom"
    g = from_callable(lambda X: np.abs(X).sum(axis=1), 3, [-1, -2, -3], 1.0, vectorized=True)
    np.testing.assert_array_equal(g(X), [3.5, 0.0])
    assert "per-coordinate" in repr(g)
    bad = from_callable(lambda X: np.abs(X).sum(), 3, -1.0, 1.0, vectorized=True)
    with pytest.raises(ValueError, match=r"'custom' returned shape \(\) for 2 points; it must return shape \(2,\)"):
        bad(X)
    with pytest.raises(ValueError, match="fn"):
        from_callable(42, 3, -1.0, 1.0)
    with pytest.raises(ValueError, match="lower"):
        from_callable(point, 3, 1.0, -1.0)


def test_subclassing_and_rastrigin_class():
    class Shifted(BenchmarkFunction):
        def __init__(self):
            super().__init__("shifted", 2, -1.0, 1.0, optimum_value=0.0, optimum_x=[0.5, 0.5])

        def evaluate(self, X):
            return ((X - 0.5) ** 2).sum(axis=1)

    s = Shifted()
    assert s([0.5, 0.5]) == 0.0 and s(np.zeros((3, 2))).tolist() == [0.5] * 3
    t = TransformedFunction(s, shift=True, seed=1)
    assert t(t.o) == pytest.approx(0.0, abs=1e-12)
    assert Rastrigin(4)(np.zeros(4)) == 0.0


# ------------------------------------------------------------------------------------------ trig
def test_trig_matches_numpy_and_is_numpy_below_the_threshold():
    from benchmarks_fn import trig

    rng = np.random.default_rng(0)
    big = rng.uniform(-40.0, 40.0, trig.TORCH_MIN_SIZE + 7)
    for ours, ref in ((trig.cos, np.cos), (trig.sin, np.sin)):
        got = ours(big)
        assert got.dtype == np.float64 and got.shape == big.shape
        np.testing.assert_allclose(got, ref(big), rtol=0, atol=4e-16)  # within ~1 ulp of numpy
        small = big[:900].reshape(30, 30)
        np.testing.assert_array_equal(ours(small), ref(small))  # numpy itself below the threshold
        np.testing.assert_array_equal(ours(big[::2]), ours(np.ascontiguousarray(big[::2])))  # any layout
        assert np.isnan(ours(np.full(trig.TORCH_MIN_SIZE, np.inf))).all()
        frozen = big.copy()
        frozen.flags.writeable = False
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # torch warns on read-only arrays unless they are copied
            np.testing.assert_array_equal(ours(frozen), got)


def _evaluate_in_child(queue):  # module level: picklable for any start method
    fn = get_function("rastrigin", 30)
    queue.put(float(fn.evaluate(np.full((1000, 30), 0.5)).sum()))


def test_trig_keeps_forked_children_working():
    """After torch ran a large batch in the parent, a forked child can still evaluate one (no hang)."""
    import multiprocessing as mp

    fn = get_function("rastrigin", 30)
    expected = float(fn.evaluate(np.full((1000, 30), 0.5)).sum())  # 30000 values: torch's kernels
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_evaluate_in_child, args=(queue,))
    child.start()
    child.join(60)
    if child.is_alive():
        child.kill()
        pytest.fail("the forked child hung in torch")
    assert child.exitcode == 0 and queue.get(timeout=5) == expected


@pytest.mark.parametrize("name", ["rastrigin", "ackley", "griewank", "schwefel"])
def test_trig_functions_on_a_large_batch_match_small_calls(name):
    from benchmarks_fn import trig

    fn = get_function(name, 30)
    rng = np.random.default_rng(1)
    x = rng.uniform(fn.lower, fn.upper, (trig.TORCH_MIN_SIZE // 30 + 10, 30))
    batch = fn.evaluate(x)  # torch's kernels
    rows = np.concatenate([fn.evaluate(x[i:i + 100]) for i in range(0, len(x), 100)])  # numpy's
    np.testing.assert_allclose(batch, rows, rtol=1e-13, atol=1e-12)
