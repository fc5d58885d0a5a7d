"""Belief trackers for B swarms at once: the paper's HMM (:mod:`pso_env.belief`) over a batch.

:class:`BatchBelief` carries the online Viterbi row and forward filter of B symbol sequences, each with
its own model and stored symbols, and re-estimates the model of every sequence that reaches a refit
(Baum-Welch on its own history, as :meth:`pso_env.belief.BeliefTracker.refit`). Its states and
posteriors are those of B :class:`~pso_env.belief.BeliefTracker` objects created with the same arguments
and fed the same sequences, bit for bit: the online kernel of :mod:`pso_env.hmm_kernels` performs the
tracker's recursion (:func:`pso_env.hmm_kernels.online_step`) over a batch, and both refit with the same
kernels.

Cost (``perf/belief_online_vs_decode.py``, section 4: CPU time per sequence and step over 1000-step
swarm sequences, 2-core machine): refits off, one step is one numba call over all sequences, ~2.5 us
at B = 1, ~0.2 us per sequence at B = 16 and ~0.05 us at B = 256; at the default refit interval (100)
the refits of the due sequences add two more calls, ~3.3, ~0.65 and ~0.5 us per sequence and step (about
1% of a batched swarm iteration at N = D = 30, ~35-45 us per swarm). A Python loop over B
:class:`~pso_env.belief.BeliefTracker` objects costs ~3-4.5 us per sequence and step at every B, so it
is never the cheaper choice.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import hmm_kernels
from .belief import DEFAULT_REFIT_EVERY, N_STATES, BeliefTracker
from .factor import N_SYMBOLS
from .hmm_kernels import model_tables
from .swarm import as_indices

#: Symbols stored per sequence before the history first grows (it doubles when full).
_INITIAL_CAPACITY = 1024


def _as_batch(values: Any, batch_size: int, name: str) -> np.ndarray:
    arr = np.ascontiguousarray(values, dtype=float)
    if arr.shape != (batch_size,):
        raise ValueError(f"{name} must have shape ({batch_size},), got {arr.shape}")
    return arr


class BatchBelief:
    """Online Viterbi states and filtered posteriors of B independent symbol sequences, with refits.

    Each sequence has its own model (A, B re-estimated from its own history) and its own stored
    symbols. Its states, posteriors and models are those of a :class:`~pso_env.belief.BeliefTracker`
    created with the same arguments and fed the same sequence, bit for bit. One step is one kernel call
    over all sequences; the sequences due for a refit at that step (their number of symbols since their
    reset reached a multiple of ``refit_every`` that is at least ``refit_min_length``) are refitted
    together by two more.

    Parameters
    ----------
    batch_size : int
        B.
    **tracker_kwargs
        Any argument of :class:`~pso_env.belief.BeliefTracker` (``refit_every``, ``floor``,
        ``refit_iter``, ``refit_tol``, ``refit_min_length``, ``refit_pseudocount``, ``startprob``,
        ``transmat``, ``emissionprob``), validated by it, with the same defaults; shared by all sequences.

    Attributes
    ----------
    states : ndarray of int, shape (B,)
        Last state of each sequence's Viterbi path (first argmax of pi before any symbol).
    n_symbols : ndarray of int, shape (B,)
        Symbols seen since each sequence's reset.
    n_refits, n_rejected_rows : ndarray of int, shape (B,)
        Per sequence, as :class:`~pso_env.belief.BeliefTracker`'s attributes of the same names.
    """

    def __init__(self, batch_size: int, **tracker_kwargs: Any) -> None:
        if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")
        template = BeliefTracker(**tracker_kwargs)
        self.batch_size = b = int(batch_size)
        for name in ("refit_every", "refit_iter", "refit_tol", "refit_min_length", "refit_pseudocount", "floor"):
            setattr(self, name, getattr(template, name))
        self._pi = template.startprob
        self._init_transmat = template.transmat
        self._init_emissionprob = template.emissionprob
        self._init_tables = template._tables
        self._init_lattice = template._lat.copy()
        self._init_state = template.state
        self._transmat = np.empty((b, N_STATES, N_STATES))
        self._emissionprob = np.empty((b, N_STATES, N_SYMBOLS))
        self._tables = np.empty((b, *self._init_tables.shape))
        self._lattice = np.empty((b, 2, N_STATES))
        self._history = np.zeros((b, _INITIAL_CAPACITY), dtype=np.int8)
        self._all_rows = np.arange(b)
        self._due = np.empty(b, dtype=np.int64)
        self.states = np.empty(b, dtype=np.int64)
        self.n_symbols = np.zeros(b, dtype=np.int64)
        self.n_refits = np.zeros(b, dtype=np.int64)
        self.n_rejected_rows = np.zeros(b, dtype=np.int64)
        self.reset()

    def _rows(self, indices: Any) -> np.ndarray:
        # validated: the kernels rely on distinct rows in range
        return self._all_rows if indices is None else as_indices(indices, self.batch_size)

    def reset(self, indices: Any = None) -> None:
        """Forget the symbols of some sequences (None: all): they restart from pi with the initial model.

        Parameters
        ----------
        indices : None, ints or boolean mask
            Sequences to reset.
        """
        rows = self._rows(indices)
        self._transmat[rows] = self._init_transmat
        self._emissionprob[rows] = self._init_emissionprob
        self._tables[rows] = self._init_tables
        self._lattice[rows] = self._init_lattice
        self.states[rows] = self._init_state
        self.n_symbols[rows] = 0
        self.n_refits[rows] = 0
        self.n_rejected_rows[rows] = 0

    def update(self, f: Any, indices: Any = None) -> np.ndarray:
        """Feed one evolutionary factor per sequence; return the states of all B sequences.

        Parameters
        ----------
        f : array-like of shape (B,), or (k,) with ``indices``
            Evolutionary factors, discretised as :func:`pso_env.factor.discretise`.
        indices : None, k distinct ints or a boolean mask
            Update only these sequences (the others keep their state).

        Returns
        -------
        ndarray of int, shape (B,)
            A copy of :attr:`states`.
        """
        rows = self._rows(indices)
        return self._step(_as_batch(f, rows.size, "f"), rows, True)

    def update_symbols(self, symbols: Any, indices: Any = None) -> np.ndarray:
        """Feed one symbol (0..6) per sequence (or per index of ``indices``); return all B states."""
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

    def _refit(self, rows: np.ndarray) -> None:
        """Baum-Welch refit of sequences ``rows`` and recompute of their states (as ``BeliefTracker.refit``)."""
        ok = hmm_kernels.batch_refit(
            self._history, self.n_symbols, rows, self._pi, self._transmat, self._emissionprob,
            self.refit_pseudocount, self.refit_iter, self.refit_tol, self.floor, self.n_rejected_rows,
        )
        rows = rows[ok]
        if rows.size:
            self.n_refits[rows] += 1
            self._tables[rows] = model_tables(self._pi, self._transmat[rows], self._emissionprob[rows])
            hmm_kernels.batch_recompute(self._history, self.n_symbols, rows, self._tables, self._lattice,
                                        self.states)

    @property
    def posterior(self) -> np.ndarray:
        """Filtered posteriors ``P(state_t | symbols_1..t)``, shape (B, 4) (a copy)."""
        return self._lattice[:, 1].copy()

    @property
    def startprob(self) -> np.ndarray:
        """pi, shape (4,) (a copy; shared and fixed)."""
        return self._pi.copy()

    @property
    def transmat(self) -> np.ndarray:
        """Current A of each sequence, shape (B, 4, 4) (a copy)."""
        return self._transmat.copy()

    @property
    def emissionprob(self) -> np.ndarray:
        """Current B of each sequence, shape (B, 4, 7) (a copy)."""
        return self._emissionprob.copy()

    def symbols(self, i: int) -> np.ndarray:
        """Symbols seen by sequence ``i`` since its reset (a copy), shape (n_symbols[i],)."""
        return self._history[i, : self.n_symbols[i]].astype(np.int64)

    def __repr__(self) -> str:
        return (f"BatchBelief(batch_size={self.batch_size}, refit_every={self.refit_every}, "
                f"floor={self.floor}, refit_iter={self.refit_iter})")


def make_batch_belief(batch_size: int, refit_every: int | None = None, **tracker_kwargs: Any) -> BatchBelief:
    """A :class:`BatchBelief` of ``batch_size`` sequences with the given tracker arguments.

    ``refit_every=None`` means the tracker's default (:data:`pso_env.belief.DEFAULT_REFIT_EVERY`). Kept
    for the vector environment, which once chose between two implementations here.
    """
    refit = DEFAULT_REFIT_EVERY if refit_every is None else refit_every
    return BatchBelief(batch_size, refit_every=refit, **tracker_kwargs)
