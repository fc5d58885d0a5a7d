"""Evaluation of PSO controllers: the run loop, the algorithm registry, storage, workers, statistics, report.

One run of any controller is :func:`run` (the controller protocol is in :mod:`evaluation.runner`) and
gives a :class:`RunRecord`; :func:`run_protocol` makes every algorithm x function x seed of a
comparison into a resumable output directory, and :func:`write_report` summarises it. Names are
imported on first use (PEP 562).

Modules: ``records`` (RunRecord), ``runner`` (protocol, run loop, timing), ``registry`` (names to
algorithms), ``storage`` (settings.json, runs.csv, curves.jsonl.gz), ``pool`` (threads, warm-up,
worker processes), ``protocol`` (the grid runner), ``stats`` (tests and ranks), ``report``.
"""

from importlib import import_module
from typing import Any

_EXPORTS = {
    "protocol": ("ProtocolResult", "run_protocol"),
    "records": ("RunRecord",),
    "registry": ("DEFAULT_ALGORITHMS", "Algorithm", "list_algorithms", "resolve_algorithm",
                 "resolve_algorithms"),
    "report": ("write_report",),
    "runner": ("Controller", "run"),
    "storage": ("load_results",),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_WHERE)  # noqa: PLE0605 - built from the table above, one place to list each name


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'evaluation' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
