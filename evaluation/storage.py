"""Storage of an evaluation's output directory: settings, runs and curves, resumable and repairable.

Output directory of :func:`evaluation.run_protocol`
---------------------------------------------------
``settings.json``
    The settings every run shares (:func:`protocol_settings`), written before the first run. A later
    call with other settings is refused.
``runs.csv``
    One row per finished run, appended as it ends: :meth:`RunRecord.to_row` with the scalar
    ``extra_*`` entries (and ``nonfinite`` where it is not 0) as one JSON object in the ``extra``
    column, so the header (:data:`RUN_COLUMNS`) never changes.
``curves.jsonl.gz``
    One JSON object per finished run (``algorithm``, ``function``, ``seed``, ``checkpoint_every``,
    ``optimum``, the best-so-far ``curve`` and, from runs recorded with them, the ``improvements``:
    ``[evaluations, value]`` at every evaluation that beat all earlier ones), each appended as its own
    gzip member.
``agents.json``
    The model behind each learned controller's runs (``agent:NAME``, ``ES-pretrained``, the ablations, ...):
    its path and content digests (:func:`check_agents`), so that runs of one model never resume under
    another's name.

A run counts as done when both its row and its curve are stored: the curve is written first, the row
second. A kill at any moment loses at most the runs in flight: a torn last line or gzip member is
dropped, and the files are repaired (rewritten through a temporary file and ``os.replace``) when the
protocol is started again. Rows without curves in an intact ``curves.jsonl.gz`` are no kill's doing (the
file was deleted or trimmed): that directory is refused (ValueError) rather than repaired, so no run is
dropped. :func:`merge` copies the runs of other output directories of the same settings into one
(``evaluate.py --include``), for example a peer's runs written in this format.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .records import RunRecord


def _optional_float(text: str) -> float | None:
    return None if text == "" else float(text)


#: Column order of ``runs.csv``, with the parser of each column's text.
_PARSERS: dict[str, Any] = {"algorithm": str, "function": str, "dim": int, "seed": int, "best_value": float,
                            "error": _optional_float, "checkpoint_every": int, "evaluations": int,
                            "cpu_seconds": float, "wall_seconds": float, "extra": json.loads}
RUN_COLUMNS: tuple[str, ...] = tuple(_PARSERS)
SETTINGS_FILE = "settings.json"
#: The model behind each learned controller's runs of an output directory (path and content digests).
AGENTS_FILE = "agents.json"
#: Spacing of the stored curves in iterations unless the caller chooses another.
DEFAULT_CHECKPOINT_EVERY = 10
#: Folder of the default output directories (:func:`default_out_dir`).
RESULTS_ROOT = "results"
RUNS_FILE = "runs.csv"
CURVES_FILE = "curves.jsonl.gz"
_HEADER = ",".join(RUN_COLUMNS) + "\n"

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


def read_settings(out: Path) -> dict[str, Any]:
    """The contents of ``out/settings.json`` ({} when there is none)."""
    path = out / SETTINGS_FILE
    return json.loads(path.read_text()) if path.exists() else {}


def check_settings(out_dir: str | os.PathLike, settings: Mapping[str, Any]) -> None:
    """Refuse (ValueError naming every difference) an output directory whose ``settings.json`` differs."""
    path = Path(out_dir) / SETTINGS_FILE
    if not path.exists():
        return
    try:
        old = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path} is unreadable ({exc}); use another output directory") from exc
    diffs = _settings_diffs(old, settings, "there", "now")
    if diffs:
        raise ValueError(f"{path.parent} holds results made with other settings ({'; '.join(diffs)}); "
                         "choose another output directory (the default one is named after the settings)")


def check_unique_functions(names: Sequence[str]) -> None:
    """Refuse (ValueError) a list of function names that holds one twice: runs and tables are keyed by function
    name, so one name at two dimensions (``--functions sphere,sphere@3``) would mix their runs."""
    twice = sorted(name for name, count in Counter(names).items() if count > 1)
    if twice:
        raise ValueError(f"functions: each function once per run (runs are keyed by function name), got {twice} more "
                         f"than once, e.g. at two dimensions with NAME@D")


def check_dims(out_dir: str | os.PathLike, dims: Mapping[str, int]) -> None:
    """Refuse (ValueError) an output directory whose runs hold a function of ``dims`` (name -> dimension) at
    another dimension: runs are keyed by function name, and ``--functions NAME@D`` can build a name at a dimension
    other than the store's ``dim``."""
    wanted = {name: int(dim) for name, dim in dims.items()}
    rows, _ = _read_runs(Path(out_dir) / RUNS_FILE)
    clash = sorted({(r["function"], int(r["dim"])) for r in rows
                    if r["function"] in wanted and int(r["dim"]) != wanted[r["function"]]})
    if clash:
        held = ", ".join(f"{name} at D = {dim} (now {wanted[name]})" for name, dim in clash)
        raise ValueError(f"{out_dir} holds runs of {held}; choose another output directory")


