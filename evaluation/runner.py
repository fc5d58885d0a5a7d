"""The controller protocol and the one run loop that times, traces and records every optimiser.

Controller protocol
-------------------
A *controller* decides the swarm's parameters during one PSO run. It has a ``name`` (the default
record name) and three methods:

``start(function, *, swarm_size, iterations, seed, max_evaluations=None) -> swarm``
    Build the run's swarm on ``function`` (its only random source seeded by ``seed``), reset the
    controller's own state (and draw from ``seed`` where it is random), and return the swarm. With a
    budget ``max_evaluations`` (passed only when there is one), schedules and observations follow the share of it
    spent, not ``t / T``.
``step(t) -> bool``
    Iteration ``t`` (0-based) of ``iterations``: choose the parameters, move the swarm, observe the
    outcome; return True to end the run early (an environment's ``target_error`` reached).
``trace() -> dict``
    What the record's ``extra`` keeps: per-iteration trajectories (lists) and scalars.

Implementations: :class:`agents.controller.RuleController` (every hand-designed variant through its
``ParameterRule``), :class:`agents.controller.PolicyController` (anything with Stable-Baselines3's
``predict``) and :class:`agents.online.OnlineDQNController` (DQNPSO learning during the run).
:func:`run` drives any of them. CMA-ES and random search (:mod:`agents.baselines`) are not PSO runs;
they time themselves with :func:`measured` and build their record with ``make_record``, like :func:`run`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, Protocol

import numpy as np

from benchmarks_fn._validate import check_int

from .anytime import Tracked
from .pool import single_threaded
from .records import RunRecord, make_record


class Controller(Protocol):
    """What :func:`run` needs of a controller (see the module docstring)."""

    name: str

    def start(self, function: Any, *, swarm_size: int, iterations: int, seed: int,
              max_evaluations: int | None = None) -> Any: ...

    def step(self, t: int) -> bool: ...

    def trace(self) -> dict[str, Any]: ...


def check_run_settings(swarm_size: Any, iterations: Any, checkpoint_every: Any, *,
                       min_swarm: int = 2, max_evaluations: Any = None) -> None:
    """Raise ValueError (``"<name> must be an integer >= <minimum>, got <value>"``) unless ``swarm_size`` >=
    ``min_swarm``, ``iterations`` >= 0 and ``checkpoint_every`` >= 1; and unless ``max_evaluations`` B is None
    or an integer above ``swarm_size`` N that a run of ``iterations`` T can spend: N (T + 1) >= B, the
    evaluations of a plain PSO run (initial swarm included)."""
    check_int(swarm_size, "swarm_size", min_swarm)
    check_int(iterations, "iterations", 0)
    check_int(checkpoint_every, "checkpoint_every", 1)
    if max_evaluations is not None:
        try:
            check_int(max_evaluations, "max_evaluations", swarm_size + 1)
        except ValueError:
            raise ValueError(f"max_evaluations must be an integer > swarm_size ({swarm_size}: the initial swarm "
                             f"spends that many), got {max_evaluations!r}") from None
        if swarm_size * (iterations + 1) < max_evaluations:
            need = -(-max_evaluations // swarm_size) - 1
            raise ValueError(f"max_evaluations={max_evaluations} needs iterations >= {need} at swarm_size="
                             f"{swarm_size} (a run of T iterations makes N (T + 1) = {swarm_size * (iterations + 1)} "
                             f"evaluations at iterations={iterations}): raise iterations or lower max_evaluations")


@contextlib.contextmanager
def measured() -> Iterator[SimpleNamespace]:
    """Time the block single-threaded: ``.cpu`` (process CPU time, every thread) and ``.wall`` seconds after
    it. The thread limits are set before the clocks start; warm-up belongs before the block."""
    timing = SimpleNamespace(cpu=0.0, wall=0.0)
    with single_threaded():
        cpu0, wall0 = time.process_time(), time.perf_counter()
        try:
            yield timing
        finally:
            timing.cpu, timing.wall = time.process_time() - cpu0, time.perf_counter() - wall0


def run(controller: Controller, function: Any, *, swarm_size: int = 30, iterations: int = 1000, seed: int = 0,
        checkpoint_every: int = 10, algorithm: str | None = None, ioh_dir: str | None = None,
        max_evaluations: int | None = None) -> RunRecord:
    """One PSO run of ``iterations`` iterations driven by ``controller``; its record.

    The controller is started afresh, so one serves many runs in turn; the same ``seed`` gives the same
    record bit for bit (times aside). ``swarm_size`` N >= 2, ``iterations`` T >= 0 (fewer when the
    controller ends the run early) and ``checkpoint_every`` >= 1 are checked before anything runs
    (ValueError). The record is named ``algorithm`` (default ``controller.name``); its times cover
    ``start`` and every ``step``, its ``extra`` is ``controller.trace()``, its ``improvements`` those of
    the objective seen through :class:`evaluation.anytime.Tracked`, which with ``ioh_dir`` also logs the
    run in IOHprofiler's format (:func:`evaluation.anytime.merge_ioh_run` files it).

    ``max_evaluations`` B (>= 1, at most N (T + 1)) is a fixed budget of function evaluations: the run stops
    after the iteration in which it reaches B, and its record counts only its first B evaluations
    (:func:`make_record`). The controller plans for B: schedules, APSO's sigma and the ``progress``
    feature follow the evaluations spent over B (as GLEET's), so an algorithm that spends more than N per
    iteration (elitist learning, local search) runs its whole schedule in fewer iterations; ``iterations``
    is then only a cap.
    """
    check_run_settings(swarm_size, iterations, checkpoint_every, max_evaluations=max_evaluations)
    name = algorithm or controller.name
    with measured() as clock:
        tracked = Tracked(function, ioh_dir=ioh_dir, algorithm=name, seed=seed, max_evaluations=max_evaluations)
        budget_kw = {} if max_evaluations is None else {"max_evaluations": max_evaluations}  # optional in the protocol
        swarm = controller.start(tracked, swarm_size=swarm_size, iterations=iterations, seed=seed, **budget_kw)
        step = controller.step
        budget = max_evaluations or float("inf")
        for t in range(iterations):
            if step(t) or tracked.evaluations >= budget:
                break
        tracked.close()
    # the swarm's read-outs: scalars for one swarm, shape (1,) and (1, T + 1) for a batch of one
    return make_record(function, np.ravel(swarm.best_history), algorithm=name,
                       seed=seed, evaluations=int(np.sum(swarm.evaluations)), cpu_seconds=clock.cpu,
                       wall_seconds=clock.wall, checkpoint_every=checkpoint_every,
                       best_value=float(np.ravel(swarm.gbest_fitness)[0]), extra=controller.trace(),
                       nonfinite=int(np.sum(swarm.nonfinite)), improvements=tracked.improvements,
                       max_evaluations=max_evaluations)
