"""The HMM belief against hmmlearn (Viterbi state and filtered posterior at every step, refits =
hmmlearn's fit), at B = 1 through a one-sequence view (:class:`One`), and its numba kernels against the
pure-Python recursion. B > 1 against B = 1: tests/test_vector.py."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pytest
from hmmlearn.hmm import CategoricalHMM

from benchmarks_fn import get_function
from pso_env import Swarm, hmm_kernels
from pso_env.belief import (
    DEFAULT_REFIT_EVERY,
    N_STATES,
    PAPER_EMISSIONPROB,
    PAPER_STARTPROB,
    PAPER_TRANSMAT,
    STATE_NAMES,
    Belief,
    floor_rows,
)
from pso_env.factor import N_SYMBOLS, discretise


class One:
    """A :class:`Belief` at B = 1 read as one sequence (row 0): the tests' view of a single tracker."""

    def __init__(self, **kwargs):
        self.b = Belief(1, **kwargs)

    def __getattr__(self, name):  # refit_every, floor, refit_tol, refit_pseudocount, ...
        return getattr(self.b, name)

    def update(self, f) -> int:
        return int(self.b.update([f])[0])

    def update_symbol(self, symbol) -> int:
        return int(self.b.update_symbols(np.array([symbol]))[0])

    def reset(self) -> None:
        self.b.reset()

    def refit(self) -> bool:
        return bool(self.b.refit()[0])

    def to_hmmlearn(self) -> CategoricalHMM:
        return self.b.to_hmmlearn(0)

    state = property(lambda self: int(self.b.states[0]))
    state_name = property(lambda self: STATE_NAMES[self.state])
    posterior = property(lambda self: self.b.posterior[0])
    viterbi_log_prob = property(lambda self: float(self.b.viterbi_log_prob[0]))
    symbols = property(lambda self: self.b.symbols(0))
    n_symbols = property(lambda self: int(self.b.n_symbols[0]))
    n_refits = property(lambda self: int(self.b.n_refits[0]))
    n_rejected_rows = property(lambda self: int(self.b.n_rejected_rows[0]))
    startprob = property(lambda self: self.b.startprob)
    transmat = property(lambda self: self.b.transmat[0])
    emissionprob = property(lambda self: self.b.emissionprob[0])
    _lat = property(lambda self: self.b._lattice[0])
    _tables = property(lambda self: self.b._tables[0])


def swarm_fs(name: str, seed: int, random_params: bool, iters: int = 200) -> list[float]:
    rng = np.random.default_rng(seed)
    swarm = Swarm(get_function(name, 10), 30, np.random.default_rng(seed + 100), batch_size=1)
    out = []
    for _ in range(iters):
        if random_params:
            swarm.step(rng.uniform(0.2, 1.0), rng.uniform(0.5, 2.5), rng.uniform(0.5, 2.5))
        else:
            swarm.step(0.7, 1.5, 1.5)
        out.append(swarm.evolutionary_factor()[0])
    return out


def paper_model() -> CategoricalHMM:
    """The paper's exact (unfloored) model, to sample possible sequences from."""
    m = CategoricalHMM(n_components=4, n_features=7, init_params="")
    m.startprob_, m.transmat_, m.emissionprob_ = (
        PAPER_STARTPROB.copy(),
        PAPER_TRANSMAT.copy(),
        PAPER_EMISSIONPROB.copy(),
    )
    return m


def prefix_reference(
    model: CategoricalHMM, symbols: np.ndarray, implementation: str = "log"
) -> tuple[np.ndarray, np.ndarray]:
    """hmmlearn's last Viterbi state and last posterior of every prefix symbols[:t], t = 1..L.

    All prefixes go to one decode / predict_proba call as separate sequences (``lengths``), so the
    reference is hmmlearn's own per-prefix decode without L Python-level calls. hmmlearn's "scaling"
    implementation gives the same posteriors ~10x faster than "log" (whose per-sequence logsumexp
    dominates the test time); Viterbi decoding is the same in both.
    """
    model.implementation = implementation
    n = len(symbols)
    lengths = np.arange(1, n + 1)
    x = np.concatenate([symbols[:t] for t in lengths])[:, None]
    ends = np.cumsum(lengths) - 1
    _, path = model.decode(x, lengths=lengths, algorithm="viterbi")
    post = model.predict_proba(x, lengths=lengths)
    return path[ends], post[ends]


