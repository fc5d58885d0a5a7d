"""The evaluation protocol: statistics, resumable runner, report, registry and the evaluate.py CLI."""

from __future__ import annotations

import csv
import gzip
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks_fn import get_function
from evaluation import stats, storage
from evaluation.protocol import run_protocol
from evaluation.registry import DEFAULT_ALGORITHMS, resolve_algorithm, resolve_algorithms
from evaluation.report import TIMING_COLUMNS, write_report
from evaluation.storage import CURVES_FILE, RUNS_FILE, load_results

ROOT = Path(__file__).resolve().parents[1]
TINY = {"swarm_size": 10, "iterations": 30, "dim": 5, "checkpoint_every": 10, "progress": False}
GRID = {"algorithms": "APSO,PSO,random-search,static:0123", "functions": "sphere,rastrigin", "runs": 3}


# --------------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------------


def test_test_codes_on_synthetic_samples():
    rng = np.random.default_rng(0)
    low, high = rng.normal(1.0, 0.1, 10), rng.normal(5.0, 0.1, 10)
    for test in (stats.t_test_code, stats.rank_sum_code):
        assert test(low, high)[0] == 1  # reference clearly better
        assert test(high, low)[0] == -1  # reference clearly worse
        assert test(np.full(10, 3.0), np.full(10, 3.0))[0] == 0  # identical constants (scipy: nan)
        noisy = [test(rng.normal(0, 1, 10), rng.normal(0, 1, 10))[0] for _ in range(40)]
        assert noisy.count(0) >= 30  # equal distributions: mostly "no difference"
    assert stats.t_test_code(np.zeros(5), np.ones(5)) == (1, 0.0)  # constant but different samples
    assert stats.t_test_code([1.0], [2.0])[0] == 0  # one value each: no test


def test_compare_counts_and_summary_rows():
    rows = []
    for algo, center in (("ref", 1.0), ("bad", 9.0), ("same", 1.0)):
        for seed in range(8):
            value = center + 0.01 * ((seed * 7) % 5) + (0.001 * seed if algo == "same" else 0)
            rows.append(
                {
                    "algorithm": algo,
                    "function": "f",
                    "seed": seed,
                    "error": value,
                    "best_value": value,
                    "cpu_seconds": 0.1,
                }
            )
    values, measure = stats.final_values(rows)
    assert measure == {"f": "error"}
    comparisons = stats.compare_to_reference(values, "ref")
    assert comparisons[("f", "bad")].t_test == 1 and comparisons[("f", "bad")].rank_sum == 1
    assert comparisons[("f", "same")].t_test == 0
    summary = stats.summary_rows(rows, "ref", ["ref", "bad", "same"])
    assert [(r["algorithm"], r["t_test"]) for r in summary] == [("ref", None), ("bad", 1), ("same", 0)]
    assert {r["measure"] for r in summary} == {"error"}  # no floor by default
    assert summary[1]["best"] == 9.0 and summary[1]["n"] == 8
    # f* unknown: the best value is the measure
    rows2 = [dict(r, error=None, function="g") for r in rows]
    assert stats.final_values(rows2)[1] == {"g": "best_value"}


def test_error_floor_counts_errors_below_it_as_zero_and_leaves_best_values():
    """CEC's convention (errors below 1e-8 count as 0): a lead made only of digits below the floor becomes a tie in
    the means, the ranks and both tests; errors above it and best values (f* unknown) are untouched."""
    rows = [{"algorithm": algo, "function": "f", "seed": seed, "error": err, "best_value": err, "cpu_seconds": 0.1}
            for algo, base in (("fine", 1e-14), ("coarse", 1e-10)) for seed, err in
            enumerate(base * (1 + 0.1 * np.arange(8)))]
    rows += [dict(r, function="g", error=None) for r in rows]  # best values only
    rows += [dict(r, function="h", error=r["error"] + 1.0) for r in rows if r["function"] == "f"]
    rows += [dict(r, function="at", error=1e-8 if r["algorithm"] == "fine" else 2e-8)  # kept: not below the floor
             for r in rows if r["function"] == "f"]
    raw, _ = stats.final_values(rows)
    floored, measure = stats.final_values(rows, error_floor=1e-8)
    assert measure == {"f": "error", "at": "error", "g": "best_value", "h": "error"}
    assert np.all(floored["at"]["fine"] == 1e-8)

    def codes(values):
        comparison = stats.compare_to_reference(values, "fine")[("f", "coarse")]
        return comparison.t_test, comparison.rank_sum

    assert codes(raw) == (1, 1)
    assert np.all(floored["f"]["fine"] == 0) and np.all(floored["f"]["coarse"] == 0)
    assert codes(floored) == (0, 0)
    assert np.array_equal(floored["g"]["coarse"], raw["g"]["coarse"]) and raw["g"]["coarse"].min() < 1e-8
    assert np.array_equal(floored["h"]["fine"], raw["h"]["fine"])
    assert stats.average_ranks(raw, ["fine", "coarse"])["fine"] == 1.0
    assert stats.average_ranks({"f": floored["f"]}, ["fine", "coarse"]) == {"fine": 1.5, "coarse": 1.5}
    summary = stats.summary_rows(rows, "fine", error_floor=1e-8)
    assert {r["mean"] for r in summary if r["function"] == "f"} == {0.0}
    for bad in (-1e-8, float("nan"), float("inf"), "1e-8", None):
        with pytest.raises(ValueError, match="error_floor must be a number >= 0"):
            stats.final_values(rows, error_floor=bad)


