"""Hand-designed PSO variants as parameter rules on the batched swarm (:class:`pso_env.swarm.Swarm`).

A :class:`ParameterRule` gives ``(w, c1, c2, chi)`` before each iteration, moves the swarm and then
runs what the variant adds (chaotic search, selection, elitist learning); its random draws come from
:meth:`pso_env.swarm.Swarm.draw`. Variants that are only a schedule are :class:`ParameterRule` with
other settings. Settings follow the collection of MATLAB PSO variants the DQNPSO paper compares
against (SPEC section 7); each class names its source.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

Parameters = tuple["float | np.ndarray", "float | np.ndarray", "float | np.ndarray", "float | np.ndarray"]
Schedule = "float | tuple[float, float]"


def run_fraction(t: int, iterations: int) -> float:
    """``t / (T - 1)`` clipped to [0, 1]: 0 at the first iteration, 1 at the last (0 when T == 1)."""
    return 0.0 if iterations <= 1 else min(max(t / (iterations - 1), 0.0), 1.0)


def linear(start: float, end: float, t: int, iterations: int) -> float:
    """A value falling (or rising) linearly from ``start`` at t = 0 to ``end`` at t = T - 1."""
    return start + (end - start) * run_fraction(t, iterations)


def per_swarm(trace: dict[str, Any]) -> dict[str, Any]:
    """A rule's trace (lists of (B,) arrays per iteration, or (B,) arrays) as one list or number per swarm
    (for B = 1 the list or number itself)."""
    out: dict[str, Any] = {}
    for key, value in trace.items():
        arr = np.asarray(value)
        per = arr.T.tolist() if isinstance(value, list) else arr.tolist()  # (B, T) or (B,)
        out[key] = per[0] if arr.shape[-1] == 1 and arr.size else per
    return out


def constriction_factor(c1: float, c2: float) -> float:
    """Clerc's constriction ``chi = 2 / |2 - phi - sqrt(phi^2 - 4 phi)|`` with ``phi = c1 + c2 > 4``.

    Clerc & Kennedy (2002), "The particle swarm - explosion, stability, and convergence in a
    multidimensional complex space", IEEE TEC 6(1). ``chi(2.05, 2.05) = 0.72984``.

    Raises
    ------
    ValueError
        When ``c1 + c2 <= 4``.
    """
    phi = c1 + c2
    if not phi > 4.0:
        raise ValueError(f"constriction needs c1 + c2 > 4, got {phi!r}")
    return 2.0 / abs(2.0 - phi - math.sqrt(phi * phi - 4.0 * phi))


def _schedule(value: Any) -> Any:
    return (float(value[0]), float(value[1])) if isinstance(value, tuple) else float(value)


class ParameterRule:
    """The plain PSO and the base of the variants: ``w``, ``c1``, ``c2`` on a schedule, ``chi`` constant.

    Kennedy & Eberhart (1995) with Shi & Eberhart's (1998) inertia weight. The paper starts
    c1 = c2 = 2; **(our choice: w = 0.7298, Clerc's constriction value, the usual constant weight of
    the collection's callers; the velocity clamp keeps the swarm bounded with c1 + c2 = 4)**.

    Parameters
    ----------
    w, c1, c2 : float or (float, float)
        Inertia weight and acceleration coefficients: constant, or ``(start, end)`` linear in the share of
        the run spent (:meth:`share`: first value at t = 0, last at t = T - 1; with a budget, linear in the
        evaluations spent).
    """

    name = "PSO"
    chi = 1.0

    def __init__(self, w: Schedule = 0.7298, c1: Schedule = 2.0, c2: Schedule = 2.0) -> None:
        self.w, self.c1, self.c2 = _schedule(w), _schedule(c1), _schedule(c2)
        self.iterations, self.max_evaluations, self._scheduled = 0, None, True

    def reset(self, swarm: Any, iterations: int, max_evaluations: int | None = None) -> None:
        """Prepare for a run of ``iterations`` iterations on ``swarm`` (called before t = 0), or with
        ``max_evaluations`` B for a run that ends once the swarm has made B evaluations (schedules then
        follow the evaluations, :meth:`share`)."""
        self.iterations = int(iterations)
        self.max_evaluations = None if max_evaluations is None else int(max_evaluations)
        self._scheduled = any(isinstance(v, tuple) for v in (self.w, self.c1, self.c2))

    def share(self, swarm: Any, t: int) -> float | np.ndarray:
        """The share of the run spent at iteration ``t``, where every schedule stands: ``t / (T - 1)``
        (:func:`run_fraction`), or with a budget B the swarm's evaluations so far over B (GLEET's fes / maxFEs;
        a float for one swarm, else one per swarm), clipped to [0, 1]. The budget's clock counts what has been
        spent when it is read: in :meth:`parameters` before iteration t's move (N (t + 1) / B for a run of N
        evaluations per iteration, from N / B to 1 - N / B when B = N (T + 1)), in :meth:`after_step` after it.
        A run that spends more per iteration (elitist learning, local search) runs through its schedule sooner
        and stops there."""
        if self.max_evaluations is None:
            return run_fraction(t, self.iterations)
        spent = swarm.evaluations
        if len(spent) == 1:  # one run: a float, as without a budget (the arithmetic of an array of one, faster)
            return min(float(spent[0]) / self.max_evaluations, 1.0)
        return np.minimum(spent / self.max_evaluations, 1.0)

    def parameters(self, swarm: Any, t: int) -> Parameters:
        """``(w, c1, c2, chi)`` for iteration ``t``: scalars or (B,) arrays; ``w``, ``c1`` and ``c2`` also (B, N)."""
        if not self._scheduled:  # constants: no share to compute every iteration
            return self.w, self.c1, self.c2, self.chi
        share = self.share(swarm, t)
        at = [v[0] + (v[1] - v[0]) * share if isinstance(v, tuple) else v for v in (self.w, self.c1, self.c2)]
        return at[0], at[1], at[2], self.chi

    def move(self, swarm: Any, w: float | np.ndarray, c1: float | np.ndarray, c2: float | np.ndarray,
             chi: float) -> None:
        """The velocity and position update, one evaluation per particle."""
        swarm.step(w, c1, c2, chi)

    def after_step(self, swarm: Any, t: int) -> None:
        """What the variant does after the move of iteration ``t`` (nothing here)."""

    def trace(self) -> dict[str, Any]:
        """Rule-specific details for the record's ``extra``: per-iteration lists or scalars."""
        return {}

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({settings})"