#: Settings that ``settings.json`` leaves out at their default (:func:`protocol_settings`), compared as that default.
IMPLIED_SETTINGS = {"instance": 1}


def _settings_diffs(old: Mapping[str, Any], new: Mapping[str, Any], old_label: str, new_label: str) -> list[str]:
    """``"key: old there, new now"`` for each setting that differs (compared as after a JSON round trip)."""
    old, new = ({**IMPLIED_SETTINGS, **json.loads(json.dumps(dict(s)))} for s in (old, new))
    return [f"{k}: {old.get(k)!r} {old_label}, {new.get(k)!r} {new_label}" for k in sorted(set(old) | set(new))
            if old.get(k) != new.get(k)]


def _format_row(record: RunRecord) -> str:
    row = record.to_row()
    cells = {c: row.get(c) for c in RUN_COLUMNS}
    extra = {k[len("extra_") :]: v for k, v in row.items() if k.startswith("extra_")}
    if record.nonfinite:
        extra["nonfinite"] = int(record.nonfinite)
    return _csv_line({**cells, "extra": extra})


def _csv_line(row: Mapping[str, Any]) -> str:
    """One ``runs.csv`` line for a typed row (floats as ``repr``: they read back exactly)."""
    error = "" if row["error"] is None else repr(float(row["error"]))
    cells = {**row, "best_value": repr(float(row["best_value"])), "error": error,
             "extra": json.dumps(row["extra"], sort_keys=True)}
    buffer = io.StringIO()
    csv.DictWriter(buffer, fieldnames=RUN_COLUMNS, lineterminator="\n").writerow(cells)
    return buffer.getvalue()


def _read_runs(path: Path) -> tuple[list[dict[str, Any]], bool]:
    """Typed rows of ``runs.csv`` and whether anything (a torn or malformed line) was dropped."""
    if not path.exists():
        return [], False
    body, _, torn = path.read_text().rpartition("\n")  # a last line without its newline was torn by a kill
    reader = csv.DictReader(body.splitlines())
    if reader.fieldnames is not None and tuple(reader.fieldnames) != RUN_COLUMNS:
        raise ValueError(f"{path} has columns {reader.fieldnames}, expected {list(RUN_COLUMNS)}")
    rows, dropped = [], torn != ""
    for raw in reader:
        try:
            if None in raw or any(raw.get(c) is None for c in RUN_COLUMNS):
                raise ValueError("wrong number of fields")
            rows.append({c: parse(raw[c]) for c, parse in _PARSERS.items()})
        except (ValueError, KeyError, TypeError):
            dropped = True
    return rows, dropped


def _read_curves(path: Path) -> tuple[list[dict[str, Any]], bool]:
    """Entries of ``curves.jsonl.gz`` and whether a torn gzip member or line was dropped."""
    entries: list[dict[str, Any]] = []
    if not path.exists():
        return entries, False
    dropped = False
    try:
        with gzip.open(path, "rt", encoding="utf-8", errors="replace", newline="\n") as f:
            for line in f:
                try:
                    if not line.endswith("\n"):
                        raise ValueError("torn line")
                    entry = json.loads(line)
                    entries.append({**entry, "seed": int(entry["seed"])})
                except (ValueError, KeyError, TypeError):
                    dropped = True
    except (OSError, EOFError, zlib.error):  # a torn or corrupt gzip member: the rest is lost
        dropped = True
    return entries, dropped


def _gzip_member(entries: Iterable[dict[str, Any]]) -> bytes:
    text = "".join(json.dumps(e, allow_nan=True) + "\n" for e in entries)
    return gzip.compress(text.encode("utf-8"), mtime=0)


