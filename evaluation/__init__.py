"""Evaluation of PSO controllers: the run loop, the algorithm registry, storage, workers, statistics, report.

One run of any controller is :func:`run` (the controller protocol: :mod:`evaluation.runner`), giving a
:class:`RunRecord`; :func:`run_protocol` makes every algorithm x function x seed of a comparison into a
resumable output directory (:mod:`evaluation.storage`; workers: :mod:`evaluation.pool`), and
:func:`write_report` summarises it (:mod:`evaluation.stats`). Names are imported on first use (PEP 562).
"""

from importlib import import_module
from typing import Any

_WHERE = {name: module for module, names in {
    "protocol": "ProtocolResult run_protocol", "records": "RunRecord", "report": "write_report",
    "registry": "DEFAULT_ALGORITHMS Algorithm list_algorithms resolve_algorithm resolve_algorithms",
    "runner": "Controller run", "storage": "load_results",
}.items() for name in names.split()}
__all__ = sorted(_WHERE)  # noqa: PLE0605 - built from the table above, one place to list each name


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{_WHERE[name]}", __name__), name)