def feed(tracker: One, symbols) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Feed symbols one at a time; states, posteriors and Viterbi scores after each."""
    states, posts, scores = [], [], []
    for s in symbols:
        states.append(tracker.update_symbol(int(s)))
        assert tracker.state == states[-1]
        posts.append(tracker.posterior)
        scores.append(tracker.viterbi_log_prob)
    return np.array(states), np.array(posts), np.array(scores)


def assert_matches_every_step(
    tracker: One, symbols: np.ndarray, implementation: str = "log"
) -> None:
    tracker.reset()
    states, posts, _ = feed(tracker, symbols)
    ref_states, ref_posts = prefix_reference(tracker.to_hmmlearn(), symbols, implementation)
    np.testing.assert_array_equal(states, ref_states)
    np.testing.assert_allclose(posts, ref_posts, rtol=0, atol=1e-9)
    assert np.isfinite(posts).all()


def assert_matches_final(tracker: One) -> None:
    model, x = tracker.to_hmmlearn(), tracker.symbols[:, None]
    log_prob, path = model.decode(x, algorithm="viterbi")
    assert path[-1] == tracker.state
    assert log_prob == tracker.viterbi_log_prob  # the lattice is hmmlearn's, bit for bit
    np.testing.assert_allclose(tracker.posterior, model.predict_proba(x)[-1], rtol=0, atol=1e-9)


# ---------------------------------------------------------------- constants and construction
def test_paper_constants():
    assert STATE_NAMES == ("exploration", "exploitation", "convergence", "jumping-out")
    assert PAPER_STARTPROB.tolist() == [1.0, 0.0, 0.0, 0.0]
    np.testing.assert_allclose(PAPER_TRANSMAT.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    np.testing.assert_allclose(PAPER_EMISSIONPROB.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    for i in range(4):  # stay with 1/2 or move on along the cycle with 1/2
        assert PAPER_TRANSMAT[i, i] == PAPER_TRANSMAT[i, (i + 1) % 4] == 0.5
    np.testing.assert_allclose(PAPER_EMISSIONPROB[2], [2 / 3, 1 / 3, 0, 0, 0, 0, 0])
    np.testing.assert_allclose(PAPER_EMISSIONPROB[3], [0, 0, 0, 0, 0, 1 / 3, 2 / 3])
    with pytest.raises(ValueError):
        PAPER_TRANSMAT[0, 0] = 1.0  # read-only


def test_initial_model_is_floored_paper_model():
    tr = One(floor=1e-6)
    assert tr.refit_every == DEFAULT_REFIT_EVERY
    np.testing.assert_array_equal(tr.startprob, PAPER_STARTPROB)  # pi is not floored
    np.testing.assert_allclose(tr.transmat, floor_rows(PAPER_TRANSMAT, 1e-6), rtol=0, atol=0)
    np.testing.assert_allclose(tr.emissionprob, floor_rows(PAPER_EMISSIONPROB, 1e-6), rtol=0, atol=0)
    assert tr.transmat[PAPER_TRANSMAT == 0].max() < 1.1e-6 and tr.transmat.min() > 0.9e-6
    np.testing.assert_allclose(tr.transmat[PAPER_TRANSMAT > 0], 0.5, atol=1e-5)
    assert tr.n_symbols == 0 and tr.symbols.shape == (0,)
    assert tr.state == 0 and tr.state_name == "exploration"  # before any update: argmax pi
    np.testing.assert_array_equal(tr.posterior, PAPER_STARTPROB)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"refit_every": -1}, "refit_every"),
        ({"refit_every": 2.5}, "refit_every"),
        ({"refit_every": True}, "refit_every"),
        ({"floor": 0.0}, "floor"),
        ({"floor": -1e-6}, "floor"),
        ({"floor": 0.5}, "floor"),
        ({"floor": float("nan")}, "floor"),
        ({"floor": "1e-6"}, "floor"),
        ({"refit_iter": 0}, "refit_iter"),
        ({"refit_tol": -1.0}, "refit_tol"),
        ({"refit_min_length": 0}, "refit_min_length"),
        ({"refit_pseudocount": -1.0}, "refit_pseudocount"),
        ({"refit_pseudocount": float("inf")}, "refit_pseudocount"),
        ({"startprob": [0.5, 0.5, 0.0]}, "startprob"),
        ({"startprob": [0.5, 0.6, 0.0, 0.0]}, "startprob"),
        ({"startprob": [0.0, 0.0, 0.0, 0.0]}, "startprob"),
        ({"transmat": np.eye(3)}, "transmat"),
        ({"transmat": -np.eye(4) + 2 * np.roll(np.eye(4), 1, axis=1)}, "transmat"),
        ({"emissionprob": np.full((4, 7), np.nan)}, "emissionprob"),
        ({"emissionprob": np.full((4, 6), 1 / 6)}, "emissionprob"),
    ],
)
def test_bad_arguments_raise_value_error_naming_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=name):
        One(**kwargs)


@pytest.mark.parametrize("bad", [-1, 7, 2.0, True, None, "3"])
def test_update_symbol_rejects_non_symbols(bad):
    with pytest.raises(ValueError, match="symbol"):
        One().update_symbol(bad)


# ---------------------------------------------------------------- online path == hmmlearn, refits off
def random_sequences(n: int, seed: int) -> list[np.ndarray]:
    """Random symbols (mostly impossible under the paper's model), model samples, and runs of repeats."""
    rng = np.random.default_rng(seed)
    model = paper_model()
    seqs = []
    for i in range(n):
        length = int(rng.integers(1, 301))
        kind = i % 4
        if kind == 0 or kind == 1:
            seqs.append(rng.integers(0, N_SYMBOLS, length))
        elif kind == 2:
            seqs.append(model.sample(length, random_state=int(rng.integers(1 << 31)))[0][:, 0])
        else:  # piecewise-constant runs, as real f sequences are
            runs = rng.integers(1, 40, length)
            seqs.append(np.repeat(rng.integers(0, N_SYMBOLS, length), runs)[:length])
    return seqs


def test_online_matches_hmmlearn_on_1000_random_sequences():
    """Every step on the first 120 sequences, the final step (exactly, Viterbi score included) on all."""
    tracker = One(refit_every=0)
    seqs = random_sequences(1000, seed=1)
    assert min(map(len, seqs)) == 1 and max(map(len, seqs)) == 300
    impossible = 0
    with np.errstate(divide="ignore"):
        for i, seq in enumerate(seqs):
            if i < 120:  # posteriors from hmmlearn's log implementation on a quarter, scaling on the rest
                assert_matches_every_step(tracker, seq, "log" if i % 4 == 0 else "scaling")
            else:
                tracker.reset()
                feed(tracker, seq)
            assert_matches_final(tracker)
            impossible += paper_model().score(seq[:, None]) == -np.inf
    assert impossible > 400  # most random sequences have probability zero under the paper's model


@pytest.mark.parametrize("name", ["sphere", "rastrigin", "ackley"])
@pytest.mark.parametrize("random_params", [False, True])
def test_online_matches_hmmlearn_on_swarm_runs(name, random_params):
    fs = swarm_fs(name, seed=7, random_params=random_params)
    symbols = np.array([discretise(f) for f in fs])
    tracker = One(refit_every=0)
    states = [tracker.update(f) for f in fs]
    np.testing.assert_array_equal(tracker.symbols, symbols)
    ref_states, ref_posts = prefix_reference(tracker.to_hmmlearn(), symbols)
    np.testing.assert_array_equal(states, ref_states)
    tracker.reset()
    _, posts, _ = feed(tracker, symbols)
    np.testing.assert_allclose(posts, ref_posts, rtol=0, atol=1e-9)
    assert_matches_final(tracker)


def test_ties_are_broken_like_hmmlearn():
    """Symmetric models make Viterbi scores tie exactly; the first maximum must win, as in hmmlearn."""
    uniform_a = np.full((4, 4), 0.25)
    swap12_a = np.array([[0.4, 0.2, 0.2, 0.2], [0.1, 0.5, 0.3, 0.1], [0.1, 0.3, 0.5, 0.1], [0.25] * 4])
    b12 = np.array([[0.4, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]] * 4)
    b12[1] = b12[2] = [0.1, 0.1, 0.1, 0.4, 0.1, 0.1, 0.1]
    models = [
        {"startprob": [0.25] * 4, "transmat": uniform_a, "emissionprob": np.full((4, 7), 1 / 7)},
        {"startprob": [0.1, 0.45, 0.45, 0.0], "transmat": swap12_a, "emissionprob": b12},
        {"startprob": [0.0, 0.5, 0.5, 0.0], "transmat": swap12_a, "emissionprob": b12},
    ]
    n_tied = 0
    for kw in models:
        tracker = One(refit_every=0, **kw)
        for seq in [np.full(40, s) for s in range(7)] + [np.arange(60) % 7, np.array([3, 0, 3, 3, 6, 6, 3])]:
            assert_matches_every_step(tracker, seq)
            d = tracker._lat[0].tolist()
            n_tied += sum(d[i] == max(d) for i in range(4)) > 1
        if kw["startprob"][0] == 0.25:  # fully symmetric: all four tie, the first state wins
            assert tracker.state == 0
    assert n_tied >= 9  # the final rows really had ties


# ---------------------------------------------------------------- recompute after a refit == online recursion
def python_last_rows(tables: np.ndarray, symbols: np.ndarray) -> tuple[tuple, tuple]:
    """The online recursion written out in plain Python (the test oracle), over ``symbols``.

    Viterbi: ``max_i(delta_i + logA_ij) + logB_j(s)`` (hmmlearn's order); filter:
    ``((q0 A0j + q1 A1j) + q2 A2j) + q3 A3j`` times ``B_j(s)``, normalised.
    """
    logs, probs = tables.tolist()  # rows: pi, the 4 rows of A, then B per symbol
    lpi, la, logb = logs[0], logs[1:5], logs[5:]
    pi, pa, b = probs[0], probs[1:5], probs[5:]
    s = int(symbols[0])
    d = [lpi[j] + logb[s][j] for j in range(4)]
    r = [pi[j] * b[s][j] for j in range(4)]
    z = r[0] + r[1] + r[2] + r[3]
    q = [x / z for x in r]
    for s in symbols[1:].tolist():
        d = [max(d[0] + la[0][j], d[1] + la[1][j], d[2] + la[2][j], d[3] + la[3][j]) + logb[s][j] for j in range(4)]
        r = [(q[0] * pa[0][j] + q[1] * pa[1][j] + q[2] * pa[2][j] + q[3] * pa[3][j]) * b[s][j] for j in range(4)]
        z = r[0] + r[1] + r[2] + r[3]
        if z > 0.0:
            q = [x / z for x in r]
    return tuple(d), tuple(q)


def random_model(rng: np.random.Generator, floor: float) -> dict:
    pi = rng.dirichlet(np.ones(4)) * (rng.random(4) < 0.6)
    pi = pi / pi.sum() if pi.sum() > 0 else np.array([1.0, 0.0, 0.0, 0.0])
    return {
        "startprob": pi,
        "transmat": rng.dirichlet(np.full(4, 0.3), 4),
        "emissionprob": rng.dirichlet(np.full(7, 0.3), 4),
        "floor": floor,
    }


def recompute(tables: np.ndarray, seq) -> np.ndarray:
    """hmm_kernels.batch_recompute (the recompute after a refit) of one history: (Viterbi row, filter)."""
    lattice, states = np.empty((1, 2, 4)), np.empty(1, dtype=np.int64)
    hmm_kernels.batch_recompute(np.asarray(seq, dtype=np.int8)[None], np.array([len(seq)]), np.array([0]),
                                tables[None], lattice, states)
    assert states[0] == np.argmax(lattice[0, 0])  # the first maximum
    return lattice[0]


def test_kernel_recompute_equals_the_python_recursion_bit_for_bit():
    """The recompute after a refit is the online recursion, bit for bit."""
    rng = np.random.default_rng(11)
    seqs = random_sequences(40, seed=6) + [discretise(np.asarray(swarm_fs("rastrigin", 3, True, iters=1000)))]
    for i, seq in enumerate(seqs):
        tracker = One(refit_every=0, **random_model(rng, [1e-12, 1e-6, 1e-2][i % 3]))
        if i % 5 == 0:
            tracker = One(refit_every=0)
        got = recompute(tracker._tables, seq)
        ref_d, ref_q = python_last_rows(tracker._tables, np.asarray(seq))
        assert tuple(got[0].tolist()) == ref_d and tuple(got[1].tolist()) == ref_q
        feed(tracker, seq)  # the tracker's own online path reaches the same rows
        assert tuple(tracker._lat[0].tolist()) == ref_d and tuple(tracker._lat[1].tolist()) == ref_q


def test_refits_recompute_what_the_python_recursion_gives(monkeypatch):
    """A tracker whose recompute is the Python loop follows the kernel one exactly."""
    seq = random_sequences(3, seed=5)[2]
    seq = np.concatenate([seq, seq, seq])

    def python_recompute(history, counts, rows, tables, lattice, states) -> None:
        for r in rows:
            delta, alpha = python_last_rows(tables[r], history[r, : counts[r]])
            lattice[r] = np.array([delta, alpha])
            states[r] = int(np.argmax(delta))  # the first maximum

    out = []
    for use_kernel in (True, False):
        if not use_kernel:
            monkeypatch.setattr(hmm_kernels, "batch_recompute", python_recompute)
        tracker = One(refit_every=13, refit_min_length=1)
        out.append(feed(tracker, seq) + (tracker.transmat, tracker.emissionprob))
        assert tracker.n_refits == len(seq) // 13
    for x, y in zip(*out):
        np.testing.assert_array_equal(x, y)


# ---------------------------------------------------------------- refits
@pytest.mark.parametrize(("refit_every", "refit_iter"), [(1, 1), (3, 2), (7, 1), (25, 5)])
def test_refits_follow_hmmlearn(refit_every, refit_iter):
    """Each refit equals hmmlearn's fit from the previous parameters (floored); every state, before
    and after refits, equals hmmlearn's decode with the parameters current at that step."""
    rng = np.random.default_rng(refit_every)
    seqs = [
        rng.integers(0, 7, 60),
        paper_model().sample(60, random_state=refit_every)[0][:, 0],
        discretise(np.asarray(swarm_fs("ackley", refit_every, True, iters=80))),
    ]
    for seq in seqs:
        tracker = One(refit_every=refit_every, refit_iter=refit_iter, refit_min_length=1)
        for t, s in enumerate(seq, start=1):
            before = tracker.to_hmmlearn()
            n_before = tracker.n_refits
            state = tracker.update_symbol(int(s))
            if t % refit_every == 0:
                assert tracker.n_refits == n_before + 1
                assert_refit_is_hmmlearns(tracker, before, "log", rtol=0, atol=1e-9)
                np.testing.assert_array_equal(tracker.startprob, PAPER_STARTPROB)  # pi fixed
            else:
                assert tracker.n_refits == n_before
            assert state == tracker.state
            assert_matches_final(tracker)
        for p in (tracker.transmat, tracker.emissionprob):
            np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=0, atol=1e-12)
            assert (p > 0).all()


