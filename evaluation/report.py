"""The evaluation report: ``summary.csv``, ``report.md`` and its figures, from an output directory.

Layouts follow the DQNPSO paper's experiment section: Table 3 (mean ± std and best per function x
algorithm), Table 4 (t-test codes against the reference, with counts per algorithm; here with the
Wilcoxon rank-sum codes beside it), Figure 4 (box plot of CPU seconds per algorithm) and Figure 5
(convergence per function).
"""

from __future__ import annotations

import csv
import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import anytime, stats
from .storage import load_results, read_settings

#: Columns of ``summary.csv``; the timing column is last (drop it to compare two evaluations).
SUMMARY_COLUMNS: tuple[str, ...] = ("function", "algorithm", "measure", "n", "mean", "std", "best", "median",
                                    "worst", "t_test", "t_pvalue", "rank_sum", "rank_sum_pvalue",
                                    "cpu_seconds_mean")
#: Columns of ``summary.csv`` that depend on the machine's speed, not on the seeds.
TIMING_COLUMNS: tuple[str, ...] = ("cpu_seconds_mean",)
#: Record names of the baselines that are not PSO (left out of the report's "among PSO methods" ranks).
NOT_PSO: tuple[str, ...] = ("CMA-ES", "RandomSearch")
#: Floor of errors on log-scale plots (an error can be 0).
LOG_FLOOR = 1e-16

Curves = Mapping[tuple[str, str, int], Mapping[str, Any]]


def _fmt(value: Any) -> str:
    """``%.2e`` for numbers (``nan`` for missing), as in the paper's tables."""
    missing = value is None or (isinstance(value, float) and math.isnan(value))
    return "nan" if missing else f"{float(value):.2e}"


def _code(value: int | None) -> str:
    return "" if value is None else f"{value:+d}" if value else "0"


def _slug(name: str) -> str:
    """A file-name-safe form of a function name (``bbob:f1`` -> ``bbob_f1``)."""
    return re.sub(r"[^A-Za-z0-9.-]+", "_", name).strip("_") or "function"


def write_summary_csv(path: str | os.PathLike, summary: Sequence[Mapping[str, Any]]) -> None:
    """Write :func:`evaluation.stats.summary_rows` output with the columns of :data:`SUMMARY_COLUMNS`."""
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=SUMMARY_COLUMNS, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows({k: "" if r.get(k) is None else r[k] for k in SUMMARY_COLUMNS} for r in summary)


# ------------------------------------------------------------------------------------------ tables
def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows]) + "\n"


def _cells(summary: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str], Mapping[str, Any]]:
    return {(r["function"], r["algorithm"]): r for r in summary}


def accuracy_table(summary: Sequence[Mapping[str, Any]], algorithms: Sequence[str],
                   functions: Sequence[str]) -> str:
    """Table 3 layout: per function a "mean ± std" row and a "best" row; the lowest mean in bold."""
    cells = _cells(summary)
    rows: list[list[str]] = []
    for function in functions:
        own = [cells.get((function, a)) for a in algorithms]
        finite = [c["mean"] for c in own if c is not None and not math.isnan(c["mean"])]
        best_mean = min(finite) if finite else None
        mean_row, best_row = [function, "mean ± std"], ["", "best"]
        for cell in own:
            text = "" if cell is None else f"{_fmt(cell['mean'])} ± {_fmt(cell['std'])}"
            mean_row.append(f"**{text}**" if cell is not None and cell["mean"] == best_mean else text)
            best_row.append("" if cell is None else _fmt(cell["best"]))
        rows += [mean_row, best_row]
    return _md_table(["Function", "", *algorithms], rows)