def test_average_ranks_with_ties():
    values = {
        "f1": {"a": np.array([1.0]), "b": np.array([2.0]), "c": np.array([3.0])},
        "f2": {"a": np.array([5.0]), "b": np.array([5.0]), "c": np.array([1.0])},
        "f3": {"a": np.array([1.0]), "b": np.array([2.0])},  # c missing: not ranked
    }
    ranks = stats.average_ranks(values, ["a", "b", "c"])
    assert ranks == pytest.approx({"a": (1 + 2.5) / 2, "b": (2 + 2.5) / 2, "c": (3 + 1) / 2})


# --------------------------------------------------------------------------------------------------
# Runner: resume, jobs, torn files
# --------------------------------------------------------------------------------------------------


def _summary(out: Path) -> list[dict[str, str]]:
    with open(out / "summary.csv", newline="") as f:
        return [{k: v for k, v in row.items() if k not in TIMING_COLUMNS} for row in csv.DictReader(f)]


def _runs(out: Path) -> list[tuple]:
    rows, curves = load_results(out)
    return sorted(
        (
            r["algorithm"],
            r["function"],
            r["seed"],
            r["best_value"],
            r["evaluations"],
            tuple(curves[(r["algorithm"], r["function"], r["seed"])]["curve"]),
        )
        for r in rows
    )


class _Stop(Exception):
    pass


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    out = tmp_path_factory.mktemp("full")
    result = run_protocol(**GRID, out_dir=out, jobs=2, **TINY)
    assert result.done_now == 24 and result.done_before == 0
    write_report(out, reference="APSO")
    return out


def test_interrupted_then_resumed_equals_uninterrupted_with_two_jobs(tmp_path, uninterrupted):
    seen = []

    def stop_after_five(record):
        seen.append(record)
        if len(seen) == 5:
            raise _Stop

    with pytest.raises(_Stop):
        run_protocol(**GRID, out_dir=tmp_path, jobs=1, on_record=stop_after_five, **TINY)
    assert len(load_results(tmp_path)[0]) == 5
    assert [r.seed for r in seen] == [0] * 5  # seed-major order
    result = run_protocol(**GRID, out_dir=tmp_path, jobs=1, **TINY)
    assert (result.done_before, result.done_now) == (5, 19)
    again = run_protocol(**GRID, out_dir=tmp_path, jobs=1, **TINY)
    assert again.done_now == 0
    write_report(tmp_path, reference="APSO")
    assert _summary(tmp_path) == _summary(uninterrupted)
    assert _runs(tmp_path) == _runs(uninterrupted)  # jobs=2 (uninterrupted) == jobs=1, curves too


def test_torn_last_writes_are_dropped_and_rerun(tmp_path, uninterrupted):
    small = dict(GRID, runs=2)
    run_protocol(**small, out_dir=tmp_path, **TINY)
    # a kill in the middle of writing: half a gzip member and half a csv line at the ends
    curves = (tmp_path / CURVES_FILE).read_bytes()
    (tmp_path / CURVES_FILE).write_bytes(curves + gzip.compress(b'{"algorithm": "x"}\n')[:15])
    runs = (tmp_path / RUNS_FILE).read_text().splitlines(keepends=True)
    (tmp_path / RUNS_FILE).write_text("".join(runs[:-1]) + runs[-1][:20])  # last run's row torn
    assert len(load_results(tmp_path)[0]) == 15
    result = run_protocol(**GRID, out_dir=tmp_path, **TINY)
    assert (result.done_before, result.done_now) == (15, 9)
    with gzip.open(tmp_path / CURVES_FILE, "rt") as f:  # a clean gzip stream again
        assert len([json.loads(line) for line in f]) == 24
    write_report(tmp_path, reference="APSO")
    assert _summary(tmp_path) == _summary(uninterrupted)



def test_rows_whose_curves_were_deleted_are_refused_not_dropped(tmp_path):
    """A kill never leaves rows without curves (the curve is written first): a store whose curves.jsonl.gz was deleted
    or trimmed is refused before anything is written, instead of being "repaired" down to nothing."""
    run_protocol("PSO", "sphere", runs=2, out_dir=tmp_path, **TINY)
    (tmp_path / CURVES_FILE).unlink()
    before = (tmp_path / RUNS_FILE).read_text()
    with pytest.raises(ValueError, match="2 runs of .* have no curve"):
        run_protocol("PSO,APSO", "sphere", runs=2, out_dir=tmp_path, **TINY)
    assert (tmp_path / RUNS_FILE).read_text() == before and not (tmp_path / CURVES_FILE).exists()
    src = tmp_path / "src"
    run_protocol("APSO", "sphere", runs=1, out_dir=src, **TINY)
    with pytest.raises(ValueError, match="have no curve"):  # evaluate.py --include
        storage.merge(tmp_path, [src])
    assert (tmp_path / RUNS_FILE).read_text() == before

