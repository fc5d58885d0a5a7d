"""Hyperparameter-tuning objectives on integer coordinates: the architecture of a small network on digits.

The LLM-enhanced PSO paper (Al-Fuqaha, Qolomany, Qadir et al. 2025, "Large Language Model Enhanced Particle
Swarm Optimization for Hyperparameter Tuning for Deep Learning Models", arXiv:2504.14126) searches the
number of layers and of neurons (or filters) of LSTM and CNN models. Our copy of the paper gives no grid,
data or training settings; everything below is **our choice**, made so that a run costs seconds:

* data: scikit-learn's ``load_digits`` (1797 8x8 images, pixels scaled to [0, 1]), one stratified split
  of 70 % training and 30 % validation (``random_state=0``);
* model: scikit-learn's ``MLPClassifier`` (ReLU, Adam, default learning rate, ``max_iter=100``,
  ``random_state=0``, one BLAS thread), trained once per architecture;
* value (minimised): the validation error, 1 - accuracy (a multiple of 1/540);
* coordinates: D = 3 indices into :data:`WIDTHS` = (0, 4, 8, 16, 32, 64), the units of hidden layers 1,
  2 and 3; index 0 means "no layer" and ends the stack (``(3, 0, 5)`` is one layer of 16 units), so
  the first coordinate runs from 1 to 5 and the others from 0 to 5: 5 + 25 + 125 = 155 architectures.

Rounding: a point ``x`` of the box is the architecture at ``clip(rint(x), lower, upper)`` (nearest
integer, halves to even, as ``numpy.rint``); the swarm moves in the continuous box and the objective is
constant on each cell. ``integer`` (a boolean mask, all True here) tells advisors which coordinates to round.

:class:`DigitsMLP` trains (memoised per architecture); :class:`TabularDigitsMLP` reads the table of all
155 architectures shipped in ``benchmarks_fn/data/digits_mlp.csv``, written by
``scripts/pretrain_digits_table.py`` with :func:`train_architecture`, so runs, tests and RL training cost
a look-up per point. By name (:data:`TUNING_FUNCTIONS`, the family ``"tuning"`` of
:func:`benchmarks_fn.get_function` and ``evaluate.py --functions``): ``tuning:digits-mlp`` and
``tuning:digits-mlp-table``. The swarm and every PSO variant move in the continuous box as on any function
(only the particle advisors read ``integer``); the table's ``optimum_value`` is its least error, the exact
f* of the objective (every point of the box is a cell of the grid), and the live objective has none.
"""

from __future__ import annotations

import csv
import itertools
from pathlib import Path
from typing import Any

import numpy as np

from ._validate import check_int
from .base import BenchmarkFunction, FloatArray

#: Units of a hidden layer per coordinate index; 0: no layer (it ends the stack).
WIDTHS: tuple[int, ...] = (0, 4, 8, 16, 32, 64)
#: Hidden layers at most (the dimension D of the objectives).
MAX_LAYERS = 3
#: The shipped table of every architecture's validation error.
TABLE_PATH = Path(__file__).with_name("data") / "digits_mlp.csv"
_LOWER = np.array([1.0] + [0.0] * (MAX_LAYERS - 1))
_UPPER = np.full(MAX_LAYERS, float(len(WIDTHS) - 1))


def architecture(index: Any) -> tuple[int, ...]:
    """The hidden-layer sizes of a grid index, e.g. ``(3, 0, 5) -> (16,)``; ValueError off the grid."""
    idx = [int(i) for i in np.asarray(index).ravel()]
    if len(idx) != MAX_LAYERS or not 1 <= idx[0] < len(WIDTHS) or any(not 0 <= i < len(WIDTHS) for i in idx):
        raise ValueError(f"index must be {MAX_LAYERS} integers, the first in 1..{len(WIDTHS) - 1} and the others in "
                         f"0..{len(WIDTHS) - 1}, got {index!r}")
    units = []
    for i in idx:
        if i == 0:
            break
        units.append(WIDTHS[i])
    return tuple(units)


def all_architectures() -> list[tuple[int, ...]]:
    """The distinct architectures of the grid (155), shortest first."""
    widths = WIDTHS[1:]
    return [units for n in range(1, MAX_LAYERS + 1) for units in itertools.product(widths, repeat=n)]


def _digits_split(seed: int = 0) -> tuple[np.ndarray, ...]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    return tuple(train_test_split(X / 16.0, y, test_size=0.3, stratify=y, random_state=seed))