class LinWPSO(ParameterRule):
    """Linearly decreasing inertia weight: w from 0.9 to 0.4 over the run, c1 = c2 = 2.

    Shi & Eberhart (1999), "Empirical study of particle swarm optimization", CEC.
    """

    name = "LinWPSO"

    def __init__(self, w_start: float = 0.9, w_end: float = 0.4, c1: float = 2.0, c2: float = 2.0) -> None:
        super().__init__((w_start, w_end), c1, c2)


class LnCPSO(ParameterRule):
    """Linearly decreasing learning factors: c1 = c2 from 2.1 to 0.8, w = 0.9 (the collection's LnCPSO)."""

    name = "LnCPSO"

    def __init__(self, w: float = 0.9, c_start: float = 2.1, c_end: float = 0.8) -> None:
        super().__init__(w, (c_start, c_end), (c_start, c_end))


class AsyLnCPSO(ParameterRule):
    """Asymmetric time-varying learning factors: c1 from 2.5 to 0.5, c2 from 0.5 to 2.5, w = 0.9.

    Ratnaweera, Halgamuge & Watson (2004), "Self-organizing hierarchical particle swarm optimizer with
    time-varying acceleration coefficients", IEEE TEC 8(3); w = 0.9 as in SPEC section 7.
    """

    name = "AsyLnCPSO"

    def __init__(self, w: float = 0.9, c1_start: float = 2.5, c1_end: float = 0.5, c2_start: float = 0.5,
                 c2_end: float = 2.5) -> None:
        super().__init__(w, (c1_start, c1_end), (c2_start, c2_end))