def codes_table(summary: Sequence[Mapping[str, Any]], algorithms: Sequence[str], functions: Sequence[str],
                test: str) -> str:
    """Table 4 layout for ``test`` (``"t_test"`` or ``"rank_sum"``): codes, then counts per algorithm."""
    cells = _cells(summary)
    rows = [[f, *(_code(cells[(f, a)][test]) if (f, a) in cells else "" for a in algorithms)]
            for f in functions]
    for code, label in ((1, "+1 (better)"), (0, "0 (same)"), (-1, "-1 (worse)")):
        counts = [sum((f, a) in cells and cells[(f, a)][test] == code for f in functions) for a in algorithms]
        rows.append([f"**{label}**", *map(str, counts)])
    return _md_table(["Function", *algorithms], rows)


# ------------------------------------------------------------------------------------------ figures
def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _colors(algorithms: Sequence[str], reference: str | None) -> dict[str, Any]:
    """Red for the reference, the other algorithms in palette order (tab10's red left out)."""
    palette = _pyplot().get_cmap("tab10" if len(algorithms) <= 10 else "tab20").colors
    others = [c for c in palette if c != palette[3]]
    colors, i = {}, 0
    for a in algorithms:
        colors[a] = "red" if a == reference else others[i % len(others)]
        i += a != reference
    return colors


def _curve_stack(curves: Curves, algorithm: str, function: str,
                 iterations: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Iterations and (seeds x checkpoints) errors (values where f* is unknown) of one cell."""
    entries = [e for (a, f, _), e in sorted(curves.items()) if a == algorithm and f == function]
    if not entries:
        return None
    length = min(len(e["curve"]) for e in entries)
    data = np.array([e["curve"][:length] for e in entries], dtype=float)
    optimum = entries[0].get("optimum")
    if optimum is not None:
        data = np.maximum(data - float(optimum), 0.0)  # rounding can put a value below f*
    return np.minimum(np.arange(length) * int(entries[0]["checkpoint_every"]), iterations), data


_SUPERSCRIPT = str.maketrans("-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079")


def _decade_label(value: float, _position: int | None = None) -> str:
    """``10⁻⁴`` for 1e-4, in plain text: the look of matplotlib's default log labels without a mathtext parse per
    label (BENCHMARKS 18); a value between decades gets ``2×10¹``."""
    if value <= 0 or not math.isfinite(value):
        return ""
    log = math.log10(value)
    exponent = round(log) if abs(log - round(log)) < 1e-6 else math.floor(log)
    mantissa = value / 10.0**exponent
    decade = "10" + str(exponent).translate(_SUPERSCRIPT)
    return decade if abs(mantissa - 1.0) < 1e-6 else f"{mantissa:g}\u00d7{decade}"


def _decades_only(axis: Any) -> None:
    """Labels a log ``axis`` with :func:`_decade_label`, and leaves out its minor ticks where it spans two decades
    or more: labels at the decades suffice there, and the unlabelled minor marks cost a third of a figure's
    drawing (BENCHMARKS 17). Shorter axes keep them."""
    from matplotlib.ticker import FuncFormatter, NullLocator

    axis.set_major_formatter(FuncFormatter(_decade_label))
    low, high = sorted(axis.get_view_interval())
    if high >= 100 * low:
        axis.set_minor_locator(NullLocator())


def _plot_function(ax: Any, curves: Curves, algorithms: Sequence[str], function: str, iterations: int,
                   colors: Mapping[str, Any], reference: str | None) -> None:
    log = all(e.get("optimum") is not None for (_, f, _), e in curves.items() if f == function)
    for a in algorithms:  # raw values (f* unknown) may be negative: linear scale
        stack = _curve_stack(curves, a, function, iterations)
        if stack is None:
            continue
        x, data = stack
        q1, median, q3 = np.percentile(np.maximum(data, LOG_FLOOR) if log else data, [25, 50, 75], axis=0)
        main = a == reference
        ax.plot(x, median, color=colors[a], lw=2.0 if main else 1.2, label=a, zorder=3 if main else 2)
        ax.fill_between(x, q1, q3, color=colors[a], alpha=0.15, lw=0)
    if log:
        ax.set_yscale("log")
        _decades_only(ax.yaxis)
    ax.set(title=function, xlabel="iteration", ylabel="best error" if log else "best value")
    ax.grid(True, which="major", alpha=0.3)


def plot_convergence(curves: Curves, algorithms: Sequence[str], functions: Sequence[str], iterations: int,
                     out_dir: str | os.PathLike, reference: str | None = None) -> list[str]:
    """Figure 5 layout: median best error against iterations with the interquartile band, log y.

    Writes ``convergence_<function>.png`` per function and ``convergence.png`` with all functions as
    panels and one legend above them, and returns those names (the panel figure last). Errors are
    clipped to :data:`LOG_FLOOR`; where f* is unknown the raw best values are drawn on a linear scale.
    """
    plt, out = _pyplot(), Path(out_dir)
    colors = _colors(algorithms, reference)
    names = [f"convergence_{_slug(function)}.png" for function in functions]
    for function, name in zip(functions, names):
        fig = _function_figure(curves, algorithms, function, iterations, colors, reference)
        fig.savefig(out / name, dpi=100)
        plt.close(fig)
    fig = _panel_figure(curves, algorithms, functions, iterations, colors, reference)
    fig.savefig(out / "convergence.png", dpi=90)
    plt.close(fig)
    return [*names, "convergence.png"]


#: Fixed room around each panel's axes, inches: the y tick labels and label (up to seven-character labels, e.g.
#: -500000: larger values get matplotlib's offset text), the x tick labels and label, the title. Fixed rather than
#: measured by a layout engine, which lays every text out once more per figure (BENCHMARKS 18).
_LEFT_IN, _RIGHT_IN, _BOTTOM_IN, _TITLE_IN = 1.0, 0.15, 0.55, 0.35


def _place_grid(fig: Any, nrows: int, cols: int, top: float) -> None:
    """Lays out ``fig``'s nrows x cols axes with the fixed margins above and ``top`` inches over the first row."""
    width, height = fig.get_size_inches()
    gap_w, gap_h = _RIGHT_IN + _LEFT_IN, _BOTTOM_IN + _TITLE_IN  # a panel's right margin, the next one's left
    axes_w = (width - _LEFT_IN - _RIGHT_IN - (cols - 1) * gap_w) / cols
    axes_h = (height - _BOTTOM_IN - top - (nrows - 1) * gap_h) / nrows
    fig.subplots_adjust(left=_LEFT_IN / width, right=1 - _RIGHT_IN / width, bottom=_BOTTOM_IN / height,
                        top=1 - top / height, wspace=gap_w / axes_w, hspace=gap_h / axes_h)


def _legend_room(labels: int, ncol: int, fontsize: float) -> float:
    """Inches that a figure legend of ``labels`` entries in ``ncol`` columns takes above the panels."""
    return 0.1 + math.ceil(labels / ncol) * fontsize * 1.8 / 72


def _legend_above(fig: Any, ax: Any, ncol: int, fontsize: float) -> None:
    """``ax``'s entries as one legend across the top of ``fig``, in the room :func:`_legend_room` left."""
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 1.0), ncol=ncol, fontsize=fontsize,
               frameon=False, borderaxespad=0.3)


