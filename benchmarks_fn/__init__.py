"""Benchmark functions for pso-env: the paper's ten functions, CEC-style transforms, BBOB and CEC 2022.

Every function object is a :class:`BenchmarkFunction`: ``f(X)`` takes shape ``(n, D)`` (returns
``(n,)``) or ``(D,)`` (returns a float); ``f.evaluate(X)`` is the unchecked fast path for a float64
``(n, D)`` array. Objects carry ``name``, ``base_name``, ``family``, ``dim``, ``lower``, ``upper``,
``optimum_value`` and ``optimum_x``, and can be pickled.

>>> from benchmarks_fn import get_function
>>> f = get_function("rastrigin", 30, shift=True, rotate=True, seed=3)
>>> g = get_function("bbob:f15", 10, instance=1)
"""

from .base import BenchmarkFunction, CallableFunction, from_callable
from .functions import (
    PAPER_FUNCTIONS,
    Ackley,
    DropWave,
    Elliptic,
    Griewank,
    PaperFunction,
    Quadric,
    Rastrigin,
    Schwefel,
    Sphere,
    Step,
    Tablet,
)
from .ioh_wrap import IOHFunction
from .registry import canonical_name, get_function, list_functions
from .suites import (
    SUITES,
    SuiteEntry,
    get_suite,
    make_functions,
    resolve_entries,
    resolve_functions,
    split_suite,
)
from .transforms import DEFAULT_SEED, TransformedFunction, random_orthogonal

__all__ = [
    "DEFAULT_SEED", "PAPER_FUNCTIONS", "SUITES", "Ackley", "BenchmarkFunction", "CallableFunction", "DropWave",
    "Elliptic", "Griewank", "IOHFunction", "PaperFunction", "Quadric", "Rastrigin", "Schwefel", "Sphere", "Step",
    "SuiteEntry", "Tablet", "TransformedFunction", "canonical_name", "from_callable", "get_function", "get_suite",
    "list_functions", "make_functions", "random_orthogonal", "resolve_entries", "resolve_functions", "split_suite",
]