def train_architecture(units: tuple[int, ...], *, max_iter: int = 100, seed: int = 0,
                       data: tuple[np.ndarray, ...] | None = None) -> float:
    """Validation error of an ``MLPClassifier`` with hidden layers ``units`` on the digits split (module doc).

    One BLAS thread, fixed seeds: the same architecture gives the same value on one machine (float
    round-off of other BLAS builds may move a prediction, hence the shipped table).
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    from threadpoolctl import threadpool_limits

    Xt, Xv, yt, yv = data if data is not None else _digits_split()
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MLPClassifier(units, max_iter=max_iter, random_state=seed).fit(Xt, yt)
        return float(1.0 - model.score(Xv, yv))


class _ArchitectureObjective(BenchmarkFunction):
    """The grid of the module doc as a :class:`BenchmarkFunction` over integer coordinates."""

    integer = np.ones(MAX_LAYERS, dtype=bool)

    def __init__(self, name: str, optimum_value: float | None = None, optimum_x: Any = None) -> None:
        super().__init__(name, MAX_LAYERS, _LOWER, _UPPER, optimum_value, optimum_x, family="tuning")

    def indices(self, X: Any) -> np.ndarray:
        """Grid indices of points ``X`` (n, D): ``clip(rint(X), lower, upper)`` as ints."""
        return np.clip(np.rint(np.asarray(X, dtype=float)), self.lower, self.upper).astype(np.int64)

    def value(self, units: tuple[int, ...]) -> float:
        raise NotImplementedError

    def evaluate(self, X: FloatArray) -> FloatArray:
        return np.array([self.value(architecture(row)) for row in self.indices(X)], dtype=np.float64)


class DigitsMLP(_ArchitectureObjective):
    """Live objective: trains the architecture of each point (module doc), memoised per architecture.

    Parameters
    ----------
    max_iter, seed : int
        Adam epochs and the seed of the weights and of the data split.

    Attributes
    ----------
    trained : int
        Networks trained so far (cache misses): the paper's "model calls".
    """

    def __init__(self, *, max_iter: int = 100, seed: int = 0) -> None:
        super().__init__("tuning:digits-mlp")
        self.max_iter, self.seed = check_int(max_iter, "max_iter"), check_int(seed, "seed", 0)
        self._cache: dict[tuple[int, ...], float] = {}
        self._data: tuple[np.ndarray, ...] | None = None
        self.trained = 0

    def value(self, units: tuple[int, ...]) -> float:
        if units not in self._cache:
            if self._data is None:
                self._data = _digits_split(self.seed)
            self._cache[units] = train_architecture(units, max_iter=self.max_iter, seed=self.seed, data=self._data)
            self.trained += 1
        return self._cache[units]


def read_table(path: str | Path = TABLE_PATH) -> dict[tuple[int, ...], float]:
    """``{units: validation error}`` from a table written by ``scripts/pretrain_digits_table.py``."""
    with open(path, newline="") as fh:
        return {tuple(int(u) for u in row["units"].split("-")): float(row["error"]) for row in csv.DictReader(fh)}


class TabularDigitsMLP(_ArchitectureObjective):
    """Tabular objective: :class:`DigitsMLP`'s values read from the shipped table (a look-up per point).

    ``optimum_value`` is the table's least error and ``optimum_x`` the first grid index that has it, so
    ``error`` in run records is the distance to the best architecture of the grid.

    Raises
    ------
    ValueError
        When the table at ``path`` lacks an architecture of the grid.
    """

    def __init__(self, path: str | Path = TABLE_PATH) -> None:
        table = read_table(path)
        missing = [u for u in all_architectures() if u not in table]
        if missing:
            raise ValueError(f"path: the table {path} lacks {len(missing)} architectures, e.g. {missing[0]}")
        self._table = table
        grid = [np.array(i) for i in itertools.product(range(1, len(WIDTHS)), *[range(len(WIDTHS))] * (MAX_LAYERS - 1))]
        best = min(grid, key=lambda i: table[architecture(i)])  # first of the least values, in grid order
        super().__init__("tuning:digits-mlp-table", table[architecture(best)], best)

    def value(self, units: tuple[int, ...]) -> float:
        return self._table[units]


#: The objectives by name (:func:`benchmarks_fn.get_function`, ``evaluate.py --functions``), all of dimension
#: :data:`MAX_LAYERS`: the name -> the class (built without arguments).
TUNING_FUNCTIONS: dict[str, type[_ArchitectureObjective]] = {"tuning:digits-mlp": DigitsMLP,
                                                              "tuning:digits-mlp-table": TabularDigitsMLP}