def _function_figure(curves: Curves, algorithms: Sequence[str], function: str, iterations: int,
                     colors: Mapping[str, Any], reference: str | None) -> Any:
    """One function's figure, its legend inside the axes."""
    fig, ax = _pyplot().subplots(figsize=(6, 4.2))
    _plot_function(ax, curves, algorithms, function, iterations, colors, reference)
    ax.legend(fontsize=7, ncol=2)
    _place_grid(fig, 1, 1, top=_TITLE_IN)
    return fig


def _panel_figure(curves: Curves, algorithms: Sequence[str], functions: Sequence[str], iterations: int,
                  colors: Mapping[str, Any], reference: str | None) -> Any:
    """All functions as panels of one figure, the legend above the grid (its rows get their own room)."""
    cols = min(5, len(functions))
    nrows = math.ceil(len(functions) / cols)
    ncol = max(1, min(len(algorithms), 2 * cols))
    legend_in = _legend_room(len(algorithms), ncol, 9)
    fig, axes = _pyplot().subplots(nrows, cols, figsize=(3.6 * cols, 3.0 * nrows + legend_in), squeeze=False)
    for ax, function in zip(axes.flat, functions):
        _plot_function(ax, curves, algorithms, function, iterations, colors, reference)
    for ax in list(axes.flat)[len(functions) :]:
        ax.set_visible(False)
    _place_grid(fig, nrows, cols, top=legend_in + _TITLE_IN)
    _legend_above(fig, axes.flat[0], ncol, 9)
    return fig