def test_changed_settings_or_bad_counts_are_refused(tmp_path):
    run_protocol("PSO", "sphere", runs=1, out_dir=tmp_path, **TINY)
    with pytest.raises(ValueError, match="iterations: 30 there, 40 now"):
        run_protocol("PSO", "sphere", runs=1, out_dir=tmp_path, **dict(TINY, iterations=40))
    # more runs, algorithms and functions with the same settings are fine
    assert run_protocol("PSO,APSO", "sphere,step", runs=2, out_dir=tmp_path, **TINY).done_now == 7
    with pytest.raises(ValueError, match="runs must be an integer >= 1, got 0"):
        run_protocol("PSO", "sphere", runs=0, out_dir=tmp_path, **TINY)
    # runs are keyed by function name: the same name at another dimension (NAME@D) is refused, not mixed in
    with pytest.raises(ValueError, match=r"holds runs of sphere at D = 5 \(now 3\); choose another output"):
        run_protocol("PSO", "sphere@3", runs=1, out_dir=tmp_path, **TINY)
    assert run_protocol("PSO", "step@5", runs=2, out_dir=tmp_path, **TINY).done_now == 0  # its own dimension: done
    with pytest.raises(ValueError, match=r"each function once per run .* got \['sphere'\] more than once"):
        run_protocol("PSO", "sphere,sphere@3", runs=1, out_dir=tmp_path / "new", **TINY)  # the CLI's own message
    assert not (tmp_path / "new").exists()


def test_a_bbob_instance_is_a_setting_of_its_store(tmp_path):
    """run_protocol(instance=I) runs the BBOB functions of instance I (their own optima, so other errors), records I
    in settings.json and names the default directory after it; a store of one instance refuses runs of another."""
    one = run_protocol("PSO", "bbob:f3,sphere", runs=2, out_dir=tmp_path / "one", **TINY)
    two = run_protocol("PSO", "bbob:f3,sphere", runs=2, out_dir=tmp_path / "two", instance=2, **TINY)
    assert "instance" not in one.settings and two.settings["instance"] == 2
    assert json.loads((tmp_path / "two" / "settings.json").read_text())["instance"] == 2

    def best(out):
        return {(r["function"], r["seed"]): (float(r["best_value"]), float(r["error"])) for r in load_results(out)[0]}

    a, b = best(tmp_path / "one"), best(tmp_path / "two")
    optimum = {i: get_function("bbob:f3", 5, instance=i).optimum_value for i in (1, 2)}
    assert optimum[1] != optimum[2]
    for seed in (0, 1):
        assert a[("sphere", seed)] == b[("sphere", seed)]  # not a BBOB function: the same runs
        for inst, runs in ((1, a), (2, b)):
            value, error = runs[("bbob:f3", seed)]
            assert error == pytest.approx(value - optimum[inst])  # each run scored on its own instance's optimum
    with pytest.raises(ValueError, match="instance: 1 there, 2 now"):
        run_protocol("PSO", "bbob:f3", runs=2, out_dir=tmp_path / "one", instance=2, **TINY)
    with pytest.raises(ValueError, match="instance: 2 there, 1 now"):
        run_protocol("PSO", "bbob:f3", runs=2, out_dir=tmp_path / "two", **TINY)
    with pytest.raises(ValueError, match="instance applies to BBOB functions"):
        run_protocol("PSO", "sphere", runs=1, out_dir=tmp_path / "three", instance=2, **TINY)
    # function objects keep their own instance: one of another instance than the store's is refused, never mixed in
    with pytest.raises(ValueError, match=r"BBOB function objects of another instance than 1 \(bbob:f3 \(instance 2"):
        run_protocol("PSO", [get_function("bbob:f3", 5, instance=2)], runs=1, out_dir=tmp_path / "one", **TINY)
    with pytest.raises(ValueError, match=r"another instance than 2 \(bbob:f3 \(instance 1\)\)"):
        run_protocol("PSO", ["sphere", get_function("bbob:f3", 5)], runs=1, out_dir=tmp_path / "two", instance=2, **TINY)
    with pytest.raises(ValueError, match=r"got instance 2 and none of them in sphere, rastrigin"):
        run_protocol("PSO", ["sphere", get_function("rastrigin", 5)], runs=1, out_dir=tmp_path / "three", instance=2,
                     **TINY)
    assert not (tmp_path / "three").exists() and len(load_results(tmp_path / "one")[0]) == 4
    # a list of names and objects: the names' BBOB functions at the instance, the objects as they are
    mixed = run_protocol("PSO", ["sphere", get_function("bbob:f3", 5, instance=2)], runs=2, out_dir=tmp_path / "two",
                         instance=2, **TINY)
    assert mixed.done_now == 0 and mixed.done_before == 4  # the same runs as the names made above
    assert storage.default_out_dir("bbob:f3", two.settings).name == "bbob_f3-d5-n10-i30-inst2"
    assert storage.default_out_dir("bbob:f3", one.settings).name == "bbob_f3-d5-n10-i30"