class YSPSO(ParameterRule):
    """Constriction-factor PSO: ``v <- chi (v + c1 r1 (p - x) + c2 r2 (g - x))``, c1 = c2 = 2.05.

    Clerc & Kennedy (2002); ``chi`` from :func:`constriction_factor` (0.7298), ``w = 1``.
    """

    name = "YSPSO"

    def __init__(self, c1: float = 2.05, c2: float = 2.05) -> None:
        super().__init__(1.0, c1, c2)
        self.chi = constriction_factor(self.c1, self.c2)


class RandWPSO(ParameterRule):
    """Random inertia weight ``w = mu + sigma * N(0, 1)`` with ``mu ~ U(mu_min, mu_max)``, c1 = c2 = 2.

    One ``w`` per iteration and swarm, as in the collection's RandWPSO (after Eberhart & Shi 2001's
    random weight); mu ~ U(0.6, 0.9), sigma = 0.2 from SPEC section 7.
    """

    name = "RandWPSO"

    def __init__(self, mu_min: float = 0.6, mu_max: float = 0.9, sigma: float = 0.2, c1: float = 2.0,
                 c2: float = 2.0) -> None:
        super().__init__(0.5 * (mu_min + mu_max), c1, c2)
        self.mu_min, self.mu_max, self.sigma = float(mu_min), float(mu_max), float(sigma)

    def parameters(self, swarm: Any, t: int) -> Parameters:
        mu = swarm.draw("uniform", self.mu_min, self.mu_max)
        return mu + self.sigma * swarm.draw("standard_normal"), self.c1, self.c2, 1.0


class SAPSO(ParameterRule):
    """Self-adaptive (fitness-based) inertia weight, one per particle, c1 = c2 = 2.

    ``w_i = w_min + (f_i - f_min)(w_max - w_min) / (f_avg - f_min)`` if ``f_i <= f_avg`` else
    ``w_max``, with each swarm's current fitness values, shape (B, N); w in [0.6, 0.9] (the
    collection's SAPSO). When all finite values of a swarm are equal its particles at or below the
    average get ``w_min`` **(our choice)**; particles with a non-finite fitness get ``w_max``, and so
    does a whole swarm with no finite value.
    """

    name = "SAPSO"

    def __init__(self, w_min: float = 0.6, w_max: float = 0.9, c1: float = 2.0, c2: float = 2.0) -> None:
        super().__init__(w_max, c1, c2)
        self.w_min, self.w_max = float(w_min), float(w_max)

    def parameters(self, swarm: Any, t: int) -> Parameters:
        f = np.atleast_2d(swarm.fitness)
        finite = np.isfinite(f)
        count = finite.sum(axis=1, keepdims=True)
        f_min = np.where(finite, f, np.inf).min(axis=1, keepdims=True)
        f_avg = np.where(finite, f, 0.0).sum(axis=1, keepdims=True) / np.maximum(count, 1)
        span = f_avg - f_min
        scale = np.where(span > 0, (self.w_max - self.w_min) / np.where(span > 0, span, 1.0), 0.0)
        with np.errstate(invalid="ignore"):  # inf - inf of the non-finite entries, not used
            w = np.where(finite & (f <= f_avg), self.w_min + (f - f_min) * scale, self.w_max)
        return np.clip(w, self.w_min, self.w_max), self.c1, self.c2, 1.0


