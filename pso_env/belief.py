"""The paper's hidden Markov model: from the evolutionary factor to a belief over the four swarm states.

At every PSO iteration the evolutionary factor ``f`` is discretised into one of seven symbols
(:func:`pso_env.factor.discretise`) and fed to a 4-state categorical HMM (paper, section 3.4; states
in the order of :data:`STATE_NAMES`). :class:`BeliefTracker` then offers

* ``state``: the last state of the Viterbi path over all symbols seen so far (the paper's belief
  state, handed to the agent one-hot encoded), and
* ``posterior``: the filtered posterior ``P(S_t | o_1..o_t)``, the richer "belief as a distribution".

Both are carried forward one symbol at a time in O(K^2) (K = 4) instead of re-decoding the history,
and both are exactly what :mod:`hmmlearn` computes (``decode(..., algorithm="viterbi")`` and
``predict_proba(X)[-1]``) on the model returned by :meth:`BeliefTracker.to_hmmlearn`; the tests check
this at every step. Baum-Welch re-estimation of the transitions and emissions (hmmlearn's ``fit``)
runs every ``refit_every`` iterations.

Impossible sequences
--------------------
The paper's transitions only allow "stay" or "move on along the cycle S1 -> S2 -> S3 -> S4 -> S1", and
several symbols are emitted by one state only, so real sequences of ``f`` often have probability zero
under the paper's model (symbol 0, emitted only by convergence, followed by symbol 4, emitted only by
exploration). The tracker therefore decodes with a floored model: ``floor`` is added to every entry of
A and B and the rows are renormalised, so the paper's zeros become ``floor / (1 + n*floor)`` and every
sequence has positive probability. The start distribution pi is **not** floored: pi = [1, 0, 0, 0]
keeps the paper's "a run starts in exploration" (every sequence stays possible because B is floored).
The floor is re-applied after every re-estimate, so an entry the data do not need stays near
``floor`` (about 2*floor in the tests), while one the data need can grow from it (with exact zeros it
never could: Baum-Welch keeps zeros at zero).
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
from hmmlearn.hmm import CategoricalHMM

try:  # private C++ kernels, used (after a self-check) only to recompute after a refit
    from hmmlearn import _hmmc
except ImportError:  # pragma: no cover - a future hmmlearn without them: the Python loop is used
    _hmmc = None

from .factor import N_SYMBOLS, discretise

#: Hidden states in the order of the model's rows.
STATE_NAMES = ("exploration", "exploitation", "convergence", "jumping-out")
#: Number of hidden states K.
N_STATES = len(STATE_NAMES)


def _frozen(a: list) -> np.ndarray:
    out = np.array(a, dtype=float)
    out.setflags(write=False)
    return out


#: Paper's start probabilities: a run starts in exploration.
PAPER_STARTPROB = _frozen([1.0, 0.0, 0.0, 0.0])
#: Paper's transitions: stay with 1/2 or move to the next state on the cycle with 1/2.
PAPER_TRANSMAT = _frozen(
    [
        [0.5, 0.5, 0.0, 0.0],
        [0.0, 0.5, 0.5, 0.0],
        [0.0, 0.0, 0.5, 0.5],
        [0.5, 0.0, 0.0, 0.5],
    ]
)
#: Paper's emissions (rows S1..S4, columns symbols 0..6).
PAPER_EMISSIONPROB = _frozen(
    [
        [0.0, 0.0, 0.0, 1 / 2, 1 / 4, 1 / 4, 0.0],
        [0.0, 1 / 4, 1 / 4, 1 / 2, 0.0, 0.0, 0.0],
        [2 / 3, 1 / 3, 0.0, 0.0, 0.0, 0.0, 0.0],
        [0.0, 0.0, 0.0, 0.0, 0.0, 1 / 3, 2 / 3],
    ]
)

#: Default re-estimation period (iterations); see :class:`BeliefTracker` for the measurement.
DEFAULT_REFIT_EVERY = 100
#: Default EM iterations per re-estimate.
DEFAULT_REFIT_ITER = 1
#: Default number of symbols before the first re-estimate: the free scalars of A and B (4*3 + 4*6),
#: below which hmmlearn itself warns of a degenerate solution.
DEFAULT_REFIT_MIN_LENGTH = N_STATES * (N_STATES - 1) + N_STATES * (N_SYMBOLS - 1)

_ROW_TOL = 1e-6
_HMM_LOGGER = logging.getLogger("hmmlearn.base")


class _DropAll(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return False


_DROP_ALL = _DropAll()


@contextmanager
def _quiet_hmmlearn() -> Iterator[None]:
    """Silence hmmlearn's convergence / short-sequence log records, warnings and numpy FP warnings."""
    _HMM_LOGGER.addFilter(_DROP_ALL)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            yield
    finally:
        _HMM_LOGGER.removeFilter(_DROP_ALL)