def test_refit_min_length_and_refit_every_zero():
    tracker = One(refit_every=5, refit_min_length=12)
    for s in range(30):
        tracker.update_symbol(s % 7)
    assert tracker.n_refits == 4  # at 15, 20, 25, 30
    tracker = One(refit_every=0)
    for s in range(300):
        tracker.update_symbol(s % 7)
    assert tracker.n_refits == 0
    np.testing.assert_array_equal(tracker.transmat, floor_rows(PAPER_TRANSMAT, tracker.floor))


def test_paper_zeros_stay_near_zero_when_the_data_do_not_need_them():
    """On sequences the paper's model can emit, the floored zeros stay at about floor after refits."""
    model = paper_model()
    for seed in range(4):
        seq = model.sample(400, random_state=seed)[0][:, 0]
        for every, min_len in ((1, 1), (20, 36)):
            tracker = One(refit_every=every, refit_min_length=min_len, floor=1e-6)
            for s in seq:
                tracker.update_symbol(int(s))
            assert tracker.n_refits > 0
            a, b = tracker.transmat, tracker.emissionprob
            assert a[PAPER_TRANSMAT == 0].max() < 1e-5
            assert b[PAPER_EMISSIONPROB == 0].max() < 1e-5
            np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=0, atol=1e-12)
            np.testing.assert_allclose(b.sum(axis=1), 1.0, rtol=0, atol=1e-12)
            assert (a > 0).all() and (b > 0).all()
    # and the parameters really were re-estimated
    assert np.abs(tracker.emissionprob - floor_rows(PAPER_EMISSIONPROB, 1e-6)).max() > 0.01


