"""Evaluation of PSO controllers: the run loop, the algorithm registry, storage, workers, statistics, report.

:func:`run` makes one run of any controller (:mod:`evaluation.runner`) into a :class:`RunRecord`;
:func:`run_protocol` makes every algorithm x function x seed of a comparison into a resumable output
directory (:mod:`evaluation.storage`), and :func:`write_report` summarises it. Names are imported on
first use (PEP 562).
"""

from pso_env import lazy_exports

_EXPORTS = {"protocol": ("ProtocolResult", "run_protocol"), "records": ("RunRecord",),
            "registry": ("DEFAULT_ALGORITHMS", "Algorithm", "list_algorithms", "resolve_algorithm",
                         "resolve_algorithms"),
            "report": ("write_report",), "runner": ("Controller", "run"), "storage": ("load_results",)}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(sum(_EXPORTS.values(), ()))  # noqa: PLE0605 - one place lists each name
