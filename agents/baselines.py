"""The hand-designed PSO variants (:func:`run_variant`) and the outside references CMA-ES and uniform
random search. Each returns a :class:`evaluation.records.RunRecord`; its only random source is
``numpy.random.default_rng(seed)``, so a seed gives the same run bit for bit.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from benchmarks_fn._validate import check_function_object, check_int
from benchmarks_fn.base import checked_values
from evaluation.anytime import Tracked
from evaluation.records import RunRecord, make_record
from evaluation.runner import check_run_settings, measured, run
from pso_env.swarm import BOUND_MODES, finite_or_inf

from . import variants as v
from .apso import APSO, HMMAPSO
from .controller import RuleController

#: The PSO variants by name (SPEC section 7): ParameterRule classes taking the variant's settings.
VARIANTS: dict[str, type[v.ParameterRule]] = {cls.name: cls for cls in (
    v.ParameterRule, v.LinWPSO, v.RandWPSO, v.SAPSO, v.LnCPSO, v.AsyLnCPSO, v.YSPSO, v.CLSPSO, v.SelPSO, v.SecPSO,
    APSO, HMMAPSO, v.EMPSO, v.MPSO, v.HGPSO, v.HGPSOSuccess, v.HGPSOState)}


def _key(name: str) -> str:
    return re.sub(r"[-_\s]", "", name.lower())


_BY_KEY = {_key(name): cls for name, cls in VARIANTS.items()}


def list_variants() -> list[str]:
    """Names of the PSO variants, in the order of :data:`VARIANTS`."""
    return list(VARIANTS)


def make_rule(name: str, **options: Any) -> v.ParameterRule:
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
    """``function`` itself (checked), or ``benchmarks_fn.get_function(function, dim)`` for a name."""
    if isinstance(function, str):
        if dim is None:
            raise ValueError("dim is required when the function is given by name")
        from benchmarks_fn import get_function

        return get_function(function, dim)
    check_function_object(function, "function", "a function name or ")
    if dim is not None and int(dim) != int(function.dim):
        raise ValueError(f"dim={dim} does not match the function's dimension {function.dim}")
    return function


def run_variant(name: str, function: Any, *, dim: int | None = None, swarm_size: int = 30, iterations: int = 1000,
                seed: int = 0, checkpoint_every: int = 10, velocity_clamp: float | None = 0.2,
                bounds: str = BOUND_MODES[0], trace: bool = True, max_evaluations: int | None = None,
                **options: Any) -> RunRecord:
    """Run the PSO variant ``name`` (see :func:`make_rule`) on ``function``.

    Parameters
    ----------
    function : object or str
        A function object, or a name for ``benchmarks_fn.get_function(name, dim)``.
    dim : int, optional
        Required with a function name; checked against a function object's ``dim``.
    swarm_size, iterations, seed, checkpoint_every, max_evaluations
        As in :func:`evaluation.runner.run`; ``velocity_clamp``, ``bounds``, ``trace`` as in
        :class:`agents.controller.RuleController`.
    **options
        The variant's settings, passed to its rule's constructor (e.g. ``w=0.6`` for ``"PSO"``).

    Raises
    ------
    ValueError
        For an unknown name, a function object lacking a member (named), or a bad ``swarm_size``,
        ``iterations`` or ``checkpoint_every``.
    """
    controller = RuleController(make_rule(name, **options), velocity_clamp=velocity_clamp, bounds=bounds,
                                trace=trace)
    return run(controller, _resolve_function(function, dim), swarm_size=swarm_size, iterations=iterations,
               seed=seed, checkpoint_every=checkpoint_every, max_evaluations=max_evaluations)


def _budget(budget: Any, max_evaluations: int | None) -> int:
    """``budget`` (checked, >= 1), capped by ``max_evaluations`` where given (checked by :func:`check_run_settings`)."""
    budget = check_int(budget, "budget", 1)
    return budget if max_evaluations is None else min(budget, max_evaluations)


def _evaluate(function: Any, x: np.ndarray) -> np.ndarray:
    return finite_or_inf(checked_values(function, getattr(function, "evaluate", function)(x), len(x)))


def _record(values: np.ndarray, tracked: Tracked, swarm_size: int, iterations: int, clock: Any,
            **fields: Any) -> RunRecord:
    """The record of all evaluations' values in order (iteration t: ``swarm_size * (t + 1)`` of them)."""
    best_so_far = np.minimum.accumulate(values)
    ends = np.minimum(swarm_size * (np.arange(iterations + 1) + 1), len(values)) - 1
    return make_record(tracked.function, best_so_far[ends], best_value=best_so_far[-1], evaluations=len(values),
                       cpu_seconds=clock.cpu, wall_seconds=clock.wall, improvements=tracked.improvements,
                       nonfinite=int(np.count_nonzero(np.isinf(values))), **fields)