@pytest.mark.parametrize(
    ("seq", "grown"),
    [
        # 3 = S1/S2, 0 = S3: closing the cycle needs S4 to emit 0 (or 3), which the paper forbids
        ([3, 3, 3, 0, 0, 0], (3, 0)),
        # 0 = S3, 4 = S1 only: S1 -> S2 must emit 4 on the way back to S3
        ([0, 0, 0, 4, 4, 4], (1, 4)),
    ],
)
def test_floored_zeros_grow_where_the_data_need_them(seq, grown):
    tracker = One(refit_every=10, refit_iter=3)
    for s in np.tile(seq, 40):
        tracker.update_symbol(int(s))
    assert tracker.n_refits > 0
    i, j = grown
    assert PAPER_EMISSIONPROB[i, j] == 0.0 and tracker.emissionprob[i, j] > 0.5
    assert_matches_final(tracker)


@pytest.mark.parametrize("bad", ["nan_row", "zero_row", "not_stochastic", "underflow"])
def test_degenerate_reestimates_keep_previous_parameters(monkeypatch, bad):
    tracker = One(refit_every=0)
    for s in [3, 3, 1, 0, 0, 0, 6, 6, 3, 4]:
        tracker.update_symbol(s)
    a0, b0 = tracker.transmat, tracker.emissionprob

    def broken_batch_refit(history, counts, rows, pi, transmat, emissionprob, pc, n_iter, tol, floor, n_rejected):
        """batch_refit written out with baum_welch / accept_rows, with a broken re-estimate."""
        ok = np.zeros(rows.size, dtype=bool)
        for k, r in enumerate(rows):
            a, b, _, ok[k] = hmm_kernels.baum_welch(
                history[r, : counts[r]], pi, transmat[r], emissionprob[r], pc, n_iter, tol
            )
            if bad == "nan_row":
                a[1] = np.nan
                b[2] = np.nan
            elif bad == "zero_row":
                a[1] = 0.0
                b[2] = 0.0
            elif bad == "not_stochastic":
                a[1] *= 2.0
                b[2] *= 0.5
            else:
                ok[k] = False
            if ok[k]:
                n_rejected[r] += hmm_kernels.accept_rows(a, transmat[r], floor, transmat[r])
                n_rejected[r] += hmm_kernels.accept_rows(b, emissionprob[r], floor, emissionprob[r])
        return ok

    monkeypatch.setattr(hmm_kernels, "batch_refit", broken_batch_refit)
    ran = tracker.refit()
    a, b = tracker.transmat, tracker.emissionprob
    assert np.isfinite(a).all() and np.isfinite(b).all()
    if bad == "underflow":
        assert not ran and tracker.n_refits == 0
        np.testing.assert_array_equal(a, a0)
        np.testing.assert_array_equal(b, b0)
    else:
        assert ran and tracker.n_refits == 1 and tracker.n_rejected_rows == 2
        np.testing.assert_allclose(a[1], floor_rows(a0, tracker.floor)[1], rtol=0, atol=1e-15)
        np.testing.assert_allclose(b[2], floor_rows(b0, tracker.floor)[2], rtol=0, atol=1e-15)
        assert np.abs(a[0] - a0[0]).max() > 1e-3  # the healthy rows were re-estimated
    np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert np.isfinite(tracker.posterior).all()
    monkeypatch.undo()
    assert_matches_final(tracker)


