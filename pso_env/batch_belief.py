"""Belief trackers for B swarms at once: the paper's HMM (:mod:`pso_env.belief`) over a batch.

* :class:`BatchBelief` (refits off): the online Viterbi row and forward filter of
  :class:`~pso_env.belief.BeliefTracker` carried for B symbol sequences with (B, 4) arrays, on the same
  floored model. Its states and posteriors are those of B ``BeliefTracker(refit_every=0)`` fed the same
  sequences, bit for bit: every sum is formed in the tracker's order.
* :class:`TrackerList` (refits on): a list of B :class:`~pso_env.belief.BeliefTracker` objects behind the
  same interface. Baum-Welch re-estimation (hmmlearn ``fit`` on each swarm's own history) has no batched
  form here, so this path loops over the swarms: ~3 us per swarm and step for the online update plus
  one refit (~0.6-1 ms) per swarm every ``refit_every`` steps (~6-10 us per swarm and step at the
  default 100); see ``perf/vector_env.py``.

:func:`make_batch_belief` picks one of the two from ``refit_every`` (and the batch size).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .belief import DEFAULT_REFIT_EVERY, N_STATES, BeliefTracker
from .factor import SYMBOL_EDGES


def _as_batch(values: Any, batch_size: int, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.shape != (batch_size,):
        raise ValueError(f"{name} must have shape ({batch_size},), got {arr.shape}")
    return arr


class BatchBelief:
    """Online Viterbi state and filtered posterior of B independent symbol sequences (no refits).

    Parameters
    ----------
    batch_size : int
        B.
    **tracker_kwargs
        ``floor``, ``startprob``, ``transmat``, ``emissionprob`` as for
        :class:`~pso_env.belief.BeliefTracker` (validated and floored by it); refit options are not
        accepted (use :class:`TrackerList`).

    Attributes
    ----------
    states : ndarray of int, shape (B,)
        Last state of each sequence's Viterbi path (first argmax of pi before any symbol).
    n_symbols : ndarray of int, shape (B,)
        Symbols seen since each sequence's reset.
    """

    def __init__(self, batch_size: int, **tracker_kwargs: Any) -> None:
        if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")
        if tracker_kwargs.get("refit_every", 0):
            raise ValueError("refit_every must be 0 for BatchBelief (use TrackerList for refits)")
        tracker_kwargs["refit_every"] = 0
        template = BeliefTracker(**tracker_kwargs)
        self.batch_size = b = int(batch_size)
        self.refit_every = 0
        pi, a, em = template.startprob, template.transmat, template.emissionprob
        # log(pi), log(A) with libm, log(B) with numpy: the tracker's (and hmmlearn's) choices.
        self._pi = pi
        self._lpi = np.array([math.log(x) if x > 0.0 else -math.inf for x in pi])
        self._a = a
        self._la = np.array([[math.log(x) if x > 0.0 else -math.inf for x in row] for row in a])
        with np.errstate(divide="ignore"):
            self._logb = np.ascontiguousarray(np.log(em).T)  # (7, 4): per symbol, per state
        self._b = np.ascontiguousarray(em.T)
        self._init_state = int(np.argmax(pi))
        self._delta = np.empty((b, N_STATES))
        self._alpha = np.empty((b, N_STATES))
        self.states = np.empty(b, dtype=np.int64)
        self.n_symbols = np.zeros(b, dtype=np.int64)
        self.reset()

    def reset(self, indices: Any = None) -> None:
        """Forget the symbols of some sequences (None: all); they restart from pi."""
        idx = slice(None) if indices is None else indices
        self._delta[idx] = self._lpi
        self._alpha[idx] = self._pi
        self.states[idx] = self._init_state
        self.n_symbols[idx] = 0
        self._fresh = True

    def update(self, f: Any, indices: Any = None) -> np.ndarray:
        """Feed one evolutionary factor per sequence; return the states of all B sequences.

        Parameters
        ----------
        f : array-like of shape (B,), or (k,) with ``indices``
            Evolutionary factors, discretised as :func:`pso_env.factor.discretise`.
        indices : None or k ints / boolean mask
            Update only these sequences (the others keep their state).
        """
        rows = slice(None) if indices is None else np.arange(self.batch_size)[indices]
        f = _as_batch(f, self.batch_size if indices is None else rows.size, "f")
        # discretise()'s array path without its clip: searchsorted already sends f < 0 to 0, f > 1 and
        # NaN to 6, as the clip would
        return self._advance(np.searchsorted(SYMBOL_EDGES, f, side="right"), rows)

    def update_symbols(self, symbols: Any, indices: Any = None) -> np.ndarray:
        """Feed one symbol (0..6) per sequence (or per index of ``indices``); return all B states."""
        rows = slice(None) if indices is None else np.arange(self.batch_size)[indices]
        n = self.batch_size if indices is None else rows.size
        s = np.asarray(symbols)
        if s.shape != (n,) or not np.issubdtype(s.dtype, np.integer) or (n and (s.min() < 0 or s.max() > 6)):
            raise ValueError(f"symbols must be {n} integers in 0..6, got {symbols!r}")
        return self._advance(s, rows)

    def _advance(self, s: np.ndarray, rows: Any) -> np.ndarray:
        lb, b = self._logb[s], self._b[s]
        d, q = self._delta[rows], self._alpha[rows]
        # Viterbi: max_i(delta_i + logA_ij) + logB_j(s), as the tracker's _advance (max is exact)
        nd = (d[:, :, None] + self._la).max(axis=1) + lb
        # Filter: sum_i q_i A_ij, reduced over the middle axis of (B, 4, 4), which numpy accumulates
        # in index order ((q0 A0j + q1 A1j) + q2 A2j) + q3 A3j, as the tracker; times B_j(s).
        r = (q[:, :, None] * self._a).sum(axis=1) * b
        if self._fresh:  # some sequence has seen no symbol yet: start it from pi
            first = self.n_symbols[rows] == 0
            nd[first] = self._lpi + lb[first]
            r[first] = self._pi * b[first]
        z = ((r[:, 0] + r[:, 1]) + r[:, 2]) + r[:, 3]
        ok = z > 0.0
        if ok.all():
            q = r / z[:, None]
        else:  # never with a floored model; the tracker keeps the old filter then
            q = np.where(ok[:, None], r / np.where(ok, z, 1.0)[:, None], q)
        self._delta[rows] = nd
        self._alpha[rows] = q
        self.states[rows] = np.argmax(nd, axis=1)
        self.n_symbols[rows] += 1
        return self.states.copy()

    @property
    def posterior(self) -> np.ndarray:
        """Filtered posteriors ``P(state_t | symbols_1..t)``, shape (B, 4) (a copy)."""
        return self._alpha.copy()


class TrackerList:
    """B :class:`~pso_env.belief.BeliefTracker` objects behind :class:`BatchBelief`'s interface.

    Used when Baum-Welch refits are on: every step loops over the trackers (see the module docstring
    for the cost).

    Parameters
    ----------
    batch_size : int
    **tracker_kwargs
        Passed to every :class:`~pso_env.belief.BeliefTracker`.
    """

    def __init__(self, batch_size: int, **tracker_kwargs: Any) -> None:
        if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")
        self.batch_size = int(batch_size)
        self.trackers = [BeliefTracker(**tracker_kwargs) for _ in range(self.batch_size)]
        self.refit_every = self.trackers[0].refit_every
        self.states = np.array([t.state for t in self.trackers], dtype=np.int64)
        self.n_symbols = np.zeros(self.batch_size, dtype=np.int64)

    def reset(self, indices: Any = None) -> None:
        """Reset some trackers (None: all)."""
        idx = range(self.batch_size) if indices is None else np.arange(self.batch_size)[indices]
        for i in idx:
            self.trackers[i].reset()
            self.states[i] = self.trackers[i].state
            self.n_symbols[i] = 0

    def update(self, f: Any, indices: Any = None) -> np.ndarray:
        """Feed one evolutionary factor per tracker (or per index of ``indices``); return all B states."""
        rows = np.arange(self.batch_size) if indices is None else np.arange(self.batch_size)[indices]
        f = _as_batch(f, rows.size, "f")
        trackers = self.trackers
        self.states[rows] = [trackers[i].update(x) for i, x in zip(rows.tolist(), f.tolist())]
        self.n_symbols[rows] += 1
        return self.states.copy()

    @property
    def posterior(self) -> np.ndarray:
        """Filtered posteriors, shape (B, 4)."""
        return np.array([t.posterior for t in self.trackers])


#: Below this many sequences, :func:`make_batch_belief` loops over BeliefTracker objects even with refits
#: off: B scalar updates (~3 us each) beat the ~20 numpy calls of one vectorised update (~40-60 us).
SMALL_BATCH = 8


def make_batch_belief(batch_size: int, refit_every: int | None = None,
                      **tracker_kwargs: Any) -> BatchBelief | TrackerList:
    """:class:`BatchBelief` when ``refit_every`` is 0 (and B >= :data:`SMALL_BATCH`), else :class:`TrackerList`.

    ``refit_every=None`` means the tracker's default (:data:`pso_env.belief.DEFAULT_REFIT_EVERY`). Both
    give the same states and posteriors bit for bit; the choice is only about speed.
    """
    refit = DEFAULT_REFIT_EVERY if refit_every is None else refit_every
    if refit == 0 and not isinstance(refit, bool) and batch_size >= SMALL_BATCH:
        return BatchBelief(batch_size, **tracker_kwargs)
    return TrackerList(batch_size, refit_every=refit, **tracker_kwargs)