def floor_rows(p: np.ndarray, floor: float) -> np.ndarray:
    """Add ``floor`` to every entry of ``p`` and renormalise each row to sum to 1.

    Parameters
    ----------
    p : ndarray of shape (K, M)
        Row-stochastic matrix.
    floor : float
        Value added to every entry before renormalising.

    Returns
    -------
    ndarray of shape (K, M)
        A new row-stochastic matrix whose entries are all at least ``floor / (1 + M*floor)``.
    """
    q = np.asarray(p, dtype=float) + floor
    return q / q.sum(axis=1, keepdims=True)


def _check_prob(name: str, value: object, shape: tuple[int, ...]) -> np.ndarray:
    arr = np.array(value, dtype=float)
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise ValueError(f"{name} must hold finite non-negative probabilities")
    sums = arr.sum(axis=-1)
    if not np.allclose(sums, 1.0, rtol=0.0, atol=1e-8):
        raise ValueError(f"{name} rows must sum to 1, got sums {sums}")
    return arr / arr.sum(axis=-1, keepdims=True)


def _check_real(name: str, value: object, ok: Callable[[float], bool], allowed: str) -> float:
    """``value`` as a float if it is a finite real number (not a bool) that ``ok`` accepts; else ValueError."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.floating, np.integer))
        or not (math.isfinite(value) and ok(float(value)))
    ):
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return float(value)


def _check_int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _log(x: float) -> float:
    # Same libm log as hmmlearn's C++ std::log (for pi and A), with log(0) = -inf.
    return math.log(x) if x > 0.0 else -math.inf


def _advance(
    symbols: object,
    delta: tuple[float, float, float, float],
    alpha: tuple[float, float, float, float],
    la: tuple[float, ...],
    a: tuple[float, ...],
    logb: tuple[tuple[float, float, float, float], ...],
    b: tuple[tuple[float, float, float, float], ...],
) -> tuple[tuple[float, float, float, float], tuple[float, float, float, float]]:
    """Carry the Viterbi lattice row and the normalised forward filter over ``symbols``.

    Pure-Python scalar code on the 4x4 model: for K = 4 it beats numpy's per-call overhead by about
    4x. The Viterbi sums are formed in the same order as hmmlearn's ``_hmmc.viterbi``
    (``delta(t-1, i) + logA(i, j)``, max over i, then ``+ logB(j, o_t)``), so the lattice is bit-identical.
    """
    a00, a01, a02, a03, a10, a11, a12, a13, a20, a21, a22, a23, a30, a31, a32, a33 = la
    p00, p01, p02, p03, p10, p11, p12, p13, p20, p21, p22, p23, p30, p31, p32, p33 = a
    d0, d1, d2, d3 = delta
    q0, q1, q2, q3 = alpha
    for s in symbols:
        e0, e1, e2, e3 = logb[s]
        d0, d1, d2, d3 = (
            max(d0 + a00, d1 + a10, d2 + a20, d3 + a30) + e0,
            max(d0 + a01, d1 + a11, d2 + a21, d3 + a31) + e1,
            max(d0 + a02, d1 + a12, d2 + a22, d3 + a32) + e2,
            max(d0 + a03, d1 + a13, d2 + a23, d3 + a33) + e3,
        )
        e0, e1, e2, e3 = b[s]
        r0 = (q0 * p00 + q1 * p10 + q2 * p20 + q3 * p30) * e0
        r1 = (q0 * p01 + q1 * p11 + q2 * p21 + q3 * p31) * e1
        r2 = (q0 * p02 + q1 * p12 + q2 * p22 + q3 * p32) * e2
        r3 = (q0 * p03 + q1 * p13 + q2 * p23 + q3 * p33) * e3
        z = r0 + r1 + r2 + r3
        if z > 0.0:  # always true with a floored model; guards against a NaN filter regardless
            q0, q1, q2, q3 = r0 / z, r1 / z, r2 / z, r3 / z
    return (d0, d1, d2, d3), (q0, q1, q2, q3)


def _argmax4(d: tuple[float, float, float, float]) -> int:
    # First maximum, as std::max_element in hmmlearn's viterbi.
    best, m = 0, d[0]
    if d[1] > m:
        best, m = 1, d[1]
    if d[2] > m:
        best, m = 2, d[2]
    if d[3] > m:
        best = 3
    return best


def _last_rows_hmmc(
    symbols: np.ndarray, startprob: np.ndarray, transmat: np.ndarray, logb: np.ndarray, b: np.ndarray
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Last Viterbi lattice row and filtered posterior of ``symbols`` with hmmlearn's C++ kernels.

    ``_hmmc.viterbi`` returns only the best final score, so ``delta_T(k)`` is read as that score with
    the last frame's log-likelihood masked to -inf outside state k: the recursion up to T is untouched
    and the returned value is the lattice entry itself, bit for bit. ``_hmmc.forward_scaling``'s last
    row is the normalised forward filter. ``logb`` and ``b`` are (7, 4): per symbol, per state.
    """
    lf = logb[symbols]
    last = lf[-1].copy()
    delta = []
    for k in range(N_STATES):
        lf[-1] = -np.inf
        lf[-1, k] = last[k]
        out = _hmmc.viterbi(startprob, transmat, lf)
        delta.append(float(next(x for x in out if np.ndim(x) == 0)))
    out = _hmmc.forward_scaling(startprob, transmat, b[symbols])
    fwd = next(x for x in out if np.ndim(x) == 2)
    return tuple(delta), tuple(float(x) for x in fwd[-1])