def test_evaluate_py_instance_runs_the_bbob_functions_of_that_instance(tmp_path):
    """evaluate.py --instance 2: the runs are instance 2's (scored on its optimum) and the store says so; the same
    command without it (instance 1) is refused there."""
    sys.path.insert(0, str(ROOT))
    try:
        import evaluate
    finally:
        sys.path.remove(str(ROOT))
    argv = ["--algorithms", "PSO", "--functions", "bbob:f3", "--dim", "5", "--swarm-size", "10", "--iterations", "30",
            "--runs", "2", "--jobs", "1", "--no-progress", "--out", str(tmp_path / "i2")]
    assert evaluate.main([*argv, "--instance", "2"]) == 0
    assert json.loads((tmp_path / "i2" / "settings.json").read_text())["instance"] == 2
    optimum = get_function("bbob:f3", 5, instance=2).optimum_value
    direct = run_protocol("PSO", "bbob:f3", runs=2, out_dir=tmp_path / "api", instance=2, **TINY)
    rows, api = load_results(tmp_path / "i2")[0], load_results(direct.out_dir)[0]
    assert [(r["best_value"], r["error"]) for r in rows] == [(r["best_value"], r["error"]) for r in api]
    assert all(r["error"] == pytest.approx(r["best_value"] - optimum) for r in rows)
    assert evaluate.main([*argv, "--instance", "2", "--runs", "3"]) == 0  # the same instance resumes the store
    assert len(load_results(tmp_path / "i2")[0]) == 3
    with pytest.raises(SystemExit) as exc:
        evaluate.main(argv)
    assert exc.value.code == 2


