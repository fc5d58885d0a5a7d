"""Benchmark functions for pso-env: the paper's ten functions, CEC-style transforms, BBOB and CEC 2022.

Every function object is a :class:`BenchmarkFunction`: ``f(X)`` takes shape ``(n, D)`` (returns
``(n,)``) or ``(D,)`` (returns a float); ``f.evaluate(X)`` is the unchecked fast path for a float64
``(n, D)`` array. Objects carry ``name``, ``base_name``, ``family``, ``dim``, ``lower``, ``upper``,
``optimum_value`` and ``optimum_x``, and can be pickled. Names are imported on first use (PEP 562).

>>> from benchmarks_fn import get_function
>>> f = get_function("rastrigin", 30, shift=True, rotate=True, seed=3)
>>> g = get_function("bbob:f15", 10, instance=1)
"""

from pso_env import lazy_exports

_EXPORTS = {
    "base": ("BenchmarkFunction", "CallableFunction", "from_callable"),
    "functions": ("PAPER_FUNCTIONS", "Ackley", "DropWave", "Elliptic", "Griewank", "PaperFunction", "Quadric",
                  "Rastrigin", "Schwefel", "Sphere", "Step", "Tablet"),
    "ioh_wrap": ("IOHFunction",),
    "registry": ("canonical_name", "get_function", "list_functions"),
    "suites": ("METABOX_BBOB_TEST", "METABOX_BBOB_TRAIN", "METABOX_BBOB_VALIDATION", "SPLITS", "SUITES", "Split",
               "SuiteEntry", "get_suite", "make_functions", "metabox_split", "resolve_entries", "resolve_functions",
               "split_suite"),
    "transforms": ("DEFAULT_SEED", "TransformedFunction", "random_orthogonal"),
    "tuning": ("DigitsMLP", "TabularDigitsMLP"),
    "network": ("NETWORK_OBJECTIVES", "NetworkLoss", "load_dataset", "load_fashion_mnist", "load_svhn", "mlp",
                "network_objective"),
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(sum(_EXPORTS.values(), ()))  # noqa: PLE0605 - one place lists each name
