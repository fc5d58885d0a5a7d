"""Evaluation of PSO controllers: the run loop, the algorithm registry, storage, workers, statistics, report.

One run of any controller is :func:`run` (the controller protocol: :mod:`evaluation.runner`), giving a
:class:`RunRecord`; :func:`run_protocol` makes every algorithm x function x seed of a comparison into a
resumable output directory (:mod:`evaluation.storage`; workers: :mod:`evaluation.pool`), and
:func:`write_report` summarises it (:mod:`evaluation.stats`). Names are imported on first use (PEP 562).
"""

from importlib import import_module
from typing import Any

_WHERE = {"ProtocolResult": "protocol", "run_protocol": "protocol", "RunRecord": "records",
          "DEFAULT_ALGORITHMS": "registry", "Algorithm": "registry", "list_algorithms": "registry",
          "resolve_algorithm": "registry", "resolve_algorithms": "registry", "write_report": "report",
          "Controller": "runner", "run": "runner", "load_results": "storage"}
__all__ = sorted(_WHERE)  # noqa: PLE0605 - built from the table above, one place to list each name


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'evaluation' has no attribute {name!r}")
    return getattr(import_module(f".{_WHERE[name]}", __name__), name)
