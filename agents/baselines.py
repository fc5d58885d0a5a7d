"""The hand-designed baselines and the outside references, all behind one functional API.

- :func:`run_variant` runs one PSO variant of SPEC section 7 (:data:`VARIANTS`, :func:`list_variants`)
  on the shared swarm core; the parameter rules live in :mod:`agents.variants` and :mod:`agents.apso`.
- :func:`run_cmaes` runs CMA-ES (the ``cma`` package) and :func:`run_random_search` uniform random
  search, the fixed references of MetaBox-style comparisons.

Every function returns a :class:`agents.records.RunRecord`, and its only random source is
``numpy.random.default_rng(seed)`` (CMA-ES: see :func:`run_cmaes`), so a seed gives the same run bit for
bit.

Examples
--------
>>> from benchmarks_fn import get_function                        # doctest: +SKIP
>>> run_variant("apso", get_function("rastrigin", 30), seed=1).error   # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import re
import time
from typing import Any

import numpy as np

from pso_env.swarm import Swarm, finite_or_inf

from .apso import APSO, HMMAPSO
from .records import RunRecord, checkpoint_curve, function_name, function_optimum, record_from_swarm
from .variants import (
    CLSPSO,
    SAPSO,
    YSPSO,
    AsyLnCPSO,
    LinWPSO,
    LnCPSO,
    ParameterRule,
    RandWPSO,
    SecPSO,
    SelPSO,
)

#: The PSO variants by name (SPEC section 7); each value is a :class:`~agents.variants.ParameterRule`
#: subclass whose constructor takes the variant's settings as keyword arguments.
VARIANTS: dict[str, type[ParameterRule]] = {
    cls.name: cls
    for cls in (
        ParameterRule,
        LinWPSO,
        RandWPSO,
        SAPSO,
        LnCPSO,
        AsyLnCPSO,
        YSPSO,
        CLSPSO,
        SelPSO,
        SecPSO,
        APSO,
        HMMAPSO,
    )
}


def _key(name: str) -> str:
    """Name normalised for matching: lower case, without ``-``, ``_`` and white space."""
    return re.sub(r"[-_\s]", "", name.lower())


_BY_KEY = {_key(name): cls for name, cls in VARIANTS.items()}


def list_variants() -> list[str]:
    """Names of the PSO variants, in the order of :data:`VARIANTS`."""
    return list(VARIANTS)


def make_rule(name: str, **options: Any) -> ParameterRule:
    """A fresh parameter rule for variant ``name`` (case, ``-``, ``_`` and spaces ignored).

    Raises
    ------
    ValueError
        For an unknown name; the message lists the known ones.
    """
    cls = _BY_KEY.get(_key(str(name)))
    if cls is None:
        raise ValueError(f"unknown PSO variant {name!r}; known: {', '.join(VARIANTS)}")
    return cls(**options)


def _resolve_function(function: Any, dim: int | None) -> Any:
    """A function object: ``function`` itself, or ``benchmarks_fn.get_function(function, dim)`` for a name."""
    if isinstance(function, str):
        if dim is None:
            raise ValueError("dim is required when the function is given by name")
        from benchmarks_fn import get_function

        return get_function(function, dim)
    if dim is not None and int(dim) != int(function.dim):
        raise ValueError(f"dim={dim} does not match the function's dimension {function.dim}")
    return function


def _check_int(name: str, value: Any, minimum: int) -> None:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def _check_run_settings(
    swarm_size: Any, iterations: Any, checkpoint_every: Any, *, min_swarm: int = 2
) -> None:
    """Validate the run settings before any work, with messages naming the parameters."""
    _check_int("swarm_size", swarm_size, min_swarm)
    _check_int("iterations", iterations, 0)
    _check_int("checkpoint_every", checkpoint_every, 1)


def run_rule(
    rule: ParameterRule,
    function: Any,
    *,
    swarm_size: int = 30,
    iterations: int = 1000,
    seed: int = 0,
    checkpoint_every: int = 10,
    velocity_clamp: float | None = 0.2,
    bounds: str = "clip",
    trace: bool = True,
    algorithm: str | None = None,
) -> RunRecord:
    """Run a PSO driven by ``rule`` for ``iterations`` iterations and return its record.

    Parameters
    ----------
    rule : ParameterRule
        The parameter rule; it is reset for this run.
    function : object
        The objective (``dim``, ``lower``, ``upper``, ``evaluate``; see :class:`pso_env.swarm.Swarm`).
    swarm_size, iterations, seed, checkpoint_every, velocity_clamp, bounds
        See :func:`run_variant`.
    trace : bool, default True
        Store the per-iteration ``w`` (the swarm mean where it is per particle), ``c1`` and ``c2``, and
        the rule's own :meth:`~agents.variants.ParameterRule.trace`, in the record's ``extra``.
    algorithm : str, optional
        Name for the record; default ``rule.name``.
    """
    _check_run_settings(swarm_size, iterations, checkpoint_every)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    swarm = Swarm(function, swarm_size, np.random.default_rng(seed), batch_size=1,
                  velocity_clamp=velocity_clamp, bounds=bounds, history=True)
    rule.reset(swarm, iterations)
    ws: list[float] = []
    c1s: list[float] = []
    c2s: list[float] = []
    for t in range(iterations):
        w, c1, c2, chi = rule.parameters(swarm, t)
        rule.move(swarm, w, c1, c2, chi)
        rule.after_step(swarm, t)
        if trace:
            ws.append(float(np.mean(w)))
            c1s.append(float(np.mean(c1)))
            c2s.append(float(np.mean(c2)))
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    extra = {"w": ws, "c1": c1s, "c2": c2s, **rule.trace()} if trace else {}
    return record_from_swarm(
        swarm,
        algorithm=algorithm or rule.name,
        seed=seed,
        cpu_seconds=cpu,
        wall_seconds=wall,
        checkpoint_every=checkpoint_every,
        extra=extra,
    )


def run_variant(
    name: str,
    function: Any,
    *,
    dim: int | None = None,
    swarm_size: int = 30,
    iterations: int = 1000,
    seed: int = 0,
    checkpoint_every: int = 10,
    velocity_clamp: float | None = 0.2,
    bounds: str = "clip",
    trace: bool = True,
    **options: Any,
) -> RunRecord:
    """Run the PSO variant ``name`` on ``function``.

    Parameters
    ----------
    name : str
        One of :func:`list_variants` (case-insensitive; ``-``, ``_`` and spaces ignored).
    function : object or str
        A function object, or a name for ``benchmarks_fn.get_function(name, dim)``.
    dim : int, optional
        Required with a function name; checked against a function object's ``dim``.
    swarm_size : int, default 30
        Number of particles N (at least 2).
    iterations : int, default 1000
        Iterations (each evaluates every particle once, plus what a variant adds); at least 0.
    seed : int, default 0
        Seed of ``numpy.random.default_rng``, the run's only random source.
    checkpoint_every : int, default 10
        Spacing of the record's curve (at least 1).
    velocity_clamp : float or None, default 0.2
        Velocity clamp as a fraction of the range (SPEC section 1).
    bounds : {"clip", "reflect", "none"}, default "clip"
        Position handling at the box.
    trace : bool, default True
        Keep parameter and state trajectories in the record's ``extra``.
    **options
        The variant's settings, passed to its rule's constructor (e.g. ``w=0.6`` for ``"PSO"``).

    Returns
    -------
    RunRecord

    Raises
    ------
    ValueError
        For an unknown name, or a bad ``swarm_size``, ``iterations`` or ``checkpoint_every`` (checked
        before the run).
    """
    rule = make_rule(name, **options)
    return run_rule(
        rule,
        _resolve_function(function, dim),
        swarm_size=swarm_size,
        iterations=iterations,
        seed=seed,
        checkpoint_every=checkpoint_every,
        velocity_clamp=velocity_clamp,
        bounds=bounds,
        trace=trace,
    )


def _evaluate(function: Any, x: np.ndarray) -> np.ndarray:
    return finite_or_inf(getattr(function, "evaluate", function)(x))


def _record_from_values(
    values: np.ndarray,
    function: Any,
    *,
    algorithm: str,
    seed: int,
    swarm_size: int,
    iterations: int,
    checkpoint_every: int,
    cpu_seconds: float,
    wall_seconds: float,
    extra: dict[str, Any],
) -> RunRecord:
    """A record from the values of all evaluations in order; iteration t = ``swarm_size * (t + 1)`` evaluations."""
    best_so_far = np.minimum.accumulate(values)
    ends = np.minimum(swarm_size * (np.arange(iterations + 1) + 1), len(values)) - 1
    best = float(best_so_far[-1])
    optimum = function_optimum(function)
    return RunRecord(
        algorithm=algorithm,
        function=function_name(function),
        dim=int(function.dim),
        seed=int(seed),
        best_value=best,
        error=None if optimum is None else best - optimum,
        curve=checkpoint_curve(best_so_far[ends], checkpoint_every),
        checkpoint_every=int(checkpoint_every),
        evaluations=len(values),
        cpu_seconds=float(cpu_seconds),
        wall_seconds=float(wall_seconds),
        extra=extra,
    )


def _single_threaded_blas() -> contextlib.AbstractContextManager:
    """Limit BLAS/LAPACK to one thread where ``threadpoolctl`` is installed (a no-op otherwise).

    CMA-ES eigendecomposes its D x D covariance matrix every generation; for D ~ 30 a multi-threaded
    ``eigh`` is about 10x slower than a single-threaded one, and much worse on a loaded machine.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1)