def plot_cpu_time(rows: Sequence[Mapping[str, Any]], algorithms: Sequence[str], out_dir: str | os.PathLike,
                  reference: str | None = None) -> str:
    """Figure 4 layout: CPU seconds per run for each algorithm (all functions pooled).

    Grey dots are the runs, blue boxes the interquartile range with the median, red lines the means.
    The y axis is logarithmic when the times span more than two decades. Writes ``cpu_time.png``.
    """
    plt = _pyplot()
    data = [np.array([float(r["cpu_seconds"]) for r in rows if r["algorithm"] == a]) for a in algorithms]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.8 * len(algorithms) + 2), 4.5))
    rng = np.random.default_rng(0)  # jitter only
    for i, d in enumerate(data, start=1):
        if d.size:
            ax.scatter(i + rng.uniform(-0.15, 0.15, d.size), d, s=6, color="grey", alpha=0.6, zorder=1)
            ax.hlines(d.mean(), i - 0.3, i + 0.3, color="red", lw=2, zorder=3)
    ax.boxplot([d if d.size else [np.nan] for d in data], widths=0.5, showfliers=False, patch_artist=True,
               boxprops={"facecolor": (0.3, 0.5, 0.9, 0.35), "edgecolor": "tab:blue"},
               medianprops={"color": "tab:blue"}, zorder=2)
    ax.set_xticks(range(1, len(algorithms) + 1), algorithms, rotation=30, ha="right")
    positive = np.concatenate([d[d > 0] for d in data]) if data else np.array([])
    if positive.size and positive.max() / positive.min() > 100:
        ax.set_yscale("log")
    ax.set(ylabel="CPU seconds per run", title="CPU time per run (grey: runs, box: IQR, red: mean)")
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(Path(out_dir) / "cpu_time.png", dpi=100)
    plt.close(fig)
    return "cpu_time.png"


# ------------------------------------------------------------------------------------------ anytime views
Traces = dict[tuple[str, str], list[tuple[np.ndarray, np.ndarray, float, int]]]


def anytime_traces(rows: Sequence[Mapping[str, Any]], curves: Curves, iterations: int) -> tuple[Traces, bool]:
    """``(algorithm, function) -> [(evaluations, errors, budget, dim), ...]`` per run of the functions with a
    known f* (:func:`evaluation.anytime.run_trace`), and whether every trace is exact (improvements stored)."""
    traces: Traces = {}
    exact = True
    for row in rows:
        entry = curves[(row["algorithm"], row["function"], row["seed"])]
        if entry.get("optimum") is None:
            continue
        e, v, known = anytime.run_trace(row, entry, iterations)
        exact &= known
        traces.setdefault((row["algorithm"], row["function"]), []).append(
            (e, v - float(entry["optimum"]), float(row["evaluations"]), int(row["dim"])))
    return traces, exact


def _groups(functions: Sequence[str]) -> list[tuple[str, list[str]]]:
    """("all functions", all), then the unimodal and multimodal ones where there are any."""
    groups = [("all functions", list(functions))]
    for label in ("unimodal", "multimodal"):
        members = [f for f in functions if anytime.function_group(f) == label]
        if members:
            groups.append((f"{label} ({len(members)})", members))
    return groups


