"""The paper's hidden Markov model: from the evolutionary factor to a belief over the four swarm states.

Each iteration, every swarm's evolutionary factor is discretised into one of seven symbols
(:func:`pso_env.factor.discretise`) and fed to a 4-state categorical HMM (DQNPSO paper, section 3.4;
SPEC.md). :class:`Belief` carries the last state of each sequence's Viterbi path (``states``, the paper's
belief state) and its filtered posterior (``posterior``) forward one symbol at a time
(:mod:`pso_env.hmm_kernels`): exactly hmmlearn's ``decode`` and ``predict_proba(X)[-1]`` on the model of
:meth:`Belief.to_hmmlearn`; its refits reproduce hmmlearn's ``fit`` (hmmlearn is only the tests' reference).

The paper's model gives real sequences probability zero (its transitions only stay or move on along the
cycle S1 -> S2 -> S3 -> S4 -> S1, and several symbols are emitted by one state only), so the belief decodes
with a floored model: ``floor`` is added to every entry of A and B and the rows renormalised (pi is not
floored: a run starts in exploration). The floor is re-applied after every re-estimate, so an entry the data
need can grow from it (Baum-Welch keeps exact zeros at zero).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import hmm_kernels
from .config import DEFAULT_REFIT_EVERY, check_int, check_real, is_real
from .factor import N_SYMBOLS
from .hmm_kernels import model_tables
from .swarm import as_indices

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
PAPER_TRANSMAT = _frozen([[0.5, 0.5, 0.0, 0.0],
                          [0.0, 0.5, 0.5, 0.0],
                          [0.0, 0.0, 0.5, 0.5],
                          [0.5, 0.0, 0.0, 0.5]])
#: Paper's emissions (rows S1..S4, columns symbols 0..6).
PAPER_EMISSIONPROB = _frozen([[0.0, 0.0, 0.0, 1 / 2, 1 / 4, 1 / 4, 0.0],
                              [0.0, 1 / 4, 1 / 4, 1 / 2, 0.0, 0.0, 0.0],
                              [2 / 3, 1 / 3, 0.0, 0.0, 0.0, 0.0, 0.0],
                              [0.0, 0.0, 0.0, 0.0, 0.0, 1 / 3, 2 / 3]])

#: Default EM iterations per re-estimate.
DEFAULT_REFIT_ITER = 1
#: Default number of symbols before the first re-estimate: the free scalars of A and B (4*3 + 4*6),
#: below which hmmlearn itself warns of a degenerate solution.
DEFAULT_REFIT_MIN_LENGTH = N_STATES * (N_STATES - 1) + N_STATES * (N_SYMBOLS - 1)
#: Symbols stored per sequence before the history first grows (it doubles when full).
_INITIAL_CAPACITY = 1024


def floor_rows(p: np.ndarray, floor: float) -> np.ndarray:
    """A new row-stochastic (K, M) matrix: ``floor`` added to every entry of ``p`` (K, M), rows renormalised
    (so every entry is at least ``floor / (1 + M * floor)``)."""
    q = np.asarray(p, dtype=float) + floor
    return q / q.sum(axis=1, keepdims=True)


def _check_prob(name: str, value: object, default: np.ndarray) -> np.ndarray:
    arr = np.array(default if value is None else value, dtype=float)
    if arr.shape != default.shape:
        raise ValueError(f"{name} must have shape {default.shape}, got {arr.shape}")
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise ValueError(f"{name} must hold finite non-negative probabilities")
    sums = arr.sum(axis=-1)
    if not np.allclose(sums, 1.0, rtol=0.0, atol=1e-8):
        raise ValueError(f"{name} rows must sum to 1, got sums {sums}")
    return arr / sums[..., None]


class Belief:
    """Online Viterbi states and filtered posteriors of B independent symbol sequences, with refits.

    :meth:`update` takes the B swarms' evolutionary factors once per PSO iteration; ``states[i]`` and
    ``posterior[i]`` are then hmmlearn's over sequence i's history on the model ``to_hmmlearn(i)``. Each
    sequence has its own model, re-estimated from its own history.

    Parameters
    ----------
    batch_size : int
        B.
    refit_every : int, default 100
        Baum-Welch re-estimation of A and B (hmmlearn's ``fit``, ``params="te"``: pi fixed) on all symbols
        of a sequence every ``refit_every`` of its symbols (0: never; 1: the paper's every iteration), then
        the state and posterior are recomputed. The default (BENCHMARKS.md, section 2) costs a few percent of
        a swarm iteration; its decoded state differs from refitting every iteration on about 6% of steps.
    floor : float, default 1e-6
        Added to every entry of A and B (rows renormalised) so that no sequence has probability zero
        (see the module docstring); must be in [1e-12, 0.1].
    refit_iter : int, default 1
        EM iterations per refit (hmmlearn ``n_iter``) from the current parameters.
    refit_tol : float, default 1e-4
        hmmlearn's EM convergence threshold on the log-likelihood gain.
    refit_min_length : int, default 36
        No refit before this many symbols are stored (the free scalars of A and B; below it hmmlearn warns
        that the fit is degenerate).
    refit_pseudocount : float, default 1.0
        Dirichlet pseudo-counts (hmmlearn's priors ``1 + refit_pseudocount * current``): a refit weighs the
        current row as this many observations, so a state the data hardly visit keeps its rows. 0: plain EM.
    startprob, transmat, emissionprob : array-like, optional
        Initial pi (4,), A (4, 4) and B (4, 7) of all sequences (default the paper's; rows summing to 1);
        A and B are floored, pi is used as given.

    Attributes
    ----------
    states : ndarray of int, shape (B,)
        Last state of each sequence's Viterbi path (first argmax of pi before any symbol).
    n_symbols : ndarray of int, shape (B,)
        Symbols seen since each sequence's reset.
    n_refits : ndarray of int, shape (B,)
        Refits completed since each sequence's reset.
    n_rejected_rows : ndarray of int, shape (B,)
        Rows of A or B whose re-estimate was degenerate (NaN, all zero, not stochastic) and kept their values.

    Raises
    ------
    ValueError
        A parameter out of its range, or probabilities of the wrong shape or not summing to 1.

    Notes
    -----
    The Viterbi lattice is kept unnormalised (log-probabilities), so that its arithmetic and tie-breaking
    (the lowest state index) are exactly hmmlearn's.
    """

    def __init__(self, batch_size: int = 1, refit_every: int = DEFAULT_REFIT_EVERY, floor: float = 1e-6,
                 refit_iter: int = DEFAULT_REFIT_ITER, *, refit_tol: float = 1e-4,
                 refit_min_length: int = DEFAULT_REFIT_MIN_LENGTH, refit_pseudocount: float = 1.0,
                 startprob: object = None, transmat: object = None, emissionprob: object = None) -> None:
        self.batch_size = b = check_int(1)("batch_size", batch_size)
        self.refit_every = check_int(0)("refit_every", refit_every)
        self.refit_iter = check_int(1)("refit_iter", refit_iter)
        self.refit_min_length = check_int(1)("refit_min_length", refit_min_length)
        if not (is_real(floor) and 1e-12 <= floor <= 0.1):
            raise ValueError(f"floor must be a number in [1e-12, 0.1], got {floor!r}")
        self.floor = float(floor)
        self.refit_tol = check_real(0.0)("refit_tol", refit_tol)
        self.refit_pseudocount = check_real(0.0)("refit_pseudocount", refit_pseudocount)
        self._pi = pi = _check_prob("startprob", startprob, PAPER_STARTPROB)
        self._init_transmat = floor_rows(_check_prob("transmat", transmat, PAPER_TRANSMAT), self.floor)
        self._init_emissionprob = floor_rows(_check_prob("emissionprob", emissionprob, PAPER_EMISSIONPROB),
                                             self.floor)
        self._init_tables = model_tables(pi, self._init_transmat[None], self._init_emissionprob[None])[0]
        # (Viterbi row, filter) before any symbol: log pi and pi (rows 0 of the tables)
        self._init_lattice = self._init_tables[:, 0].copy()
        self._init_state = int(np.argmax(pi))  # the first maximum, as hmmlearn's viterbi
        self._transmat = np.empty((b, N_STATES, N_STATES))
        self._emissionprob = np.empty((b, N_STATES, N_SYMBOLS))
        self._tables = np.empty((b, *self._init_tables.shape))
        self._lattice = np.empty((b, 2, N_STATES))
        self._history = np.zeros((b, _INITIAL_CAPACITY), dtype=np.int8)
        self._all_rows = np.arange(b)
        self._ints = np.zeros((5, b), dtype=np.int64)  # one argument of the environment's step kernel
        self.states, self.n_symbols, self.n_refits, self.n_rejected_rows, self._due = self._ints
        self.reset()

    def _rows(self, indices: Any) -> np.ndarray:  # validated: the kernels rely on distinct rows in range
        return self._all_rows if indices is None else as_indices(indices, self.batch_size)

    # ------------------------------------------------------------------ updates
    def reset(self, indices: Any = None) -> None:
        """Restart sequences ``indices`` (None: all; ints or a boolean mask) from pi with the initial model."""
        rows = self._rows(indices)
        self._transmat[rows] = self._init_transmat
        self._emissionprob[rows] = self._init_emissionprob
        self._tables[rows] = self._init_tables
        self._lattice[rows] = self._init_lattice
        self.states[rows] = self._init_state
        self.n_symbols[rows] = self.n_refits[rows] = self.n_rejected_rows[rows] = 0

    def update(self, f: Any, indices: Any = None) -> np.ndarray:
        """Feed one evolutionary factor per sequence (discretised as :func:`pso_env.factor.discretise`); return a
        copy of :attr:`states` (B,).

        ``f`` has shape (B,), or (k,) with ``indices`` (k distinct ints or a boolean mask: only those sequences
        step). ValueError for ``f`` or ``indices`` of the wrong shape, or indices out of range or repeated.
        """
        rows = self._rows(indices)
        values = np.ascontiguousarray(f, dtype=float)
        if values.shape != rows.shape:
            raise ValueError(f"f must have shape {rows.shape}, got {values.shape}")
        return self._step(values, rows, True)

    def update_symbols(self, symbols: Any, indices: Any = None) -> np.ndarray:
        """:meth:`update` with symbols 0..6 (integers) instead of evolutionary factors."""
        rows = self._rows(indices)
        s = np.asarray(symbols)
        n = rows.size
        if s.shape != (n,) or not np.issubdtype(s.dtype, np.integer) or (n and (s.min() < 0 or s.max() > 6)):
            raise ValueError(f"symbols must be {n} integers in 0..6, got {symbols!r}")
        return self._step(np.ascontiguousarray(s, dtype=float), rows, False)

    def _step(self, values: np.ndarray, rows: np.ndarray, factors: bool) -> np.ndarray:
        args = (self.n_symbols, self.states, self._lattice, self._tables, self.refit_every,
                self.refit_min_length, self._due)
        n_due = hmm_kernels.batch_update(values, factors, rows, self._history, *args)
        if n_due < 0:  # some history is full: double the capacity (nothing was changed)
            self._history = np.concatenate([self._history, np.zeros_like(self._history)], axis=1)
            n_due = hmm_kernels.batch_update(values, factors, rows, self._history, *args)
        if n_due:
            self._refit(self._due[:n_due].copy())
        return self.states.copy()

    def refit(self, indices: Any = None) -> np.ndarray:
        """Re-estimate A and B of sequences ``indices`` (None: all) now, by Baum-Welch on their stored symbols.

        Degenerate rows of a re-estimate (non-finite, negative, not summing to 1) keep their values; the floor
        is re-applied and the states and posteriors recomputed. Returns, per selected sequence, True if the
        re-estimate ran, False if not (no symbols yet, or the scaled forward pass underflowed, where hmmlearn's
        ``fit`` raises; the parameters are then kept).
        """
        rows = self._rows(indices)
        ran = np.zeros(rows.size, dtype=bool)
        has = self.n_symbols[rows] > 0
        ran[has] = self._refit(rows[has])
        return ran

    def _refit(self, rows: np.ndarray) -> np.ndarray:
        """Baum-Welch refit of sequences ``rows`` (each with symbols) and recompute of their states."""
        ok = hmm_kernels.batch_refit(self._history, self.n_symbols, rows, self._pi, self._transmat,
                                     self._emissionprob, self.refit_pseudocount, self.refit_iter, self.refit_tol,
                                     self.floor, self.n_rejected_rows)
        done = rows[ok]
        if done.size:
            self.n_refits[done] += 1
            self._tables[done] = model_tables(self._pi, self._transmat[done], self._emissionprob[done])
            hmm_kernels.batch_recompute(self._history, self.n_symbols, done, self._tables, self._lattice,
                                        self.states)
        return ok

    # ------------------------------------------------------------------ read-outs
    @property
    def posterior(self) -> np.ndarray:
        """Filtered posteriors ``P(state_t | symbols_1..t)``, shape (B, 4) (a copy); pi before any symbol."""
        return self._lattice[:, 1].copy()

    @property
    def viterbi_log_prob(self) -> np.ndarray:
        """Log-probability of each sequence's best path (hmmlearn ``decode``'s first return value), shape
        (B,); 0.0 where no symbol was seen."""
        return np.where(self.n_symbols > 0, self._lattice[:, 0].max(axis=1), 0.0)

    @property
    def startprob(self) -> np.ndarray:
        """pi, shape (4,) (a copy; shared and fixed under re-estimation)."""
        return self._pi.copy()

    @property
    def transmat(self) -> np.ndarray:
        """Current (floored, possibly re-estimated) A of each sequence, shape (B, 4, 4) (a copy)."""
        return self._transmat.copy()

    @property
    def emissionprob(self) -> np.ndarray:
        """Current (floored, possibly re-estimated) B of each sequence, shape (B, 4, 7) (a copy)."""
        return self._emissionprob.copy()

    def symbols(self, i: int = 0) -> np.ndarray:
        """Symbols seen by sequence ``i`` since its reset (a copy), shape (n_symbols[i],)."""
        return self._history[i, : self.n_symbols[i]].astype(np.int64)

    def to_hmmlearn(self, i: int = 0) -> CategoricalHMM:
        """A new hmmlearn ``CategoricalHMM`` holding exactly the current parameters of sequence ``i``.

        Its ``decode(X, algorithm="viterbi")[1][-1]`` is ``states[i]`` and its ``predict_proba(X)[-1]``
        is ``posterior[i]``, for ``X = belief.symbols(i)[:, None]``.
        """
        from hmmlearn.hmm import CategoricalHMM

        model = CategoricalHMM(n_components=N_STATES, n_features=N_SYMBOLS, n_iter=self.refit_iter,
                               tol=self.refit_tol, params="te", init_params="", implementation="log")
        model.startprob_, model.transmat_ = self._pi.copy(), self._transmat[i].copy()
        model.emissionprob_ = self._emissionprob[i].copy()
        return model

    def __repr__(self) -> str:
        return (f"Belief(batch_size={self.batch_size}, refit_every={self.refit_every}, "
                f"floor={self.floor}, refit_iter={self.refit_iter})")
