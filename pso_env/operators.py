"""Operators that act on a swarm between iterations: APSO's elitist learning.

Used by :class:`agents.apso.APSO` (in its convergence state) and by the environment's elitist action
(``EnvConfig(elitist=True)``: a fourth continuous action component, or with particle actions the mean of a fourth
column, switches it on per iteration; ``EnvConfig(elitist_always=True)`` runs it at every iteration). With
``EnvConfig(elitist_step="vote")`` the vote's strength also sets the step's width (:func:`vote_width`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: Elitist-learning sigma at the first and the last iteration of a run (Zhan et al. 2009, section IV-C).
SIGMA_START, SIGMA_END = 1.0, 0.1


def elitist_sigma(share: Any) -> Any:
    """APSO's sigma at the share of the run spent (``t / (T - 1)`` at iteration t of T, or with a budget the
    evaluations spent over it): linear from 1.0 at share 0 to 0.1 at share 1, the share clipped to [0, 1]. A float,
    or an array for an array ``share``."""
    sigma = SIGMA_START + (SIGMA_END - SIGMA_START) * np.clip(np.asarray(share, dtype=float), 0.0, 1.0)
    return float(sigma) if np.ndim(share) == 0 else sigma


def vote_width(swarm: Any, swarms: Any, vote: Any) -> np.ndarray:
    """The elitist step's width per dimension under ``EnvConfig(elitist_step="vote")`` **(our design, not APSO's)**:
    ``range_d ** v * extent_d ** (1 - v)``, the geometric interpolation between the box's range ``ub_d - lb_d``
    (APSO's width, at a full vote v = 1) and the extent of the swarm's personal bests ``max - min`` along d (at a
    vote just above 0), so that a weak vote searches at the swarm's scale and a strong one jumps at the box's.

    ``swarms`` (K,) indexes the swarms (None: all), ``vote`` (K,) their votes in (0, 1]; the extent is floored at
    machine epsilon times the range, so the width stays positive and finite. Returns (K, D) float64.
    """
    idx = np.arange(swarm.batch_size) if swarms is None else np.atleast_1d(np.asarray(swarms, dtype=np.intp))
    v = np.clip(np.asarray(vote, dtype=float).reshape(-1, 1), 0.0, 1.0)
    span = swarm.upper[idx] - swarm.lower[idx]
    pbest = swarm.pbest_positions[idx]
    extent = np.maximum(pbest.max(axis=1) - pbest.min(axis=1), np.finfo(float).eps * span)
    return span ** v * extent ** (1.0 - v)


def elitist_learning(swarm: Any, sigma: Any, swarms: Any = None, width: Any = None) -> np.ndarray:
    """Zhan et al.'s (2009) elitist learning strategy on the global best; one evaluation per swarm.

    One random dimension ``d`` of the global best ``g`` moves by ``(ub_d - lb_d) * N(0, sigma^2)``
    (clipped to the box; ``width`` (K, D), e.g. :func:`vote_width`, replaces ``ub - lb``). If better than ``g`` it becomes the global best (the personal best of the
    particle that held ``g``); else it replaces the worst particle's position, fitness and personal
    best **(our reading of "replaces the worst particle")**.

    Each swarm's generator draws its ``d`` and then its Gaussian; ``swarms`` (K,) are the swarms to apply
    it to (default all); ``sigma`` is one float or one per swarm, (K,). Returns (K,) bools: True where the
    point replaced the global best.
    """
    idx = np.arange(swarm.batch_size) if swarms is None else np.atleast_1d(np.asarray(swarms, dtype=np.intp))
    if idx.size == 0:
        return np.zeros(0, dtype=bool)
    sigma = np.asarray(sigma, dtype=float)
    sigmas = [float(sigma)] * idx.size if sigma.ndim == 0 else np.broadcast_to(sigma, idx.shape).tolist()
    d, z = np.empty(idx.size, dtype=np.intp), np.empty(idx.size)
    for j, (q, s) in enumerate(zip(idx.tolist(), sigmas)):
        g = swarm.generator(q)
        d[j], z[j] = g.integers(swarm.dim), g.normal(0.0, s)
    k = np.arange(idx.size)
    lower, upper = swarm.lower[idx, d], swarm.upper[idx, d]
    point = swarm.gbest_position[idx]  # a copy (advanced indexing)
    step = upper - lower if width is None else np.asarray(width, dtype=float)[k, d]
    point[k, d] = np.minimum(np.maximum(point[k, d] + step * z, lower), upper)
    value = swarm.evaluate(point[:, None, :], count=True, swarms=idx)[:, 0]
    success = value < swarm.gbest_fitness[idx]
    owner = np.argmin(swarm.pbest_fitness[idx], axis=1)
    worst = np.argmax(swarm.pbest_fitness[idx], axis=1)
    for sel, particle, mode in ((success, owner, "best"), (~success, worst, "replace")):
        if sel.any():
            swarm.set_particles(idx[sel], particle[sel], point[sel], value[sel], mode=mode)
    return success