@contextlib.contextmanager
def _global_random_state_kept() -> Any:
    """Restore numpy's global random state on exit, so that a run never changes it for its caller."""
    state = np.random.get_state()
    try:
        yield
    finally:
        np.random.set_state(state)


def run_cmaes(
    function: Any,
    *,
    dim: int | None = None,
    swarm_size: int = 30,
    iterations: int = 1000,
    budget: int | None = None,
    seed: int = 0,
    checkpoint_every: int = 10,
    sigma0: float = 0.3,
    popsize: int | None = None,
    restarts: bool = True,
) -> RunRecord:
    """CMA-ES (Hansen's ``cma`` package) as the outside reference, on the same budget as a PSO run.

    Parameters
    ----------
    function : object or str
        As in :func:`run_variant`.
    dim : int, optional
        As in :func:`run_variant`.
    swarm_size, iterations : int
        The PSO run this one is compared with: the default budget is ``swarm_size * (iterations + 1)``
        evaluations, what a plain PSO uses (initialisation included), and curve point t is the best
        after ``swarm_size * (t + 1)`` evaluations.
    budget : int, optional
        Evaluations, overriding the default; the last generation is cut so the count is exact.
    seed : int, default 0
        ``numpy.random.default_rng(seed)`` is the only random source: it draws the start points
        (uniform in the box) and, through ``cma``'s ``randn`` option, every Gaussian sample of every
        instance. ``cma``'s own seeding of numpy's global random state is switched off
        (``seed=nan``), and that global state is restored on return, so a run neither depends on it
        nor changes it.
    checkpoint_every : int, default 10
        Spacing of the curve (in equivalent iterations).
    sigma0 : float, default 0.3
        Initial step size as a fraction of the box's range per dimension.
    popsize : int, optional
        Population size of the first instance; default ``cma``'s ``4 + floor(3 ln D)``.
    restarts : bool, default True
        Restart with a doubled population (IPOP-CMA-ES, Auger & Hansen 2005) from a new random point
        whenever an instance stops on its own criteria before the budget is spent **(our choice: a
        reference that stops early on a multimodal function would waste most of its budget)**.

    Returns
    -------
    RunRecord
        ``extra`` holds ``restarts`` (the number of restarts) and ``popsizes`` (one per instance).
    """
    import cma

    _check_run_settings(swarm_size, iterations, checkpoint_every, min_swarm=1)
    function = _resolve_function(function, dim)
    budget = swarm_size * (iterations + 1) if budget is None else int(budget)
    if budget < 1:
        raise ValueError(f"budget must be >= 1, got {budget!r}")
    cpu0, wall0 = time.process_time(), time.perf_counter()
    rng = np.random.default_rng(seed)
    lower = np.asarray(function.lower, dtype=float)
    upper = np.asarray(function.upper, dtype=float)
    span = upper - lower
    scale = float(span.mean())
    values = np.empty(budget)
    used = 0
    popsizes: list[int] = []

    def randn(*shape: int) -> np.ndarray:  # cma calls randn(lam, N)
        return rng.standard_normal(shape)

    with _single_threaded_blas(), _global_random_state_kept():
        while used < budget:
            x0 = lower + rng.random(function.dim) * span
            opts: dict[str, Any] = {
                "bounds": [lower.tolist(), upper.tolist()],
                "CMA_stds": (span / scale).tolist(),
                "randn": randn,
                "seed": np.nan,  # cma: "do nothing" (no np.random.seed); only used with np.random.randn
                "maxfevals": budget - used,
                "verbose": -9,
                "verb_log": 0,
                "verb_disp": 0,
            }
            if popsize is not None:
                opts["popsize"] = int(popsize)
            es = cma.CMAEvolutionStrategy(x0, sigma0 * scale, opts)
            popsizes.append(int(es.popsize))
            while used < budget and not es.stop():
                solutions = es.ask()
                take = min(len(solutions), budget - used)
                f = _evaluate(function, np.asarray(solutions[:take]))
                values[used : used + take] = f
                used += take
                if take < len(solutions):
                    break
                es.tell(solutions, np.minimum(f, np.finfo(float).max).tolist())
            if not restarts:
                break
            popsize = 2 * popsizes[-1]
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return _record_from_values(
        values[:used],
        function,
        algorithm="CMA-ES",
        seed=seed,
        swarm_size=swarm_size,
        iterations=iterations,
        checkpoint_every=checkpoint_every,
        cpu_seconds=cpu,
        wall_seconds=wall,
        extra={"restarts": len(popsizes) - 1, "popsizes": popsizes},
    )


