"""The evaluation protocol: every algorithm on every function with seeds 0 .. runs - 1, resumable.

Names come from :mod:`evaluation.registry`, files are :mod:`evaluation.storage`'s, and the runs are
made by an executor of :mod:`evaluation.executors` (by default :func:`evaluation.pool.run_tasks`: in this
process or in warm worker processes; or Ray tasks on a cluster).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks_fn._validate import check_function_object, check_int

from . import storage
from .anytime import merge_ioh_run
from .executors import Executor, LocalPool
from .records import RunRecord, function_name, function_optimum
from .registry import Algorithm, model_paths, resolve_algorithms
from .runner import check_run_settings


@dataclass(frozen=True)
class ProtocolResult:
    """What :func:`run_protocol` did: the record names of the grid's algorithms and functions in order, its
    seeds ``0 .. runs - 1``, the contents of ``settings.json``, and the runs of the grid found already stored
    (``done_before``) and made by this call (``done_now``)."""

    out_dir: Path
    algorithms: list[str]
    functions: list[str]
    runs: int
    settings: dict[str, Any]
    done_before: int
    done_now: int


def run_protocol(algorithms: str | Sequence[str | Algorithm], functions: str | Sequence[Any], *, runs: int,
                 swarm_size: int = 30, iterations: int = 1000, dim: int | None = 30,
                 out_dir: str | os.PathLike | None = None, jobs: int = 1,
                 checkpoint_every: int = storage.DEFAULT_CHECKPOINT_EVERY, shift: bool = False,
                 rotate: bool = False, progress: bool = True, settings: Mapping[str, Any] | None = None,
                 on_record: Callable[[RunRecord], None] | None = None,
                 ioh_log: str | os.PathLike | None = None, executor: Executor | None = None,
                 max_evaluations: int | None = None, instance: int = 1) -> ProtocolResult:
    """Run every algorithm on every function with seeds ``0 .. runs - 1``, storing runs as they end.

    Everything is checked before the first run (names, agent files, function names, counts, the
    settings of an existing ``out_dir``). Runs already stored in ``out_dir`` are skipped, so a killed
    evaluation continues where it stopped, and a later call may add algorithms, functions or seeds.
    Each run is seeded by its seed alone, so results depend neither on ``jobs``, nor on the executor,
    nor on the order.

    Parameters
    ----------
    algorithms : str or sequence
        Registry names (comma-separated or a list, :func:`evaluation.registry.resolve_algorithms`) or
        :class:`Algorithm` objects.
    functions : str or sequence
        Function or suite names (``benchmarks_fn.resolve_functions`` with ``dim``, ``shift``, ``rotate`` and
        ``instance``; ``dim`` None: each suite's default), or function objects.
    runs, swarm_size, iterations : int
        Seeds per algorithm and function; particles and iterations of every run.
    out_dir : path, optional
        Output directory (created, see :mod:`evaluation.storage`); default
        :func:`evaluation.storage.default_out_dir`, e.g. ``results/paper-d30-n30-i1000``.
    jobs : int, default 1
        Worker processes (:func:`evaluation.pool.run_tasks`: one BLAS/torch thread per run, every
        process warmed up before its first timed run).
    checkpoint_every : int, default 10
        Spacing of the stored curves in iterations.
    progress : bool, default True
        Show a tqdm bar over the runs.
    settings : mapping, optional
        Further entries for ``settings.json`` (compared like the others on a later call).
    on_record : callable, optional
        Called with each record after it is stored (an exception stops the protocol there).
    ioh_log : path, optional
        Also log every run made now in IOHprofiler's format there, one folder per algorithm
        (:mod:`evaluation.anytime`; e.g. ``out_dir / "ioh"``). The logs are written where the runs
        execute, so with a Ray cluster they need a directory every node shares.
    max_evaluations : int, optional
        A fixed budget of function evaluations for every run (:func:`evaluation.runner.run`; CMA-ES and random
        search stop there too): what MetaBox and COCO compare at, so that an algorithm spending more than
        ``swarm_size`` evaluations per iteration gets no more evaluations than the others, and every PSO
        method plans its schedule for the budget. At most ``swarm_size * (iterations + 1)``. Stored in
        ``settings.json``; default: no cap (``iterations`` alone ends a run).
    instance : int, default 1
        The BBOB instance (ioh's: COCO's shift, rotation and optimum of that number) of the BBOB functions named in
        ``functions`` (``bbob:fN``, ``bbob-exact:fN``, the ``bbob`` suite, the ``metabox-*`` splits); other names
        keep theirs. Stored in ``settings.json`` where it is not 1, so that a store holds one instance: ValueError where it is not 1 and
        ``functions`` holds no BBOB function, and where a BBOB function object (which keeps its own instance) is
        of another instance than this one.
    executor : optional
        Where the runs execute (:mod:`evaluation.executors`): default ``LocalPool(jobs)``;
        ``RayExecutor(address)`` makes each run a Ray task. Results come back to this process as they
        finish and are stored here either way.

    Raises
    ------
    ValueError
        For an unknown algorithm or function, an object that is not a function object (naming what it
        lacks), an unloadable agent, a non-positive count, an ``out_dir`` whose ``settings.json``
        differs from these settings, or (``jobs`` > 1, before any run) an algorithm or function that the
        worker processes cannot load (:func:`evaluation.pool.run_tasks`).
    """
    counts = {"runs": runs, "swarm_size": swarm_size, "iterations": iterations, "jobs": jobs,
              "checkpoint_every": checkpoint_every, **({} if dim is None else {"dim": dim})}
    for name, value in counts.items():
        check_int(value, name)
    if max_evaluations is not None:  # an integer >= 1 that the runs can spend
        check_run_settings(swarm_size, iterations, checkpoint_every, min_swarm=1, max_evaluations=max_evaluations)
    algos = resolve_algorithms(algorithms)
    check_int(instance, "instance")
    funcs = _resolve_functions(functions, dim, shift=shift, rotate=rotate, instance=instance)
    names = [function_name(f) for f in funcs]
    storage.check_unique_functions(names)
    config = storage.protocol_settings(swarm_size=swarm_size, iterations=iterations, dim=dim, shift=shift,
                                       rotate=rotate, checkpoint_every=checkpoint_every,
                                       max_evaluations=max_evaluations, instance=instance, settings=settings)
    out = Path(out_dir) if out_dir is not None else storage.default_out_dir(
        functions if isinstance(functions, str) else names, config)
    storage.check_settings(out, config)
    storage.check_dims(out, {function_name(f): int(f.dim) for f in funcs})
    agents = storage.check_agents(out, model_paths(algos))
    stored, curves, needs_repair = storage.read_store(out)
    if needs_repair:
        storage.repair(out, stored, curves)
    storage.write_settings(out, config)
    storage.record_agents(out, agents)
    done = {(r["algorithm"], r["function"], r["seed"]) for r in stored}
    grid = [(a, f, s) for s in range(runs) for f in funcs for a in algos]  # seed-major: useful early
    pending = [(a, f, s) for a, f, s in grid if (a.name, function_name(f), s) not in done]
    optimum = {function_name(f): function_optimum(f) for f in funcs}
    used = {id(x) for a, f, _ in pending for x in (a, f)}
    warm = ([a for a in algos if id(a) in used], [f for f in funcs if id(f) in used])

    from tqdm.auto import tqdm

    bars: list[Any] = []

    def start_bar() -> None:  # after the warm-up, so that its first estimate leaves compilation out
        bars.append(tqdm(total=len(pending), desc="runs", unit="run", disable=not progress,
                         dynamic_ncols=True))

    def store(record: RunRecord) -> None:
        storage.append(out, record, optimum.get(record.function))
        if ioh_log is not None:
            merge_ioh_run(ioh_log, record.algorithm, record.function, record.seed)
        bars[0].set_postfix_str(f"{record.algorithm} / {record.function} / seed {record.seed}", refresh=False)
        bars[0].update()
        if on_record is not None:
            on_record(record)

    ioh_dir = None if ioh_log is None else str(ioh_log)
    tasks = [(a, f, swarm_size, iterations, s, checkpoint_every, ioh_dir, max_evaluations) for a, f, s in pending]
    try:
        (executor or LocalPool(jobs)).run(tasks, warm=warm, store=store, ready=start_bar)
    finally:
        for bar in bars:
            bar.close()
    done = len(grid) - len(pending)
    return ProtocolResult(out, [a.name for a in algos], names, runs, config, done, len(pending))


def _resolve_functions(functions: str | Sequence[Any], dim: int | None, *, shift: bool,
                       rotate: bool, instance: int = 1) -> list[Any]:
    """Function objects for names (``benchmarks_fn.resolve_entries``; its BBOB entries at ``instance``) or objects
    as they are (checked); ValueError for an ``instance`` other than 1 without a BBOB function, and for a BBOB
    object of another instance than ``instance`` (the store records one instance: see :func:`run_protocol`)."""
    from benchmarks_fn import make_functions, resolve_entries
    from benchmarks_fn.suites import InstanceError

    items = [functions] if isinstance(functions, str) else list(functions)
    if items and all(isinstance(f, str) for f in items):  # one call: duplicates dropped
        items = [items]
    funcs: list[Any] = []
    for item in items:
        if not isinstance(item, (str, list)):
            funcs.append(check_function_object(item, "functions", "function or suite names or "))
            continue
        entries = resolve_entries(item, dim, shift=shift, rotate=rotate)  # only BBOB entries carry an instance
        funcs += make_functions([e._replace(options={**e.options, "instance": instance}) if "instance" in e.options
                                 else e for e in entries])
    if not funcs:
        raise ValueError("no function given")
    bbob = [f for f in funcs if getattr(f, "suite", None) == "bbob"]
    if instance != 1 and not bbob:
        raise InstanceError(instance, [function_name(f) for f in funcs])
    other = sorted({f"{function_name(f)} (instance {f.instance})" for f in bbob if f.instance != instance})
    if other:
        raise ValueError(f"instance: BBOB function objects of another instance than {instance} ({', '.join(other)}) "
                         f"would share the store's settings; build them at instance {instance}, or pass the instance")
    return funcs