class CLSPSO(ParameterRule):
    """PSO with chaotic local search and a shrinking search region; w = 0.8, c1 = c2 = 2.

    After Liu, Wang, Jin, Tang & Huang (2005), "Improved particle swarm optimization combined with
    chaos", Chaos, Solitons & Fractals 25. After each iteration:

    1. the best ``elite_fraction`` (20 %) of the particles by personal best each make one chaotic
       local-search step: a chaotic variable ``z`` per elite rank and dimension follows the logistic
       map ``z <- 4 z (1 - z)``, the candidate is ``p_i + (2 z - 1) * h_t`` (clipped to the box) and
       it replaces the particle (position and personal best) when it is better than its personal best;
    2. the search region shrinks around ``g``: ``[g - h_t, g + h_t]`` within the box, with half-width
       ``h_t = (ub - lb)/2 * rho_end ** s_t`` with ``s_t`` the share of the run spent (``t / (T - 1)``, or the
       evaluations spent over a budget: :meth:`ParameterRule.share`) **(our choice: a geometric schedule down to
       ``rho_end = 1e-3`` at the last iteration, so the region shrinks over the run whatever its
       length; Liu et al. shrink by a constant ratio per step)**;
    3. the other particles are re-drawn uniformly in that region with zero velocity. **(our choice:
       they are not evaluated there; their fitness is +inf until their next move, so an iteration
       costs N + ceil(0.2 N) evaluations)**.

    A chaotic variable that lands on a fixed point or cycle of the map (0, 0.25, 0.5, 0.75, 1 up to
    1e-12) is re-drawn from the swarm's generator.

    Raises
    ------
    ValueError
        When ``elite_fraction`` is not in (0, 1].
    """

    name = "CLSPSO"

    def __init__(self, w: float = 0.8, c1: float = 2.0, c2: float = 2.0, elite_fraction: float = 0.2,
                 rho_end: float = 1e-3) -> None:
        super().__init__(w, c1, c2)
        if not 0.0 < elite_fraction <= 1.0:
            raise ValueError(f"elite_fraction must be in (0, 1], got {elite_fraction!r}")
        self.elite_fraction, self.rho_end = float(elite_fraction), float(rho_end)

    def reset(self, swarm: Any, iterations: int, max_evaluations: int | None = None) -> None:
        super().reset(swarm, iterations, max_evaluations)
        self._n_elite = max(1, math.ceil(self.elite_fraction * swarm.n_particles))
        self._z = swarm.draw("random", size=(self._n_elite, swarm.dim))  # (B, E, D)
        self._fix_chaos(swarm)

    def _fix_chaos(self, swarm: Any) -> None:
        z = self._z
        bad = (z < 1e-12) | (z > 1.0 - 1e-12)
        for point in (0.25, 0.5, 0.75):
            bad |= np.abs(z - point) < 1e-12
        for q in np.flatnonzero(bad.any(axis=(1, 2))):  # rare
            z[q][bad[q]] = swarm.generator(q).random(int(bad[q].sum()))

    def after_step(self, swarm: Any, t: int) -> None:
        lower, upper = swarm.lower, swarm.upper  # (B, D)
        b, n, d, e = swarm.batch_size, swarm.n_particles, swarm.dim, self._n_elite
        scale = self.rho_end ** self.share(swarm, t)
        half = 0.5 * (upper - lower) * (scale[:, None] if np.ndim(scale) else scale)

        # 1. one chaotic local-search step around each elite personal best
        self._z = 4.0 * self._z * (1.0 - self._z)
        self._fix_chaos(swarm)
        elite = np.argsort(swarm.pbest_fitness, axis=1, kind="stable")[:, :e]  # (B, E)
        rows = np.arange(b)[:, None]
        candidates = np.clip(swarm.pbest_positions[rows, elite] + (2.0 * self._z - 1.0) * half[:, None, :],
                             lower[:, None, :], upper[:, None, :])
        swarm.set_particles(np.repeat(np.arange(b), e), elite.ravel(), candidates.reshape(-1, d),
                            mode="improve")  # one evaluation per elite particle

        # 2.-3. shrink the region around g and re-draw the other particles in it
        low = np.maximum(lower, swarm.gbest_position - half)[:, None, :]
        high = np.minimum(upper, swarm.gbest_position + half)[:, None, :]
        rest = np.ones((b, n), dtype=bool)
        rest[rows, elite] = False
        if n > e:
            swarm.positions[rest] = (low + swarm.draw("random", size=(n - e, d)) * (high - low)).reshape(-1, d)
            swarm.velocities[rest] = 0.0
            swarm.fitness[rest] = np.inf