def test_report_with_an_error_floor_floors_its_tables_and_keeps_runs_csv(tmp_path, uninterrupted, capsys):
    """evaluate.py --error-floor on a finished store: no new run, the report's means, ranks and summary.csv floored,
    runs.csv untouched, the floor named in report.md, summary.csv's measure and the console table."""
    out = tmp_path / "floored"
    shutil.copytree(uninterrupted, out)
    runs_before = (out / RUNS_FILE).read_bytes()
    with open(uninterrupted / "summary.csv", newline="") as f:
        raw = {(r["function"], r["algorithm"]): float(r["mean"]) for r in csv.DictReader(f)}
    floor = sorted(raw.values())[len(raw) // 2]  # half the cells' means lie below it
    sys.path.insert(0, str(ROOT))
    try:
        import evaluate
    finally:
        sys.path.remove(str(ROOT))
    assert evaluate.main(["--algorithms", GRID["algorithms"], "--functions", GRID["functions"], "--runs", "3",
                          "--swarm-size", "10", "--iterations", "30", "--dim", "5", "--checkpoint-every", "10",
                          "--no-progress", "--out", str(out), "--error-floor", repr(floor)]) == 0
    printed = capsys.readouterr().out
    assert "0 runs made, 24 found" in printed and f"Final values: error (below {floor:g} as 0)." in printed
    assert (out / RUNS_FILE).read_bytes() == runs_before
    rows = load_results(out)[0]
    with open(out / "summary.csv", newline="") as f:
        floored = {(r["function"], r["algorithm"]): r for r in csv.DictReader(f)}
    errors = {}
    for r in rows:
        errors.setdefault((r["function"], r["algorithm"]), []).append(float(r["error"]))
    for cell, values in errors.items():
        assert float(floored[cell]["mean"]) == pytest.approx(np.mean([0.0 if e < floor else e for e in values]))
        assert floored[cell]["measure"] == f"error (below {floor:g} as 0)"
    assert any(float(floored[c]["mean"]) != raw[c] for c in raw)
    text = (out / "report.md").read_text()
    assert f"errors below {floor:g} count as 0" in text
    assert "count as 0" not in (uninterrupted / "report.md").read_text()
    names = sorted({r["algorithm"] for r in rows})
    ranks = stats.average_ranks(stats.final_values(rows, floor)[0], names)
    assert ranks != stats.average_ranks(stats.final_values(rows)[0], names)  # the floor changes a rank here
    for name, rank in ranks.items():
        assert f"| {name} | {rank:.2f} |" in text


def test_report_files_written_and_linked(uninterrupted):
    text = (uninterrupted / "report.md").read_text()
    for heading in ("Table 3", "Table 4", "Welch t-test", "rank-sum", "Average rank", "Figure 4", "Figure 5"):
        assert heading in text
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert {"cpu_time.png", "convergence.png", "convergence_sphere.png", "convergence_rastrigin.png"} <= set(
        links
    )
    for link in links:
        assert (uninterrupted / link).read_bytes()[:4] == b"\x89PNG"
    assert "| sphere | mean ± std |" in text and "[summary.csv](summary.csv)" in text
    summary = _summary(uninterrupted)
    assert len(summary) == 8 and {r["n"] for r in summary} == {"3"}
    assert {r["t_test"] for r in summary if r["algorithm"] == "APSO"} == {""}


# --------------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------------


REGISTRY_NAMES = sorted(
    {
        *DEFAULT_ALGORITHMS,
        "SAPSO",
        "LnCPSO",
        "SelPSO",
        "SecPSO",
        "cmaes",
        "random-search",
        "random-policy",
        "static:0123",
    },
    key=str.lower,
)


@pytest.mark.parametrize("name", REGISTRY_NAMES)
def test_every_algorithm_runs_via_the_registry(name):
    algorithm = resolve_algorithm(name)
    record = algorithm(get_function("rastrigin", 5), 10, 12, 3, 5)
    assert record.algorithm == algorithm.name and record.seed == 3
    assert len(record.curve) == 12 // 5 + 2 and np.isfinite(record.error)
    again = algorithm(get_function("rastrigin", 5), 10, 12, 3, 5)
    assert again.curve == record.curve  # seeded by the seed alone


def test_agent_path_runs_and_names_the_record(tmp_path):
    from agents.dqn import DQNAgent
    from pso_env import PSOEnv

    directory = tmp_path / "my_agent"
    DQNAgent(
        PSOEnv(function="sphere", dim=5, swarm_size=10, max_iterations=5), hidden_sizes=(32,), seed=0
    ).save(str(directory / "model"))
    (directory / "run.json").write_text(json.dumps({"algo": "custom-dqn", "obs_mode": "viterbi"}))
    algorithm = resolve_algorithm(f"agent:{directory}")
    assert algorithm.name == "agent:my_agent"
    first = algorithm(get_function("sphere", 5), 10, 12, 1, 5)
    assert (
        first.algorithm == "agent:my_agent"
        and first.curve == algorithm(get_function("sphere", 5), 10, 12, 1, 5).curve
    )
    (directory / "run.json").write_text("{not json")
    with pytest.raises(ValueError, match="cannot load agent:my_agent"):
        resolve_algorithm(f"agent:{directory}")


def test_registry_names_and_errors(tmp_path):
    assert [a.name for a in resolve_algorithms("apso, hmm_apso,CMA-ES,Random-Search,APSO")] == [
        "APSO",
        "HMM-APSO",
        "CMA-ES",
        "RandomSearch",
    ]
    with pytest.raises(ValueError, match="Did you mean: APSO"):
        resolve_algorithm("APSOO")
    with pytest.raises(ValueError, match="static:ABCD needs four digits"):
        resolve_algorithm("static:0124")
    with pytest.raises(ValueError, match="cannot load agent"):
        resolve_algorithm(f"agent:{tmp_path / 'missing'}")


# --------------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------------


def _cli(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "evaluate.py"), *args],
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_cli_help_and_usage_errors(tmp_path, uninterrupted):
    helped = subprocess.run(
        [sys.executable, str(ROOT / "evaluate.py"), "--help"], check=False, capture_output=True, text=True
    )
    assert helped.returncode == 0
    for option in (
        "--algorithms",
        "--functions",
        "--shift",
        "--rotate",
        "--dim",
        "--swarm-size",
        "--iterations",
        "--runs",
        "--reference",
        "--jobs",
        "--out",
        "--checkpoint-every",
    ):
        assert option in helped.stdout
    text = " ".join(helped.stdout.split())
    assert "(default: paper)" in text and "(default: 1000)" in text and "(default: results/<functions>-d<dim>-n<swarm size>-i<iterations>" in text
    tiny = ["--dim", "5", "--swarm-size", "10", "--iterations", "30", "--runs", "1", "--no-progress"]
    cases = {  # arguments -> what the message must name
        ("--algorithms", "APSO,bogus", "--reference", "APSO"): "bogus",
        ("--algorithms", "APSO", "--reference", "APSO", "--functions", "sphere,nosuchfn"): "nosuchfn",
        ("--algorithms", f"APSO,agent:{tmp_path / 'nowhere'}", "--reference", "APSO"): "nowhere",
        ("--runs", "0"): "an integer in [1, 10,000]",
        ("--error-floor=-1e-8",): "argument --error-floor: must be a number >= 0, got -1e-08",
        ("--algorithms", "APSO", "--functions", "sphere,sphere@3"): "['sphere'] more than once",
        ("--algorithms", "APSO", "--functions", "sphere@three"): "'sphere@three' must be a name followed by @D",
        ("--algorithms", "APSO", "--functions", "sphere,cec2022:f1", "--instance", "3"):
            "--instance: applies to BBOB functions (bbob:fN, bbob-exact:fN, bbob, metabox-train",
    }
    procs = {args: _cli(*tiny, "--out", str(tmp_path / "o"), *args) for args in cases}
    changed = _cli(
        "--algorithms",
        "APSO,PSO",
        "--reference",
        "APSO",
        "--functions",
        "sphere",
        "--out",
        str(uninterrupted),
        *tiny[:4],
        "--iterations",
        "31",
        "--runs",
        "1",
    )
    for args, proc in procs.items():
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 2, (args, err)
        assert cases[args] in err and "Traceback" not in err, err
    _, err = changed.communicate(timeout=120)
    assert changed.returncode == 2 and "iterations: 30 there, 31 now" in err and "Traceback" not in err
    assert not (tmp_path / "o" / RUNS_FILE).exists()