def test_refits_emit_no_warnings_or_log_records(caplog):
    warm = One(refit_every=1, refit_min_length=1, refit_iter=5, refit_pseudocount=0.0)
    for s in [0, 0, 4, 4, 6, 0]:  # numba loads or compiles the kernels (and logs at DEBUG) on first use
        warm.update_symbol(s)
    caplog.set_level(logging.DEBUG)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tracker = One(refit_every=1, refit_min_length=1, refit_iter=5, refit_pseudocount=0.0)
        for s in [0, 0, 4, 4, 6, 0]:
            tracker.update_symbol(s)
    assert tracker.n_refits == 6 and tracker.n_rejected_rows > 0  # rows of unvisited states were all zero
    assert caplog.records == []
    assert caught == []


@pytest.mark.parametrize("refit_every", [0, 10])
def test_no_hmmlearn_call_with_or_without_refits(monkeypatch, refit_every):
    def forbidden(*args, **kwargs):
        raise AssertionError("hmmlearn called")

    tracker = One(refit_every=refit_every)
    for name in ("fit", "decode", "predict_proba", "score", "score_samples"):
        monkeypatch.setattr(CategoricalHMM, name, forbidden)
    for f in np.random.default_rng(0).random(2000):
        tracker.update(f)
    assert tracker.n_symbols == 2000 and tracker.n_refits == (197 if refit_every else 0)  # at 40, 50, .., 2000