class SelPSO(ParameterRule):
    """PSO with selection: after each iteration the worse half copies the better half; w = 0.7, c1 = c2 = 2.

    Angeline (1998), "Using selection to improve particle swarm optimization", IEEE ICEC. Particles
    are ranked by current fitness within each swarm; the k-th worst takes the position, velocity and
    fitness of the k-th best (k < N/2); personal bests are kept, as in Angeline. No extra evaluations.
    """

    name = "SelPSO"

    def __init__(self, w: float = 0.7, c1: float = 2.0, c2: float = 2.0) -> None:
        super().__init__(w, c1, c2)

    def after_step(self, swarm: Any, t: int) -> None:
        n = swarm.n_particles
        order = np.argsort(swarm.fitness, axis=1, kind="stable")
        rows = np.arange(swarm.batch_size)[:, None]
        src, dst = order[:, : n // 2], order[:, n - n // 2 :][:, ::-1]
        for array in (swarm.positions, swarm.velocities, swarm.fitness):
            array[rows, dst] = array[rows, src]


class SecPSO(ParameterRule):
    """Second-order PSO: ``v <- w v + c1 r1 (p - 2x + x') + c2 r2 (g - 2x + x')``, w = 0.7, c1 = c2 = 1.

    ``x'`` is the previous position (the current one at t = 0). Hu & Zeng (2007), "Second-order
    particle swarm optimization model", the collection's SecPSO.
    """

    name = "SecPSO"

    def __init__(self, w: float = 0.7, c1: float = 1.0, c2: float = 1.0) -> None:
        super().__init__(w, c1, c2)

    def reset(self, swarm: Any, iterations: int, max_evaluations: int | None = None) -> None:
        super().reset(swarm, iterations, max_evaluations)
        self._previous = swarm.positions.copy()

    def move(self, swarm: Any, w: float | np.ndarray, c1: float | np.ndarray, c2: float | np.ndarray,
             chi: float) -> None:
        current = swarm.positions.copy()
        swarm.step(w, c1, c2, chi, previous=self._previous)
        self._previous = current


class EMPSO(ParameterRule):
    """Exponentially weighted momentum PSO: c1 = 0.8, c2 = 0.9, beta = 0.9, w = 1.

    Mohapatra, Saha, Coello Coello, Bhattacharya, Dhavala & Saha (2022), "AdaSwarm: augmenting
    gradient-based optimizers in deep learning with swarm intelligence", IEEE TETCI, eqs 4-6:
    ``M(t+1) = beta M(t) + (1 - beta) v(t)``, ``v(t+1) = M(t+1) + c1 r1 (p - x) + c2 r2 (g - x)``,
    ``x <- x + v(t+1)``, ``M(0) = 0``; unrolled, M(t) gives v(t - i) the weight ``beta^(i-1) (1 - beta)``
    (eq 7). We follow the equations: the momentum takes the *old* velocity v(t), whereas Algorithm 1
    updates M after the move, with the new one. Defaults from section VI-A; stable for 0 < beta < 1 and
    c1 + c2 <= 2 (the paper's supplement; with r1 = r2 = 1 the linear map's spectral radius is 0.894 at
    c1 + c2 = 2 and 1.145 at 2.25 for beta = 0.9). Beta = 0 is the classic update with w = 1, bit for bit.
    ``w`` (default 1, the paper's) multiplies M(t+1) as the inertia weight multiplies v.

    Parameters
    ----------
    beta : float
        Momentum factor in [0, 1).

    Raises
    ------
    ValueError
        When ``beta`` is not in [0, 1).
    """

    name = "EMPSO"
    kind = "average"

    def __init__(self, beta: float = 0.9, c1: float = 0.8, c2: float = 0.9, w: float = 1.0) -> None:
        super().__init__(w, c1, c2)
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"beta must be in [0, 1), got {beta!r}")
        self.beta = float(beta)

    def move(self, swarm: Any, w: float | np.ndarray, c1: float | np.ndarray, c2: float | np.ndarray,
             chi: float) -> None:
        swarm.step(w, c1, c2, chi, momentum=self.beta, momentum_kind=self.kind)