def load_results(out_dir: str | os.PathLike) -> tuple[list[dict[str, Any]], dict[RunKey, dict[str, Any]]]:
    """The complete runs of an output directory (read-only): typed ``runs.csv`` rows (``error`` None where
    f* is unknown) of the runs that also have a curve, in file order, the first of any duplicates; and
    their curves, ``(algorithm, function, seed) -> {"curve", "checkpoint_every", "optimum", ...}``."""
    rows, curves, _ = read_store(Path(out_dir))
    return rows, curves


def read_store(out: Path) -> tuple[list[dict[str, Any]], dict[RunKey, dict[str, Any]], bool]:
    """:func:`load_results` and whether the files need :func:`repair`."""
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


def repair(out: Path, rows: list[dict[str, Any]], curves: dict[RunKey, dict[str, Any]]) -> None:
    """Rewrite both files with only the complete runs (atomically, file by file).

    Raises
    ------
    ValueError
        Rows of ``runs.csv`` without a curve while ``curves.jsonl.gz`` is intact: a kill never leaves that (the
        curve is written first), so the curves were deleted or trimmed, and a repair would drop those runs;
        nothing is written.
    """
    raw, _ = _read_runs(out / RUNS_FILE)
    _, torn_curves = _read_curves(out / CURVES_FILE)
    orphans = sum((r["algorithm"], r["function"], r["seed"]) not in curves for r in raw)
    if orphans and not torn_curves:
        raise ValueError(f"out_dir: {orphans} runs of {out / RUNS_FILE} have no curve in {CURVES_FILE} (deleted or "
                         f"trimmed?); resuming would drop them. Restore {CURVES_FILE}, or write to a new output "
                         "directory")
    keys = [(r["algorithm"], r["function"], r["seed"]) for r in rows]
    _atomic_write(out / CURVES_FILE, _gzip_member(curves[k] for k in keys))
    _atomic_write(out / RUNS_FILE, (_HEADER + "".join(map(_csv_line, rows))).encode())


def append(out: Path, record: RunRecord, optimum: float | None) -> None:
    """Store one finished run: its curve first, then its row (both flushed)."""
    entry = {"algorithm": record.algorithm, "function": record.function, "seed": int(record.seed),
             "checkpoint_every": int(record.checkpoint_every), "optimum": optimum,
             "curve": [float(v) for v in record.curve], "improvements": record.improvements}
    with open(out / CURVES_FILE, "ab") as f:
        f.write(_gzip_member([entry]))
    runs = out / RUNS_FILE
    header = "" if runs.exists() and runs.stat().st_size else _HEADER
    with open(runs, "a", newline="") as f:
        f.write(header + _format_row(record))


