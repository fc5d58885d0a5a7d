"""The evaluation protocol: an algorithm registry and a resumable runner over algorithm x function x seed.

Registry
--------
:func:`resolve_algorithm` turns a name into an :class:`Algorithm`, a small picklable runner
``(function, swarm_size, iterations, seed, checkpoint_every) -> RunRecord``:

========================  ==========================================================  =====================
name                      runs                                                        record name
========================  ==========================================================  =====================
a PSO variant             :func:`agents.baselines.run_variant` (case-insensitive)     the variant's name
``cmaes``                 :func:`agents.baselines.run_cmaes`                          ``CMA-ES``
``random-search``         :func:`agents.baselines.run_random_search`                  ``RandomSearch``
``pretrained``            ``agents.load_pretrained()`` + ``run_policy``               ``DQNPSO-pretrained``
``dqnpso-online``         ``agents.online.run_dqnpso_online`` (pretrained warm start) ``DQNPSO-online``
``agent:PATH``            ``agents.load_agent(PATH)`` + ``run_policy``                ``agent:<basename>``
``random-policy``         ``RandomPolicy()`` + ``run_policy``                         ``RandomPolicy``
``static:ABCD``           ``StaticPolicy([A, B, C, D])`` + ``run_policy``             ``static:ABCD``
========================  ==========================================================  =====================

Output directory of :func:`run_protocol`
----------------------------------------
``settings.json``
    The settings every run shares (swarm size, iterations, dimension, transformations, checkpoint
    spacing, package version, plus the caller's ``settings``), written before the first run. A
    later call with other settings is refused.
``runs.csv``
    One row per finished run, appended and flushed as the run ends: the columns of
    :data:`RUN_COLUMNS` (:meth:`RunRecord.to_row` without the ``extra_*`` columns, whose scalar
    values are kept as one JSON object in the ``extra`` column so the header never changes).
``curves.jsonl.gz``
    One JSON object per finished run (``algorithm``, ``function``, ``seed``, ``checkpoint_every``,
    ``optimum`` and the best-so-far ``curve``), each appended as its own gzip member (a file of
    concatenated members is one valid gzip stream).

A run counts as done when both its row and its curve are stored: the curve is written first, the row
second. A kill at any moment loses at most the runs in flight: a torn last line or gzip member is
dropped, and the files are repaired (rewritten through a temporary file and ``os.replace``) when the
protocol is started again.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import difflib
import gzip
import itertools
import json
import os
import re
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .records import RunRecord, function_name, function_optimum

#: The algorithms of the default evaluation (the paper's Table 3 columns, learned controllers first).
DEFAULT_ALGORITHMS: tuple[str, ...] = (
    "pretrained",
    "dqnpso-online",
    "APSO",
    "HMM-APSO",
    "PSO",
    "LinWPSO",
    "AsyLnCPSO",
    "RandWPSO",
    "YSPSO",
    "CLSPSO",
)

#: Column order of ``runs.csv``.
RUN_COLUMNS: tuple[str, ...] = (
    "algorithm",
    "function",
    "dim",
    "seed",
    "best_value",
    "error",
    "checkpoint_every",
    "evaluations",
    "cpu_seconds",
    "wall_seconds",
    "extra",
)

SETTINGS_FILE = "settings.json"
RUNS_FILE = "runs.csv"
CURVES_FILE = "curves.jsonl.gz"

# kind -> (names that select it, the record name)
_SPECIAL: dict[str, tuple[tuple[str, ...], str]] = {
    "cmaes": (("cmaes", "cma"), "CMA-ES"),
    "random-search": (("random-search", "randomsearch"), "RandomSearch"),
    "pretrained": (("pretrained", "dqnpso-pretrained"), "DQNPSO-pretrained"),
    "dqnpso-online": (("dqnpso-online", "online"), "DQNPSO-online"),
    "random-policy": (("random-policy", "randompolicy"), "RandomPolicy"),
}
_TORCH_KINDS = frozenset({"pretrained", "dqnpso-online", "agent"})
_STATIC = re.compile(r"^static:([0-3]{4})$", re.IGNORECASE)
#: ``static:all`` expands to the 4**4 = 256 static state-to-action policies.
_ALL_STATIC = ["static:" + "".join(p) for p in itertools.product("0123", repeat=4)]


# --------------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Algorithm:
    """A named, picklable runner for one algorithm of the registry.

    Attributes
    ----------
    name : str
        The name every record of this algorithm carries (``RunRecord.algorithm``), e.g. ``"APSO"``,
        ``"DQNPSO-pretrained"`` or ``"agent:my_agent"``.
    kind : str
        ``"variant"``, ``"cmaes"``, ``"random-search"``, ``"pretrained"``, ``"dqnpso-online"``,
        ``"agent"``, ``"random-policy"`` or ``"static"``.
    arg : str or None
        The variant's name, the agent's absolute path or the four static actions.
    """

    name: str
    kind: str
    arg: str | None = None

    @property
    def needs_torch(self) -> bool:
        """Whether the runs use a torch network (for thread limits in worker processes)."""
        return self.kind in _TORCH_KINDS

    def __call__(
        self, function: Any, swarm_size: int, iterations: int, seed: int, checkpoint_every: int
    ) -> RunRecord:
        """Run once and return the record, named :attr:`name` and ``function_name(function)``."""
        options = {
            "swarm_size": int(swarm_size),
            "iterations": int(iterations),
            "seed": int(seed),
            "checkpoint_every": int(checkpoint_every),
        }
        record = _RUNNERS[self.kind](self, function, options)
        return dataclasses.replace(record, algorithm=self.name, function=function_name(function))


def _run_variant(algorithm: Algorithm, function: Any, options: dict[str, int]) -> RunRecord:
    from .baselines import run_variant

    return run_variant(algorithm.arg, function, trace=False, **options)


def _run_cmaes(algorithm: Algorithm, function: Any, options: dict[str, int]) -> RunRecord:
    from .baselines import run_cmaes

    return run_cmaes(function, **options)


def _run_random_search(algorithm: Algorithm, function: Any, options: dict[str, int]) -> RunRecord:
    from .baselines import run_random_search

    return run_random_search(function, **options)


def _run_online(algorithm: Algorithm, function: Any, options: dict[str, int]) -> RunRecord:
    from .online import run_dqnpso_online

    return run_dqnpso_online(function, warm_start="pretrained", **options)


def _run_with_policy(algorithm: Algorithm, function: Any, options: dict[str, int]) -> RunRecord:
    from .controller import run_policy

    return run_policy(_policy(algorithm), function, algorithm=algorithm.name, **options)


_RUNNERS: dict[str, Callable[[Algorithm, Any, dict[str, int]], RunRecord]] = {
    "variant": _run_variant,
    "cmaes": _run_cmaes,
    "random-search": _run_random_search,
    "dqnpso-online": _run_online,
    "pretrained": _run_with_policy,
    "agent": _run_with_policy,
    "random-policy": _run_with_policy,
    "static": _run_with_policy,
}

# Loaded networks, once per process; reset before each run (``predict(obs, deterministic=True)`` of a
# feed-forward policy is pure, a recurrent one's state is cleared by its ``reset``).
_LOADED: dict[tuple[str, str | None], Any] = {}


def _policy(algorithm: Algorithm) -> Any:
    """The policy object of a policy-driven algorithm; fresh for the cheap ones, cached for networks."""
    from . import controller

    if algorithm.kind == "static":
        return controller.StaticPolicy([int(c) for c in str(algorithm.arg)])
    if algorithm.kind == "random-policy":
        return controller.RandomPolicy()
    key = (algorithm.kind, algorithm.arg)
    if key not in _LOADED:
        from .models import load_agent, load_pretrained

        _LOADED[key] = load_pretrained() if algorithm.kind == "pretrained" else load_agent(algorithm.arg)
    policy = _LOADED[key]
    if callable(getattr(policy, "reset", None)):
        policy.reset()  # a recurrent policy must not carry its state from one run into the next
    return policy


def list_algorithms() -> list[str]:
    """Every name :func:`resolve_algorithm` accepts (patterns as ``agent:PATH`` and ``static:ABCD``)."""
    from .baselines import list_variants

    return [*list_variants(), *_SPECIAL, "agent:PATH", "static:ABCD", "static:all"]


def _unknown(name: str) -> ValueError:
    allowed = list_algorithms()
    by_lower = {a.lower(): a for a in allowed}
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=3, cutoff=0.6)
    hint = f" Did you mean: {', '.join(by_lower[c] for c in close)}?" if close else ""
    return ValueError(f"unknown algorithm {name!r}.{hint} Known: {', '.join(allowed)}")


def resolve_algorithm(name: str, *, check: bool = True) -> Algorithm:
    """The :class:`Algorithm` for a registry name.

    Parameters
    ----------
    name : str
        A name of :func:`list_algorithms` (case, ``-``, ``_`` and spaces ignored), ``agent:PATH`` or
        ``static:ABCD`` (four digits 0-3: the action for each Viterbi state).
    check : bool, default True
        Load networks now (``agent:PATH``, ``pretrained``; import ``agents.online`` for
        ``dqnpso-online``), so an unreadable file fails here rather than in the middle of a run.

    Raises
    ------
    ValueError
        For an unknown name (with close matches), a bad ``static:`` code, or an agent or module that
        cannot be loaded.
    """
    from .baselines import _key, list_variants

    name = str(name).strip()
    if name.lower().startswith("agent:"):
        path = Path(name[len("agent:") :]).expanduser()
        if not str(path).strip():
            raise ValueError("agent: needs a path, e.g. agent:runs/dqn/final")
        algorithm = Algorithm(f"agent:{path.resolve().name}", "agent", str(path.resolve()))
    elif name.lower().startswith("static:"):
        match = _STATIC.match(name)
        if not match:
            raise ValueError(f"bad {name!r}: static:ABCD needs four digits 0-3, e.g. static:0123")
        algorithm = Algorithm(f"static:{match.group(1)}", "static", match.group(1))
    else:
        key = _key(name)
        variants = {_key(v): v for v in list_variants()}
        specials = {_key(a): kind for kind, (aliases, label) in _SPECIAL.items() for a in (*aliases, label)}
        if key in variants:
            algorithm = Algorithm(variants[key], "variant", variants[key])
        elif key in specials:
            kind = specials[key]
            algorithm = Algorithm(_SPECIAL[kind][1], kind)
        else:
            raise _unknown(name)
    if check:
        _check_loadable(algorithm)
    return algorithm


def _check_loadable(algorithm: Algorithm) -> None:
    """Load what the algorithm needs, turning every failure into a ValueError naming it."""
    try:
        if algorithm.kind == "dqnpso-online":
            from .online import run_dqnpso_online  # noqa: F401
        if algorithm.kind in ("pretrained", "agent", "random-policy", "static"):
            from .controller import run_policy  # noqa: F401
        if algorithm.kind == "agent" and not Path(str(algorithm.arg)).exists():
            raise FileNotFoundError(f"no such file or directory: {algorithm.arg}")
        loads = {"pretrained": algorithm, "agent": algorithm}
        loads["dqnpso-online"] = Algorithm(_SPECIAL["pretrained"][1], "pretrained")  # its warm start
        if algorithm.kind in loads:
            _LOADED.pop((loads[algorithm.kind].kind, loads[algorithm.kind].arg), None)  # read the file now
            _policy(loads[algorithm.kind])
    except ValueError as exc:
        raise ValueError(f"cannot load {algorithm.name} ({algorithm.arg or algorithm.kind}): {exc}") from exc
    except (ImportError, OSError, RuntimeError, KeyError, EOFError) as exc:
        what = algorithm.arg or algorithm.kind
        raise ValueError(f"cannot load {algorithm.name} ({what}): {type(exc).__name__}: {exc}") from exc


def resolve_algorithms(names: str | Sequence[str | Algorithm], *, check: bool = True) -> list[Algorithm]:
    """Algorithms for a comma-separated string or a list of names, in order, duplicates dropped.

    :class:`Algorithm` objects in the list are taken as they are.

    Raises
    ------
    ValueError
        As :func:`resolve_algorithm`; also for an empty list or two different algorithms with the same
        record name (two agent files with the same basename).
    """
    if isinstance(names, str):
        names = [n for n in names.split(",") if n.strip()]
    names = [e for n in names for e in (_ALL_STATIC if isinstance(n, str) and n.strip().lower() == "static:all"
                                        else [n])]
    result: list[Algorithm] = []
    for name in names:
        algorithm = name if isinstance(name, Algorithm) else resolve_algorithm(name, check=check)
        same = [a for a in result if a.name == algorithm.name]
        if same and same[0] != algorithm:
            raise ValueError(
                f"two algorithms would both be named {algorithm.name!r}: {same[0].arg}, {algorithm.arg}"
            )
        if not same:
            result.append(algorithm)
    if not result:
        raise ValueError("no algorithm given")
    return result


# --------------------------------------------------------------------------------------------------
# Storage
# --------------------------------------------------------------------------------------------------

RunKey = tuple[str, str, int]


def _package_version() -> str:
    try:
        from importlib.metadata import version

        return version("pso-env")
    except Exception:  # noqa: BLE001 - not installed: the version is informative only
        return "unknown"


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def check_settings(out_dir: str | os.PathLike, settings: Mapping[str, Any]) -> None:
    """Refuse an output directory whose ``settings.json`` differs from ``settings``.

    Raises
    ------
    ValueError
        Naming every setting that differs, with both values.
    """
    path = Path(out_dir) / SETTINGS_FILE
    if not path.exists():
        return
    try:
        old = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path} is unreadable ({exc}); use another output directory") from exc
    new = json.loads(json.dumps(dict(settings)))  # the same types as after a round trip
    diffs = [
        f"{k}: {old.get(k)!r} there, {new.get(k)!r} now"
        for k in sorted(set(old) | set(new))
        if old.get(k) != new.get(k)
    ]
    if diffs:
        raise ValueError(
            f"{path.parent} holds results made with other settings ({'; '.join(diffs)}); "
            "use another output directory or the same settings"
        )


def _typed_row(record: RunRecord) -> dict[str, Any]:
    """The typed ``runs.csv`` row of a record (scalar ``extra_*`` entries gathered in ``extra``)."""
    row = record.to_row()
    out = {c: row.get(c) for c in RUN_COLUMNS if c != "extra"}
    out["extra"] = {k[len("extra_") :]: v for k, v in row.items() if k.startswith("extra_")}
    return out


def _format_row(row: Mapping[str, Any]) -> str:
    """One ``runs.csv`` line for a typed row (floats as ``repr``, so they read back exactly)."""
    import io

    cells = dict(row)
    cells["best_value"] = repr(float(row["best_value"]))
    cells["error"] = "" if row["error"] is None else repr(float(row["error"]))
    cells["extra"] = json.dumps(row["extra"], sort_keys=True)
    buffer = io.StringIO()
    csv.DictWriter(buffer, fieldnames=RUN_COLUMNS, lineterminator="\n").writerow(cells)
    return buffer.getvalue()


_HEADER = ",".join(RUN_COLUMNS) + "\n"


def _parse_row(row: dict[str, str]) -> dict[str, Any]:
    """Typed values of a ``runs.csv`` row; raises ValueError or KeyError for a malformed one."""
    if None in row or any(row.get(c) is None for c in RUN_COLUMNS):
        raise ValueError("wrong number of fields")
    return {
        "algorithm": row["algorithm"],
        "function": row["function"],
        "dim": int(row["dim"]),
        "seed": int(row["seed"]),
        "best_value": float(row["best_value"]),
        "error": None if row["error"] == "" else float(row["error"]),
        "checkpoint_every": int(row["checkpoint_every"]),
        "evaluations": int(row["evaluations"]),
        "cpu_seconds": float(row["cpu_seconds"]),
        "wall_seconds": float(row["wall_seconds"]),
        "extra": json.loads(row["extra"]),
    }


def _read_runs(path: Path) -> tuple[list[dict[str, Any]], bool]:
    """Rows of ``runs.csv`` and whether anything (a torn or malformed line) was dropped."""
    if not path.exists():
        return [], False
    text = path.read_text()
    lines = text.split("\n")
    dropped = lines[-1] != ""  # a last line without its newline was torn by a kill
    body = "\n".join(lines[:-1])
    rows: list[dict[str, Any]] = []
    reader = csv.DictReader(body.splitlines())
    if reader.fieldnames is not None and tuple(reader.fieldnames) != RUN_COLUMNS:
        raise ValueError(f"{path} has columns {reader.fieldnames}, expected {list(RUN_COLUMNS)}")
    for raw in reader:
        try:
            rows.append(_parse_row(raw))
        except (ValueError, KeyError, TypeError):
            dropped = True
    return rows, dropped


def _read_curves(path: Path) -> tuple[list[dict[str, Any]], bool]:
    """Entries of ``curves.jsonl.gz`` and whether a torn gzip member or line was dropped."""
    if not path.exists():
        return [], False
    data = memoryview(path.read_bytes())
    entries: list[dict[str, Any]] = []
    pos, dropped = 0, False
    while pos < len(data):  # one gzip member per pass, fed in small pieces to keep copies short
        inflater = zlib.decompressobj(wbits=31)
        parts: list[bytes] = []
        try:
            while not inflater.eof and pos < len(data):
                piece = data[pos : pos + 8192]
                pos += len(piece)
                parts.append(inflater.decompress(piece))
        except zlib.error:
            dropped = True
            break
        if not inflater.eof:
            dropped = True
            break
        pos -= len(inflater.unused_data)
        for line in b"".join(parts).decode("utf-8", errors="replace").splitlines(keepends=True):
            try:
                if not line.endswith("\n"):
                    raise ValueError("torn line")
                entry = json.loads(line)
                entries.append({**entry, "seed": int(entry["seed"])})
            except (ValueError, KeyError, TypeError):
                dropped = True
    return entries, dropped


def _gzip_member(entries: Iterable[dict[str, Any]]) -> bytes:
    text = "".join(json.dumps(e, allow_nan=True) + "\n" for e in entries)
    return gzip.compress(text.encode("utf-8"), mtime=0)


def load_results(out_dir: str | os.PathLike) -> tuple[list[dict[str, Any]], dict[RunKey, dict[str, Any]]]:
    """The complete runs of an output directory (read-only).

    Returns
    -------
    rows : list of dict
        Typed ``runs.csv`` rows (see :data:`RUN_COLUMNS`; ``error`` is None where f* is unknown) of the
        runs that also have a curve, in file order, the first of any duplicates.
    curves : dict
        ``(algorithm, function, seed) -> {"curve", "checkpoint_every", "optimum", ...}`` for those runs.
    """
    rows, curves, _ = _load(Path(out_dir))
    return rows, curves


def _load(out: Path) -> tuple[list[dict[str, Any]], dict[RunKey, dict[str, Any]], bool]:
    raw_rows, torn_rows = _read_runs(out / RUNS_FILE)
    entries, torn_curves = _read_curves(out / CURVES_FILE)
    curves: dict[RunKey, dict[str, Any]] = {}
    for entry in entries:
        curves.setdefault((entry["algorithm"], entry["function"], entry["seed"]), entry)
    rows: list[dict[str, Any]] = []
    seen: set[RunKey] = set()
    for row in raw_rows:
        key = (row["algorithm"], row["function"], row["seed"])
        if key in curves and key not in seen:
            seen.add(key)
            rows.append(row)
    clean = not torn_rows and not torn_curves and len(rows) == len(raw_rows) == len(entries)
    return rows, {k: curves[k] for k in seen}, not clean


def _repair(out: Path, rows: list[dict[str, Any]], curves: dict[RunKey, dict[str, Any]]) -> None:
    """Rewrite both files with only the complete runs (atomically, file by file)."""
    keys = [(r["algorithm"], r["function"], r["seed"]) for r in rows]
    _atomic_write(out / CURVES_FILE, _gzip_member(curves[k] for k in keys))
    _atomic_write(out / RUNS_FILE, (_HEADER + "".join(_format_row(r) for r in rows)).encode())


def _append(out: Path, record: RunRecord, optimum: float | None) -> None:
    """Store one finished run: its curve first, then its row (both flushed)."""
    entry = {
        "algorithm": record.algorithm,
        "function": record.function,
        "seed": int(record.seed),
        "checkpoint_every": int(record.checkpoint_every),
        "optimum": optimum,
        "curve": [float(v) for v in record.curve],
    }
    with open(out / CURVES_FILE, "ab") as f:
        f.write(_gzip_member([entry]))
    runs = out / RUNS_FILE
    header = "" if runs.exists() and runs.stat().st_size else _HEADER
    with open(runs, "a", newline="") as f:
        f.write(header + _format_row(_typed_row(record)))


# --------------------------------------------------------------------------------------------------
# Runner
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProtocolResult:
    """What :func:`run_protocol` did.

    Attributes
    ----------
    out_dir : Path
        The output directory.
    algorithms, functions : list of str
        Record names of the algorithms and functions of the grid, in order.
    runs : int
        Seeds ``0 .. runs - 1``.
    settings : dict
        The contents of ``settings.json``.
    done_before, done_now : int
        Runs of the grid found already stored, and runs made by this call.
    """

    out_dir: Path
    algorithms: list[str]
    functions: list[str]
    runs: int
    settings: dict[str, Any]
    done_before: int
    done_now: int


def protocol_settings(
    *,
    swarm_size: int,
    iterations: int,
    dim: int | None,
    checkpoint_every: int,
    shift: bool = False,
    rotate: bool = False,
    settings: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``settings.json`` contents for these settings (see :func:`run_protocol`)."""
    return {
        "swarm_size": int(swarm_size),
        "iterations": int(iterations),
        "dim": None if dim is None else int(dim),
        "shift": bool(shift),
        "rotate": bool(rotate),
        "checkpoint_every": int(checkpoint_every),
        "version": _package_version(),
        **dict(settings or {}),
    }