# ---------------------------------------------------------------- Baum-Welch kernel == hmmlearn fit
def hmmlearn_fit(x, startprob, transmat, emissionprob, pseudocount, n_iter, tol, implementation="scaling"):
    """hmmlearn's own fit with the tracker's settings and priors, from the given parameters (quietly)."""
    m = CategoricalHMM(n_components=4, n_features=7, n_iter=n_iter, tol=tol, params="te", init_params="",
                       implementation=implementation)
    m.startprob_, m.transmat_, m.emissionprob_ = startprob.copy(), transmat.copy(), emissionprob.copy()
    m.transmat_prior = 1.0 + pseudocount * transmat
    m.emissionprob_prior = 1.0 + pseudocount * emissionprob
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.getLogger("hmmlearn").disabled = True
        try:
            return m.fit(np.asarray(x, dtype=np.int64)[:, None])
        finally:
            logging.getLogger("hmmlearn").disabled = False


def assert_refit_is_hmmlearns(tracker: One, before: CategoricalHMM, implementation: str, rtol, atol) -> None:
    """The parameters after a refit are hmmlearn's fit (same settings and priors) from ``before``'s, with
    degenerate rows kept at their previous values, floored."""
    ref = hmmlearn_fit(tracker.symbols, before.startprob_, before.transmat_, before.emissionprob_,
                       tracker.refit_pseudocount, tracker.refit_iter, tracker.refit_tol, implementation)
    for got, new, old in ((tracker.transmat, ref.transmat_, before.transmat_),
                          (tracker.emissionprob, ref.emissionprob_, before.emissionprob_)):
        ok = np.isclose(new.sum(axis=1), 1.0, atol=1e-6)[:, None]
        np.testing.assert_allclose(got, floor_rows(np.where(ok, new, old), tracker.floor), rtol=rtol, atol=atol)


def fit_cases(n: int, seed: int) -> list[tuple[np.ndarray, dict]]:
    """(symbols, model) pairs: random and swarm (realistic) sequences of 36..1000 symbols, paper and
    random floored models."""
    rng = np.random.default_rng(seed)
    swarm = discretise(np.asarray(swarm_fs("ackley", seed, True, iters=1000)))
    cases = []
    for i in range(n):
        length = int(rng.integers(36, 1001)) if i % 4 else 1000
        if i % 2:
            x = rng.integers(0, N_SYMBOLS, length)
        else:
            x = swarm[:length]
        model = random_model(rng, 1e-6) if i % 3 else {"floor": 1e-6}
        tracker = One(refit_every=0, **model)
        cases.append((x, {"startprob": tracker.startprob, "transmat": tracker.transmat,
                          "emissionprob": tracker.emissionprob}))
    return cases