def plot_anytime(traces: Traces, algorithms: Sequence[str], functions: Sequence[str], budget: float,
                 out_dir: str | os.PathLike, reference: str | None = None) -> tuple[str, str]:
    """COCO's fixed-target runtime ECDF over :data:`evaluation.anytime.COCO_TARGETS` against evaluations / D
    (``ecdf_runtime.png``) and the fixed-budget ECDF of the error after ``budget`` evaluations
    (``ecdf_budget.png``), one panel per function group, every algorithm on each; their names."""
    plt, colors = _pyplot(), _colors(algorithms, reference)
    groups = _groups(functions)
    names = ("ecdf_runtime.png", "ecdf_budget.png")
    ncol = max(1, min(len(algorithms), 6))
    legend_in = _legend_room(len(algorithms), ncol, 8)
    for name in names:
        fig, axes = plt.subplots(1, len(groups), figsize=(4.4 * len(groups), 3.6 + legend_in), squeeze=False)
        for ax, (label, members) in zip(axes[0], groups):
            for a in algorithms:
                runs = {f: traces[(a, f)] for f in members if (a, f) in traces}
                if not runs:
                    continue
                if name == names[0]:
                    times = {f: np.array([anytime.hitting_times(e, v, anytime.COCO_TARGETS) for e, v, _, _ in r])
                             for f, r in runs.items()}
                    x, y = anytime.runtime_ecdf(times, {f: r[0][3] for f, r in runs.items()})
                    end = max(b / d for r in runs.values() for _, _, b, d in r)
                    ax.step(np.r_[x, end], np.r_[y, y[-1] if y.size else 0.0], where="post", color=colors[a],
                            label=a, lw=2.0 if a == reference else 1.2)
                else:
                    final = {f: np.array([anytime.value_at(e, v, budget) for e, v, _, _ in r]) for f, r in runs.items()}
                    y = np.mean([np.mean(err[:, None] <= anytime.COCO_TARGETS, axis=0) for err in final.values()], axis=0)
                    ax.step(anytime.COCO_TARGETS, y, where="post", color=colors[a], label=a,
                            lw=2.0 if a == reference else 1.2)
            ax.set_xscale("log")
            _decades_only(ax.xaxis)
            if name == names[0]:
                ax.set(xlabel="evaluations / D", ylabel="fraction of (run, target) pairs")
            else:
                ax.invert_xaxis()
                ax.set(xlabel=f"target error after {budget:.0f} evaluations", ylabel="fraction of runs")
            ax.set(title=label, ylim=(-0.02, 1.02))
            ax.grid(True, alpha=0.3)
        _place_grid(fig, 1, len(groups), top=legend_in + _TITLE_IN)
        _legend_above(fig, axes[0][0], ncol, 8)
        fig.savefig(Path(out_dir) / name, dpi=90)
        plt.close(fig)
    return names


def ert_table(traces: Traces, algorithms: Sequence[str], functions: Sequence[str], target: float) -> str:
    """ERT in evaluations to error ``target`` per function x algorithm, with successes / runs."""
    rows = []
    for f in functions:
        cells = []
        for a in algorithms:
            runs = traces.get((a, f), [])
            value, hits = anytime.ert([anytime.hitting_times(e, v, [target])[0] for e, v, _, _ in runs],
                                      [b for _, _, b, _ in runs])
            cells.append(f"{value:.3g} ({hits}/{len(runs)})" if runs else "")
        rows.append([f, *cells])
    return _md_table(["Function", *algorithms], rows)