class MPSO(EMPSO):
    """Momentum PSO, the paper's baseline: ``v(t+1) = (1 - lambda) [v(t) + c1 r1 (p - x) + c2 r2 (g - x)]
    + lambda v(t-1)``.

    Xiang, Wang & Liao (2007), "An improved particle swarm optimizer with momentum", CEC; eq 3 of
    Mohapatra et al. (2022). Lambda is given by neither paper **(our choice: lambda = 0.3, close to
    the 0.32 that minimises the spectral radius, 0.942, of the deterministic map at the mean attraction
    (c1 + c2) / 2: the setting most favourable to the baseline; c1 = 0.8, c2 = 0.9 as EMPSO's for a
    like-for-like comparison)**; v(-1) = 0 at the first iteration **(our choice)**. The swarm
    keeps v(t-1) in its momentum buffer and the rule passes c1 (1 - lambda), c2 (1 - lambda).

    Raises
    ------
    ValueError
        When ``lam`` is not in [0, 1).
    """

    name = "MPSO"
    kind = "previous"

    def __init__(self, lam: float = 0.3, c1: float = 0.8, c2: float = 0.9) -> None:
        if not 0.0 <= lam < 1.0:
            raise ValueError(f"lam must be in [0, 1), got {lam!r}")
        super().__init__(lam, c1, c2)
        self.lam = self.beta

    def parameters(self, swarm: Any, t: int) -> Parameters:
        return 1.0, self.c1 * (1.0 - self.lam), self.c2 * (1.0 - self.lam), 1.0


