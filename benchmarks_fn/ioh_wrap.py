"""BBOB and CEC 2022 problems from the ``ioh`` package behind the :class:`BenchmarkFunction` interface."""

from __future__ import annotations

from typing import Any

import ioh
import numpy as np

from ._validate import check_int
from .base import BenchmarkFunction, FloatArray

N_FUNCTIONS = {"bbob": 24, "cec2022": 12}

# ioh numbers the CEC 2022 problems 1001..1012.
_IOH_ID_OFFSET = {"bbob": 0, "cec2022": 1000}
_IOH_CLASS = {"bbob": ioh.ProblemClass.BBOB, "cec2022": ioh.ProblemClass.CEC2022}

#: Dimensions the CEC 2022 definition (and ioh's data files) cover.
CEC2022_DIMS = (2, 10, 20)
#: Hybrid functions, which CEC 2022 defines for D = 10 and 20 only.
CEC2022_HYBRID = (6, 7, 8)
BBOB_MIN_DIM = 2
#: BBOB functions that ``exact=True`` computes in numpy from their definition (Hansen et al. 2009, "Real-Parameter
#: Black-Box Optimization Benchmarking 2009: Noiseless Functions Definitions", f1 and f2) rather than through ioh.
BBOB_EXACT = (1, 2)


class IOHFunction(BenchmarkFunction):
    """One BBOB or CEC 2022 problem of ``ioh``, evaluated in batches.

    ``fid`` is the function number in ``suite`` ("bbob": 1..24, ``dim`` >= 2; "cec2022": 1..12, ``dim``
    10 or 20, also 2 except f6-f8). ``instance`` is the BBOB instance (>= 1: fixes the shift, rotation
    and f*); ioh's CEC 2022 problems have one (1). Values include the suite's f* (``optimum_value``);
    points outside the box are evaluated (no penalty). Pickling rebuilds the ioh problem.

    ``exact=True`` (BBOB f1 and f2 only, :data:`BBOB_EXACT`; name and ``family`` ``"bbob-exact"``) gives the same
    function of the same instance without its f*: values are ``f(x) - f*`` computed directly from the definition in
    numpy (relative rounding only), with ``optimum_value`` 0. ioh adds f* (up to about 1000 in size) to each value it
    returns, so errors computed from its values move in steps of ``eps * |f*|`` (1e-14 to 1e-13); the exact form
    keeps the relative precision of the sum down to 0 (at the optimum). Its ioh ``problem`` is not evaluated (a
    logger attached to it records nothing; ``evaluate.py --ioh-log`` logs it as a function of its own).
    """

    exact = False
    _scales: FloatArray | None = None

    def __init__(self, suite: str, fid: int, dim: int, instance: int = 1, exact: bool = False) -> None:
        if suite not in N_FUNCTIONS:
            raise ValueError(f"suite must be one of {sorted(N_FUNCTIONS)}, got {suite!r}")
        fid = check_int(fid, "fid")
        if fid > N_FUNCTIONS[suite]:
            raise ValueError(f"fid must be in 1..{N_FUNCTIONS[suite]} for {suite}, got {fid}")
        dim = check_int(dim, "dim")
        instance = check_int(instance, "instance")
        exact = bool(exact)
        name = f"bbob-exact:f{fid}" if exact and suite == "bbob" else f"{suite}:f{fid}"
        dims = (10, 20) if fid in CEC2022_HYBRID else CEC2022_DIMS  # CEC 2022's; BBOB takes any dim >= 2
        if suite == "bbob" and dim < BBOB_MIN_DIM:
            raise ValueError(f"dim must be >= {BBOB_MIN_DIM} for {name!r}, got {dim}")
        if suite == "cec2022" and dim not in dims:
            raise ValueError(f"dim must be one of {dims} for {name!r} (as CEC 2022 defines it), got {dim}")
        if suite == "cec2022" and instance != 1:
            raise ValueError(f"instance must be 1 for {name!r} (ioh's CEC 2022 problems have one instance)")
        if exact and (suite != "bbob" or fid not in BBOB_EXACT):
            raise ValueError(f"exact applies to {', '.join(f'bbob:f{i}' for i in BBOB_EXACT)} only, got {name!r}")
        self.suite, self.fid, self.instance, self.exact = suite, fid, instance, exact
        problem = self._build(suite, fid, dim, instance)
        super().__init__(name, dim, problem.bounds.lb, problem.bounds.ub,
                         optimum_value=0.0 if exact else problem.optimum.y, optimum_x=problem.optimum.x,
                         family="bbob-exact" if exact else suite)
        self.long_name = problem.meta_data.name
        self._problem = problem
        if exact:  # f2's conditioning 10^(6 (i - 1) / (D - 1)), i = 1..D, as BBOB writes it: Elliptic's weights
            # 1e6^((i - 1) / (D - 1)) differ in the last bit, and results/learned-control/ev4w and ev4x trained on these
            self._scales = 10.0 ** (6.0 * np.arange(dim) / (dim - 1)) if fid == 2 else None

    @staticmethod
    def _build(suite: str, fid: int, dim: int, instance: int) -> Any:
        return ioh.get_problem(fid + _IOH_ID_OFFSET[suite], instance, dim, _IOH_CLASS[suite])

    @property
    def problem(self) -> Any:
        """The underlying ioh problem (for attaching an ioh logger, for example; with ``exact`` it is never
        evaluated, so a logger attached to it records nothing).

        Every episode of :class:`pso_env.PSOVectorEnv` (and :class:`pso_env.PSOEnv`) is one run of it
        (:meth:`start_run`); sub-environment 0 runs this function, each other one its own copy (its
        ``functions[i].problem``), so no two runs share a problem.
        """
        return self._problem

    def start_run(self) -> None:
        """Reset the ioh problem: ``state.evaluations`` and ``state.current_best`` start again and attached
        loggers begin a new run (one without evaluations is not logged)."""
        self._problem.reset()

    def evaluate(self, X: FloatArray) -> FloatArray:
        if self.exact:
            z = np.ascontiguousarray(X - self.optimum_x)  # one memory layout: one order of each row's sum
            if self._scales is None:  # f1, the sphere
                return np.einsum("nd,nd->n", z, z)
            with np.errstate(invalid="ignore", over="ignore"):  # inf, nan in: nan, inf out (as ioh)
                z = _t_osz(z)  # f2, the separable ellipsoid
                return (z * z) @ self._scales  # BLAS, as the paper's elliptic: the last bit may vary with n
        # ioh accepts a 2-D array (its overload for a list of points) and returns a Python list.
        return np.asarray(self._problem(X), dtype=np.float64)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_problem"]  # pybind11 objects cannot be pickled
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._problem = self._build(self.suite, self.fid, self.dim, self.instance)

    def __repr__(self) -> str:
        f_star = "unknown" if self.optimum_value is None else f"{self.optimum_value:.6g}"
        inst = f", instance={self.instance}" if self.suite == "bbob" else ""
        inst += ", exact" if self.exact else ""
        return (f"IOHFunction(name={self.name!r} ({self.long_name}), dim={self.dim}{inst}, "
                f"bounds={self._bounds_repr()}, f*={f_star})")


def _t_osz(x: FloatArray) -> FloatArray:
    """BBOB's oscillation transformation T_osz, element-wise (Hansen et al. 2009, section 0.2):
    ``sign(x) exp(x^ + 0.049 (sin(c1 x^) + sin(c2 x^)))`` with ``x^ = log|x|`` (0 at x = 0), ``c1, c2 = 10, 7.9``
    for x > 0 and ``5.5, 3.1`` otherwise."""
    with np.errstate(divide="ignore"):
        xhat = np.where(x != 0.0, np.log(np.abs(x)), 0.0)
    positive = x > 0.0
    c1, c2 = np.where(positive, 10.0, 5.5), np.where(positive, 7.9, 3.1)
    return np.sign(x) * np.exp(xhat + 0.049 * (np.sin(c1 * xhat) + np.sin(c2 * xhat)))
