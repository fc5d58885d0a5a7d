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

from . import stats
from .storage import load_results, read_settings

#: Columns of ``summary.csv``; the timing column is last (drop it to compare two evaluations).
SUMMARY_COLUMNS: tuple[str, ...] = ("function", "algorithm", "measure", "n", "mean", "std", "best", "median",
                                    "worst", "t_test", "t_pvalue", "rank_sum", "rank_sum_pvalue",
                                    "cpu_seconds_mean")
#: Columns of ``summary.csv`` that depend on the machine's speed, not on the seeds.
TIMING_COLUMNS: tuple[str, ...] = ("cpu_seconds_mean",)
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
        from matplotlib.ticker import NullFormatter

        ax.set_yscale("log")
        low, high = ax.get_ylim()
        if high >= 100 * low:  # labelled minor ticks crowd an axis of 2 decades or more; fewer need them
            ax.yaxis.set_minor_formatter(NullFormatter())
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
        fig, ax = plt.subplots(figsize=(6, 4.2))
        _plot_function(ax, curves, algorithms, function, iterations, colors, reference)
        ax.legend(fontsize=7, ncol=2)
        fig.tight_layout()
        fig.savefig(out / name, dpi=100)
        plt.close(fig)
    fig = _panel_figure(curves, algorithms, functions, iterations, colors, reference)
    fig.savefig(out / "convergence.png", dpi=90)
    plt.close(fig)
    return [*names, "convergence.png"]


def _panel_figure(curves: Curves, algorithms: Sequence[str], functions: Sequence[str], iterations: int,
                  colors: Mapping[str, Any], reference: str | None) -> Any:
    """All functions as panels of one figure, the legend above the grid (constrained layout keeps it in)."""
    cols = min(5, len(functions))
    nrows = math.ceil(len(functions) / cols)
    fig, axes = _pyplot().subplots(nrows, cols, figsize=(3.6 * cols, 3.0 * nrows + 0.8), squeeze=False,
                                   layout="constrained")
    for ax, function in zip(axes.flat, functions):
        _plot_function(ax, curves, algorithms, function, iterations, colors, reference)
    for ax in list(axes.flat)[len(functions) :]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper center", ncol=max(1, min(len(labels), 2 * cols)),
               fontsize=9, frameon=False)
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


# ------------------------------------------------------------------------------------------ report
def write_report(out_dir: str | os.PathLike, *, reference: str | None = None,
                 algorithms: Sequence[str] | None = None, functions: Sequence[str] | None = None,
                 runs: int | None = None, alpha: float = stats.ALPHA) -> Path:
    """Write ``summary.csv``, ``report.md`` (its path is returned) and the figures for the runs stored in
    ``out_dir`` (an output directory of :func:`evaluation.run_protocol`), removing per-function
    convergence figures of an earlier report that this one does not show.

    ``algorithms`` and ``functions`` are the record names to report, in order (default: all stored, sorted
    by name); ``reference`` the one the tests at level ``alpha`` compare against (default: the first);
    ``runs`` limits the report to seeds ``0 .. runs - 1``. ValueError when no run is stored or the
    reference has none.
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
    summary = stats.summary_rows(rows, reference, algorithms, functions, alpha)
    write_summary_csv(out / "summary.csv", summary)
    values, measure = stats.final_values(rows)
    ranks = stats.average_ranks(values, algorithms)
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
        "\nValues are errors f(x) - f* of the best point found after the last iteration"
        + (f" (best values f(x) where f* is unknown: {', '.join(unknown)})" if unknown else "")
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
         "average rank), averaged over the functions where every algorithm ran.\n\n"),
        _md_table(["algorithm", "average rank"], [[a, f"{ranks[a]:.2f}"] for a in _by_rank(ranks)]),
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
    ]
    path = out / "report.md"
    path.write_text("".join(parts))
    return path


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
    seconds per run; as wide as the longest algorithm name plus 45 columns."""
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
    return "\n".join(lines)
