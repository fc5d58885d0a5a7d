"""The two command-line scripts as a new user meets them (issue 12 items 5, 6, 7 and 9).

Output directories named after the settings, options checked by the parser before anything is
written, ``--resume`` reading ``run.json``, Ctrl-C (one line, exit status 130, resumable), progress
bars whose count and total agree, and a terminal table and figure that stay readable.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import load_script as _script

from agents.models import make_model
from agents.training import TrainConfig, Trainer
from evaluation.protocol import run_protocol
from evaluation.report import (
    SUMMARY_COLUMNS,
    _colors,
    _function_figure,
    _panel_figure,
    console_summary,
    write_report,
)
from evaluation.storage import default_out_dir, load_results, protocol_settings
from pso_env import PSOEnv

ROOT = Path(__file__).resolve().parents[1]
EVAL_TINY = ["--dim", "5", "--swarm-size", "10", "--iterations", "20", "--runs", "2", "--jobs", "1", "--no-progress"]
TRAIN_TINY = {"functions": "sphere", "held_out": "ackley", "dim": 5, "swarm_size": 10, "iterations": 20,
              "checkpoint_every": 100, "eval_every": 100}


def _exit_code(main, argv) -> int:
    try:
        return main(argv)
    except SystemExit as exc:  # argparse's usage errors
        return exc.code


# --------------------------------------------------------------------------------------------------
# Item 5: output directories

@pytest.mark.parametrize(("functions", "changes", "name"), [
    ("paper", {}, "paper-d30-n30-i1000"),
    ("sphere,rastrigin", {"dim": 5, "swarm_size": 10, "iterations": 30}, "sphere+rastrigin-d5-n10-i30"),
    ("bbob:f15", {"shift": True, "rotate": True, "checkpoint_every": 5}, "bbob_f15-d30-n30-i1000-shift-rotate-c5"),
    (["sphere", "step"], {"dim": None}, "sphere+step-n30-i1000"),
    ("metabox-test", {"dim": 10, "swarm_size": 20, "iterations": 999, "max_evaluations": 20000},
     "metabox-test-d10-n20-i999-e20000"),  # budget_clock is part of the budget's suffix, not a hash
])
def test_default_out_dir_names_the_settings(functions, changes, name):
    settings = protocol_settings(**{"swarm_size": 30, "iterations": 1000, "dim": 30, "checkpoint_every": 10,
                                    **changes})
    assert default_out_dir(functions, settings) == Path("results") / name


def test_default_out_dir_is_short_and_tells_settings_apart():
    settings = protocol_settings(swarm_size=30, iterations=1000, dim=30, checkpoint_every=10)
    many = ",".join(f"bbob:f{i}" for i in range(1, 25))
    name = default_out_dir(many, settings).name
    assert name == default_out_dir(many, settings).name and len(name) <= 60  # deterministic, short
    assert name != default_out_dir(many.replace("f24", "f23"), settings).name
    extra = protocol_settings(swarm_size=30, iterations=1000, dim=30, checkpoint_every=10, settings={"note": 1})
    assert default_out_dir("paper", extra) != default_out_dir("paper", settings)
    assert default_out_dir("paper", {**settings, "version": "9.9"}) == default_out_dir("paper", settings)


def test_the_second_natural_command_just_works_and_the_same_command_resumes(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    evaluate = _script("evaluate")
    first = ["--algorithms", "PSO,APSO", "--functions", "sphere,step", *EVAL_TINY]
    assert evaluate.main(first) == 0
    assert "runs into results/sphere+step-d5-n10-i20" in capsys.readouterr().out
    assert evaluate.main(["--algorithms", "PSO", "--functions", "sphere", *EVAL_TINY, "--dim", "6"]) == 0
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["sphere+step-d5-n10-i20", "sphere-d6-n10-i20"]
    capsys.readouterr()
    assert evaluate.main(first) == 0  # the same command again: everything is there already
    assert "0 runs made, 8 found in results/sphere+step-d5-n10-i20" in capsys.readouterr().out
    # an explicit --out that holds other settings is still refused, naming the difference
    assert _exit_code(evaluate.main, [*first, "--iterations", "25", "--out", "results/sphere+step-d5-n10-i20"]) == 2
    assert "iterations: 20 there, 25 now" in capsys.readouterr().err


def test_a_rewritten_report_removes_the_figures_it_no_longer_shows(tmp_path):
    run_protocol("PSO,APSO", "sphere,step", runs=2, swarm_size=10, iterations=20, dim=5, out_dir=tmp_path,
                 progress=False)
    write_report(tmp_path)
    assert (tmp_path / "convergence_step.png").exists()
    write_report(tmp_path, functions=["sphere"])
    figures = sorted(p.name for p in tmp_path.glob("*.png"))
    assert figures == ["convergence.png", "convergence_sphere.png", "cpu_time.png", "ecdf_budget.png", "ecdf_runtime.png"]
    linked = set(re.findall(r"\]\(([^)]+\.png)\)", (tmp_path / "report.md").read_text()))
    assert linked == set(figures)


# --------------------------------------------------------------------------------------------------
# Item 6: every numeric option checked by the parser, before anything is written

EVAL_BAD = [("--dim", "0"), ("--dim", "x"), ("--swarm-size", "1"), ("--iterations", "0"), ("--iterations", "1.5"),
            ("--runs", "0"), ("--runs", "10001"), ("--jobs", "0"), ("--checkpoint-every", "0"),
            ("--max-evaluations", "0"), ("--max-evaluations", "2e4"), ("--error-floor", "-0.5"), ("--error-floor", "nan"),
            ("--instance", "0"), ("--instance", "1.5")]
TRAIN_BAD = [("--dim", "0"), ("--swarm-size", "1"), ("--iterations", "0"), ("--iterations", "x"), ("--timesteps", "0"),
             ("--timesteps", "1e5"), ("--n-envs", "0"), ("--seed", "-1"), ("--checkpoint-every", "0"),
             ("--eval-every", "0"), ("--jobs", "0"), ("--eval-runs", "0"), ("--w-min", "-0.1"), ("--w-max", "nan"),
             ("--c-min", "-1"), ("--c-max", "inf"), ("--max-evaluations", "0"), ("--max-evaluations", "2e4"),
             ("--held-out-instance", "0")]


def _numeric_options(parser) -> set[str]:
    """Options with a numeric default, or none shown (None, suppressed) and a numeric checker (``option_type``'s)."""
    return {a.option_strings[0] for a in parser._actions
            if isinstance(a.default, (int, float)) and not isinstance(a.default, bool)
            or a.default in (None, argparse.SUPPRESS) and getattr(a.type, "__qualname__", "").startswith("option_type.")}


@pytest.mark.parametrize(("script", "table"), [("evaluate", EVAL_BAD), ("train_agent", TRAIN_BAD)])
def test_every_numeric_option_is_checked_by_the_parser_before_anything_is_written(
        script, table, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    cli = _script(script)
    assert _numeric_options(cli.build_parser()) == {option for option, _ in table}  # the table covers them all
    for option, value in table:
        for extra in ([], ["--resume"]) if script == "train_agent" else ([],):
            assert _exit_code(cli.main, [option, value, *extra]) == 2, (option, value)
            err = capsys.readouterr().err
            assert f"argument {option}: must be " in err and value in err and "Traceback" not in err, err
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------------------------------
# Item 6: train_agent.py --resume

def _saved_run(out: Path, **changes) -> TrainConfig:
    config = TrainConfig(timesteps=300, **{**TRAIN_TINY, **changes})
    out.mkdir(parents=True)
    (out / "run.json").write_text(json.dumps({"config": config.to_dict()}))
    return config


def test_resume_without_a_run_is_an_error_naming_the_directory(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    train = _script("train_agent")
    (tmp_path / "empty").mkdir()
    for out in ("empty", "missing"):
        assert _exit_code(train.main, ["--resume", "--out", out]) == 2
        assert f"'{out}' holds no run to resume (no run.json)" in capsys.readouterr().err
    assert _exit_code(train.main, ["--resume"]) == 2  # the default directory, runs/custom-dqn-seed0
    assert "'runs/custom-dqn-seed0' holds no run to resume" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"] and not any((tmp_path / "empty").iterdir())
    with pytest.raises(ValueError, match="holds no run to resume"):
        Trainer(TrainConfig(**TRAIN_TINY), tmp_path / "empty", resume=True)


@pytest.mark.parametrize(("algo", "key"), [("es", "popsiz"), ("custom-dqn", "popsize"), ("ppo", "lr")])
def test_an_unknown_hyperparameter_is_a_usage_error_naming_it(algo, key, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    mode = ["--action-mode", "continuous", "--obs-mode", "features"] if algo == "es" else []
    argv = ["--algo", algo, *mode, "--hyperparameters", json.dumps({key: 1}), "--out", "run"]
    assert _exit_code(_script("train_agent").main, argv) == 2
    err = capsys.readouterr().err
    assert f"--hyperparameters: algo {algo!r} does not take {key!r}" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match=f"does not take {key!r}"):
        make_model(algo, PSOEnv(**({"action_mode": "continuous"} if algo == "es" else {})), **{key: 1})


@pytest.mark.parametrize(("algo", "hyperparameters", "message"), [
    ("es", {"popsize": 1}, "popsize must be an integer >= 2, got 1"),
    ("custom-dqn", {"learning_rate": -1}, "learning_rate must be a positive number, got -1"),
    ("ppo", {"n_steps": 0}, "`n_steps * n_envs` must be greater than 1"),  # SB3's assert, as the usage error
    ("ppo", {"device": "nope"}, "Expected one of cpu")])  # torch's RuntimeError
@pytest.mark.parametrize("sweep", [False, True])
def test_a_bad_hyperparameter_value_is_a_usage_error_before_anything_is_written(algo, hyperparameters, message, sweep,
                                                                                tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    mode = ["--action-mode", "continuous", "--obs-mode", "features"] if algo == "es" else []
    argv = ["--algo", algo, *mode, "--hyperparameters", json.dumps(hyperparameters), "--out", "run",
            *(["--seeds", "0,1"] if sweep else [])]
    assert _exit_code(_script("train_agent").main, argv) == 2
    err = capsys.readouterr().err
    assert f"--hyperparameters: {message}" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_es_modes_a_linear_policy_cannot_act_with_are_a_usage_error(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    argv = ["--algo", "es", "--action-mode", "particle", "--obs-mode", "features", "--out", "run"]
    assert _exit_code(_script("train_agent").main, argv) == 2
    assert "--obs-mode: a linear policy needs action_mode='continuous'" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_resume_reads_run_json_and_names_the_options_that_conflict(tmp_path, capsys):
    out = tmp_path / "run"
    saved = _saved_run(out, algo="ppo", n_envs=2, seed=3)
    assert TrainConfig.resumed(out, {}) == saved
    assert TrainConfig.resumed(out, {"algo": "ppo", "n_envs": 2, "timesteps": 900}).timesteps == 900
    with pytest.raises(ValueError) as err:
        TrainConfig.resumed(out, {"algo": "a2c", "n_envs": 4, "dim": 5, "timesteps": 900})
    message = str(err.value)
    assert "--algo 'a2c' (saved: 'ppo')" in message and "--n-envs 4 (saved: 2)" in message
    assert "--dim" not in message and "--timesteps" not in message  # equal, or allowed to change
    train = _script("train_agent")
    assert _exit_code(train.main, ["--resume", "--out", str(out), "--n-envs", "4", "--seed", "3"]) == 2
    err_text = capsys.readouterr().err
    assert "--n-envs 4 (saved: 2)" in err_text and "--seed" not in err_text.split("error:")[1]


# --------------------------------------------------------------------------------------------------
# Item 7: Ctrl-C

def _interrupt(argv: list[str], ready, timeout: float = 240) -> subprocess.CompletedProcess:
    """Start a script like an interactive shell does (its own process group, Ctrl-C not ignored), press Ctrl-C
    once ``ready()``. A suite started as a background job (``cmd &``) ignores SIGINT, and a child would inherit
    that: the child gets the default disposition instead."""
    ignored = signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    if ignored:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # exec keeps SIG_DFL and SIG_IGN, not handlers
    try:
        proc = subprocess.Popen([sys.executable, *argv], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)
    finally:
        if ignored:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
    start = time.monotonic()
    while not ready() and proc.poll() is None and time.monotonic() - start < timeout:
        time.sleep(0.02)
    assert proc.poll() is None, "the script ended before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)  # a terminal sends Ctrl-C to the whole foreground group: workers too
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _stored(out: Path) -> list[tuple]:
    rows, curves = load_results(out)
    return sorted((r["algorithm"], r["function"], r["seed"], r["best_value"],
                   tuple(curves[(r["algorithm"], r["function"], r["seed"])]["curve"])) for r in rows)


@pytest.mark.slow
def test_ctrl_c_during_evaluate_prints_one_line_and_the_same_command_resumes(tmp_path):
    out = tmp_path / "eval"
    grid = {"algorithms": "PSO,APSO", "functions": "sphere,rastrigin", "runs": 10}  # 40 runs of some 30 ms
    argv = [str(ROOT / "evaluate.py"), "--algorithms", grid["algorithms"], "--functions", grid["functions"],
            "--runs", str(grid["runs"]), "--dim", "30", "--swarm-size", "20", "--iterations", "1000", "--jobs", "2",
            "--no-progress", "--out", str(out)]
    runs = out / "runs.csv"
    done = _interrupt(argv, lambda: runs.exists() and runs.read_text().count("\n") > 3)
    assert done.returncode == 130, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    saved = len(load_results(out)[0])
    assert 3 <= saved < 40 and lines[0] == f"interrupted: {saved} runs saved in {out}; the same command resumes from there"
    resumed = subprocess.run([sys.executable, *argv], cwd=ROOT, capture_output=True, text=True, timeout=300,
                             check=False)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{40 - saved} runs made, {saved} found" in resumed.stdout
    whole = tmp_path / "whole"
    run_protocol(**grid, swarm_size=20, iterations=1000, dim=30, out_dir=whole, progress=False)
    assert _stored(out) == _stored(whole)  # each run depends on its seed alone: bit for bit


@pytest.mark.slow
def test_ctrl_c_during_training_prints_one_line_and_resume_finishes_the_run(tmp_path):
    out = tmp_path / "train"
    argv = [str(ROOT / "train_agent.py"), "--functions", "sphere", "--held-out", "ackley", "--dim", "5",
            "--swarm-size", "10", "--iterations", "20", "--timesteps", "800", "--checkpoint-every", "100",
            "--eval-every", "400", "--out", str(out)]  # the progress bar on: it must not garble the line
    done = _interrupt(argv, lambda: any((out / "checkpoints").glob("step_*_buffer.npz")))
    assert done.returncode == 130, done.stderr
    assert "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    match = re.fullmatch(r"interrupted at step (\d+): (\d+) steps saved in (.+) \(newest checkpoint\); "
                         r"`train_agent.py --out (.+) --resume` continues from there", last)
    assert match and match[3] == match[4] == str(out), last
    assert 100 <= int(match[2]) <= int(match[1]) < 800 and (out / "checkpoints" / f"step_{match[2]}").exists()
    resumed = subprocess.run([sys.executable, str(ROOT / "train_agent.py"), "--out", str(out), "--resume",
                              "--no-progress"], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert resumed.returncode == 0, resumed.stderr
    from agents import load_agent

    assert load_agent(out).model.num_timesteps == 800  # the budget saved in run.json
    steps = np.loadtxt(out / "episodes.csv", delimiter=",", skiprows=1)[:, 0]
    np.testing.assert_array_equal(steps, np.arange(20, 801, 20))  # every episode logged once


# --------------------------------------------------------------------------------------------------
# Item 9: progress bar, terminal table, figure

@pytest.fixture
def one_torch_thread():
    """Tiny networks: more torch threads only contend (4x slower on a busy 2-core machine)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


class _RecordedBars:
    def __init__(self, monkeypatch):
        import tqdm.auto

        self.bars: list[dict] = []
        record = self.bars

        class Bar(tqdm.auto.tqdm):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **{**kwargs, "file": io.StringIO()})
                self.seen = {"initial": self.n, "total": self.total}
                record.append(self.seen)

            def close(self):
                self.seen.update(final=self.n, final_total=self.total)
                super().close()

        monkeypatch.setattr(tqdm.auto, "tqdm", Bar)


@pytest.mark.parametrize(("algo", "n_envs", "hyperparameters", "first", "second"), [
    ("ppo", 2, {"n_steps": 32, "batch_size": 32}, 256, 320),  # whole rollouts of 2 x 32 steps
    ("custom-dqn", 3, {}, 201, 300),  # steps of 3 environments
])
def test_progress_bar_count_and_total_agree_also_on_resume(algo, n_envs, hyperparameters, first, second,
                                                           tmp_path, monkeypatch, one_torch_thread):
    bars = _RecordedBars(monkeypatch).bars
    config = TrainConfig(timesteps=200, algo=algo, n_envs=n_envs, hyperparameters=hyperparameters, **TRAIN_TINY)
    Trainer(config, tmp_path, progress_bar=True).run()
    more = TrainConfig.resumed(tmp_path, {"timesteps": 300})
    Trainer(more, tmp_path, resume=True, progress_bar=True).run()
    assert bars[0] == {"initial": 0, "total": first, "final": first, "final_total": first}
    assert bars[1] == {"initial": first, "total": second, "final": second, "final_total": second}


def test_console_table_stays_narrow_with_many_functions_and_long_names(tmp_path):
    from evaluation.registry import DEFAULT_ALGORITHMS, resolve_algorithm

    algorithms = [resolve_algorithm(name, check=False).name for name in DEFAULT_ALGORITHMS]
    functions = [f"bbob:f{i}" for i in range(1, 25)]
    rng = np.random.default_rng(0)
    with open(tmp_path / "summary.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, SUMMARY_COLUMNS)
        writer.writeheader()
        for f in functions:
            for a in algorithms:
                writer.writerow({"function": f, "algorithm": a, "mean": rng.uniform(0, 1e4),
                                 "t_test": "" if a == algorithms[0] else rng.integers(-1, 2),
                                 "cpu_seconds_mean": 0.05})
    text = console_summary(tmp_path, reference=algorithms[0], algorithms=algorithms, functions=functions)
    lines = text.splitlines()
    assert max(map(len, lines)) <= 100
    rows = [line for line in lines if line.split(" ")[0] in algorithms]
    assert sorted(r.split()[0] for r in rows) == sorted(algorithms)
    for row in rows:
        counts = re.search(r"(\d+) / +(\d+) / +(\d+)", row)
        assert ("(reference)" in row) if row.startswith(algorithms[0] + " ") else sum(map(int, counts.groups())) == 24


def test_log_axis_labels_are_plain_text_powers_of_ten():
    from evaluation.report import _decade_label

    cases = {1e-4: "10\u207b\u2074", 1.0: "10\u2070", 100.0: "10\u00b2", 10.0**-16: "10\u207b\u00b9\u2076",
             1e12: "10\u00b9\u00b2", 20.0: "2\u00d710\u00b9", 3e-5: "3\u00d710\u207b\u2075", 0.0: "", -1.0: "",
             float("inf"): "", float("nan"): ""}
    assert {v: _decade_label(v) for v in cases} == cases
    assert all(_decade_label(10.0**k) == "10" + str(k).translate(str.maketrans("-0123456789", "\u207b\u2070\u00b9"
               "\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079")) for k in range(-20, 21))


def _assert_laid_out(fig) -> None:
    """Every panel (with its tick labels, axis labels and title) and every figure legend lies on the page, and no
    two of them overlap."""
    fig.canvas.draw()
    page = fig.bbox
    boxes = [ax.get_tightbbox() for ax in fig.axes if ax.get_visible()]
    boxes += [legend.get_window_extent() for legend in fig.legends]
    for box in boxes:
        assert page.x0 - 1 <= box.x0 and box.x1 <= page.x1 + 1 and page.y0 - 1 <= box.y0 and box.y1 <= page.y1 + 1
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert min(a.x1, b.x1) - max(a.x0, b.x0) <= 1 or min(a.y1, b.y1) - max(a.y0, b.y0) <= 1, (a, b)


@pytest.mark.parametrize("n_algorithms", [3, 25])
def test_report_figures_keep_every_label_on_the_page_and_apart(n_algorithms, tmp_path, monkeypatch):
    """The fixed margins that replace a layout engine (BENCHMARKS 18) leave no tick label, axis label, title or
    legend off the page or over another panel: convergence figures on log axes and on linear ones (f* unknown)
    with wide labels, and the ECDF figures; the legend above the panels takes as many rows as it needs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    from evaluation.report import plot_anytime

    algorithms = [f"algorithm-{i}" for i in range(n_algorithms)]
    x = np.arange(11)
    curves = {}
    for i, a in enumerate(algorithms):
        for s in range(2):
            curves[(a, "deep", s)] = {"curve": list(1e4 * 10.0 ** (-2.0 * x)), "checkpoint_every": 10, "optimum": 0.0}
            curves[(a, "wide", s)] = {"curve": list(-500000.0 + 9e5 * 0.7 ** x + i), "checkpoint_every": 10,
                                      "optimum": None}
            curves[(a, "flat", s)] = {"curve": list(0.5 + 0.1 * 0.9 ** x), "checkpoint_every": 10, "optimum": 0.0}
    functions = ["deep", "wide", "flat"] * 3  # two rows of five panels, the last row partly empty
    colors = _colors(algorithms, algorithms[0])
    figures = [_function_figure(curves, algorithms, f, 100, colors, algorithms[0]) for f in ("deep", "wide")]
    figures.append(_panel_figure(curves, algorithms, functions, 100, colors, algorithms[0]))
    for fig in figures:
        _assert_laid_out(fig)
        plt.close(fig)
    linear = next(ax for ax in figures[1].axes)
    assert linear.get_yscale() == "linear" and linear.get_ylabel() == "best value"

    saved = []
    monkeypatch.setattr(Figure, "savefig", lambda fig, *args, **kwargs: saved.append(fig))
    evaluations = np.geomspace(10, 20000, 40)
    traces = {(a, f): [(evaluations, 1e3 * (evaluations / 10.0) ** -(1.0 + 0.1 * i), 20000.0, 10)]
              for i, a in enumerate(algorithms) for f in ("sphere", "rastrigin")}
    assert plot_anytime(traces, algorithms, ["sphere", "rastrigin"], 20000.0, tmp_path) == (
        "ecdf_runtime.png", "ecdf_budget.png")
    assert len(saved) == 2
    for fig in saved:
        assert [ax.get_title() for ax in fig.axes] == ["all functions", "unimodal (1)", "multimodal (1)"]
        _assert_laid_out(fig)
        for ax in fig.axes:  # two decades or more: decades only
            assert ax.get_xscale() == "log" and len(ax.xaxis.get_minorticklocs()) == 0
        plt.close(fig)


def test_panel_figure_legend_above_the_grid_and_no_minor_labels_on_log_axes():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    algorithms = [f"algorithm-{i}" for i in range(10)]
    functions = [f"f{i}" for i in range(10)]
    x = np.arange(11)
    curves = {(a, f, s): {"curve": list(3.0 * 0.9 ** (x * (i + 1))), "checkpoint_every": 10, "optimum": 0.0}
              for i, a in enumerate(algorithms) for f in functions for s in range(2)}
    fig = _panel_figure(curves, algorithms, functions, 100, _colors(algorithms, algorithms[0]), algorithms[0])
    fig.canvas.draw()
    legend = fig.legends[0]
    box, page = legend.get_window_extent(), fig.bbox
    assert page.x0 <= box.x0 and box.x1 <= page.x1 and page.y0 <= box.y0 and box.y1 <= page.y1
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert box.y0 >= max(ax.get_tightbbox().y1 for ax in axes) - 1  # above every panel and its title
    assert min(t.get_fontsize() for t in legend.get_texts()) >= 9
    for ax in axes:
        assert ax.get_yscale() == "log"
        assert len(ax.yaxis.get_minorticklocs()) == 0  # decades only: no minor marks, so no minor labels
        assert any(t.get_text() for t in ax.yaxis.get_majorticklabels())
    plt.close(fig)
    assert math.isfinite(box.height)
    narrow = {(a, "f0", s): {"curve": list(500.0 + 100.0 * 0.9 ** x), "checkpoint_every": 10, "optimum": 0.0}
              for a in algorithms[:2] for s in range(2)}  # less than one decade: minor labels stay
    fig = _panel_figure(narrow, algorithms[:2], ["f0"], 100, _colors(algorithms[:2], algorithms[0]), algorithms[0])
    fig.canvas.draw()
    ax = next(ax for ax in fig.axes if ax.get_visible())
    labels = [t.get_text() for t in ax.yaxis.get_majorticklabels() + ax.yaxis.get_minorticklabels()
              if t.get_text() and ax.get_ylim()[0] <= t.get_position()[1] <= ax.get_ylim()[1]]
    assert len(labels) >= 2, labels
    plt.close(fig)
