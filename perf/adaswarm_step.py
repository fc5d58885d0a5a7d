"""AdaSwarm's extra cost per training step against Adam (and the official ``adaswarm`` package's, when importable).

One training step (forward, loss, backward, optimizer step) of the comparison's MLP (30 inputs, one hidden
layer of 10 units, 2 outputs: the breast-cancer shape) at batch 64 and 256, with MSE and cross-entropy
losses: ``torch.optim.Adam`` with the analytic gradient, ours (:class:`pso_env.optim.AdaSwarm` with
:class:`pso_env.optim.SwarmGradLoss`, 10 particles x 40 EMPSO iterations on the numpy swarm core) and the
official package's ``adaswarm.nn.SwarmLoss`` (20 particles x 40 PSO iterations, torch) with Adam. One
torch thread; the minimum over repeats of the mean time of 50 steps.

Run: OMP_NUM_THREADS=1 PYTHONPATH=. .venv/bin/python perf/adaswarm_step.py   (the official column needs the
peer environment: /work/peers-venvs/adaswarm/bin/python, see peers/adaswarm/README.md)
"""

from __future__ import annotations

import argparse
import time

import torch

from pso_env.optim import AdaSwarm, SwarmGradLoss

try:
    import adaswarm.nn as official
except ImportError:
    official = None

STEPS = 50


def step_time(method: str, loss: str, batch: int, repeats: int) -> float:
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(30, 10), torch.nn.ReLU(), torch.nn.Linear(10, 2))
    x, labels = torch.randn(batch, 30), torch.randint(2, (batch,))
    target = labels if loss == "ce" else torch.eye(2)[labels]
    criterion = torch.nn.CrossEntropyLoss() if loss == "ce" else torch.nn.MSELoss()
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    if method == "AdaSwarm (ours)":
        criterion, opt = SwarmGradLoss(criterion, seed=0), AdaSwarm(net.parameters(), lr=0.01)
    elif method == "adaswarm-0.3.0":
        target = torch.eye(2)[labels]
        fn = (lambda p, y: -y * torch.log_softmax(p, dim=-1)) if loss == "ce" else (lambda p, y: (p - y) ** 2)
        criterion = official.SwarmLoss(fn, seed=0, device=torch.device("cpu"))
    best = float("inf")
    for r in range(repeats + 1):  # the first round warms up
        t0 = time.perf_counter()
        for _ in range(STEPS):
            opt.zero_grad()
            criterion(net(x), target).backward()
            opt.step()
        if r:
            best = min(best, (time.perf_counter() - t0) / STEPS)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    methods = ["Adam", "AdaSwarm (ours)"] + (["adaswarm-0.3.0"] if official is not None else [])
    print("| loss | batch | " + " | ".join(f"{m} ms/step" for m in methods) + " | ours / Adam |"
          + (" official / Adam |" if official is not None else ""))
    print("|---|---|" + "---|" * (len(methods) + 1 + (official is not None)))
    for loss in ("mse", "ce"):
        for batch in (64, 256):
            t = [step_time(m, loss, batch, args.repeats) for m in methods]
            ratios = [f"{x / t[0]:.0f}x" for x in t[1:]]
            print(f"| {loss} | {batch} | " + " | ".join(f"{x * 1e3:.2f}" for x in t) + " | " + " | ".join(ratios) + " |",
                  flush=True)


if __name__ == "__main__":
    main()
