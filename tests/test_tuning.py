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


def test_the_objectives_by_name():
    from benchmarks_fn import get_function, list_functions, resolve_functions

    assert list_functions("tuning") == [("tuning:digits-mlp", "tuning"), ("tuning:digits-mlp-table", "tuning")]
    assert len(list_functions()) == 10 + 24 + 2 + 12 + 2 + 2  # paper, bbob, bbob-exact, cec2022, tuning, nn
    table = get_function("TUNING:digits-mlp-table", 3)
    assert isinstance(table, TabularDigitsMLP) and table.name == "tuning:digits-mlp-table"
    assert table.optimum_value == min(read_table().values())
    live = get_function("tuning:digits-mlp", 3)
    assert isinstance(live, DigitsMLP) and live.optimum_value is None and live.trained == 0
    fns = resolve_functions("sphere,tuning:digits-mlp-table", 30)  # the grid's dimension whatever dim says
    assert [(f.name, f.dim) for f in fns] == [("sphere", 30), ("tuning:digits-mlp-table", 3)]
    with pytest.raises(ValueError, match="dim must be 3 for 'tuning:digits-mlp'"):
        get_function("tuning:digits-mlp", 4)
    with pytest.raises(ValueError, match="do not apply to 'tuning:digits-mlp-table'"):
        get_function("tuning:digits-mlp-table", 3, shift=True)
    with pytest.raises(ValueError, match="shift/rotate/bias apply to paper functions only"):
        resolve_functions("tuning:digits-mlp-table", shift=True)
    with pytest.raises(ValueError, match="did you mean 'tuning:digits-mlp'"):
        get_function("tuning:digits-mpl", 3)


@pytest.mark.slow
def test_evaluate_runs_the_tuning_objectives(tmp_path):
    import csv

    import evaluate

    def main(functions, algorithms, runs, swarm_size, iterations):
        out = tmp_path / functions.replace(":", "_")
        assert evaluate.main(["--functions", functions, "--algorithms", algorithms, "--runs", str(runs),
                              "--swarm-size", str(swarm_size), "--iterations", str(iterations), "--jobs", "1",
                              "--out", str(out), "--no-progress"]) == 0
        summary = {r["algorithm"]: r for r in csv.DictReader((out / "summary.csv").read_text().splitlines())}
        return list(csv.DictReader((out / "runs.csv").read_text().splitlines())), summary, (out / "report.md").read_text()

    table, best = read_table(), min(read_table().values())
    rows, summary, _ = main("tuning:digits-mlp-table", "PSO,PSO+random-advisor", 3, 4, 6)
    assert len(rows) == 6 and {r["dim"] for r in rows} == {"3"}
    for r in rows:
        value = float(r["best_value"])
        assert value in set(table.values()) and float(r["error"]) == value - best >= 0
        # 4 + 6 x 4 evaluations; the advised runs add one point after iteration 5 (k = N // 4), unless a duplicate
        assert int(r["evaluations"]) in ((28,) if r["algorithm"] == "PSO" else (28, 29))
    assert summary["PSO"]["measure"] == "error" and float(summary["PSO"]["best"]) >= 0
    rows, summary, report = main("tuning:digits-mlp", "PSO", 1, 2, 1)  # the live one: at most 4 networks trained
    (r,) = rows
    assert r["error"] == "" and summary["PSO"]["measure"] == "best_value" and int(r["evaluations"]) == 4
    value = float(r["best_value"])
    assert 0 <= value < 1 and round(value * 540, 6) == round(value * 540)  # a validation error, k / 540
    assert "best values f(x) where f* is unknown: tuning:digits-mlp)" in report