def _anytime_part(rows: Sequence[Mapping[str, Any]], curves: Curves, algorithms: Sequence[str],
                  functions: Sequence[str], settings: Mapping[str, Any], out: Path, reference: str) -> list[str]:
    traces, exact = anytime_traces(rows, curves, int(settings.get("iterations") or 0))
    known = [f for f in functions if any((a, f) in traces for a in algorithms)]
    if not known:
        for stale in ("ecdf_runtime.png", "ecdf_budget.png"):
            (out / stale).unlink(missing_ok=True)
        return ["\n## Anytime performance\n\nNo function with a known f*: no targets to reach.\n"]
    budget = min(b for runs in traces.values() for _, _, b, _ in runs)
    runtime, fixed = plot_anytime(traces, algorithms, known, budget, out, reference)
    how = ("every improvement at its evaluation count (exact hitting times)" if exact else
           f"the stored checkpoints only (every {settings.get('checkpoint_every', '?')} iterations; these runs "
           "predate the recorded improvements): a hitting time is the first checkpoint at or below the "
           "target, an upper bound, with evaluations counted as (t + 1) / (T + 1) of the run's total "
           "(exact for PSO rules, CMA-ES and random search, interpolated for APSO's extra evaluations); "
           "a re-run records the exact ones")
    groups = "; ".join(f"{label}: {', '.join(m)}" for label, m in _groups(known)[1:])
    parts = [
        "\n## Anytime performance (COCO / IOHprofiler views)\n\n"
        f"From {how}. Budgets are function evaluations. Functions with a known f*: {', '.join(known)}"
        + (f" ({groups})" if groups else "") + ".\n\n"
        "**Fixed-target runtime ECDF** (COCO): for 51 targets of the error from 1e2 to 1e-8 (5 per decade), "
        "the fraction of (function, run, target) triples reached within x evaluations / D, every function "
        "weighing the same; a run that misses a target never counts it (no restarts are simulated).\n\n"
        f"![Runtime ECDF]({runtime})\n\n"
        f"**Fixed-budget ECDF** at {budget:.0f} evaluations (the smallest budget any run used, so that runs with "
        "extra evaluations are compared at the same cost): the fraction of runs whose error after that many "
        "evaluations is at most the target on the x axis.\n\n"
        f"![Fixed-budget ECDF]({fixed})\n\n"
        "**Expected running time** (COCO): ERT = (evaluations of all runs until each reached the target, "
        "the whole budget for a run that did not) / successes, in evaluations; (successes/runs) beside it, "
        "inf without success.\n",
    ]
    for target in anytime.ERT_TARGETS:
        parts += [f"\n### ERT to error {target:g}\n\n", ert_table(traces, algorithms, known, target)]
    return parts


