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

:func:`make_batch_belief` picks one of the two from ``refit_every``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .belief import DEFAULT_REFIT_EVERY, N_STATES, BeliefTracker
from .factor import discretise


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

    def update(self, f: Any) -> np.ndarray:
        """Feed one evolutionary factor per sequence (shape (B,)); return the new states (B,)."""
        return self.update_symbols(discretise(_as_batch(f, self.batch_size, "f")))

    def update_symbols(self, symbols: Any) -> np.ndarray:
        """Feed one symbol (0..6) per sequence; return the new states, shape (B,)."""
        s = np.asarray(symbols)
        if s.shape != (self.batch_size,) or not np.issubdtype(s.dtype, np.integer) or s.min() < 0 or s.max() > 6:
            raise ValueError(f"symbols must be {self.batch_size} integers in 0..6, got {symbols!r}")
        lb, b = self._logb[s], self._b[s]
        first = self.n_symbols == 0
        d, q, la, a = self._delta, self._alpha, self._la, self._a
        # Viterbi: max_i(delta_i + logA_ij) + logB_j(s), as the tracker's _advance
        nd = np.maximum(np.maximum(d[:, 0:1] + la[0], d[:, 1:2] + la[1]),
                        np.maximum(d[:, 2:3] + la[2], d[:, 3:4] + la[3])) + lb
        # filter: ((q0 a0j + q1 a1j) + q2 a2j) + q3 a3j, times B_j(s), normalised
        r = (((q[:, 0:1] * a[0] + q[:, 1:2] * a[1]) + q[:, 2:3] * a[2]) + q[:, 3:4] * a[3]) * b
        if first.any():
            nd[first] = self._lpi + lb[first]
            r[first] = self._pi * b[first]
        z = ((r[:, 0] + r[:, 1]) + r[:, 2]) + r[:, 3]
        ok = z > 0.0
        if ok.all():
            q[:] = r / z[:, None]
        else:
            q[ok] = r[ok] / z[ok, None]
        d[:] = nd
        self.states = np.argmax(d, axis=1)
        self.n_symbols += 1
        return self.states

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

    def update(self, f: Any) -> np.ndarray:
        """Feed one evolutionary factor per tracker (shape (B,)); return the new states (B,)."""
        f = _as_batch(f, self.batch_size, "f")
        self.states = np.fromiter((t.update(x) for t, x in zip(self.trackers, f.tolist())), dtype=np.int64,
                                  count=self.batch_size)
        self.n_symbols += 1
        return self.states

    @property
    def posterior(self) -> np.ndarray:
        """Filtered posteriors, shape (B, 4)."""
        return np.array([t.posterior for t in self.trackers])


def make_batch_belief(batch_size: int, refit_every: int | None = None, **tracker_kwargs: Any) -> BatchBelief | TrackerList:
    """:class:`BatchBelief` when ``refit_every`` is 0, else :class:`TrackerList`.

    ``refit_every=None`` means the tracker's default (:data:`pso_env.belief.DEFAULT_REFIT_EVERY`).
    """
    refit = DEFAULT_REFIT_EVERY if refit_every is None else refit_every
    if refit == 0 and not isinstance(refit, bool):
        return BatchBelief(batch_size, **tracker_kwargs)
    return TrackerList(batch_size, refit_every=refit, **tracker_kwargs)