def run_random_search(
    function: Any,
    *,
    dim: int | None = None,
    swarm_size: int = 30,
    iterations: int = 1000,
    seed: int = 0,
    checkpoint_every: int = 10,
) -> RunRecord:
    """Uniform random search in the box: ``swarm_size`` points per iteration, ``iterations + 1`` batches.

    The floor every optimiser should beat; same budget and curve convention as :func:`run_cmaes`.
    ``numpy.random.default_rng(seed)`` is the only random source.
    """
    _check_run_settings(swarm_size, iterations, checkpoint_every, min_swarm=1)
    function = _resolve_function(function, dim)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    rng = np.random.default_rng(seed)
    lower = np.asarray(function.lower, dtype=float)
    span = np.asarray(function.upper, dtype=float) - lower
    total = swarm_size * (iterations + 1)
    values = np.empty(total)
    chunk = swarm_size * 100
    for start in range(0, total, chunk):
        n = min(chunk, total - start)
        values[start : start + n] = _evaluate(function, lower + rng.random((n, function.dim)) * span)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return _record_from_values(
        values,
        function,
        algorithm="RandomSearch",
        seed=seed,
        swarm_size=swarm_size,
        iterations=iterations,
        checkpoint_every=checkpoint_every,
        cpu_seconds=cpu,
        wall_seconds=wall,
        extra={},
    )