@pytest.mark.parametrize(
    ("n_iter", "tol", "pseudocount"), [(1, 1e-4, 1.0), (3, 1e-4, 1.0), (3, 1e-2, 0.0), (10, 0.5, 0.3)]
)
def test_baum_welch_kernel_equals_hmmlearn_fit(n_iter, tol, pseudocount):
    n_early_stops = 0
    for x, model in fit_cases(12, seed=n_iter + int(10 * pseudocount)):
        ref = hmmlearn_fit(x, **model, pseudocount=pseudocount, n_iter=n_iter, tol=tol)
        a, b, log_prob, ok = hmm_kernels.baum_welch(
            x.astype(np.int8), model["startprob"], model["transmat"], model["emissionprob"], pseudocount, n_iter, tol
        )
        assert ok
        np.testing.assert_allclose(a, ref.transmat_, rtol=1e-10, atol=1e-300)
        np.testing.assert_allclose(b, ref.emissionprob_, rtol=1e-10, atol=1e-300)
        assert log_prob == pytest.approx(ref.monitor_.history[-1], rel=1e-12)
        n_early_stops += ref.monitor_.iter < n_iter
    if n_iter == 10:
        assert n_early_stops > 0  # the tol rule was exercised


def test_refit_every_1_on_a_swarm_run_matches_hmmlearn_at_every_step():
    """Refit at every iteration of a 300-iteration swarm run: each refit is hmmlearn's fit from the
    previous parameters, and every state / posterior is hmmlearn's decode / predict_proba."""
    seq = discretise(np.asarray(swarm_fs("rastrigin", 5, True, iters=300)))
    tracker = One(refit_every=1, refit_min_length=1)
    for s in seq:
        before = tracker.to_hmmlearn()
        assert tracker.update_symbol(int(s)) == tracker.state
        assert_refit_is_hmmlearns(tracker, before, "scaling", rtol=1e-10, atol=0)
        assert_matches_final(tracker)
    assert tracker.n_refits == 300 and tracker.n_rejected_rows == 0


def test_baum_welch_kernel_on_short_sequences_and_underflow():
    tracker = One(refit_every=0)
    pi, a0, b0 = tracker.startprob, tracker.transmat, tracker.emissionprob
    for x in ([3], [0, 6], [5, 5, 1]):  # shorter than 36 symbols: the same re-estimate as hmmlearn's
        ref = hmmlearn_fit(np.array(x), pi, a0, b0, 1.0, 2, 1e-4)
        a, b, _, ok = hmm_kernels.baum_welch(np.array(x, dtype=np.int8), pi, a0, b0, 1.0, 2, 1e-4)
        assert ok
        np.testing.assert_allclose(a, ref.transmat_, rtol=1e-10)
        np.testing.assert_allclose(b, ref.emissionprob_, rtol=1e-10)
    # symbol 0 (convergence only) then 4 (exploration only): impossible under the paper's exact model
    x = np.array([0, 4], dtype=np.int8)
    paper = PAPER_STARTPROB.copy(), PAPER_TRANSMAT.copy(), PAPER_EMISSIONPROB.copy()  # writeable, as the tracker's
    with pytest.raises(ValueError, match="underflow"):
        hmmlearn_fit(x, *paper, 1.0, 1, 1e-4)
    a, b, log_prob, ok = hmm_kernels.baum_welch(x, *paper, 1.0, 1, 1e-4)
    assert not ok and np.isnan(log_prob)
    np.testing.assert_array_equal(a, PAPER_TRANSMAT)
    np.testing.assert_array_equal(b, PAPER_EMISSIONPROB)


def test_accept_rows_is_floor_rows_of_the_good_rows():
    rng = np.random.default_rng(8)
    old = rng.dirichlet(np.ones(7), 4)
    new = rng.dirichlet(np.ones(7), 4)
    new[1] = np.nan
    new[2] *= 1.01
    out = np.empty_like(old)
    rejected = hmm_kernels.accept_rows(new, old, 1e-6, out)
    assert rejected == 2
    expected = floor_rows(np.where(np.isin(np.arange(4), [1, 2])[:, None], old, new), 1e-6)
    np.testing.assert_allclose(out, expected, rtol=1e-15, atol=0)