#: Whether hmmlearn's private C++ kernels reproduce the pure-Python recursion (checked once, lazily);
#: None = not checked yet. Set to False to force the pure-Python recompute after refits.
_HMMC_OK: bool | None = None


def _hmmc_ok() -> bool:
    """Check once that ``_last_rows_hmmc`` agrees with ``_advance`` (exactly for Viterbi)."""
    global _HMMC_OK
    if _HMMC_OK is None:
        try:
            rng = np.random.default_rng(12345)
            pi = np.array([0.4, 0.3, 0.0, 0.3])
            a = floor_rows(rng.dirichlet(np.ones(N_STATES), N_STATES), 1e-3)
            b = floor_rows(rng.dirichlet(np.ones(N_SYMBOLS), N_STATES), 1e-3)
            x = rng.integers(0, N_SYMBOLS, 60)
            with np.errstate(divide="ignore"):
                lpi, lb = np.log(pi), np.log(b)
            d0 = tuple(float(v) for v in lpi + lb[:, x[0]])
            q0 = pi * b[:, x[0]]
            q0 = tuple(float(v) for v in q0 / q0.sum())
            ref_d, ref_q = _advance(
                x[1:].tolist(),
                d0,
                q0,
                tuple(_log(v) for v in a.ravel().tolist()),
                tuple(a.ravel().tolist()),
                tuple(map(tuple, lb.T.tolist())),
                tuple(map(tuple, b.T.tolist())),
            )
            got_d, got_q = _last_rows_hmmc(x, pi, a, np.ascontiguousarray(lb.T), np.ascontiguousarray(b.T))
            _HMMC_OK = got_d == ref_d and bool(np.allclose(got_q, ref_q, rtol=0.0, atol=1e-12))
        except Exception:  # noqa: BLE001 - any change in the private API: use the Python loop
            _HMMC_OK = False
    return _HMMC_OK


