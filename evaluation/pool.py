"""Where runs execute: thread limits, warm-up before timing, and the pool of worker processes.

Everything the project does about threads is here: each run is timed in one thread
(:func:`single_threaded`), and worker processes start with ``OMP_NUM_THREADS=1`` and the like. Every
process that runs algorithms first calls :func:`warm_up` (numba compilation, torch and networks, each
objective once), so that no CPU time in a report, nor the progress bar's first estimate, includes it.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

import numpy as np

#: Environment variables that size BLAS/OpenMP pools when a process starts.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
#: Iterations of each warm-up run: enough for one refit of the belief (every 100 symbols from 36 on).
WARM_UP_ITERATIONS = 120

_WARM: set[Any] = set()  # what this process has warmed up already


@contextlib.contextmanager
def single_threaded() -> Iterator[None]:
    """One BLAS/OpenMP thread, and one torch thread if torch is loaded, for the duration; restored after.

    CMA-ES eigendecomposes a D x D matrix every generation and the controllers run a tiny network each
    iteration: for both, extra threads cost more than they save (about 10x for ``eigh`` at D = 30).
    """
    with contextlib.ExitStack() as stack:
        with contextlib.suppress(ImportError):
            from threadpoolctl import threadpool_limits

            stack.enter_context(threadpool_limits(limits=1))
        torch = sys.modules.get("torch")
        if torch is not None:
            previous = torch.get_num_threads()
            if previous != 1:
                torch.set_num_threads(1)
                stack.callback(torch.set_num_threads, previous)
        yield


def warm_up(algorithms: Sequence[Any], functions: Sequence[Any]) -> None:
    """Compile (or load from cache) and load everything the runs of ``algorithms`` (registry
    :class:`~evaluation.registry.Algorithm` objects) on ``functions`` will use, in this process.

    Evaluates each function once at the centre of its box, then makes one short run (4 particles,
    :data:`WARM_UP_ITERATIONS` iterations) of one algorithm of each kind on the first function.
    Repeated calls skip what is already warm.
    """
    with single_threaded():
        for function in functions:
            key = ("function", id(function))
            if key not in _WARM:
                lower, upper = (np.asarray(b, dtype=float) for b in (function.lower, function.upper))
                getattr(function, "evaluate", function)(np.tile((lower + upper) / 2, (2, 1)))
                _WARM.add(key)
    if not functions:
        return
    for algorithm in algorithms:
        kind = algorithm.kind  # one static policy stands for all 256; agents differ by file, variants by rule
        key = (kind,) if kind in ("static", "random-policy") else (kind, algorithm.arg)
        if key not in _WARM:
            algorithm(functions[0], 4, WARM_UP_ITERATIONS, 0, WARM_UP_ITERATIONS)
            _WARM.add(key)


def _init_worker(parent: int, blobs: Sequence[bytes], n_algorithms: int, ready: Any) -> None:
    """Worker initializer: unpickle the warm-up objects (``n_algorithms`` algorithms, then functions) one by
    one, warm up, then report ready: the pid, or ``(index of the object that cannot be unpickled, or None,
    the cause)``; leave within a second of the parent's death (a killed main process cannot stop its
    workers, which would finish queued runs nobody will store)."""
    import time
    import traceback

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()
    objects: list[Any] = []
    try:
        for blob in blobs:
            objects.append(pickle.loads(blob))
    except Exception as err:
        ready.put((len(objects), f"{type(err).__name__}: {err}"))
        raise
    try:
        warm_up(objects[:n_algorithms], objects[n_algorithms:])
    except Exception:
        ready.put((None, traceback.format_exc().rstrip()))
        raise
    ready.put(os.getpid())


def _unreachable(obj: Any, cause: str) -> ValueError:
    """The error for an object that cannot reach the workers: the object, the cause, what to do."""
    return ValueError(f"{obj!r} cannot be used in worker processes ({cause}); define it in a module the workers can "
                      "import (not in __main__ of a notebook, an interactive session or python -c), or use jobs=1")


@contextlib.contextmanager
def _children_ignore_sigint() -> Iterator[None]:
    """Processes started inside ignore SIGINT (Ctrl-C reaches the whole process group; the main process
    stops the workers and reports what was saved). A Ctrl-C during the start's milliseconds is lost."""
    if threading.current_thread() is not threading.main_thread():  # signal handlers live in the main thread
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _call(task: tuple) -> Any:
    """Run one task ``(callable, *args)`` (module level so worker processes can unpickle it)."""
    return task[0](*task[1:])


def run_tasks(tasks: Sequence[tuple], *, jobs: int, warm: tuple[Sequence[Any], Sequence[Any]],
              store: Callable[[Any], None], ready: Callable[[], None] | None = None) -> None:
    """Run ``tasks`` (each ``(callable, *args)``) in this process or ``jobs`` spawned workers.

    Each result goes to ``store`` in the main process as it finishes (an exception there stops
    everything). ``jobs`` = 1 (or a single task) runs here. Every process that runs tasks first calls
    :func:`warm_up` on ``warm`` = (algorithms, functions); ``ready`` is called once all are warm, before
    the first result is stored. Workers are spawned with ``THREAD_VARIABLES = 1`` and ignore SIGINT: on
    Ctrl-C (or any exception) the main process terminates them and re-raises. At most ``2 * jobs``
    tasks are queued at a time, so results arrive close to the order of ``tasks``, whose objects must
    be among ``warm``'s.

    Raises
    ------
    ValueError
        Before any task runs, naming an object of ``warm`` that cannot be pickled, or unpickled in the
        workers (say, a class defined in ``__main__`` of a notebook), and what to do.
    RuntimeError
        With the traceback, when a worker fails to warm up.
    """
    ready = ready or (lambda: None)
    if jobs == 1 or len(tasks) <= 1:
        warm_up(*warm)
        ready()
        for task in tasks:
            store(_call(task))
        return
    import multiprocessing
    import queue as queue_module

    objects = [*warm[0], *warm[1]]
    blobs = []
    for obj in objects:
        try:
            blobs.append(pickle.dumps(obj))
        except (pickle.PicklingError, AttributeError, TypeError) as err:  # what pickling raises
            raise _unreachable(obj, f"{type(err).__name__}: {err}") from None
    context = multiprocessing.get_context("spawn")
    saved = {v: os.environ.get(v) for v in THREAD_VARIABLES}
    os.environ.update({v: "1" for v in saved})  # inherited by the spawned workers at their start
    ready_queue = context.Queue()
    executor = ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker,
                                   initargs=(os.getpid(), blobs, len(warm[0]), ready_queue))
    try:
        pending = iter(tasks)
        running: set[Future] = set()
        with _children_ignore_sigint():  # the first submissions start the workers
            for task in pending:
                running.add(executor.submit(_call, task))
                if len(running) >= 2 * jobs:
                    break
        workers = min(jobs, len(running))  # the first submissions start this many workers
        while workers:  # wait until each is warm (or the pool broke: the futures say why)
            try:
                report = ready_queue.get(timeout=1.0)
            except queue_module.Empty:
                if all(f.done() for f in running):
                    break
                continue
            if isinstance(report, tuple):
                index, cause = report
                if index is None:
                    raise RuntimeError(f"a worker process failed to warm up:\n{cause}")
                raise _unreachable(objects[index], cause)
            workers -= 1
        ready()
        while running:
            finished, running = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                store(future.result())
                task = next(pending, None)
                if task is not None:
                    running.add(executor.submit(_call, task))
    except BaseException:
        for process in list((executor._processes or {}).values()):  # runs in flight would not be stored
            process.terminate()
        raise
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
        for var, value in saved.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value
