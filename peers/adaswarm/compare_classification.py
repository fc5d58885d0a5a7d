"""AdaSwarm (ours, pso_env.optim) against Adam, SGD, RMSProp and the official ``adaswarm`` package, side by side.

Table 2 of results/adaswarm: an MLP with one hidden layer of 10 units (ReLU) on the three data sets
scikit-learn ships (Iris, Wine, breast cancer), with MSE, MAE and cross-entropy losses, 10 seeds, 50
epochs (100 for MAE), test accuracy mean and std. Mohapatra et al. (2022) Tables IV-V give (Adam /
AdaSwarm, MSE): Iris 98.22 / 98.22, Wine 76.78 / 93.07, breast cancer 84.82 / 85.55; MAE: Iris 77.77 / 88.22.

Our choices (the paper does not give them): a stratified 80/20 split per seed, features standardised on
the training part, batch 32, learning rate 0.01 for Adam, RMSProp, AdaSwarm and the official package's
Adam, 0.1 for SGD (no momentum); MSE and MAE compare the raw outputs with one-hot targets, cross-entropy
takes the logits; the prediction is the arg-max output. Each (data set, seed) starts every optimizer from
the same initial network.

- ``AdaSwarm``: :class:`pso_env.optim.AdaSwarm` with :class:`pso_env.optim.SwarmGradLoss` (its defaults:
  10 particles, 40 EMPSO iterations, c1 = 0.8, c2 = 0.9, beta = 0.9, eta = 0.1).
- ``adaswarm-0.3.0``: the official package's general loss wrapper ``adaswarm.nn.SwarmLoss`` (its
  defaults: 20 particles, 40 PSO iterations, inertia 0.7, c1 = c2 = 1.5, swarm centred on the targets,
  gradient ``(y - g) / batch``) with ``torch.optim.Adam``, as its README prescribes. It needs elementwise
  losses: ``(p - y)^2``, ``|p - y|`` and ``-y log_softmax(p)`` against one-hot targets (the mean of the
  last is cross-entropy / classes). Its rows are left out when the package is not importable.

Run (the official package lives in its own virtual environment, see peers/adaswarm/README.md):
    OMP_NUM_THREADS=1 PYTHONPATH=. /work/peers-venvs/adaswarm/bin/python peers/adaswarm/compare_classification.py
Options: --seeds 10 --epochs 50 --out results/adaswarm/classification.csv --datasets iris,wine,breast-cancer
(``--datasets`` splits the work over processes; ``--table A.csv B.csv`` prints the table of such parts).
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_breast_cancer, load_iris, load_wine
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from pso_env.optim import AdaSwarm, SwarmGradLoss

try:
    import adaswarm.nn as official
except ImportError:  # not a dependency of this project
    official = None

DATASETS = {"iris": load_iris, "wine": load_wine, "breast-cancer": load_breast_cancer}
LOSSES = ("mse", "mae", "ce")
BATCH, LR, SGD_LR, HIDDEN = 32, 0.01, 0.1, 10
PAPER = {("iris", "mse"): (98.22, 98.22), ("wine", "mse"): (76.78, 93.07),
         ("breast-cancer", "mse"): (84.82, 85.55), ("iris", "mae"): (77.77, 88.22)}
TORCH_LOSS = {"mse": torch.nn.MSELoss, "mae": torch.nn.L1Loss, "ce": torch.nn.CrossEntropyLoss}
ELEMENTWISE = {"mse": lambda p, y: (p - y) ** 2, "mae": lambda p, y: (p - y).abs(),
               "ce": lambda p, y: -y * torch.log_softmax(p, dim=-1)}


def optimizers() -> list[str]:
    return ["Adam", "SGD", "RMSProp", "AdaSwarm"] + (["adaswarm-0.3.0"] if official is not None else [])


def train(name: str, loss: str, data: tuple, init: dict, classes: int, epochs: int, seed: int) -> float:
    """Test accuracy (%) after training a copy of the initial network with optimizer ``name``."""
    xtr, ytr, xte, yte = data
    net = torch.nn.Sequential(torch.nn.Linear(xtr.shape[1], HIDDEN), torch.nn.ReLU(), torch.nn.Linear(HIDDEN, classes))
    net.load_state_dict(init)
    onehot = torch.eye(classes)
    as_target = (lambda y: y) if loss == "ce" else (lambda y: onehot[y])
    criterion = TORCH_LOSS[loss]()
    if name == "Adam":
        opt = torch.optim.Adam(net.parameters(), lr=LR)
    elif name == "SGD":
        opt = torch.optim.SGD(net.parameters(), lr=SGD_LR)
    elif name == "RMSProp":
        opt = torch.optim.RMSprop(net.parameters(), lr=LR)
    elif name == "AdaSwarm":
        opt, criterion = AdaSwarm(net.parameters(), lr=LR), SwarmGradLoss(criterion, seed=seed)
    else:
        opt = torch.optim.Adam(net.parameters(), lr=LR)
        criterion = official.SwarmLoss(ELEMENTWISE[loss], seed=seed, device=torch.device("cpu"))
        as_target = onehot.__getitem__  # elementwise losses take one-hot targets
    order = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        perm = torch.randperm(len(xtr), generator=order)
        for i in range(0, len(xtr), BATCH):
            idx = perm[i:i + BATCH]
            opt.zero_grad()
            criterion(net(xtr[idx]), as_target(ytr[idx])).backward()
            opt.step()
    with torch.no_grad():
        return 100.0 * float((net(xte).argmax(dim=1) == yte).float().mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=50, help="epochs (twice as many for MAE)")
    parser.add_argument("--out", default="results/adaswarm/classification.csv")
    parser.add_argument("--datasets", default=",".join(DATASETS), help="comma-separated subset of " + ", ".join(DATASETS))
    parser.add_argument("--table", nargs="*", metavar="CSV", help="only print the table of these CSV files")
    args = parser.parse_args()
    if args.table:
        rows = []
        for name in args.table:
            with open(name, newline="") as fh:
                rows += list(csv.DictReader(fh))
        print(table([{**r, "test_accuracy": float(r["test_accuracy"])} for r in rows]))
        return
    torch.set_num_threads(1)
    rows = []
    for dname in args.datasets.split(","):
        x, y = DATASETS[dname](return_X_y=True)
        classes = int(y.max()) + 1
        for seed in range(args.seeds):
            xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.2, stratify=y, random_state=seed)
            scaler = StandardScaler().fit(xtr)
            data = (torch.tensor(scaler.transform(xtr), dtype=torch.float32), torch.tensor(ytr),
                    torch.tensor(scaler.transform(xte), dtype=torch.float32), torch.tensor(yte))
            torch.manual_seed(seed)
            init = torch.nn.Sequential(torch.nn.Linear(x.shape[1], HIDDEN), torch.nn.ReLU(),
                                       torch.nn.Linear(HIDDEN, classes)).state_dict()
            for loss in LOSSES:
                epochs = args.epochs * (2 if loss == "mae" else 1)
                for name in optimizers():
                    t0 = time.perf_counter()
                    acc = train(name, loss, data, init, classes, epochs, seed)
                    rows.append({"dataset": dname, "loss": loss, "optimizer": name, "seed": seed, "epochs": epochs,
                                 "test_accuracy": acc, "seconds": round(time.perf_counter() - t0, 3)})
            print(dname, seed, flush=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(table(rows))


def table(rows: list[dict]) -> str:
    """Markdown: test accuracy mean ± std (%) per data set and loss, one column per optimizer."""
    names = list(dict.fromkeys(r["optimizer"] for r in rows))
    lines = ["| data set | loss | " + " | ".join(names) + " | paper Adam / AdaSwarm |",
             "|---|---|" + "---|" * (len(names) + 1)]
    for dname in [d for d in DATASETS if any(r["dataset"] == d for r in rows)]:
        for loss in LOSSES:
            cells = []
            for name in names:
                acc = np.array([r["test_accuracy"] for r in rows
                                if (r["dataset"], r["loss"], r["optimizer"]) == (dname, loss, name)])
                cells.append(f"{acc.mean():.2f} ± {acc.std(ddof=1):.2f}" if acc.size > 1 else "")
            paper = PAPER.get((dname, loss))
            lines.append(f"| {dname} | {loss} | " + " | ".join(cells) + f" | {'' if paper is None else f'{paper[0]} / {paper[1]}'} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