class HGPSO(ParameterRule):
    """Hybrid gradient-based PSO: ``v <- w v + c1 r1 (p - x) + c2 r2 (g - x) - alpha grad f(x)``, ``x <- x + v``.

    "Adaptive Hybrid Gradient-Based Particle Swarm Optimization for Enhanced Neural Network Training"
    (``shared/papers/hg-pso_gradient_hybrid.txt``), sections 3.4-3.5: a gradient correction term, scaled by
    alpha, in the velocity update; a particle is a whole weight vector and its fitness the training loss.
    The gradient at every particle's position comes from the objective (``function.gradient``: autograd of
    the paper functions, :class:`benchmarks_fn.NetworkLoss`'s ``torch.func`` gradients) and enters
    :meth:`pso_env.swarm.Swarm.step` as its ``drift``, before the velocity clamp. An iteration costs N
    gradient evaluations besides the N function evaluations (``gradient_evaluations`` in the trace).

    The paper's equations were images missing from our copy and it gives no constants; it says the
    learning rate adapts "based on swarm performance and convergence trends" without a formula. **Our
    choices**: w = 0.7298, c1 = c2 = 1.49618 (Clerc's constriction in inertia form, Eberhart & Shi 2000),
    alpha = 0.01; non-finite gradient components count as 0; three alpha schedules to compare
    (``schedule``):

    * ``"constant"``: alpha throughout;
    * ``"success"``: Rechenberg's 1/5 success rule on the swarm: after each iteration alpha is multiplied
      by ``adapt`` (1.1) when more than a fifth of the particles improved their personal best, divided by
      it when fewer did;
    * ``"state"``: tied to Zhan's evolutionary state through the evolutionary factor f in [0, 1]
      (:meth:`pso_env.swarm.Swarm.evolutionary_factor`, 0: converged, 1: spread out / jumping out):
      ``alpha_t = alpha * 2^(1 - 2 f)``, twice alpha in convergence, half of it in exploration (the
      gradient refines where the swarm exploits and steps back where it explores).

    Adaptive alphas stay within ``[1e-3 alpha, 1e3 alpha]``. ``alpha = 0`` is the plain update (same w, c1,
    c2) bit for bit and computes no gradients; ``w = c1 = c2 = 0`` makes one step exactly gradient descent with step alpha (where
    the clamp and the box are not reached).

    Parameters
    ----------
    alpha : float
        Gradient scaling factor, >= 0.
    w, c1, c2 : float or (float, float)
        As in :class:`ParameterRule`.
    schedule : {"constant", "success", "state"}
    adapt : float
        The success rule's factor, > 1.

    Raises
    ------
    ValueError
        Naming ``alpha``, ``schedule`` or ``adapt`` when out of range.
    """

    name = "HGPSO"
    SCHEDULES = ("constant", "success", "state")
    schedule = "constant"

    def __init__(self, alpha: float = 0.01, w: Schedule = 0.7298, c1: Schedule = 1.49618, c2: Schedule = 1.49618,
                 schedule: str | None = None, adapt: float = 1.1) -> None:
        super().__init__(w, c1, c2)
        if not (isinstance(alpha, (int, float)) and math.isfinite(alpha) and alpha >= 0.0):
            raise ValueError(f"alpha must be a finite number >= 0, got {alpha!r}")
        schedule = type(self).schedule if schedule is None else schedule
        if schedule not in self.SCHEDULES:
            raise ValueError(f"schedule must be one of {', '.join(self.SCHEDULES)}, got {schedule!r}")
        if not (isinstance(adapt, (int, float)) and math.isfinite(adapt) and adapt > 1.0):
            raise ValueError(f"adapt must be a finite number > 1, got {adapt!r}")
        self.alpha, self.schedule, self.adapt = float(alpha), schedule, float(adapt)

    def reset(self, swarm: Any, iterations: int, max_evaluations: int | None = None) -> None:
        super().reset(swarm, iterations, max_evaluations)
        self._alpha = np.full(swarm.batch_size, self.alpha)
        self._trace: dict[str, list] = {"alpha": []}
        self.gradient_evaluations = np.zeros(swarm.batch_size, dtype=np.int64)  # per swarm

    def step_size(self, swarm: Any) -> np.ndarray:
        """Alpha of the coming iteration per swarm, shape (B,)."""
        if self.schedule == "state":
            f = np.asarray(swarm._host(swarm.evolutionary_factor()), dtype=float)
            return np.clip(self.alpha * 2.0 ** (1.0 - 2.0 * f), 1e-3 * self.alpha, 1e3 * self.alpha)
        return self._alpha

    def move(self, swarm: Any, w: float | np.ndarray, c1: float | np.ndarray, c2: float | np.ndarray,
             chi: float) -> None:
        alpha = self.step_size(swarm)
        before = swarm._copy(swarm.pbest_fitness) if self.schedule == "success" else None
        if np.any(alpha != 0.0):
            grad = swarm.gradients()
            xp = swarm.xp
            grad = xp.where(xp.isfinite(grad), grad, xp.zeros_like(grad))
            swarm.step(w, c1, c2, chi, drift=-(swarm._asarray(alpha)[:, None, None] * grad))
            self.gradient_evaluations += swarm.n_particles
        else:  # alpha = 0: the plain move (the same bits as a zero drift), no gradients computed
            swarm.step(w, c1, c2, chi)
        self._trace["alpha"].append(alpha.copy())
        if before is not None:
            success = np.mean(swarm._host(swarm.pbest_fitness < before), axis=1)
            factor = np.where(success > 0.2, self.adapt, np.where(success < 0.2, 1.0 / self.adapt, 1.0))
            self._alpha = np.clip(self._alpha * factor, 1e-3 * self.alpha, 1e3 * self.alpha)

    def trace(self) -> dict[str, Any]:
        return per_swarm({**self._trace, "gradient_evaluations": self.gradient_evaluations})


class HGPSOSuccess(HGPSO):
    """:class:`HGPSO` with the success-based alpha (``schedule="success"``)."""

    name = "HGPSO-success"
    schedule = "success"


class HGPSOState(HGPSO):
    """:class:`HGPSO` with alpha tied to the evolutionary state (``schedule="state"``)."""

    name = "HGPSO-state"
    schedule = "state"