def test_kernels_reject_bad_input():
    tracker = One(refit_every=0)
    pi, a, b = tracker.startprob, tracker.transmat, tracker.emissionprob
    x = np.array([1, 2, 3], dtype=np.int8)
    with pytest.raises(ValueError, match="symbols"):
        hmm_kernels.baum_welch(np.array([1, 7], dtype=np.int8), pi, a, b, 1.0, 1, 1e-4)
    with pytest.raises(ValueError, match="symbols"):
        hmm_kernels.baum_welch(x[:0], pi, a, b, 1.0, 1, 1e-4)
    with pytest.raises(ValueError, match="n_iter"):
        hmm_kernels.baum_welch(x, pi, a, b, 1.0, 0, 1e-4)
    with pytest.raises(ValueError, match="transmat"):
        hmm_kernels.baum_welch(x, pi, a[:3, :3].copy(), b, 1.0, 1, 1e-4)
    with pytest.raises(ValueError, match="symbols"):
        hmm_kernels.baum_welch(np.array([-1], dtype=np.int8), pi, a, b, 1.0, 1, 1e-4)
    with pytest.raises(ValueError, match="shape"):
        hmm_kernels.accept_rows(a, b, 1e-6, b.copy())
    with pytest.raises(ValueError, match="shape"):
        hmm_kernels.accept_rows(a, a, 1e-6, b.copy())


# ---------------------------------------------------------------- edge cases
EDGES = [0.0, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 1.0]


def test_update_discretises_like_factor_discretise():
    rng = np.random.default_rng(3)
    values = EDGES + [np.nextafter(e, -1.0) for e in EDGES] + [np.nextafter(e, 2.0) for e in EDGES]
    values += [-0.5, 1.5, -np.inf, np.inf, float("nan"), np.float64(0.4), np.float32(0.7)]
    values += rng.random(500).tolist()
    tracker = One(refit_every=0)
    for v in values:
        tracker.update(v)
    np.testing.assert_array_equal(tracker.symbols, [discretise(v) for v in values])
    assert [discretise(e) for e in EDGES] == [0, 1, 2, 3, 4, 5, 6, 6]


@pytest.mark.parametrize("refit_every", [0, 1, 4])
def test_no_nan_no_exception_on_degenerate_inputs(refit_every):
    cases = [[e] * 150 for e in EDGES] + [[e] for e in EDGES] + [EDGES * 20, [float("nan")] * 5]
    for fs in cases:
        tracker = One(refit_every=refit_every, refit_min_length=1)
        for f in fs:
            st = tracker.update(f)
            assert 0 <= st < N_STATES and tracker.state_name == STATE_NAMES[st]
            p = tracker.posterior
            assert np.isfinite(p).all() and abs(p.sum() - 1.0) < 1e-12
            assert np.isfinite(tracker.viterbi_log_prob)
        assert np.isfinite(tracker.transmat).all() and np.isfinite(tracker.emissionprob).all()
        if refit_every == 0 or len(fs) <= 10:
            assert_matches_final(tracker)


def test_length_one_sequences_match_hmmlearn():
    for s in range(N_SYMBOLS):
        tracker = One(refit_every=0)
        assert tracker.update_symbol(s) == 0  # pi = [1, 0, 0, 0]: the first state is exploration
        assert_matches_final(tracker)
        np.testing.assert_array_equal(tracker.posterior, PAPER_STARTPROB)


def test_history_grows_past_the_initial_buffer():
    tracker = One(refit_every=0)
    seq = np.random.default_rng(2).integers(0, 7, 2500)
    for s in seq:
        tracker.update_symbol(int(s))
    np.testing.assert_array_equal(tracker.symbols, seq)
    assert_matches_final(tracker)


def test_reset_restores_initial_state_and_parameters():
    fresh = One(refit_every=5, refit_min_length=1)
    tracker = One(refit_every=5, refit_min_length=1)
    seq = np.random.default_rng(4).integers(0, 7, 60)
    first = feed(tracker, seq)
    assert tracker.n_refits == 12
    assert np.abs(tracker.transmat - fresh.transmat).max() > 1e-3
    tracker.reset()
    assert tracker.n_symbols == 0 and tracker.n_refits == 0 and tracker.n_rejected_rows == 0
    assert tracker.state == fresh.state
    for name in ("startprob", "transmat", "emissionprob", "posterior", "symbols"):
        np.testing.assert_array_equal(getattr(tracker, name), getattr(fresh, name))
    again = feed(tracker, seq)
    for x, y in zip(first, again):
        np.testing.assert_array_equal(x, y)


def test_readouts_are_copies():
    tracker = One(refit_every=0)
    tracker.update(0.5)
    for name in ("transmat", "emissionprob", "startprob", "posterior", "symbols"):
        arr = getattr(tracker, name)
        arr[...] = -1
        assert (getattr(tracker, name) != -1).any()
    assert "Belief(" in repr(tracker.b)


def test_kernels_use_the_factor_symbol_edges():
    """hmm_kernels writes the edges out (numba's cache sees only its own file); they must stay equal."""
    from pso_env.factor import SYMBOL_EDGES

    assert hmm_kernels._EDGES == tuple(SYMBOL_EDGES.tolist())
    for f in np.linspace(-0.1, 1.1, 241).tolist() + [0.2, 0.3, 0.4, 0.6, 0.7, 0.8, float("nan")]:
        tracker = One(refit_every=0)
        tracker.update(f)
        assert int(tracker.symbols[0]) == discretise(f)