def _check_positive(**values: Any) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _init_worker(torch_too: bool, parent: int) -> None:
    """Worker initializer: one BLAS/OpenMP (and torch) thread; exit when the main process is gone.

    A killed main process cannot stop its workers, so each one watches its parent's pid and leaves
    within a second of the parent's death instead of finishing queued runs nobody will store.
    """
    import threading
    import time

    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    with contextlib.suppress(ImportError):
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=1)
    if torch_too:
        with contextlib.suppress(ImportError):
            import torch

            torch.set_num_threads(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


@contextlib.contextmanager
def _single_threaded(torch_too: bool) -> Iterator[None]:
    """One thread for BLAS (and torch) in this process for the duration, restored afterwards."""
    with contextlib.ExitStack() as stack:
        with contextlib.suppress(ImportError):
            from threadpoolctl import threadpool_limits

            stack.enter_context(threadpool_limits(limits=1))
        if torch_too:
            with contextlib.suppress(ImportError):
                import torch

                previous = torch.get_num_threads()
                torch.set_num_threads(1)
                stack.callback(torch.set_num_threads, previous)
        yield


def _run_task(
    algorithm: Algorithm, function: Any, swarm_size: int, iterations: int, seed: int, checkpoint_every: int
) -> RunRecord:
    """One run (module level so worker processes can unpickle it)."""
    return algorithm(function, swarm_size, iterations, seed, checkpoint_every)


def run_protocol(
    algorithms: str | Sequence[str | Algorithm],
    functions: str | Sequence[Any],
    *,
    runs: int,
    swarm_size: int = 30,
    iterations: int = 1000,
    dim: int | None = 30,
    out_dir: str | os.PathLike = "results/latest",
    jobs: int = 1,
    checkpoint_every: int = 10,
    shift: bool = False,
    rotate: bool = False,
    progress: bool = True,
    settings: Mapping[str, Any] | None = None,
    on_record: Callable[[RunRecord], None] | None = None,
) -> ProtocolResult:
    """Run every algorithm on every function with seeds ``0 .. runs - 1``, storing runs as they end.

    Everything is checked before the first run (names, agent files, function names, counts, the
    settings of an existing ``out_dir``). Runs already stored in ``out_dir`` are skipped, so a killed
    evaluation continues where it stopped, and a later call may add algorithms, functions or seeds.
    Each run is seeded by its seed alone, so results depend neither on ``jobs`` nor on the order.

    Parameters
    ----------
    algorithms : str or sequence
        Registry names (comma-separated string or list, see :func:`resolve_algorithm`) or
        :class:`Algorithm` objects.
    functions : str or sequence
        Function or suite names for ``benchmarks_fn.resolve_functions`` (built with ``dim``, ``shift``
        and ``rotate``), or function objects.
    runs : int
        Seeds per algorithm and function.
    swarm_size, iterations : int
        Particles and iterations of every run.
    dim : int or None, default 30
        Dimension for functions given by name (None: each suite's default).
    out_dir : path, default "results/latest"
        Output directory (created), see the module docstring.
    jobs : int, default 1
        Worker processes; more than 1 uses a ``ProcessPoolExecutor`` (spawn start method) and the main
        process writes the results as they complete. Every run process uses one BLAS/torch thread.
    checkpoint_every : int, default 10
        Spacing of the stored curves in iterations.
    shift, rotate : bool, default False
        Transformations of functions given by name; stored in ``settings.json``.
    progress : bool, default True
        Show a tqdm bar over the runs with the last finished algorithm and function.
    settings : mapping, optional
        Further entries for ``settings.json`` (compared like the others on a later call).
    on_record : callable, optional
        Called with each record after it is stored (an exception stops the protocol there).

    Returns
    -------
    ProtocolResult

    Raises
    ------
    ValueError
        For an unknown algorithm or function, an unloadable agent, a non-positive count, or an
        ``out_dir`` whose ``settings.json`` differs from these settings.
    """
    _check_positive(
        runs=runs, swarm_size=swarm_size, iterations=iterations, jobs=jobs, checkpoint_every=checkpoint_every
    )
    if dim is not None:
        _check_positive(dim=dim)
    algos = resolve_algorithms(algorithms)
    funcs = _resolve_functions(functions, dim, shift=shift, rotate=rotate)
    names = [function_name(f) for f in funcs]
    if len(set(names)) != len(names):
        raise ValueError(f"two functions share a name: {names}")
    config = protocol_settings(
        swarm_size=swarm_size,
        iterations=iterations,
        dim=dim,
        checkpoint_every=checkpoint_every,
        shift=shift,
        rotate=rotate,
        settings=settings,
    )
    out = Path(out_dir)
    check_settings(out, config)

    out.mkdir(parents=True, exist_ok=True)
    if not (out / SETTINGS_FILE).exists():
        _atomic_write(out / SETTINGS_FILE, (json.dumps(config, indent=2) + "\n").encode())
    stored, curves, needs_repair = _load(out)
    if needs_repair:
        _repair(out, stored, curves)
    done = {(r["algorithm"], r["function"], r["seed"]) for r in stored}
    grid = [(a, f, s) for s in range(runs) for f in funcs for a in algos]  # seed-major: useful early
    pending = [(a, f, s) for a, f, s in grid if (a.name, function_name(f), s) not in done]
    optimum = {function_name(f): function_optimum(f) for f in funcs}
    torch_too = any(a.needs_torch for a, _, _ in pending)

    from tqdm.auto import tqdm

    bar = tqdm(total=len(pending), desc="runs", unit="run", disable=not progress, dynamic_ncols=True)

    def store(record: RunRecord) -> None:
        _append(out, record, optimum.get(record.function))
        bar.set_postfix_str(f"{record.algorithm} / {record.function} / seed {record.seed}", refresh=False)
        bar.update()
        if on_record is not None:
            on_record(record)

    args = (swarm_size, iterations)
    try:
        if jobs == 1 or len(pending) <= 1:
            with _single_threaded(torch_too):
                for a, f, s in pending:
                    store(_run_task(a, f, *args, s, checkpoint_every))
        else:
            _run_parallel(pending, args, checkpoint_every, jobs, torch_too, store)
    finally:
        bar.close()
    return ProtocolResult(
        out, [a.name for a in algos], names, runs, config, len(grid) - len(pending), len(pending)
    )


def _run_parallel(
    pending: list[tuple[Algorithm, Any, int]],
    args: tuple[int, int],
    checkpoint_every: int,
    jobs: int,
    torch_too: bool,
    store: Callable[[RunRecord], None],
) -> None:
    """Run ``pending`` in ``jobs`` spawned processes, storing records in the main process as they end.

    At most ``2 * jobs`` runs are queued at a time, so the stored runs follow the grid order closely.
    """
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    saved = {v: os.environ.get(v) for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    os.environ.update({v: "1" for v in saved})  # inherited by the spawned workers at their start
    executor = ProcessPoolExecutor(
        jobs, mp_context=context, initializer=_init_worker, initargs=(torch_too, os.getpid())
    )
    try:
        queue = iter(pending)
        running: set[Future] = set()
        for a, f, s in queue:
            running.add(executor.submit(_run_task, a, f, *args, s, checkpoint_every))
            if len(running) >= 2 * jobs:
                break
        while running:
            finished, running = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                store(future.result())
                nxt = next(queue, None)
                if nxt is not None:
                    a, f, s = nxt
                    running.add(executor.submit(_run_task, a, f, *args, s, checkpoint_every))
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
        for var, value in saved.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value


def _resolve_functions(
    functions: str | Sequence[Any], dim: int | None, *, shift: bool, rotate: bool
) -> list[Any]:
    """Function objects for names (``benchmarks_fn.resolve_functions``) or objects as they are."""
    from benchmarks_fn import resolve_functions

    if isinstance(functions, str):
        return list(resolve_functions(functions, dim, shift=shift, rotate=rotate))
    funcs: list[Any] = []
    names = [f for f in functions if isinstance(f, str)]
    if names and len(names) == len(functions):
        return list(resolve_functions(list(names), dim, shift=shift, rotate=rotate))
    for f in functions:
        funcs.extend(resolve_functions(f, dim, shift=shift, rotate=rotate) if isinstance(f, str) else [f])
    if not funcs:
        raise ValueError("no function given")
    return funcs
