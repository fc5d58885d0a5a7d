"""CPU time of one run at MetaBox's budget under per-particle control, against plain PSO and the swarm-level controller.

Setup of issue 13's held-out table: BBOB f20 (ioh instance 1), D = 10, N = 20, 20,000 evaluations. Rows, each one
``evaluation.run`` of a controller (what ``evaluate.py`` times per run):

- LinWPSO, a hand-designed schedule (``RuleController``): the base;
- the swarm-level default of the morning of 2026-12-02 (``results/learned-control/agents/es-cec-s15``: three
  features, one w, c1, c2 per swarm, elitist switch) through the environment;
- the per-particle default of 2026-12-02 to 2026-12-03 (``results/learned-control/agents/particle-s21``: six inputs
  and a w, c1, c2 per particle; seed 92, the default from 2026-12-03 to 2026-12-05, is the same design) through the
  environment, seed 119 (``results/learned-control/agents/ev4-s119``, the default from pre-registration 27 to 29:
  the same design with the particles' vote on elitist learning, which it never casts), seed 123
  (``results/learned-control/agents/ev4t-s123``, the default from pre-registration 29 to 30: its best_model chosen on
  another BBOB instance), seed 125 (``results/learned-control/agents/ev4p-s125``, the default from pre-registration
  30 to 34: the same, trained with bbob:f1 at D = 30 too), seed 134 (``results/learned-control/agents/ev4u-s134``,
  the default from pre-registration 34 to 35: seed 125 fine-tuned with the training functions at D = 30 too), seed 135
  (``results/learned-control/agents/ev4v-s135``, the default from pre-registration 35 to 44: seed 134 fine-tuned
  again) and the default since (``agents.load_pretrained()``, seed 152: seed 135 fine-tuned with the
  ``median_distance`` input and more training entries at D = 30);
- APSO (``RuleController``), whose elitist learning runs in its convergence state (most iterations here);
- a per-particle controller whose particles vote elitist learning on at every iteration
  (``results/learned-control/agents/all8e-s33``), and one with ``elitist_always``
  (``results/learned-control/agents/ea-s41``), through the environment, and that design with the draw of r1, r2
  chosen per particle (``random_factors="action"``, ``results/learned-control/agents/rc-s82``), and the same weights
  with the classic draw fixed for every particle (``agents.controller.FixedDraw``: no particle chooses, so no copy);
- the per-particle experiment's rule (``results/learned-control/per-particle/particle_es.py``, seed 1's weights), the
  same design computed in numpy by a ``ParameterRule`` outside the environment.

Each run is timed by the CPU time of this thread (``time.thread_time``, with the thread limits of
``evaluation.pool.single_threaded``); the minimum over interleaved repeats is kept (so numba compilation never counts).

Run: .venv/bin/python perf/particle_control.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

from agents import load_agent, load_pretrained
from agents.baselines import make_rule
from agents.controller import FixedDraw, PolicyController, RuleController
from benchmarks_fn import get_function
from evaluation import run
from evaluation.pool import single_threaded

ROOT = Path(__file__).resolve().parents[1]
FUNCTION = get_function("bbob:f20", 10)
BUDGET = {"swarm_size": 20, "iterations": 999, "max_evaluations": 20000}


def _experiment_rule() -> RuleController:
    path = ROOT / "results/learned-control/per-particle/particle_es.py"
    spec = importlib.util.spec_from_file_location("particle_es", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["particle_es"] = module
    spec.loader.exec_module(module)
    weights = json.loads((path.parent / "s1/policy.json").read_text())["weights"]
    return RuleController(module.ParticleRule(weights), trace=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="interleaved repeats, the fastest is kept (default 5)")
    args = parser.parse_args()
    rows = {
        "LinWPSO (rule)": lambda: RuleController(make_rule("LinWPSO"), trace=False),
        "APSO (rule; elitist learning in S3)": lambda: RuleController(make_rule("APSO"), trace=False),
        "swarm-level es (seed 15, env)": lambda: PolicyController(
            load_agent(ROOT / "results/learned-control/agents/es-cec-s15")),
        "per-particle, seed 21 (env)": lambda: PolicyController(
            load_agent(ROOT / "results/learned-control/agents/particle-s21")),
        "seed 119 (env; default until prereg. 29)": lambda: PolicyController(
            load_agent(ROOT / "results/learned-control/agents/ev4-s119")),
        "seed 123 (env; default until prereg. 30)": lambda: PolicyController(
            load_agent(ROOT / "results/learned-control/agents/ev4t-s123")),
        "seed 125 (env; default until prereg. 34)": lambda: PolicyController(
            load_agent(ROOT / "results/learned-control/agents/ev4p-s125")),
        "seed 134 (env; default until prereg. 35)": lambda: PolicyController(
            load_agent(ROOT / "results/learned-control/agents/ev4u-s134")),
        "seed 135 (env; default until prereg. 44)": lambda: PolicyController(
            load_agent(ROOT / "results/learned-control/agents/ev4v-s135")),
        "the default, seed 152 (env)": lambda: PolicyController(load_pretrained()),
        "per-particle + elitist (s33, env)": lambda: PolicyController(
            load_agent(ROOT / "results/learned-control/agents/all8e-s33")),
        "per-particle + elitist_always (ea-s41)": lambda: PolicyController(
            load_agent(ROOT / "results/learned-control/agents/ea-s41")),
        "+ the draw chosen per particle (rc-s82)": lambda: PolicyController(
            load_agent(ROOT / "results/learned-control/agents/rc-s82")),
        "rc-s82 with the classic draw fixed": lambda: PolicyController(
            FixedDraw(load_agent(ROOT / "results/learned-control/agents/rc-s82"), shared=False)),
        "per-particle experiment (numpy rule)": _experiment_rule,
    }
    best = dict.fromkeys(rows, float("inf"))
    with single_threaded():
        for r in range(args.repeats + 1):  # the first round compiles and loads
            for name, make in rows.items():
                controller = make()
                t0 = time.thread_time()
                run(controller, FUNCTION, seed=r, **BUDGET)
                if r:
                    best[name] = min(best[name], time.thread_time() - t0)
    base = best["LinWPSO (rule)"]
    print(f"BBOB f20, D = 10, N = 20, 20,000 evaluations; CPU s per run, fastest of {args.repeats}")
    print(f"{'controller':40s} {'CPU s':>7s} {'x LinWPSO':>10s}")
    for name, t in best.items():
        print(f"{name:40s} {t:7.3f} {t / base:10.2f}")


if __name__ == "__main__":
    main()
