"""Numba kernels of the paper's 4-state categorical HMM, on which :class:`pso_env.belief.Belief` runs.

* Online recursion (Rabiner 1989, III-A/B): :func:`batch_update` advances B sequences by one symbol,
  :func:`batch_recompute` replays their histories. One step carries the last Viterbi lattice row, summed in
  hmmlearn's order (``max_i(delta(t-1, i) + logA(i, j)) + logB(j, o_t)``: hmmlearn's bits), and the
  normalised forward filter.
* Baum-Welch (Rabiner 1989, III-C and V-A): :func:`baum_welch` and :func:`batch_refit` are hmmlearn 0.3's
  ``CategoricalHMM.fit`` (``implementation="scaling"``, ``params="te"``, ``init_params=""``, Dirichlet priors
  ``1 + pseudocount * current``): the same passes, sums and stopping rule. :func:`accept_rows` keeps the
  previous value of degenerate rows of a re-estimate and re-floors it.

A sequence's model enters the online kernels as ``tables`` (2, 12, 4) (:func:`model_tables`): logarithms,
then probabilities; row 0 pi, rows 1..4 A, row ``5 + s`` the emission probabilities of symbol ``s``. The
logarithms are taken outside numba as hmmlearn takes them (libm for pi and A, numpy for B), since numba
could vectorise a log loop with SVML, whose last bits may differ. No fastmath: every sum has a fixed order.
The batch kernels trust their callers; :func:`baum_welch` and :func:`accept_rows` raise ValueError.
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import jit
from .factor import N_SYMBOLS

#: Hidden states K of the paper's model.
N_STATES = 4
#: Rows of a model's ``tables``: pi, the 4 rows of A, then one row per symbol.
N_TABLE_ROWS = 1 + N_STATES + N_SYMBOLS
#: hmmlearn's ``forward_scaling`` raises (underflow) when a frame's unnormalised sum is below this.
MIN_SCALING_SUM = 1e-300
#: Largest deviation of a re-estimated row's sum from 1 that :func:`accept_rows` accepts.
ROW_TOL = 1e-6

#: The edges of :data:`pso_env.factor.SYMBOL_EDGES`, written out here: numba's cache of this module's
#: kernels is invalidated only by changes to this file (a test checks that the two agree).
_EDGES = (0.2, 0.3, 0.4, 0.6, 0.7, 0.8)


def model_tables(startprob: np.ndarray, transmat: np.ndarray, emissionprob: np.ndarray) -> np.ndarray:
    """k models, pi (4,), A (k, 4, 4) and B (k, 4, 7), as ``tables`` (k, 2, 12, 4): ``[:, 1]`` pi, A, B
    transposed; ``[:, 0]`` their logarithms (libm for pi and A, numpy for B, as hmmlearn; log(0) = -inf)."""
    k, head = transmat.shape[0], 1 + N_STATES
    tab = np.empty((k, 2, N_TABLE_ROWS, N_STATES))
    tab[:, 1, 0] = startprob
    tab[:, 1, 1:head] = transmat
    tab[:, 1, head:] = emissionprob.transpose(0, 2, 1)
    logs = [math.log(x) if x > 0.0 else -math.inf for x in tab[:, 1, :head].ravel().tolist()]
    tab[:, 0, :head] = np.array(logs).reshape(k, head, N_STATES)
    with np.errstate(divide="ignore"):
        tab[:, 0, head:] = np.log(emissionprob).transpose(0, 2, 1)
    return tab


# ------------------------------------------------------------------------------------------ online
@jit()
def _step(tab: np.ndarray, s: int, lat: np.ndarray, first: bool) -> None:
    """Carry ``lat`` = (Viterbi row, filter) over one more symbol ``s``; ``first``: start from pi."""
    lg, pr = tab[0], tab[1]
    d = (lat[0, 0], lat[0, 1], lat[0, 2], lat[0, 3])
    q = (lat[1, 0], lat[1, 1], lat[1, 2], lat[1, 3])
    e = 5 + s
    z = -0.0  # -0.0 + x is x exactly, so the compiler drops that add
    for j in range(N_STATES):
        if first:
            m, r = lg[0, j], pr[0, j]
        else:
            m = max(d[0] + lg[1, j], d[1] + lg[2, j], d[2] + lg[3, j], d[3] + lg[4, j])
            r = q[0] * pr[1, j] + q[1] * pr[2, j] + q[2] * pr[3, j] + q[3] * pr[4, j]
        lat[0, j] = m + lg[e, j]
        lat[1, j] = r * pr[e, j]
        z += lat[1, j]
    for j in range(N_STATES):  # z > 0 always with a floored model; keep the old filter (never NaN) otherwise
        lat[1, j] = lat[1, j] / z if z > 0.0 else q[j]


@jit()
def _argmax4(d: np.ndarray) -> int:
    # the first maximum, as std::max_element in hmmlearn's viterbi (np.argmax also checks for NaN: slower)
    best, m = 0, d[0]
    for k in range(1, 4):
        if d[k] > m:
            best, m = k, d[k]
    return best


@jit()
def _symbol(f: float) -> int:
    # pso_env.factor.discretise: clip into [0, 1] (NaN -> 1), then the number of edges <= f
    if not f >= 0.0:
        return N_SYMBOLS - 1 if math.isnan(f) else 0
    s = 0
    for e in _EDGES:
        if f >= e:
            s += 1
    return s


@jit()
def batch_update(values: np.ndarray, factors: bool, rows: np.ndarray, history: np.ndarray, counts: np.ndarray,
                 states: np.ndarray, lattice: np.ndarray, tables: np.ndarray, refit_every: int,
                 refit_min_length: int, due: np.ndarray) -> int:
    """One online step of distinct sequences ``rows`` (k,) on ``values`` (k,): evolutionary factors
    (``factors``; discretised as :func:`pso_env.factor.discretise`) or symbols 0..6 (not checked).

    Per sequence r: ``history`` (B, capacity) int8 receives the symbol at ``counts[r]``, ``lattice``
    (B, 2, 4) holds the Viterbi row and filter, ``states`` its first argmax, ``tables`` the model. Returns
    the number n of sequences due for a refit (count a multiple of ``refit_every`` > 0, at least
    ``refit_min_length``; their indices in ``due[:n]``), or -1, with nothing changed, if a history is full.
    """
    for k in range(rows.shape[0]):
        if counts[rows[k]] >= history.shape[1]:
            return -1  # nothing changed: the caller grows the history and calls again
    n_due = 0
    for k in range(rows.shape[0]):
        r = rows[k]
        s = _symbol(values[k]) if factors else int(values[k])
        n = counts[r]
        history[r, n] = s
        _step(tables[r], s, lattice[r], n == 0)
        states[r] = _argmax4(lattice[r, 0])
        counts[r] = n = n + 1
        if refit_every > 0 and n % refit_every == 0 and n >= refit_min_length:
            due[n_due] = r
            n_due += 1
    return n_due


@jit()
def batch_recompute(history: np.ndarray, counts: np.ndarray, rows: np.ndarray, tables: np.ndarray,
                    lattice: np.ndarray, states: np.ndarray) -> None:
    """Recompute ``lattice`` and ``states`` of sequences ``rows`` (:func:`batch_update`'s arrays) over their
    stored histories (at least one symbol each): bit for bit what the online steps gave."""
    for r in rows:
        tab, lat, x = tables[r], lattice[r], history[r]
        _step(tab, x[0], lat, True)
        for t in range(1, counts[r]):
            _step(tab, x[t], lat, False)
        states[r] = _argmax4(lat[0])


# ------------------------------------------------------------------------------------------ Baum-Welch
@jit()
def _estep(x: np.ndarray, n: int, pi: np.ndarray, a: np.ndarray, b: np.ndarray, fwd: np.ndarray,
           bwd: np.ndarray, scaling: np.ndarray, trans: np.ndarray, obs: np.ndarray) -> float:
    """hmmlearn's scaled E-step on ``x[:n]``: fills ``trans`` (xi sums) and ``obs`` (posterior counts).

    Returns the log-likelihood, or NaN where hmmlearn's ``forward_scaling`` raises (underflow).
    """
    nc = N_STATES  # a constant: the loops over states unroll
    s = x[0]  # forward_scaling
    total = 0.0
    for i in range(nc):
        fwd[0, i] = pi[i] * b[i, s]
        total += fwd[0, i]
    if total < MIN_SCALING_SUM:
        return np.nan
    scale = 1.0 / total
    scaling[0] = scale
    log_prob = 0.0 - math.log(scale)
    for i in range(nc):
        fwd[0, i] *= scale
    for t in range(1, n):
        s = x[t]
        total = 0.0
        for j in range(nc):
            acc = 0.0
            for i in range(nc):
                acc += fwd[t - 1, i] * a[i, j]
            fwd[t, j] = acc * b[j, s]
            total += fwd[t, j]
        if total < MIN_SCALING_SUM:
            return np.nan
        scale = 1.0 / total
        scaling[t] = scale
        log_prob -= math.log(scale)
        for j in range(nc):
            fwd[t, j] *= scale
    for i in range(nc):  # backward_scaling
        bwd[n - 1, i] = scaling[n - 1]
    for t in range(n - 2, -1, -1):
        s = x[t + 1]
        for i in range(nc):
            acc = 0.0
            for j in range(nc):
                acc += a[i, j] * b[j, s] * bwd[t + 1, j]
            bwd[t, i] = acc * scaling[t]
    # posteriors (fwd * bwd, rows normalised) accumulated per symbol, in time order (np.add.at)
    trans[:, :] = 0.0
    obs[:, :] = 0.0
    for t in range(n):
        total = 0.0
        for i in range(nc):
            total += fwd[t, i] * bwd[t, i]
        if total == 0.0:
            total = 1.0
        s = x[t]
        for i in range(nc):
            obs[i, s] += fwd[t, i] * bwd[t, i] / total
    for t in range(n - 1):  # compute_scaling_xi_sum
        s = x[t + 1]
        for i in range(nc):
            for j in range(nc):
                trans[i, j] += fwd[t, i] * a[i, j] * b[j, s] * bwd[t + 1, j]
    return log_prob


@jit()
def _mstep_rows(prior: np.ndarray, counts: np.ndarray, p: np.ndarray, keep_zeros: bool) -> None:
    """hmmlearn's M-step of one matrix, in place: rows of ``max(prior - 1 + counts, 0)`` normalised
    (all-zero rows stay zero); with ``keep_zeros`` zeros of ``p`` stay zero (forbidden transitions)."""
    for i in range(p.shape[0]):
        total = 0.0
        for j in range(p.shape[1]):
            v = prior[i, j] - 1.0 + counts[i, j]
            if v < 0.0 or (keep_zeros and p[i, j] == 0.0):  # np.maximum(v, 0): a NaN stays NaN
                v = 0.0
            p[i, j] = v
            total += v
        if total == 0.0:
            total = 1.0
        for j in range(p.shape[1]):
            p[i, j] /= total


@jit()
def _baum_welch_into(x: np.ndarray, n: int, pi: np.ndarray, a: np.ndarray, b: np.ndarray, pseudocount: float,
                     n_iter: int, tol: float, fwd: np.ndarray, bwd: np.ndarray, scaling: np.ndarray) -> float:
    """EM on ``x[:n]`` from ``a``, ``b`` (re-estimated in place); log-likelihood of the last E-step or NaN.

    On NaN (underflow) ``a`` and ``b`` are left at their initial values.
    """
    prior_a, prior_b = 1.0 + pseudocount * a, 1.0 + pseudocount * b
    a0, b0 = a.copy(), b.copy()
    trans, obs = np.empty((N_STATES, N_STATES)), np.empty((N_STATES, N_SYMBOLS))
    prev = log_prob = np.nan
    for it in range(n_iter):
        log_prob = _estep(x, n, pi, a, b, fwd, bwd, scaling, trans, obs)
        if math.isnan(log_prob):
            a[:, :] = a0
            b[:, :] = b0
            return np.nan
        _mstep_rows(prior_a, trans, a, True)
        _mstep_rows(prior_b, obs, b, False)
        # hmmlearn's ConvergenceMonitor: stop once the gain is below tol (after the M-step)
        if it > 0 and log_prob - prev < tol:
            break
        prev = log_prob
    return log_prob


@jit()
def baum_welch(symbols: np.ndarray, startprob: np.ndarray, transmat: np.ndarray, emissionprob: np.ndarray,
               pseudocount: float, n_iter: int, tol: float) -> tuple[np.ndarray, np.ndarray, float, bool]:
    """Baum-Welch re-estimation of A (4, 4) and B (4, 7), pi fixed, on one sequence of n >= 1 symbols 0..6:
    hmmlearn's ``CategoricalHMM(n_iter, tol, params="te", init_params="", implementation="scaling",
    transmat_prior=1 + pseudocount * transmat, emissionprob_prior=1 + pseudocount * emissionprob).fit``
    from these parameters (not modified).

    Returns the re-estimated A and B (rows may be degenerate: see :func:`accept_rows`), the log-likelihood
    of the last E-step, and False (parameters unchanged, NaN log-likelihood) where hmmlearn's scaled forward
    pass would raise (underflow). ValueError on bad shapes, symbols or ``n_iter``.
    """
    n, nc = symbols.shape[0], N_STATES
    if n < 1 or symbols.min() < 0 or symbols.max() >= N_SYMBOLS:
        raise ValueError("symbols must be n >= 1 integers in 0..6")
    if startprob.shape[0] != nc or transmat.shape != (nc, nc) or emissionprob.shape != (nc, N_SYMBOLS):
        raise ValueError("startprob, transmat and emissionprob must have shapes (4,), (4, 4) and (4, 7)")
    if n_iter < 1:
        raise ValueError("n_iter must be >= 1")
    a, b = transmat.copy(), emissionprob.copy()
    log_prob = _baum_welch_into(symbols, n, startprob, a, b, pseudocount, n_iter, tol,
                                np.empty((n, nc)), np.empty((n, nc)), np.empty(n))
    return a, b, log_prob, not math.isnan(log_prob)


@jit()
def accept_rows(new: np.ndarray, old: np.ndarray, floor: float, out: np.ndarray) -> int:
    """Rows of a re-estimate ``new``, the degenerate ones (an entry negative or not finite, or a sum more than
    :data:`ROW_TOL` from 1) replaced by ``old``'s, floored (:func:`pso_env.belief.floor_rows`) into ``out``
    (may be ``old``; all (R, C), else ValueError). Returns the number of rows kept from ``old``.
    """
    if new.shape != old.shape or out.shape != old.shape:
        raise ValueError("new, old and out must have the same shape")
    rejected = 0
    for i in range(new.shape[0]):
        total, good = 0.0, True
        for v in new[i]:
            good = good and 0.0 <= v < np.inf  # not negative, NaN or inf
            total += v
        take = good and abs(total - 1.0) <= ROW_TOL
        rejected += 0 if take else 1
        total = 0.0
        for j in range(new.shape[1]):
            out[i, j] = (new[i, j] if take else old[i, j]) + floor
            total += out[i, j]
        for j in range(new.shape[1]):
            out[i, j] /= total
    return rejected


@jit()
def batch_refit(history: np.ndarray, counts: np.ndarray, rows: np.ndarray, startprob: np.ndarray,
                transmat: np.ndarray, emissionprob: np.ndarray, pseudocount: float, n_iter: int, tol: float,
                floor: float, n_rejected: np.ndarray) -> np.ndarray:
    """:func:`baum_welch` then :func:`accept_rows` in place for distinct sequences ``rows``: sequence r refits
    ``transmat[r]``, ``emissionprob[r]`` on ``history[r, :counts[r]]`` (>= 1 symbol), ``n_rejected[r]``
    counts rows kept. Returns, per row, False where the re-estimate underflowed (parameters unchanged).
    """
    n_max = 1
    for r in rows:
        n_max = max(n_max, counts[r])
    fwd, bwd, scaling = np.empty((n_max, N_STATES)), np.empty((n_max, N_STATES)), np.empty(n_max)
    a, b = np.empty((N_STATES, N_STATES)), np.empty((N_STATES, N_SYMBOLS))
    ok = np.zeros(rows.shape[0], dtype=np.bool_)
    for k, r in enumerate(rows):
        a[:, :], b[:, :] = transmat[r], emissionprob[r]
        ok[k] = not math.isnan(_baum_welch_into(history[r], counts[r], startprob, a, b, pseudocount, n_iter,
                                                tol, fwd, bwd, scaling))
        if ok[k]:  # transmat[r] / emissionprob[r] still hold the previous parameters while they are read
            n_rejected[r] += accept_rows(a, transmat[r], floor, transmat[r])
            n_rejected[r] += accept_rows(b, emissionprob[r], floor, emissionprob[r])
    return ok