def protocol_settings(*, swarm_size: int, iterations: int, dim: int | None, checkpoint_every: int,
                      shift: bool = False, rotate: bool = False, max_evaluations: int | None = None,
                      instance: int = 1, settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ``settings.json`` contents for these settings (see :func:`run_protocol`); ``max_evaluations`` only
    where set (the fixed budget of every run), then with ``budget_clock: "evaluations"``: schedules and
    controllers follow the evaluations spent / the budget, so that a store made before they did (its schedules
    on the iterations) is refused rather than resumed or merged; ``instance`` (the BBOB instance) only where it is
    not 1, so that stores made before it was a setting stay those of instance 1."""
    budget = {} if max_evaluations is None else {"max_evaluations": int(max_evaluations), "budget_clock": "evaluations"}
    return {"swarm_size": int(swarm_size), "iterations": int(iterations),
            "dim": None if dim is None else int(dim), "shift": bool(shift), "rotate": bool(rotate),
            "checkpoint_every": int(checkpoint_every), **budget, **({} if instance == 1 else {"instance": int(instance)}),
            "version": _package_version(), **dict(settings or {})}


def default_out_dir(functions: str | Sequence[str], settings: Mapping[str, Any]) -> Path:
    """The output directory named after the settings, so that other settings never meet these results.

    ``results/<functions>-d<dim>-n<swarm size>-i<iterations>``, then ``-shift``, ``-rotate``, ``-inst<instance>``,
    ``-c<spacing>`` where set, ``-e<max evaluations>`` where set, and a short hash of any further
    :func:`protocol_settings` (the version aside), e.g.
    ``results/sphere+rastrigin-d5-n10-i30-shift``, so the same command resumes there. ``functions`` (as
    given, ``"paper"``, or names) longer than 40 characters are cut to 32 plus a hash of the whole list.
    """
    text = functions if isinstance(functions, str) else ",".join(functions)
    name = re.sub(r"[^A-Za-z0-9.+-]+", "_", text.replace(",", "+")).strip("_") or "functions"
    if len(name) > 40:
        name = f"{name[:32]}-{hashlib.sha1(text.encode()).hexdigest()[:6]}"
    parts = [name]
    if settings.get("dim") is not None:
        parts.append(f"d{settings['dim']}")
    parts += [f"n{settings['swarm_size']}", f"i{settings['iterations']}"]
    parts += [flag for flag in ("shift", "rotate") if settings.get(flag)]
    if settings.get("instance") is not None:
        parts.append(f"inst{settings['instance']}")
    if settings["checkpoint_every"] != DEFAULT_CHECKPOINT_EVERY:
        parts.append(f"c{settings['checkpoint_every']}")
    if settings.get("max_evaluations") is not None:
        parts.append(f"e{settings['max_evaluations']}")
    known = {"dim", "swarm_size", "iterations", "shift", "rotate", "instance", "checkpoint_every", "max_evaluations",
             "budget_clock", "version"}
    extra = {k: v for k, v in settings.items() if k not in known}
    if extra:
        parts.append(hashlib.sha1(json.dumps(extra, sort_keys=True, default=str).encode()).hexdigest()[:6])
    return Path(RESULTS_ROOT) / "-".join(parts)


def write_settings(out: Path, settings: Mapping[str, Any]) -> None:
    """Create ``out`` and write ``settings.json`` unless it exists (check first: :func:`check_settings`)."""
    out.mkdir(parents=True, exist_ok=True)
    if not (out / SETTINGS_FILE).exists():
        _atomic_write(out / SETTINGS_FILE, (json.dumps(dict(settings), indent=2) + "\n").encode())


#: Files of a training run whose digest :data:`AGENTS_FILE` has kept since it was introduced (``sha256``).
_RUN_FILES = ("run.json", "model", "model.zip")
#: Every file that defines a loaded policy (``model_sha256``): also the es ``model.json`` and each ``best_model``,
#: which :func:`agents.load_pretrained` loads.
_POLICY_FILES = (*_RUN_FILES, "model.json", "best_model", "best_model.zip", "best_model.json")


def agent_digest(path: str | os.PathLike, files: Sequence[str] = _RUN_FILES) -> str:
    """SHA-256 of a training run's ``files`` (names in its directory; a model is a file, SB3's or es's, or a
    folder, our DQN's): by default ``run.json`` and ``model``/``model.zip``, the ``sha256`` of :data:`AGENTS_FILE`."""
    digest, root = hashlib.sha256(), Path(path)
    found = {p for name in files for p in [root / name, *(root / name).rglob("*")]}
    for f in sorted(p for p in found if p.is_file()):
        digest.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes())
    return digest.hexdigest()


def agent_entry(path: str | os.PathLike) -> dict[str, str]:
    """The :data:`AGENTS_FILE` entry of a trained model's directory: its ``path``, ``sha256`` (:func:`agent_digest`
    of ``run.json`` and ``model``/``model.zip``, which an es run lacks) and ``model_sha256`` (of every policy
    file, the es ``model.json`` and the best models included; entries written before 2026-12-02 lack it).
    ValueError for a directory without a ``run.json`` (not a training run's)."""
    if not (Path(path) / "run.json").is_file():
        raise ValueError(f"{path} is not a trained model's directory (no run.json)")
    return {"path": str(path), "sha256": agent_digest(path), "model_sha256": agent_digest(path, _POLICY_FILES)}


def _identifies(entry: Mapping[str, str], other: Mapping[str, str] | None = None) -> bool:
    """Whether an entry can tell models apart (from ``other``'s): ``model_sha256``, or an old ``sha256`` of a
    model held in ``model``/``model.zip`` (the entry's directory or ``other``'s); that of an es run covered
    ``run.json`` only."""
    if "model_sha256" in entry:
        return True
    roots = [Path(e["path"]) for e in (entry, other) if e is not None and e.get("path")]
    return "sha256" in entry and any((root / name).exists() for root in roots for name in _RUN_FILES[1:])