def test_cli_reference_must_be_evaluated(tmp_path, capsys):
    sys.path.insert(0, str(ROOT))
    try:
        import evaluate
    finally:
        sys.path.remove(str(ROOT))
    with pytest.raises(SystemExit) as exit_info:
        evaluate.main(["--algorithms", "APSO", "--reference", "PSO", "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "--reference: PSO is not one of --algorithms (APSO)" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------------
# One run loop, warm-up before timing
# --------------------------------------------------------------------------------------------------


class _ConstantPSO:
    """A controller written against the protocol alone: constant parameters on the plain swarm."""

    name = "constant"

    def start(self, function, *, swarm_size, iterations, seed):
        from pso_env.swarm import Swarm

        self.swarm = Swarm(function, swarm_size, np.random.default_rng(seed), history=True)
        self.steps = 0
        return self.swarm

    def step(self, t):
        self.swarm.step(0.7298, 1.49618, 1.49618)
        self.steps += 1
        return t == 4  # ends the run after five iterations

    def trace(self):
        return {"steps": self.steps}


def test_any_controller_runs_through_the_one_loop():
    from agents import RuleController, make_rule
    from agents.baselines import run_variant
    from evaluation import run

    fn = get_function("rastrigin", 5)
    record = run(_ConstantPSO(), fn, swarm_size=10, iterations=50, seed=2, checkpoint_every=2)
    assert record.algorithm == "constant" and record.extra == {"steps": 5}
    assert record.evaluations == 10 * 6 and len(record.curve) == 4  # iterations 0, 2, 4, 5
    assert record.curve[-1] == record.best_value and record.cpu_seconds > 0 and record.wall_seconds > 0
    # a hand-designed variant through the rule controller is the run_variant record, bit for bit
    a = run(RuleController(make_rule("APSO")), fn, swarm_size=10, iterations=20, seed=2, algorithm="x")
    b = run_variant("APSO", fn, swarm_size=10, iterations=20, seed=2)
    assert a.algorithm == "x" and (a.curve, a.best_value, a.extra) == (b.curve, b.best_value, b.extra)


_FIRST_RUNS = """
import json, sys, tempfile
from evaluation import load_results, run_protocol

def main():
    out = {}
    for jobs in (1, 2):
        with tempfile.TemporaryDirectory() as d:
            run_protocol("HMM-APSO,dqnpso-pretrained", "rastrigin", runs=4, swarm_size=10, iterations=150, dim=5,
                         out_dir=d, jobs=jobs, progress=False)
            rows, _ = load_results(d)
            out[jobs] = {r["algorithm"] + "/" + str(r["seed"]): r["cpu_seconds"] for r in rows}
    print(json.dumps(out))

if __name__ == "__main__":
    main()
"""


@pytest.mark.slow
def test_first_runs_of_a_fresh_process_leave_compilation_out(tmp_path):
    """Issue 12 item 4: numba compilation (or cache loading) and torch warm-up happen before the timer."""
    script = tmp_path / "first_runs.py"
    script.write_text(_FIRST_RUNS)
    env = {**__import__("os").environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True,
                          check=False, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    for jobs, cpu in json.loads(done.stdout.splitlines()[-1]).items():
        for algorithm in ("HMM-APSO", "DQNPSO-pretrained"):
            first, rest = cpu[f"{algorithm}/0"], [cpu[f"{algorithm}/{s}"] for s in (1, 2, 3)]
            # without the warm-up the first HMM-APSO run costs about 30x the others (numba caches)
            assert first < 5 * max(rest) + 0.01, (jobs, algorithm, first, rest)


def test_warm_up_runs_before_the_first_timed_run(monkeypatch):
    from evaluation import pool

    events = []
    monkeypatch.setattr(pool, "warm_up", lambda algorithms, functions: events.append("warm"))
    pool.run_tasks([(events.append, "run 1"), (events.append, "run 2")], jobs=1, warm=([], []),
                   store=lambda result: None, ready=lambda: events.append("ready"))
    assert events == ["warm", "ready", "run 1", "run 2"]


def test_cli_default_reference_is_the_first_algorithm(tmp_path, capsys):
    sys.path.insert(0, str(ROOT))
    try:
        import evaluate
    finally:
        sys.path.remove(str(ROOT))
    tiny = ["--functions", "sphere", "--dim", "5", "--swarm-size", "10", "--iterations", "20", "--runs", "2",
            "--jobs", "1", "--no-progress", "--out", str(tmp_path)]
    assert evaluate.main(["--algorithms", "PSO,APSO", *tiny]) == 0
    summary = _summary(tmp_path)
    assert {r["t_test"] for r in summary if r["algorithm"] == "PSO"} == {""}  # PSO is the reference
    assert {r["t_test"] for r in summary if r["algorithm"] == "APSO"} != {""}
    assert "(default: the first of --algorithms)" in " ".join(evaluate.build_parser().format_help().split())
    assert "(default: None)" not in evaluate.build_parser().format_help()


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--swarm-size", "1", "must be an integer >= 2, got 1"),
    ("--runs", "0", "must be an integer in [1, 10,000], got 0"),
    ("--runs", "100000000000", "must be an integer in [1, 10,000], got 100000000000"),
    ("--dim", "x", "must be an integer, got 'x'"),
])
def test_numeric_options_are_checked_before_anything_is_written(option, value, message, tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("evaluate_cli", ROOT / "evaluate.py")
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exc:
        cli.main([option, value, "--out", str(out), "--no-progress"])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_stores_record_which_model_made_their_learned_runs(tmp_path):
    """agents.json names the model of every learned controller's runs (agent:PATH, the shipped ones, their
    ablations): an es policy changed in model.json alone, a stored name without a record (or with one that cannot
    identify an es model), or the default controller's runs from before it changed are refused, never resumed
    under the same name; a refusal writes nothing."""
    from evaluation import storage
    from evaluation.registry import model_paths

    es = tmp_path / "es"
    shutil.copytree(ROOT / "results/learned-control/agents/es-seed1", es)
    out = tmp_path / "out"
    kwargs = {"runs": 1, "swarm_size": 5, "iterations": 3, "dim": 3, "out_dir": out, "progress": False}
    run_protocol(f"agent:{es},constant-obs:agent:{es},pretrained,dqnpso-online", "sphere", **kwargs)
    known = json.loads((out / "agents.json").read_text())
    assert known["constant-obs:agent:es"]["path"] == known["agent:es"]["path"] == str(es)
    assert known["ES-pretrained"]["path"].endswith(str(Path("agents", "pretrained", "es")))
    assert known["DQNPSO-online"]["path"].endswith(str(Path("agents", "pretrained", "dqnpso")))
    moved = tmp_path / "elsewhere" / "es"
    shutil.copytree(es, moved)
    run_protocol(f"agent:{moved}", "sphere", **kwargs)  # the same model elsewhere resumes; the record keeps its path
    assert json.loads((out / "agents.json").read_text()) == known

    legacy = {n: {k: v for k, v in e.items() if k != "model_sha256"} for n, e in known.items()}
    (out / "agents.json").write_text(json.dumps(legacy))  # as written before model_sha256 existed
    run_protocol("dqnpso-online", "sphere", **kwargs)  # its old digest covers model/: resumes, gains the new one
    assert json.loads((out / "agents.json").read_text())["DQNPSO-online"] == known["DQNPSO-online"]
    with pytest.raises(ValueError, match="holds runs of agent:es but no record in agents.json that identifies"):
        run_protocol(f"agent:{es}", "sphere", **kwargs)  # an es run's old digest covered run.json only
    (out / "agents.json").write_text(json.dumps(known))
    model = json.loads((es / "model.json").read_text())
    model["weights"][0][0] += 1e-9  # run.json unchanged: the old digest alone did not see it
    (es / "model.json").write_text(json.dumps(model))
    with pytest.raises(ValueError, match="the same directory with other contents"):
        run_protocol(f"agent:{es}", "sphere", **kwargs)
    (out / "agents.json").unlink()
    with pytest.raises(ValueError, match=r"holds runs of ES-pretrained but no record in agents.json"):
        run_protocol("pretrained", "sphere", **kwargs)
    assert len(load_results(out)[0]) == 4 and not (out / "agents.json").exists()

    old = tmp_path / "paper-protocol"  # the committed table: its ES-pretrained is the previous default
    old.mkdir()
    for name in ("settings.json", "agents.json", "runs.csv"):
        shutil.copy(ROOT / "results/paper-protocol" / name, old / name)
    before = {f.name: f.read_bytes() for f in old.iterdir()}
    assert json.loads((old / "agents.json").read_text())["ES-pretrained"]["path"].endswith("es-seed0")
    algorithms = resolve_algorithms("pretrained,schedule-only:pretrained,dqnpso-pretrained", check=False)
    with pytest.raises(ValueError, match=r"holds runs of ES-pretrained made with the model in .*es-seed0"):
        storage.check_agents(old, model_paths(algorithms))
    storage.check_agents(old, model_paths(algorithms[2:]))  # the paper's network has not changed
    storage.check_agents(old, {"agent:es-seed0": str(ROOT / "results/learned-control/agents/es-seed0")})
    assert {f.name: f.read_bytes() for f in old.iterdir()} == before  # checks write nothing


def test_merging_never_mixes_the_models_of_one_learned_name(tmp_path):
    """--include is checked before any run: a folder whose ES-pretrained runs came from another model, or whose
    runs of it are unrecorded (either side), is refused with a usage error and no run is made."""
    settings = ["--functions", "sphere", "--dim", "3", "--swarm-size", "5", "--iterations", "3", "--runs", "1",
                "--jobs", "1", "--no-progress"]
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    from conftest import load_script

    evaluate = load_script("evaluate")
    assert evaluate.main([*settings, "--algorithms", "pretrained,PSO", "--out", str(theirs)]) == 0
    entries = json.loads((theirs / "agents.json").read_text())
    (theirs / "agents.json").unlink()  # as a folder of an older version
    with pytest.raises(SystemExit):
        evaluate.main([*settings, "--algorithms", "pretrained", "--out", str(ours), "--include", str(theirs)])
    assert not ours.exists()
    assert evaluate.main([*settings, "--algorithms", "PSO", "--out", str(ours), "--include", str(theirs)]) == 0
    (theirs / "agents.json").write_text(json.dumps(entries))
    from evaluation import storage

    with pytest.raises(ValueError, match="ES-pretrained made with different models, or with a model that only one"):
        storage.merge(ours, [theirs])  # ours holds the unrecorded runs now, theirs records them
    stale = {"ES-pretrained": {**entries["ES-pretrained"], "model_sha256": "0" * 64}}
    (theirs / "agents.json").write_text(json.dumps(stale))
    fresh = tmp_path / "fresh"
    with pytest.raises(SystemExit):
        evaluate.main([*settings, "--algorithms", "pretrained", "--out", str(fresh), "--include", str(theirs)])
    assert not fresh.exists()


def test_non_finite_counts_reach_runs_csv(tmp_path):
    """A run whose objective returns NaN for part of the box keeps its count in runs.csv's extra."""
    from benchmarks_fn import from_callable

    def half_nan(x):
        values = np.sum(x * x, axis=1)
        return np.where(x[:, 0] > 2.0, np.nan, values)

    fn = from_callable(half_nan, dim=3, lower=-5.0, upper=5.0, name="half-nan", vectorized=True)
    run_protocol("PSO,RandomSearch", [fn], runs=1, swarm_size=10, iterations=5, dim=None, out_dir=tmp_path,
                 progress=False)
    rows = list(csv.DictReader((tmp_path / RUNS_FILE).open()))
    counts = {r["algorithm"]: json.loads(r["extra"]).get("nonfinite", 0) for r in rows}
    assert set(counts) == {"PSO", "RandomSearch"}
    assert all(c > 0 for c in counts.values()), counts
    assert all(float(r["best_value"]) >= 0 for r in rows)


def test_agents_of_one_name_from_other_directories_are_refused(tmp_path):
    """Two agent folders named alike (or one retrained in place) never share stored runs."""
    from agents.dqn import DQNAgent
    from pso_env import PSOEnv

    dirs = [tmp_path / side / "run" for side in ("a", "b")]
    for seed, directory in enumerate(dirs):
        DQNAgent(PSOEnv(function="sphere", dim=3, swarm_size=5, max_iterations=5), hidden_sizes=(8,),
                 seed=seed).save(str(directory / "model"))
        (directory / "run.json").write_text(json.dumps({"algo": "custom-dqn", "obs_mode": "viterbi"}))
    out = tmp_path / "out"
    kwargs = {"runs": 1, "swarm_size": 5, "iterations": 3, "dim": 3, "out_dir": out, "progress": False}
    run_protocol(f"agent:{dirs[0]}", "sphere", **kwargs)
    run_protocol(f"agent:{dirs[0]}", "sphere", **kwargs)  # the same agent resumes
    moved = tmp_path / "elsewhere" / "run"
    shutil.copytree(dirs[0], moved)
    run_protocol(f"agent:{moved}", "sphere", **kwargs)  # ... also from another place (a clone, a move)
    assert json.loads((out / "agents.json").read_text())["agent:run"]["path"] == str(dirs[0])  # the first
    with pytest.raises(ValueError, match=r"holds runs of agent:run made with the model in .*a[/\\]run; "
                                         r"this one is .*b[/\\]run"):
        run_protocol(f"agent:{dirs[1]}", "sphere", **kwargs)
    (dirs[0] / "run.json").write_text(json.dumps({"algo": "custom-dqn", "obs_mode": "viterbi", "seed": 1}))
    with pytest.raises(ValueError, match="the same directory with other contents"):  # retrained in place
        run_protocol(f"agent:{dirs[0]}", "sphere", **kwargs)
    assert len(load_results(out)[0]) == 1


_WORKER_FAILURE = """
import numpy as np, sys
from evaluation import run_protocol
sys.path.insert(0, sys.argv[1])  # the workers get this path, as spawn passes sys.path on
from failing import Failing  # importable by the workers, but failing to evaluate

class Objective:  # defined in __main__ of python -c: the workers cannot import it
    dim, lower, upper, name = 2, -1.0, 1.0, "objective"

    def evaluate(self, X):
        return np.sum(X**2, axis=1)

for function in (Objective(), Failing()):
    try:
        run_protocol("PSO", [function], runs=2, iterations=3, dim=None, out_dir=sys.argv[1] + "/out", jobs=2,
                     progress=False)
    except Exception as err:
        print(f"{type(err).__name__}: {err}".replace("\\n", " "))
"""


def test_a_worker_that_cannot_load_an_object_or_fails_is_one_clear_error_with_its_cause(tmp_path):
    (tmp_path / "failing.py").write_text("class Failing:\n    dim, lower, upper = 2, -1.0, 1.0\n\n"
                                         "    def evaluate(self, X):\n        raise ZeroDivisionError('in the worker')\n")
    done = subprocess.run([sys.executable, "-c", _WORKER_FAILURE, str(tmp_path)], cwd=ROOT, capture_output=True,
                          text=True, check=False, timeout=300)
    lines = done.stdout.splitlines()
    assert done.returncode == 0 and len(lines) == 2, done.stderr
    assert re.fullmatch(r"ValueError: <__main__\.Objective object at \w+> cannot be used in worker processes "
                        r"\(AttributeError: Can't get attribute 'Objective' on <module '__main__' \(built-in\)>\); "
                        r"define it in a module the workers can import \(not in __main__ of a notebook, an "
                        r"interactive session or python -c\), or use jobs=1", lines[0])
    assert lines[1].startswith("RuntimeError: a worker process failed to warm up: Traceback")
    assert lines[1].endswith("ZeroDivisionError: in the worker")
    assert not (tmp_path / "out" / RUNS_FILE).exists()  # nothing ran
    from benchmarks_fn import from_callable

    with pytest.raises(ValueError, match=r"^CallableFunction\(name='custom'.*\) cannot be used in worker processes "
                                         r"\(AttributeError: Can't pickle local object .*<lambda>'\); define it .*or use jobs=1$"):
        run_protocol("PSO", [from_callable(lambda x: 0.0, 2, -1.0, 1.0)], runs=2, iterations=3, dim=None,
                     out_dir=tmp_path / "lambda", jobs=2, progress=False)
