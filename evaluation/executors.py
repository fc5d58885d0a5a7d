"""Where the runs of a protocol execute: the local process pool (the default) or a Ray cluster.

An executor has one method, ``run(tasks, *, warm, store, ready=None)``, with the contract of
:func:`evaluation.pool.run_tasks`: each task ``(callable, *args)`` runs in a warm process (one
:func:`~evaluation.pool.warm_up` per process before its first timed run) and each result is handed to
``store`` in the calling process as it finishes, so :func:`evaluation.run_protocol` keeps one run loop
and one resumable store whatever the executor.

- :class:`LocalPool`: ``jobs`` processes on this machine (:func:`evaluation.pool.run_tasks`).
- :class:`RayExecutor`: every task a Ray task on a cluster (or a local Ray instance). The algorithms and
  functions go to the object store once; so do the files of the models they load (``pretrained``,
  ``agent:DIR``), which the workers load from the bytes, not from a shared file system. A task whose
  worker dies is retried (``max_retries``); each task's result reaches ``store`` once.
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .pool import run_tasks, warm_up

#: How to install Ray, in the one-line error when it is missing.
RAY_INSTALL = 'pip install -e ".[distributed]" (or pip install "ray>=2.60")'


class Executor(Protocol):
    """What :func:`evaluation.run_protocol` needs of an executor (see the module docstring)."""

    def run(self, tasks: Sequence[tuple], *, warm: tuple[Sequence[Any], Sequence[Any]],
            store: Callable[[Any], None], ready: Callable[[], None] | None = None) -> None: ...


@dataclass(frozen=True)
class LocalPool:
    """``jobs`` worker processes on this machine (1: in this process); :func:`evaluation.pool.run_tasks`."""

    jobs: int = 1

    def run(self, tasks: Sequence[tuple], *, warm: tuple[Sequence[Any], Sequence[Any]],
            store: Callable[[Any], None], ready: Callable[[], None] | None = None) -> None:
        """Run ``tasks``, each result to ``store`` as it finishes (:func:`evaluation.pool.run_tasks`)."""
        run_tasks(tasks, jobs=self.jobs, warm=warm, store=store, ready=ready)


def import_ray() -> Any:
    """The ``ray`` module; ImportError with one line saying how to install it when it is missing."""
    try:
        import ray
    except ImportError:
        raise ImportError(f"the ray executor needs Ray, which is not installed: {RAY_INSTALL}") from None
    return ray


class _Shared(int):
    """A task argument that is the object of this index in the shared list (algorithms, then functions)."""


@dataclass(frozen=True)
class RayExecutor:
    """Every task a Ray task (one CPU each), results stored by the caller as they finish.

    Parameters
    ----------
    address : str, optional
        The cluster to join (``ray.init(address=...)``: ``"auto"``, ``"HOST:6379"``, ``"ray://HOST:10001"``);
        None joins the cluster started on this machine with ``ray start --head`` if there is one, else
        starts a local Ray instance for the call. An already initialised Ray (``ray.init`` by the caller)
        is used as it is and left running.
    max_retries : int, default 3
        Times a task is run again after its worker process dies (an exception raised by a run is not
        retried: it stops the evaluation, as with the local pool).

    Notes
    -----
    Workers need this project installed (the same version) with its dependencies and Ray; nothing else
    is shared: algorithms, functions and model files travel through the object store. A task is retried
    only as a whole and its result is handed to ``store`` once, so a retried run is stored once.
    """

    address: str | None = None
    max_retries: int = 3

    def run(self, tasks: Sequence[tuple], *, warm: tuple[Sequence[Any], Sequence[Any]],
            store: Callable[[Any], None], ready: Callable[[], None] | None = None) -> None:
        """Run ``tasks`` as Ray tasks; ``ready`` is called once the shared objects are in the object store,
        before the first task is submitted. On an exception (Ctrl-C, ``store`` raising, a failed run) the
        tasks in flight are cancelled and it is re-raised.

        Raises
        ------
        ImportError
            One line saying how to install Ray, when it is missing.
        ValueError
            Naming an algorithm or function that cannot be serialised for the workers.
        """
        ray = import_ray()
        started = not ray.is_initialized()
        if started:
            ray.init(address=self.address, include_dashboard=False, log_to_driver=False)
        try:
            objects = [*warm[0], *warm[1]]
            index = {id(o): i for i, o in enumerate(objects)}
            try:
                shared = ray.put((list(warm[0]), list(warm[1]), _model_files(warm[0])))
            except Exception as err:  # noqa: BLE001 - cloudpickle raises many kinds
                raise ValueError(f"the algorithms and functions cannot be sent to Ray workers ({type(err).__name__}: "
                                 f"{err}); define them in a module the workers can import") from None
            remote = ray.remote(num_cpus=1, max_retries=self.max_retries, retry_exceptions=False)(_run_shared)
            (ready or (lambda: None))()
            encoded = [tuple(_Shared(index[id(x)]) if id(x) in index else x for x in task) for task in tasks]
            pending, running = iter(encoded), []
            try:
                while True:
                    # at most 2 tasks per CPU of the cluster (read again each time: nodes may join) in flight
                    window = 2 * max(1, int(ray.cluster_resources().get("CPU", 1)))
                    more = itertools.islice(pending, max(0, window - len(running)))
                    running += [remote.remote([shared], task) for task in more]
                    if not running:
                        break
                    finished, running = ray.wait(running, num_returns=1)
                    store(ray.get(finished[0]))
            except BaseException:
                for ref in running:
                    ray.cancel(ref, force=True)
                raise
        finally:
            if started:
                ray.shutdown()


def _model_files(algorithms: Sequence[Any]) -> dict[tuple[str, str | None], tuple[str, dict[str, bytes]]]:
    """The files the networks of ``algorithms`` are loaded from, as ``(kind, arg) -> (which, {relative path:
    bytes})``: ``run.json`` and the model (``best_model`` of the shipped controller, ``model`` of an agent)."""
    from agents.models import pretrained_path

    files = {}
    for algorithm in algorithms:
        if algorithm.kind not in ("pretrained", "agent"):
            continue
        root, which = ((pretrained_path(str(algorithm.arg)), "best_model") if algorithm.kind == "pretrained"
                       else (Path(str(algorithm.arg)), "model"))
        paths = {p for name in ("run.json", which, f"{which}.zip", f"{which}.json") for p in [root / name, *(root / name).rglob("*")]}
        files[(algorithm.kind, algorithm.arg)] = (
            which, {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(paths) if p.is_file()})
    return files


_PROCESS: dict[str, list[Any]] = {}  # in a Ray worker: the shared objects of the current grid, warm


def _run_shared(shared: list[Any], task: tuple) -> Any:
    """A Ray task: run ``task`` (``(callable, *args)``, :class:`_Shared` indices into the shared objects),
    after loading the shared objects and models and warming up once per worker process and grid."""
    ref = shared[0]
    key = ref.hex()
    if key not in _PROCESS:
        import ray

        from . import registry

        algorithms, functions, models = ray.get(ref)
        for (kind, arg), (which, files) in models.items():  # the networks, loaded from the shipped bytes
            with tempfile.TemporaryDirectory(prefix="pso-env-model-") as tmp:
                for name, data in files.items():
                    (Path(tmp) / name).parent.mkdir(parents=True, exist_ok=True)
                    (Path(tmp) / name).write_bytes(data)
                from agents.models import load_agent

                registry._LOADED[(kind, arg)] = load_agent(tmp, which=which)
        warm_up(algorithms, functions)
        _PROCESS.clear()  # one grid at a time
        _PROCESS[key] = [*algorithms, *functions]
    objects = _PROCESS[key]
    call = [objects[x] if isinstance(x, _Shared) else x for x in task]
    return call[0](*call[1:])