def _same_agent(old: Mapping[str, str], new: Mapping[str, str]) -> bool:
    """Whether two :data:`AGENTS_FILE` entries name the same policy (by each digest both entries hold)."""
    return all(old[k] == new[k] for k in ("sha256", "model_sha256") if k in old and k in new)


def _agent_conflicts(ours: Mapping[str, Any], our_runs: set[str], theirs: Mapping[str, Any],
                     their_runs: set[str]) -> list[str]:
    """Record names whose runs would mix models: two entries that differ where either side holds runs of the
    name, or runs on one side without an entry there (or one that cannot identify a model) while the other
    side records one."""
    conflicts = []
    for name in sorted(set(ours) | set(theirs)):
        a, b = ours.get(name), theirs.get(name)
        if a is not None and b is not None and _identifies(a, b) and _identifies(b, a):
            if not _same_agent(a, b) and (name in our_runs or name in their_runs):
                conflicts.append(name)
        elif (name in our_runs and b is not None and (a is None or not _identifies(a, b))) or (
                name in their_runs and a is not None and (b is None or not _identifies(b, a))):
            conflicts.append(name)
    return conflicts


def _read_agents(out: Path) -> dict[str, Any]:
    """The :data:`AGENTS_FILE` of an output directory ({} without one); ValueError naming a file it cannot read."""
    path = out / AGENTS_FILE
    if not path.exists():
        return {}
    try:
        known = json.loads(path.read_text())
        if not isinstance(known, dict) or not all(isinstance(e, dict) for e in known.values()):
            raise ValueError("not an object of entries")
    except ValueError as exc:
        raise ValueError(f"cannot read {path}: {exc}") from None
    return known


def _stored_names(out: Path) -> set[str]:
    return {row["algorithm"] for row in _read_runs(out / RUNS_FILE)[0]}


def check_agents(out: Path, agents: Mapping[str, str | os.PathLike]) -> dict[str, Any]:
    """Refuse (ValueError) runs of a trained model into ``out`` when its stored runs of that record name came
    from another model, or from a model it never recorded; return the :data:`AGENTS_FILE` entries that
    :func:`record_agents` writes once every other check has passed (nothing is written here).

    ``agents`` maps record names to the directories of the models they run (``agent:NAME``, the shipped
    controllers, the ablations of either: :func:`evaluation.registry.model_paths`). The contents decide
    (their digests, :func:`agent_entry`), not the path: the same model copied or moved (a clone of the
    repository elsewhere) resumes and its entry keeps the first path; two directories of one base name,
    one model retrained in place, or a new shipped controller (``ES-pretrained`` after
    :func:`agents.load_pretrained` changed) do not. Stored runs of such a name without an entry, or with one
    that cannot identify the model (an es run recorded before ``model_sha256``), are refused too: what made
    them is unknown. An entry of a name without stored runs is replaced.
    """
    known = _read_agents(out)
    current = {name: agent_entry(src) for name, src in agents.items()}
    stored = _stored_names(out) & set(current) if current else set()
    for name in _agent_conflicts({n: e for n, e in known.items() if n in current}, stored, current, set()):
        old, new = known.get(name), current[name]
        if old is None or not _identifies(old, new):
            raise ValueError(f"{out} holds runs of {name} but no record in {AGENTS_FILE} that identifies the model "
                             f"that made them (folders made before 2026-12-02 lack one for ES-pretrained, the other "
                             f"shipped controllers, the ablations and es agents): choose another output directory (--out)")
        same = "the same directory with other contents" if old.get("path") == new["path"] else new["path"]
        raise ValueError(f"{out} holds runs of {name} made with the model in {old.get('path')}; this one is "
                         f"{same}: choose another output directory (--out)")
    updated = dict(known)
    for name, entry in current.items():
        old = known.get(name)
        keep = old is not None and _identifies(old, entry) and _same_agent(old, entry)
        updated[name] = {**entry, **old} if keep else entry  # a resume keeps the first path
    return updated