class BeliefTracker:
    """Online belief state of the swarm from the evolutionary factor (the paper's HMM).

    Call :meth:`update` once per PSO iteration with that iteration's ``f``. The tracker keeps the
    Viterbi lattice's last row and the normalised forward filter and advances both by one symbol in
    O(K^2), so ``state`` and ``posterior`` are always those of hmmlearn's ``decode`` / ``predict_proba``
    over the whole history, on the model that :meth:`to_hmmlearn` returns.

    Parameters
    ----------
    refit_every : int, default 100
        Baum-Welch re-estimation of A and B (hmmlearn ``fit``, ``init_params=""``, ``params="te"``,
        pi fixed) on all symbols seen so far, every ``refit_every`` iterations; 0 turns it off, 1 is
        the paper's "every iteration". After a refit, ``state`` and ``posterior`` are recomputed once
        from the stored symbols with the new parameters.

        The default is a measurement (``perf/belief_online_vs_decode.py``: 13 swarm runs of 1000
        iterations, N=30, D=30, rastrigin/sphere/ackley, fixed and random per-iteration w, c1, c2;
        CPU time, minima over repeats). One refit costs ~0.6-1.0 ms (hmmlearn's ``fit`` has a
        ~0.5 ms fixed overhead, plus O(t) work) against ~100 us for one swarm iteration, so the
        mean cost per iteration falls as 1/refit_every: ~0.8 ms at 1 (8x a swarm iteration),
        ~78 us at 10, ~19 us at 50, ~11 us at 100 (12%), ~3 us with refits off. The decoded state,
        however, hardly depends on the cadence: against refit_every=1 it differs on 2.7% of steps at
        2, 4.5-4.9% at 5-20, 6.0-6.3% at 50-100 and 6.8% with no refits at all (on the runs with
        random parameters, as an agent sets them, on <= 0.5% of steps at every cadence). No cadence
        short of every iteration buys a belief much closer to the paper's; 100 is the most frequent
        one that stays within ~15% of a swarm iteration, so that is the default.
    floor : float, default 1e-6
        Added to every entry of A and B (rows renormalised) so that no sequence has probability zero
        (see the module docstring); must be in [1e-12, 0.1].
    refit_iter : int, default 1
        EM iterations per refit (hmmlearn ``n_iter``), starting from the current parameters; with
        frequent refits one step per refit is an incremental EM over the growing history.
    refit_tol : float, default 1e-4
        hmmlearn's EM convergence threshold on the log-likelihood gain (only matters when
        ``refit_iter > 1``).
    refit_min_length : int, default 36
        No refit before this many symbols are stored (36 = free scalars of A and B; below it hmmlearn
        warns that the fit is degenerate). Use 1 to refit literally from the first iteration.
    refit_pseudocount : float, default 1.0
        Dirichlet pseudo-counts (hmmlearn ``transmat_prior`` / ``emissionprob_prior`` =
        ``1 + refit_pseudocount * current``): each refit is a MAP step that weighs the current row as
        this many observations. A state the data visit far less than once keeps its rows instead of
        having them re-estimated from floor-level posterior mass (which otherwise turns the rows of
        unvisited states into noise: e.g. jumping-out learning to emit symbol 0); a state visited
        n times moves 1/(1+n) less than plain Baum-Welch. 0 gives plain (maximum-likelihood)
        Baum-Welch.
    startprob, transmat, emissionprob : array-like, optional
        Initial pi (4,), A (4, 4) and B (4, 7); default the paper's. Rows must sum to 1. A and B are
        floored as above, pi is used as given.

    Attributes
    ----------
    n_refits : int
        Refits completed since the last :meth:`reset`.
    n_rejected_rows : int
        Rows of A or B whose re-estimate was degenerate (NaN, all zero, not stochastic) and which
        kept their previous values instead.

    Notes
    -----
    * Before the first update, ``state`` is the first argmax of pi and ``posterior`` is pi.
    * ``f`` is discretised like :func:`pso_env.factor.discretise` (clipped into [0, 1], edges belong
      to the interval on their right; NaN maps to the top symbol), whose scalar path is a bisect: a
      numpy call would cost ~7 us, more than the whole HMM update.
    * The Viterbi lattice is kept unnormalised (log-probabilities of the best paths) so that its
      arithmetic, and hence tie-breaking, is exactly hmmlearn's; ties go to the lowest state index.
    """

    def __init__(
        self,
        refit_every: int = DEFAULT_REFIT_EVERY,
        floor: float = 1e-6,
        refit_iter: int = DEFAULT_REFIT_ITER,
        *,
        refit_tol: float = 1e-4,
        refit_min_length: int = DEFAULT_REFIT_MIN_LENGTH,
        refit_pseudocount: float = 1.0,
        startprob: object = None,
        transmat: object = None,
        emissionprob: object = None,
    ) -> None:
        self.refit_every = _check_int("refit_every", refit_every, 0)
        self.refit_iter = _check_int("refit_iter", refit_iter, 1)
        self.refit_min_length = _check_int("refit_min_length", refit_min_length, 1)
        self.floor = _check_real("floor", floor, lambda v: 1e-12 <= v <= 0.1, "a number in [1e-12, 0.1]")
        self.refit_tol = _check_real("refit_tol", refit_tol, lambda v: v >= 0, "a finite number >= 0")
        self.refit_pseudocount = _check_real(
            "refit_pseudocount", refit_pseudocount, lambda v: v >= 0, "a finite number >= 0"
        )
        pi = _check_prob("startprob", PAPER_STARTPROB if startprob is None else startprob, (N_STATES,))
        if not (pi > 0).any():
            raise ValueError("startprob must have a positive entry")
        self._init_startprob = pi
        self._init_transmat = floor_rows(
            _check_prob("transmat", PAPER_TRANSMAT if transmat is None else transmat, (N_STATES, N_STATES)),
            self.floor,
        )
        self._init_emissionprob = floor_rows(
            _check_prob(
                "emissionprob",
                PAPER_EMISSIONPROB if emissionprob is None else emissionprob,
                (N_STATES, N_SYMBOLS),
            ),
            self.floor,
        )
        self._fitter = CategoricalHMM(
            n_components=N_STATES,
            n_features=N_SYMBOLS,
            n_iter=self.refit_iter,
            tol=self.refit_tol,
            params="te",
            init_params="",
            implementation="scaling",
        )
        self.reset()

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """Forget all symbols and restore the initial (floored) parameters; refit counters to 0."""
        self._set_params(self._init_startprob, self._init_transmat, self._init_emissionprob)
        self._buf = np.zeros(1024, dtype=np.int64)
        self._n = 0
        self.n_refits = 0
        self.n_rejected_rows = 0
        self._delta = tuple(self._lpi)
        self._alpha = tuple(self._pi_t)
        self._state = _argmax4(self._alpha)

    def _set_params(self, pi: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
        self._startprob = np.array(pi, dtype=float)
        self._transmat = np.array(a, dtype=float)
        self._emissionprob = np.array(b, dtype=float)
        # Hot-path tables as Python floats. log(pi), log(A): libm, as hmmlearn's C++; log(B): np.log,
        # as hmmlearn's _compute_log_likelihood.
        self._pi_t = tuple(float(x) for x in self._startprob)
        self._lpi = tuple(_log(x) for x in self._pi_t)
        self._a = tuple(float(x) for x in self._transmat.ravel())
        self._la = tuple(_log(x) for x in self._a)
        with np.errstate(divide="ignore"):
            logb = np.log(self._emissionprob)
        self._b_arr = np.ascontiguousarray(self._emissionprob.T)
        self._logb_arr = np.ascontiguousarray(logb.T)
        self._b = tuple(tuple(float(x) for x in col) for col in self._b_arr)
        self._logb = tuple(tuple(float(x) for x in col) for col in self._logb_arr)

    # ------------------------------------------------------------------ updates
    def update(self, f: float) -> int:
        """Feed one iteration's evolutionary factor ``f``; return the new Viterbi state.

        Parameters
        ----------
        f : float
            Evolutionary factor, discretised into the paper's 7 symbols.

        Returns
        -------
        int
            ``state``: the last state of the Viterbi path over all symbols so far.
        """
        f = float(f)  # a float32 would compare with the edges in float32 (NumPy 2 promotion rules)
        return self._push(discretise(f))

    def update_symbol(self, symbol: int) -> int:
        """Feed one already discretised symbol (0..6); return the new Viterbi state.

        Raises
        ------
        ValueError
            If ``symbol`` is not an integer in 0..6.
        """
        if (
            isinstance(symbol, bool)
            or not isinstance(symbol, (int, np.integer))
            or not 0 <= symbol < N_SYMBOLS
        ):
            raise ValueError(f"symbol must be an integer in 0..{N_SYMBOLS - 1}, got {symbol!r}")
        return self._push(int(symbol))

    def _push(self, s: int) -> int:
        n = self._n
        if n == self._buf.shape[0]:
            self._buf = np.concatenate([self._buf, np.zeros_like(self._buf)])
        self._buf[n] = s
        n += 1
        self._n = n
        if n == 1:
            self._delta, self._alpha = self._first(s)
        else:
            self._delta, self._alpha = _advance(
                (s,), self._delta, self._alpha, self._la, self._a, self._logb, self._b
            )
        self._state = _argmax4(self._delta)
        k = self.refit_every
        if k and n % k == 0 and n >= self.refit_min_length:
            self.refit()
        return self._state

    def refit(self) -> bool:
        """Re-estimate A and B now by Baum-Welch on all stored symbols (pi fixed).

        Runs ``refit_iter`` EM iterations of hmmlearn's ``fit`` from the current parameters. Rows of
        the re-estimate that are degenerate (non-finite, negative, or not summing to 1) keep their
        previous values; the floor is then re-applied, and ``state`` / ``posterior`` are recomputed
        from the stored symbols. Never raises: if hmmlearn fails, the parameters are kept.

        Returns
        -------
        bool
            True if hmmlearn's fit ran (the parameters may still be unchanged), False otherwise.
        """
        n = self._n
        if n == 0:
            return False
        m = self._fitter
        m.transmat_prior = 1.0 + self.refit_pseudocount * self._transmat
        m.emissionprob_prior = 1.0 + self.refit_pseudocount * self._emissionprob
        m.startprob_ = self._startprob.copy()
        m.transmat_ = self._transmat.copy()
        m.emissionprob_ = self._emissionprob.copy()
        try:
            with _quiet_hmmlearn():
                try:
                    m.implementation = "scaling"
                    m.fit(self._buf[:n, None])
                except Exception:  # noqa: BLE001 - scaling underflow: retry in the log domain
                    m.implementation = "log"
                    m.startprob_ = self._startprob.copy()
                    m.transmat_ = self._transmat.copy()
                    m.emissionprob_ = self._emissionprob.copy()
                    m.fit(self._buf[:n, None])
            new_a = np.asarray(m.transmat_, dtype=float)
            new_b = np.asarray(m.emissionprob_, dtype=float)
            if new_a.shape != self._transmat.shape or new_b.shape != self._emissionprob.shape:
                return False
        except Exception:  # noqa: BLE001 - a failed re-estimate must not stop a run
            return False
        a = self._keep_good_rows(new_a, self._transmat)
        b = self._keep_good_rows(new_b, self._emissionprob)
        self._set_params(self._startprob, floor_rows(a, self.floor), floor_rows(b, self.floor))
        self.n_refits += 1
        self._recompute()
        return True

    def _keep_good_rows(self, new: np.ndarray, old: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            good = np.isfinite(new).all(axis=1) & (new >= 0).all(axis=1)
            good &= np.abs(np.where(good[:, None], new, 0.0).sum(axis=1) - 1.0) <= _ROW_TOL
        self.n_rejected_rows += int((~good).sum())
        return np.where(good[:, None], new, old)

    def _first(self, s: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """Viterbi row and filter after the first symbol ``s``."""
        lb, b, lpi, pi = self._logb[s], self._b[s], self._lpi, self._pi_t
        r0, r1, r2, r3 = pi[0] * b[0], pi[1] * b[1], pi[2] * b[2], pi[3] * b[3]
        z = r0 + r1 + r2 + r3
        return (lpi[0] + lb[0], lpi[1] + lb[1], lpi[2] + lb[2], lpi[3] + lb[3]), (
            r0 / z,
            r1 / z,
            r2 / z,
            r3 / z,
        )

    def _recompute(self) -> None:
        """Recompute the Viterbi row and the filter from the stored symbols with the current model.

        Uses hmmlearn's C++ kernels when they pass :func:`_hmmc_ok` (about 10x faster than the
        Python loop on a 1000-symbol history), else the pure-Python recursion; both are exact.
        """
        n = self._n
        delta, alpha = self._first(int(self._buf[0]))
        if n > 1:
            fast = None
            if _hmmc_ok():
                try:
                    fast = _last_rows_hmmc(
                        self._buf[:n], self._startprob, self._transmat, self._logb_arr, self._b_arr
                    )
                except Exception:  # noqa: BLE001 - fall back to the Python loop
                    fast = None
            if fast is None:
                delta, alpha = _advance(
                    self._buf[1:n].tolist(), delta, alpha, self._la, self._a, self._logb, self._b
                )
            else:
                delta, alpha = fast
        self._delta, self._alpha = delta, alpha
        self._state = _argmax4(delta)

    # ------------------------------------------------------------------ read-outs
    @property
    def state(self) -> int:
        """Last state of the Viterbi path over all symbols so far (index into :data:`STATE_NAMES`)."""
        return self._state

    @property
    def state_name(self) -> str:
        """Name of :attr:`state`."""
        return STATE_NAMES[self._state]

    @property
    def posterior(self) -> np.ndarray:
        """Filtered posterior ``P(state_t | symbols_1..t)``, shape (4,); pi before any update."""
        return np.array(self._alpha)

    @property
    def viterbi_log_prob(self) -> float:
        """Log-probability of the best path (hmmlearn ``decode``'s first return value); 0.0 if empty."""
        return max(self._delta) if self._n else 0.0

    @property
    def symbols(self) -> np.ndarray:
        """Symbols seen so far (a copy), shape (t,)."""
        return self._buf[: self._n].copy()

    @property
    def n_symbols(self) -> int:
        """Number of symbols seen so far."""
        return self._n

    @property
    def startprob(self) -> np.ndarray:
        """Current pi, shape (4,) (a copy; fixed under re-estimation)."""
        return self._startprob.copy()

    @property
    def transmat(self) -> np.ndarray:
        """Current (floored, possibly re-estimated) A, shape (4, 4) (a copy)."""
        return self._transmat.copy()

    @property
    def emissionprob(self) -> np.ndarray:
        """Current (floored, possibly re-estimated) B, shape (4, 7) (a copy)."""
        return self._emissionprob.copy()

    def to_hmmlearn(self) -> CategoricalHMM:
        """A new hmmlearn ``CategoricalHMM`` holding exactly the tracker's current parameters.

        Its ``decode(X, algorithm="viterbi")[1][-1]`` is :attr:`state` and its ``predict_proba(X)[-1]``
        is :attr:`posterior`, for ``X = tracker.symbols[:, None]``.
        """
        model = CategoricalHMM(
            n_components=N_STATES,
            n_features=N_SYMBOLS,
            n_iter=self.refit_iter,
            tol=self.refit_tol,
            params="te",
            init_params="",
            implementation="log",
        )
        model.startprob_ = self._startprob.copy()
        model.transmat_ = self._transmat.copy()
        model.emissionprob_ = self._emissionprob.copy()
        return model

    def __repr__(self) -> str:
        return (
            f"BeliefTracker(refit_every={self.refit_every}, floor={self.floor}, refit_iter={self.refit_iter}, "
            f"t={self._n}, state={self.state_name!r}, n_refits={self.n_refits})"
        )
