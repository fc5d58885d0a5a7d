"""The hyperparameter-tuning objectives on integer coordinates (benchmarks_fn.tuning)."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks_fn.tuning import (
    DigitsMLP,
    TabularDigitsMLP,
    all_architectures,
    architecture,
    read_table,
)
from pso_env.swarm import Swarm


def test_grid_and_architectures():
    assert len(all_architectures()) == 5 + 25 + 125 == len(read_table())
    assert architecture([3, 0, 5]) == (16,)
    assert architecture([5, 1, 2]) == (64, 4, 8)
    with pytest.raises(ValueError, match="index must be"):
        architecture([0, 1, 1])
    with pytest.raises(ValueError, match="index must be"):
        architecture([1, 6, 1])


def test_table_objective_rounds_and_looks_up():
    fn = TabularDigitsMLP()
    table = read_table()
    assert fn.dim == 3 and fn.integer.all() and fn.family == "tuning"
    np.testing.assert_array_equal(fn.lower, [1, 0, 0])
    np.testing.assert_array_equal(fn.upper, [5, 5, 5])
    x = np.array([[3.4, 0.49, 5.0], [2.5, 3.5, 0.0], [-7.0, 9.0, 0.2], [4.6, 1.6, 2.4]])
    expected = [table[(16,)], table[(8, 32)], table[(4, 64)], table[(64, 8, 8)]]  # rint halves to even
    np.testing.assert_array_equal(fn(x), expected)
    assert fn.optimum_value == min(table.values()) and fn(fn.optimum_x) == fn.optimum_value
    swarm = Swarm(fn, 10, 0)
    assert np.isin(swarm.fitness, list(table.values())).all()


def test_table_missing_architectures_is_a_value_error(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("units,error,seconds\n4,0.5,0.1\n")
    with pytest.raises(ValueError, match="path: the table .* lacks 154 architectures"):
        TabularDigitsMLP(path)


def test_live_objective_matches_the_table_and_memoises():
    live = DigitsMLP()
    x = np.array([[1.0, 0.0, 3.0], [1.2, 0.0, 0.0]])  # both: one layer of 4 units
    values = live(x)
    assert live.trained == 1 and values[0] == values[1] == read_table()[(4,)]
    with pytest.raises(ValueError, match="max_iter must be"):
        DigitsMLP(max_iter=0)