def run_cmaes(function: Any, *, dim: int | None = None, swarm_size: int = 30, iterations: int = 1000,
              budget: int | None = None, seed: int = 0, checkpoint_every: int = 10, sigma0: float = 0.3,
              popsize: int | None = None, restarts: bool = True, ioh_dir: str | None = None,
              max_evaluations: int | None = None) -> RunRecord:
    """CMA-ES (Hansen's ``cma`` package) as the outside reference, on the same budget as a PSO run.

    Parameters
    ----------
    function, dim, checkpoint_every
        As in :func:`run_variant`.
    swarm_size, iterations : int
        The PSO run this one is compared with: the default budget is ``swarm_size * (iterations + 1)``
        evaluations, and curve point t is the best after ``swarm_size * (t + 1)`` evaluations.
    budget : int, optional
        Evaluations, overriding the default; the last generation is cut so the count is exact.
    max_evaluations : int, optional
        A cap on the budget (:func:`evaluation.runner.run`'s fixed budget): ``min(budget, max_evaluations)``.
    seed : int
        Its generator draws the start points (uniform in the box) and, through ``cma``'s ``randn``
        option, every Gaussian sample. ``cma`` does not seed numpy's global random state (``seed=nan``),
        which is restored on return, so a run neither depends on it nor changes it.
    sigma0 : float
        Initial step size as a fraction of the box's range per dimension.
    popsize : int, optional
        Population size of the first instance; default ``cma``'s ``4 + floor(3 ln D)``.
    restarts : bool
        Restart with a doubled population (IPOP-CMA-ES, Auger & Hansen 2005) from a new random point
        whenever an instance stops before the budget is spent **(our choice)**.
    ioh_dir : str, optional
        Log the run in IOHprofiler's format there (:class:`evaluation.anytime.Tracked`).

    Returns
    -------
    RunRecord
        ``extra`` holds ``restarts`` (their number) and ``popsizes`` (one per instance).

    Raises
    ------
    ValueError
        For a bad ``swarm_size``, ``iterations``, ``checkpoint_every``, ``budget`` or ``max_evaluations``.
    """
    import cma

    check_run_settings(swarm_size, iterations, checkpoint_every, min_swarm=1, max_evaluations=max_evaluations)
    function = _resolve_function(function, dim)
    budget = _budget(swarm_size * (iterations + 1) if budget is None else budget, max_evaluations)
    global_state = np.random.get_state()
    try:
        with measured() as clock:
            function = Tracked(function, ioh_dir=ioh_dir, algorithm="CMA-ES", seed=seed)
            rng = np.random.default_rng(seed)
            lower, upper = np.asarray(function.lower, dtype=float), np.asarray(function.upper, dtype=float)
            span = upper - lower
            scale = float(span.mean())
            values, used, popsizes = np.empty(budget), 0, []
            while used < budget:
                x0 = lower + rng.random(function.dim) * span
                opts = {"bounds": [lower.tolist(), upper.tolist()], "CMA_stds": (span / scale).tolist(),
                        "randn": lambda *shape: rng.standard_normal(shape), "seed": np.nan,
                        "maxfevals": budget - used, "verbose": -9, "verb_log": 0, "verb_disp": 0}
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
            function.close()
    finally:
        np.random.set_state(global_state)
    return _record(values[:used], function, swarm_size, iterations, clock, algorithm="CMA-ES", seed=seed,
                   checkpoint_every=checkpoint_every, extra={"restarts": len(popsizes) - 1, "popsizes": popsizes})


def run_random_search(function: Any, *, dim: int | None = None, swarm_size: int = 30, iterations: int = 1000,
                      seed: int = 0, checkpoint_every: int = 10, ioh_dir: str | None = None,
                      max_evaluations: int | None = None) -> RunRecord:
    """Uniform random search in the box, the floor every optimiser should beat: ``swarm_size`` points per
    iteration, ``iterations + 1`` batches; budget, ``max_evaluations``, curve, errors and ``ioh_dir`` as
    :func:`run_cmaes`."""
    check_run_settings(swarm_size, iterations, checkpoint_every, min_swarm=1, max_evaluations=max_evaluations)
    function = _resolve_function(function, dim)
    total = _budget(swarm_size * (iterations + 1), max_evaluations)
    with measured() as clock:
        function = Tracked(function, ioh_dir=ioh_dir, algorithm="RandomSearch", seed=seed)
        rng = np.random.default_rng(seed)
        lower = np.asarray(function.lower, dtype=float)
        span = np.asarray(function.upper, dtype=float) - lower
        values = np.empty(total)
        for start in range(0, total, swarm_size * 100):
            n = min(swarm_size * 100, total - start)
            values[start : start + n] = _evaluate(function, lower + rng.random((n, function.dim)) * span)
        function.close()
    return _record(values, function, swarm_size, iterations, clock, algorithm="RandomSearch", seed=seed,
                   checkpoint_every=checkpoint_every)
