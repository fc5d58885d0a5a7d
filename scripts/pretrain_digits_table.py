"""Train every architecture of the digits grid once and write the table the tabular objective ships.

    .venv/bin/python scripts/pretrain_digits_table.py [--out benchmarks_fn/data/digits_mlp.csv] [--jobs 2]

See :mod:`benchmarks_fn.tuning` for the grid, data and training settings (155 networks; about 2-4 minutes
on 2 cores).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's packages
from benchmarks_fn.tuning import TABLE_PATH, all_architectures, train_architecture


def _train(units: tuple[int, ...]) -> tuple[tuple[int, ...], float, float]:
    start = time.perf_counter()
    error = train_architecture(units)
    return units, error, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(TABLE_PATH), help="CSV to write (default: the shipped table)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    args = parser.parse_args()
    with ProcessPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(_train, all_architectures()))
    with open(args.out, "w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["units", "error", "seconds"])
        for units, error, seconds in rows:
            writer.writerow(["-".join(map(str, units)), repr(error), f"{seconds:.2f}"])
    print(f"{len(rows)} architectures, {sum(r[2] for r in rows):.0f} s of training -> {args.out}")


if __name__ == "__main__":
    main()
