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
this at every step. Baum-Welch re-estimation of the transitions and emissions runs every
``refit_every`` iterations, in the numba kernels of :mod:`pso_env.hmm_kernels`, which reproduce
hmmlearn's ``fit`` (the tests compare them with it); hmmlearn itself is only the reference.

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

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from . import hmm_kernels
from .factor import N_SYMBOLS
from .hmm_kernels import model_tables

if TYPE_CHECKING:  # hmmlearn is the reference implementation, imported only by to_hmmlearn()
    from hmmlearn.hmm import CategoricalHMM

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


def _argmax4(d: Sequence[float]) -> int:
    # First maximum, as std::max_element in hmmlearn's viterbi.
    best, m = 0, d[0]
    if d[1] > m:
        best, m = 1, d[1]
    if d[2] > m:
        best, m = 2, d[2]
    if d[3] > m:
        best = 3
    return best


class BeliefTracker:
    """Online belief state of the swarm from the evolutionary factor (the paper's HMM).

    Call :meth:`update` once per PSO iteration with that iteration's ``f``. The tracker keeps the
    Viterbi lattice's last row and the normalised forward filter and advances both by one symbol in
    O(K^2), so ``state`` and ``posterior`` are always those of hmmlearn's ``decode`` / ``predict_proba``
    over the whole history, on the model that :meth:`to_hmmlearn` returns.

    Parameters
    ----------
    refit_every : int, default 100
        Baum-Welch re-estimation of A and B (as hmmlearn's ``fit`` with ``init_params=""``,
        ``params="te"``: pi fixed) on all symbols seen so far, every ``refit_every`` iterations; 0 turns it off, 1 is
        the paper's "every iteration". After a refit, ``state`` and ``posterior`` are recomputed once
        from the stored symbols with the new parameters.

        The default is a measurement (``perf/belief_online_vs_decode.py``: 13 swarm runs of 1000
        iterations, N=30, D=30, rastrigin/sphere/ackley, fixed and random per-iteration w, c1, c2;
        CPU time, minima over repeats). One refit (:func:`pso_env.hmm_kernels.baum_welch`, then the
        row checks and the recompute) costs ~40 us at t=100 to ~100 us at t=1000 symbols (hmmlearn's
        own ``fit``: ~0.4-0.9 ms) against ~75-100 us for one swarm iteration, so the mean cost per
        iteration is ~70 us at 1 (about a swarm iteration), ~9.5 us at 10, ~4.2 us at 50, ~3.7 us at
        100 (5%), ~2.8 us with refits off. The decoded state, however, hardly depends on the cadence:
        against refit_every=1 it differs on 2.7% of steps at 2, 4.5-4.9% at 5-20, 6.0-6.3% at 50-100
        and 6.8% with no refits at all (on the runs with random parameters, as an agent sets them, on
        <= 0.5% of steps at every cadence). No cadence short of every iteration buys a belief much
        closer to the paper's, so the default stays at 100, where refits add ~1 us per iteration.
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
        self.reset()

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """Forget all symbols and restore the initial (floored) parameters; refit counters to 0."""
        self._set_params(self._init_startprob, self._init_transmat, self._init_emissionprob)
        self._buf = np.zeros(1024, dtype=np.int8)
        self._n = 0
        self.n_refits = 0
        self.n_rejected_rows = 0
        # (Viterbi row, filter): log pi and pi before any symbol (rows 0 of the tables)
        self._lat = self._tables[:, 0].copy()
        self._state = _argmax4(self._startprob.tolist())

    def _set_params(self, pi: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
        # The arrays are the tracker's own and are never modified in place (refits make new ones).
        self._startprob, self._transmat, self._emissionprob = pi, a, b
        # One table builder for the tracker and BatchBelief, so both hold the same logarithms.
        self._tables = model_tables(pi, a[None], b[None])[0]

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
        # float(): a float32 0.7 is compared with the edges as the double 0.7 (discretise's rule)
        return self._push(float(f), -1)

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
        return self._push(0.0, int(symbol))

    def _push(self, f: float, symbol: int) -> int:
        """Store the symbol (``symbol``, or ``f`` discretised when -1) and advance the online recursion."""
        n = self._n
        if n == self._buf.shape[0]:
            self._buf = np.concatenate([self._buf, np.zeros_like(self._buf)])
        # One numba call: in a PSO loop it costs about half of the same arithmetic in Python, whose
        # cost there doubles as the swarm's numpy work evicts the interpreter's caches.
        code = hmm_kernels.online_step(self._tables, self._lat, f, symbol, n == 0)
        self._buf[n] = code >> 2
        self._n = n = n + 1
        self._state = code & 3
        k = self.refit_every
        if k and n % k == 0 and n >= self.refit_min_length:
            self.refit()
        return self._state

    def refit(self) -> bool:
        """Re-estimate A and B now by Baum-Welch on all stored symbols (pi fixed).

        Runs :func:`pso_env.hmm_kernels.baum_welch` (hmmlearn's ``fit``: ``refit_iter`` EM iterations
        from the current parameters, Dirichlet priors ``1 + refit_pseudocount * current``). Rows of the
        re-estimate that are degenerate (non-finite, negative, or not summing to 1) keep their previous
        values; the floor is then re-applied, and ``state`` / ``posterior`` are recomputed from the
        stored symbols. Never raises: if the re-estimate fails, the parameters are kept.

        Returns
        -------
        bool
            True if the re-estimate ran (the parameters may still be unchanged), False otherwise (no
            symbols yet, or the scaled forward pass underflowed, where hmmlearn's ``fit`` raises).
        """
        n = self._n
        if n == 0:
            return False
        try:
            new_a, new_b, _, ok = hmm_kernels.baum_welch(
                self._buf[:n], self._startprob, self._transmat, self._emissionprob,
                self.refit_pseudocount, self.refit_iter, self.refit_tol,
            )
            if not ok or new_a.shape != self._transmat.shape or new_b.shape != self._emissionprob.shape:
                return False
            a, rejected_a = hmm_kernels.accept_rows(new_a, self._transmat, self.floor)
            b, rejected_b = hmm_kernels.accept_rows(new_b, self._emissionprob, self.floor)
        except Exception:  # noqa: BLE001 - a failed re-estimate must not stop a run
            return False
        self.n_rejected_rows += rejected_a + rejected_b
        self._set_params(self._startprob, a, b)
        self.n_refits += 1
        self._recompute()
        return True

    def _recompute(self) -> None:
        """Recompute the Viterbi row and the filter from the stored symbols with the current model.

        :func:`pso_env.hmm_kernels.last_rows` runs the online recursion over the whole history, so the
        result is the one the online path would have reached with this model, bit for bit.
        """
        self._lat = hmm_kernels.last_rows(self._buf[: self._n], self._tables)
        self._state = _argmax4(self._lat[0].tolist())

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
        return self._lat[1].copy()

    @property
    def viterbi_log_prob(self) -> float:
        """Log-probability of the best path (hmmlearn ``decode``'s first return value); 0.0 if empty."""
        return max(self._lat[0].tolist()) if self._n else 0.0

    @property
    def symbols(self) -> np.ndarray:
        """Symbols seen so far (a copy), shape (t,)."""
        return self._buf[: self._n].astype(np.int64)

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
        from hmmlearn.hmm import CategoricalHMM

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