# ------------------------------------------------------------------------------------------ report
def write_report(out_dir: str | os.PathLike, *, reference: str | None = None,
                 algorithms: Sequence[str] | None = None, functions: Sequence[str] | None = None,
                 runs: int | None = None, alpha: float = stats.ALPHA, error_floor: float = 0.0) -> Path:
    """Write ``summary.csv``, ``report.md`` (its path is returned) and the figures for the runs stored in
    ``out_dir`` (an output directory of :func:`evaluation.run_protocol`), removing per-function
    convergence figures of an earlier report that this one does not show.

    ``algorithms`` and ``functions`` are the record names to report, in order (default: all stored, sorted
    by name); ``reference`` the one the tests at level ``alpha`` compare against (default: the first);
    ``runs`` limits the report to seeds ``0 .. runs - 1``; ``error_floor``: errors below it count as 0 in the
    final-value tables, tests and ranks and in ``summary.csv`` (:func:`evaluation.stats.final_values`); the anytime
    views and figures, and ``runs.csv``, keep every error. ValueError when no run is stored, the reference has
    none, or the floor is not a finite number >= 0.
    """
    out = Path(out_dir)
    rows, curves = load_results(out)
    algorithms = list(algorithms or sorted({r["algorithm"] for r in rows}, key=str.lower))
    functions = list(functions or sorted({r["function"] for r in rows}, key=str.lower))

    def keep(a: str, f: str, s: int) -> bool:
        return a in algorithms and f in functions and (runs is None or s < runs)

    rows = [r for r in rows if keep(r["algorithm"], r["function"], r["seed"])]
    curves = {k: v for k, v in curves.items() if keep(*k)}
    if not rows:
        raise ValueError(f"no finished runs in {out}")
    reference = reference or algorithms[0]
    if reference not in {r["algorithm"] for r in rows}:
        raise ValueError(f"the reference {reference!r} has no runs in {out}")
    settings = read_settings(out)
    summary = stats.summary_rows(rows, reference, algorithms, functions, alpha, error_floor)
    write_summary_csv(out / "summary.csv", summary)
    values, measure = stats.final_values(rows, error_floor)
    ranks = stats.average_ranks(values, algorithms)
    pso = [a for a in algorithms if a not in NOT_PSO]
    split = bool(pso) and len(pso) < len(algorithms)  # a column of ranks among the PSO methods alone
    pso_ranks = stats.average_ranks(values, pso) if split else {}
    iterations = int(settings.get("iterations") or max(len(e["curve"]) for e in curves.values()))
    convergence = plot_convergence(curves, algorithms, functions, iterations, out, reference)
    for stale in set(out.glob("convergence_*.png")) - {out / name for name in convergence}:
        stale.unlink()  # a figure of an earlier report that this one does not show
    cpu_plot = plot_cpu_time(rows, algorithms, out, reference)

    others = [a for a in algorithms if a != reference]
    seeds = sorted({r["seed"] for r in rows})
    unknown = [f for f in functions if measure.get(f) == "best_value"]
    cpu = {a: [r["cpu_seconds"] for r in rows if r["algorithm"] == a] for a in algorithms}
    parts = [
        "# Evaluation report\n\n## Settings\n\n",
        _md_table(["setting", "value"], [[k, f"`{v}`"] for k, v in settings.items()]),
        (f"\nAlgorithms: {', '.join(algorithms)}. Reference: **{reference}**. "
         f"Functions: {', '.join(functions)}. Runs per cell: {len(seeds)} (seeds {_seed_text(seeds)}); "
         f"{len(rows)} runs in all.\n"),
        "\nValues are errors f(x) - f* of the best point found "
        + (f"in the first {settings['max_evaluations']} evaluations (the fixed budget: a run stops once it has made "
           "them)" if settings.get("max_evaluations") else "after the last iteration")
        + (f" (best values f(x) where f* is unknown: {', '.join(unknown)})" if unknown else "")
        + (f"; errors below {error_floor:g} count as 0 in the tables, tests and ranks below (best values, where f* is "
           "unknown, are not floored; the anytime views, the figures and runs.csv keep every error)"
           if error_floor > 0 else "")
        + "; lower is better. Per-cell statistics are in [summary.csv](summary.csv).\n",
        "\n## Solution accuracy (Table 3 layout)\n\nLowest mean per function in bold.\n\n",
        accuracy_table(summary, algorithms, functions),
        (f"\n## Statistical tests against {reference} (Table 4 layout)\n\n"
         f"Two-sided tests at alpha = {alpha:g} on the final values: +1 {reference} is significantly better, "
         f"0 no significant difference, -1 {reference} is significantly worse.\n"),
        "\n### Welch t-test\n\n",
        codes_table(summary, others, functions, "t_test"),
        "\n### Wilcoxon rank-sum test (Mann-Whitney U)\n\n",
        codes_table(summary, others, functions, "rank_sum"),
        ("\n## Average rank\n\nRank of the mean final value on each function (1 = best, ties share the "
         "average rank), averaged over the functions where every algorithm ran"
         + (f"; also among the PSO methods alone (without {', '.join(a for a in algorithms if a not in pso)})"
            if split else "")
         + f". Counts: functions where {reference} is significantly better (+1), not (0), worse (-1).\n\n"),
        _md_table(["algorithm", "average rank", *(["among PSO methods"] if split else []),
                   "t-test +1 / 0 / -1", "rank-sum +1 / 0 / -1"],
                  [[a, f"{ranks[a]:.2f}", *([f"{pso_ranks[a]:.2f}" if a in pso_ranks else ""] if split else []),
                    *test_counts(summary, a, reference)] for a in _by_rank(ranks)]),
        "\n## CPU time (Figure 4 layout)\n\n",
        _md_table(["algorithm", "mean CPU s per run"],
                  [[a, f"{np.mean(t):.3g}"] for a, t in cpu.items() if t]),
        f"\n![CPU seconds per run]({cpu_plot})\n",
        ("\n## Convergence (Figure 5 layout)\n\nMedian over the runs of the best-so-far error against the "
         f"iteration, with the interquartile band; log scale, errors clipped at {LOG_FLOOR:g} (an error of 0 "
         f"is drawn at {LOG_FLOOR:g}). For CMA-ES and random search iteration t means "
         f"{settings.get('swarm_size', 'N')} (t + 1) evaluations, what the swarm has used after t "
         "iterations.\n\n"),
        f"![Convergence on all functions]({convergence[-1]})\n\n",
        *(f"![Convergence on {f}]({name})\n" for f, name in zip(functions, convergence)),
        *_anytime_part(rows, curves, algorithms, functions, settings, out, reference),
    ]
    path = out / "report.md"
    path.write_text("".join(parts))
    return path