def record_agents(out: Path, entries: Mapping[str, Any]) -> None:
    """Write :func:`check_agents`'s entries into ``out``'s :data:`AGENTS_FILE` where they differ from it."""
    if entries and dict(entries) != _read_agents(out):
        out.mkdir(parents=True, exist_ok=True)
        _atomic_write(out / AGENTS_FILE, (json.dumps(dict(entries), indent=2, sort_keys=True) + "\n").encode())


def check_include(out: Path, sources: Sequence[str | os.PathLike], settings: Mapping[str, Any],
                  agents: Mapping[str, Any] | None = None, running: set[str] | None = None) -> dict[str, Any]:
    """Refuse (ValueError) merging ``sources`` into ``out`` (:func:`merge`): a source without the same
    settings (:func:`check_mergeable`), or one whose runs of a learned controller came from another model
    than ``out``'s runs of that name, or from a model that only one side records. ``agents`` (default:
    ``out``'s :data:`AGENTS_FILE`) and ``running`` (record names about to be run into ``out``) let a caller
    check before its own runs. Returns the merged entries."""
    ours = dict(_read_agents(out) if agents is None else agents)
    our_runs = _stored_names(out) | set(running or ())
    for src in map(Path, sources):
        check_mergeable(src, settings, out)
        theirs, their_runs = _read_agents(src), _stored_names(src)
        clash = _agent_conflicts(ours, our_runs, theirs, their_runs)
        if clash:
            raise ValueError(f"{src} and {out} hold runs of {', '.join(clash)} made with different models, or with "
                             f"a model that only one of them records in {AGENTS_FILE}: they cannot share a name")
        ours = {**theirs, **ours}
        our_runs |= their_runs
    return ours


def check_mergeable(src: str | os.PathLike, settings: Mapping[str, Any], target: str | os.PathLike = "--out") -> None:
    """Refuse (ValueError naming every difference) an output directory ``src`` whose ``settings.json`` is missing
    or differs from ``settings`` (those of ``target``): only runs of the same settings are merged."""
    src = Path(src)
    if not (src / SETTINGS_FILE).exists():
        raise ValueError(f"{src} has no {SETTINGS_FILE}: not an output directory")
    diffs = _settings_diffs(read_settings(src), settings, f"in {src}", f"in {target}")
    if diffs:
        raise ValueError(f"{src} holds results made with other settings than {target} ({'; '.join(diffs)}); "
                         "only runs of the same settings can be merged")


def merge(out_dir: str | os.PathLike, sources: Sequence[str | os.PathLike]) -> dict[str, int]:
    """Copy into ``out_dir`` the complete runs of each source output directory that it lacks.

    A run is its ``(algorithm, function, seed)``: one already in ``out_dir`` (or in an earlier source) is
    kept as it is, so merging twice adds nothing. Every source must hold a ``settings.json`` equal to
    ``out_dir``'s (``out_dir`` without one takes the first source's), and no runs of a learned controller
    made with another model than ``out_dir``'s runs of that name (:func:`check_include`); otherwise ValueError
    naming the differences, before anything is written.
    Rows and curves are appended (curves first, as :func:`append` does); ``ioh`` logs are not copied.
    Returns the runs added per source (its path as given).
    """
    out, paths = Path(out_dir), [Path(p) for p in sources]
    if not paths:
        return {}
    settings = read_settings(out) or read_settings(paths[0])
    agents = check_include(out, paths, settings)
    rows, curves, torn = read_store(out)
    if torn:
        repair(out, rows, curves)
    write_settings(out, settings)
    have = {(r["algorithm"], r["function"], r["seed"]) for r in rows}
    added: dict[str, int] = {}
    for src, name in zip(paths, map(str, sources)):
        new_rows, new_curves = load_results(src)
        new_rows = [r for r in new_rows if (r["algorithm"], r["function"], r["seed"]) not in have]
        keys = [(r["algorithm"], r["function"], r["seed"]) for r in new_rows]
        if keys:
            with open(out / CURVES_FILE, "ab") as f:
                f.write(_gzip_member(new_curves[k] for k in keys))
            runs = out / RUNS_FILE
            header = "" if runs.exists() and runs.stat().st_size else _HEADER
            with open(runs, "a", newline="") as f:
                f.write(header + "".join(map(_csv_line, new_rows)))
        have.update(keys)
        added[name] = len(keys)
    record_agents(out, agents)
    return added
