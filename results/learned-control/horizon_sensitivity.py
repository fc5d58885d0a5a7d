"""Average ranks among the PSO methods when the methods with extra evaluations plan for the fixed budget.

At ``--max-evaluations 20000 --iterations 999`` the methods that spend more than N evaluations per iteration
(APSO, HMM-APSO and the es controllers: N + 1; CLSPSO: 1.2 N) stop before the end of the horizon they plan for.
Their runs with a horizon that fits the budget (951 and 832 iterations) are other output directories (other
settings, so ``evaluate.py`` cannot merge them); this replaces their runs in the fixed-budget table and ranks
again, as the report ranks (``evaluation.stats.average_ranks``: mean final error per function), and counts the
functions where ES-pretrained is significantly better / not / worse than each (Welch t-test, rank-sum test, 0.05;
``evaluation.report.test_counts``, as the report's table). Usage, from the repository root (reproduce.sh makes the directories)::

    .venv/bin/python results/learned-control/horizon_sensitivity.py runs/learned-control/eval-budget \\
        runs/learned-control/eval-budget-951 runs/learned-control/eval-budget-832
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from evaluation.report import NOT_PSO, test_counts  # noqa: E402
from evaluation.stats import average_ranks, final_values, summary_rows  # noqa: E402
from evaluation.storage import load_results  # noqa: E402


REFERENCE = "ES-pretrained"


def main(base: str, *planned: str) -> None:
    rows = load_results(base)[0]
    replaced = [r for d in planned for r in load_results(d)[0]]
    names = {r["algorithm"] for r in replaced}
    pso = sorted({r["algorithm"] for r in rows} - set(NOT_PSO))
    before = average_ranks(final_values(rows)[0], pso)
    rows = [r for r in rows if r["algorithm"] not in names] + replaced
    after = average_ranks(final_values(rows)[0], pso)
    summary = summary_rows(rows, reference=REFERENCE)
    print(f"{'algorithm':40s} {'999 planned':>12s} {'budget planned':>15s}   {REFERENCE} better / same / worse:"
          " t-test, rank-sum")
    for name in sorted(pso, key=after.get):
        counts = ["", ""] if name == REFERENCE else test_counts(summary, name, REFERENCE)
        mark = " *" if name in names else ""
        print(f"{name + mark:40s} {before[name]:12.2f} {after[name]:15.2f}   {counts[0]:>12s} {counts[1]:>12s}")
    print("* runs with a horizon that fits the budget")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(*sys.argv[1:])