def test_counts(summary: Sequence[Mapping[str, Any]], algorithm: str, reference: str) -> list[str]:
    """The t-test and rank-sum counts ``"+1 / 0 / -1"`` of ``reference`` against ``algorithm`` over the functions of
    ``summary`` (:func:`evaluation.stats.summary_rows` or ``summary.csv`` rows); ``"(reference)"`` twice for itself."""
    if algorithm == reference:
        return ["(reference)", "(reference)"]
    out = []
    for test in ("t_test", "rank_sum"):
        codes = [str(r[test]) for r in summary if r["algorithm"] == algorithm and r[test] not in ("", None)]
        out.append(" / ".join(str(codes.count(v)) for v in ("1", "0", "-1")))
    return out


def _by_rank(ranks: Mapping[str, float]) -> list[str]:
    """Algorithms by average rank, nan last."""
    return sorted(ranks, key=lambda a: (math.isnan(ranks[a]), ranks[a]))


def _seed_text(seeds: Sequence[int]) -> str:
    if seeds and list(seeds) == list(range(seeds[0], seeds[-1] + 1)):
        return f"{seeds[0]}-{seeds[-1]}" if len(seeds) > 1 else str(seeds[0])
    return ", ".join(map(str, seeds))


def console_summary(out_dir: str | os.PathLike, *, reference: str, algorithms: Sequence[str],
                    functions: Sequence[str]) -> str:
    """A terminal table from ``summary.csv`` (:func:`write_report`), one row per algorithm by average rank:
    the rank, the t-test counts of Table 4 (+1: ``reference`` significantly better, 0, -1) and the CPU
    seconds per run; as wide as the longest algorithm name plus 45 columns; a last line names an error floor
    the summary was written with."""
    with open(Path(out_dir) / "summary.csv", newline="") as f:
        cells = {(r["function"], r["algorithm"]): r for r in csv.DictReader(f)}
    means = {f: {a: np.array([float(cells[(f, a)]["mean"] or "nan")]) for a in algorithms if (f, a) in cells}
             for f in functions}
    ranks = stats.average_ranks(means, algorithms)
    width = max(9, *(len(a) for a in algorithms))
    lines = [
        f"Average rank of the mean final value on {len(functions)} function(s) (1 = best). t-test: functions",
        f"where {reference} is significantly better (+1), not (0), or worse (-1) (Welch, 0.05).",
        "",
        f"{'algorithm'.ljust(width)}  avg rank   t-test  +1 /  0 / -1   CPU s/run",
    ]
    for a in _by_rank(ranks):
        own = [cells[(f, a)] for f in functions if (f, a) in cells]
        codes = [c["t_test"] for c in own]
        counts = "(reference)".rjust(20) if a == reference else "{:>10} / {:>2} / {:>2}".format(
            *(codes.count(v) for v in ("1", "0", "-1")))
        cpu = np.mean([float(c["cpu_seconds_mean"]) for c in own]) if own else math.nan
        lines.append(f"{a.ljust(width)}  {ranks[a]:8.2f}   {counts}   {cpu:9.3g}")
    floored = sorted({c["measure"] for c in cells.values()} - {"error", "best_value"})  # stats.summary_rows' label
    lines += [f"Final values: {m}." for m in floored]
    return "\n".join(lines)
