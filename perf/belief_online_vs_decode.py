"""Cost of the online belief against hmmlearn's decode and against one swarm iteration.

Run as ``.venv/bin/python perf/belief_online_vs_decode.py`` (1-2 minutes). Timings are the measuring
thread's CPU time (``time.thread_time``; on a shared machine wall-clock time also counts other jobs),
minimum over repeats. Tables: 1. per-iteration cost of a swarm iteration (N = D = 30, rastrigin, step +
factor), of ``Belief(1).update`` (refits off), of ``discretise`` and of hmmlearn's ``decode`` (+
``predict_proba``) over the growing history; 2. one refit at history lengths 100, 500, 1000, its
Baum-Welch kernel and recompute, and hmmlearn's ``fit``; 3. per refit_every: cost per iteration over a
1000-iteration run and the share of steps whose decoded state differs from refit_every=1 (rastrigin,
sphere, ackley; fixed and random per-iteration parameters); 4. ``Belief(B)`` against a loop over B
``Belief(1)``, per sequence and step.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks_fn import get_function

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pso_env import belief, hmm_kernels
from pso_env.belief import DEFAULT_REFIT_EVERY, Belief
from pso_env.factor import discretise
from pso_env.swarm import Swarm

ITERS = 1000
N, D = 30, 30

def swarm_fs(name: str, seed: int, random_params: bool = False, iters: int = ITERS) -> list[float]:
    """The f sequence of one swarm run."""
    rng = np.random.default_rng(seed)
    swarm = Swarm(get_function(name, D), N, np.random.default_rng(seed + 1000))
    out = []
    for _ in range(iters):
        if random_params:
            swarm.step(rng.uniform(0.4, 0.9), rng.uniform(1.5, 2.5), rng.uniform(1.5, 2.5))
        else:
            swarm.step(0.7, 1.5, 1.5)
        out.append(float(swarm.evolutionary_factor()[0]))
    return out


CLOCK = time.thread_time


def best_of(fn, repeats: int) -> float:
    best = math.inf
    for _ in range(repeats):
        t0 = CLOCK()
        fn()
        best = min(best, CLOCK() - t0)
    return best


def time_swarm(repeats: int = 5) -> float:
    swarm = Swarm(get_function("rastrigin", D), N, np.random.default_rng(0))

    def run() -> None:
        for _ in range(ITERS):
            swarm.step(0.7, 1.5, 1.5)
            swarm.evolutionary_factor()

    return best_of(run, repeats) / ITERS


def time_online(fs: list[float], repeats: int = 7) -> float:
    tracker = Belief(1, refit_every=0)

    def run() -> None:
        tracker.reset()
        update = tracker.update
        for f in fs:
            update([f])

    return best_of(run, repeats) / len(fs)


def time_discretise(repeats: int = 5) -> float:
    xs = np.random.default_rng(0).random(10000).tolist()
    return best_of(lambda: [discretise(x) for x in xs], repeats) / len(xs)


def time_decode_growing(fs: list[float], repeats: int = 2) -> tuple[float, float]:
    model = Belief(1, refit_every=0).to_hmmlearn()
    x = np.asarray(discretise(np.asarray(fs)), dtype=np.int64)[:, None]

    def dec() -> None:
        for t in range(1, len(fs) + 1):
            model.decode(x[:t], algorithm="viterbi")

    def both() -> None:
        for t in range(1, len(fs) + 1):
            model.decode(x[:t], algorithm="viterbi")
            model.predict_proba(x[:t])

    return best_of(dec, repeats) / len(fs), best_of(both, repeats) / len(fs)


def run_tracker(fs: list[float], **kwargs) -> tuple[np.ndarray, float, int]:
    """States of one tracker run over ``fs``, its CPU time per iteration, and its number of refits."""
    tracker = Belief(1, **kwargs)
    states = np.empty(len(fs), dtype=np.int64)
    update = tracker.update
    t0 = CLOCK()
    for i, f in enumerate(fs):
        states[i] = update([f])[0]
    return states, (CLOCK() - t0) / len(fs), int(tracker.n_refits[0])


def time_refit(fs: list[float], t: int, repeats: int = 7) -> tuple[float, float, float, float]:
    """CPU time at history length t of one refit, of its Baum-Welch kernel, of its recompute, and of
    hmmlearn's ``fit`` with the same settings."""
    tracker = Belief(1, refit_every=0)
    tracker.update_symbols(np.zeros(1, dtype=np.int64))  # warm the kernels, then start over
    tracker.reset()
    for f in fs[:t]:
        tracker.update([f])
    x = tracker._history[0, :t]
    a, b = tracker.transmat[0], tracker.emissionprob[0]
    t_em = best_of(lambda: hmm_kernels.baum_welch(x, tracker.startprob, a, b, 1.0, 1, tracker.refit_tol), repeats)
    rows = np.arange(1)
    t_re = best_of(lambda: hmm_kernels.batch_recompute(tracker._history, tracker.n_symbols, rows, tracker._tables,
                                                       tracker._lattice, tracker.states), repeats)
    model = tracker.to_hmmlearn()
    model.implementation = "scaling"
    model.transmat_prior = 1.0 + tracker.refit_pseudocount * a
    model.emissionprob_prior = 1.0 + tracker.refit_pseudocount * b
    xs = tracker.symbols(0)[:, None]

    def hmmlearn_fit() -> None:
        model.transmat_, model.emissionprob_ = tracker.transmat[0], tracker.emissionprob[0]
        model.fit(xs)

    t_hmm = best_of(hmmlearn_fit, repeats)
    t_fit = best_of(tracker.refit, repeats)
    return t_fit, t_em, t_re, t_hmm


def time_batch(seqs: list[list[float]], b: int, refit: int, repeats: int = 3) -> tuple[float, float]:
    """CPU time per sequence and step of Belief(b) and of a loop over b Belief(1) objects."""
    f = np.array([seqs[i % len(seqs)] for i in range(b)]).T.copy()  # (steps, b)
    rows = [r.tolist() for r in f]

    def batched() -> None:
        bel = Belief(b, refit_every=refit)
        for r in f:
            bel.update(r)

    def loop() -> None:
        trackers = [Belief(1, refit_every=refit) for _ in range(b)]
        for r in rows:
            for tr, x in zip(trackers, r):
                tr.update([x])

    t_b = t_l = math.inf
    for _ in range(repeats):  # interleaved
        t_b = min(t_b, best_of(batched, 1))
        t_l = min(t_l, best_of(loop, 1))
    return t_b / f.size, t_l / f.size


def main() -> None:
    t_start = time.perf_counter()
    print(f"# belief tracker cost, {ITERS}-iteration runs, swarm N={N} D={D}, minima over repeats")
    fs = swarm_fs("rastrigin", 0)
    sym = np.bincount(discretise(np.asarray(fs)), minlength=7)
    print(f"rastrigin f-symbol counts 0..6: {sym.tolist()}")

    t_swarm = time_swarm()
    t_online = time_online(fs)
    t_disc = time_discretise()
    t_dec, t_dec_pp = time_decode_growing(fs)
    print("\n## 1. per-iteration cost (refits off)")
    print(f"{'path':58s} {'us/iter':>10s} {'/ swarm it':>11s}")
    rows = [
        ("swarm iteration (step + evolutionary_factor)", t_swarm),
        ("Belief(1).update (online, numba 4x4 step)", t_online),
        ("pso_env.factor.discretise(f) alone (numpy scalar call)", t_disc),
        ("hmmlearn decode over growing history, every iteration", t_dec),
        ("hmmlearn decode + predict_proba over growing history", t_dec_pp),
    ]
    for name, t in rows:
        print(f"{name:58s} {t * 1e6:10.2f} {t / t_swarm:10.1%}")
    print(
        f"online vs decode-every-iteration: {t_dec / t_online:.0f}x faster "
        f"({t_dec_pp / t_online:.0f}x with predict_proba)"
    )

    print("\n## 2. one refit (refit_iter=1): Belief(1).refit, its parts, and hmmlearn's fit")
    print(
        f"{'history t':>9s} {'refit us':>9s} {'Baum-Welch kernel us':>21s} {'recompute us':>13s} "
        f"{'hmmlearn fit us':>16s} {'fit / refit':>12s}"
    )
    for t in (100, 500, 1000):
        fit, em, re, hmm = time_refit(fs, t)
        print(f"{t:9d} {fit * 1e6:9.1f} {em * 1e6:21.1f} {re * 1e6:13.1f} {hmm * 1e6:16.1f} {hmm / fit:11.0f}x")

    print("\n## 3. refit_every: cost and decoded-state difference from refit_every=1")
    main_run = ("rastrigin", 0, False)
    runs = [(name, seed, rp) for name in ("rastrigin", "sphere", "ackley") for seed in (1, 2) for rp in (False, True)]
    seqs = {main_run: fs, **{r: swarm_fs(*r) for r in runs}}
    settings = [(1, 1), (2, 1), (5, 1), (10, 1), (10, 5), (20, 1), (50, 1), (50, 5), (100, 1), (100, 5), (0, 1)]
    base = {}
    print(
        f"{'refit_every':>11s} {'refit_iter':>10s} {'us/iter':>10s} {'/ swarm it':>11s} "
        f"{'refits':>7s} {'diff rastr.':>12s} {'diff all':>9s} {'diff fixed':>11s} {'diff rand':>10s}"
    )
    for every, it in settings:
        diffs, diffs_fixed, diffs_rand = [], [], []
        for r, seq in seqs.items():
            # the main rastrigin run is timed: minimum over repeats (2 for the expensive refit_every=1)
            reps = (2 if every == 1 else 3) if r == main_run else 1
            results = [run_tracker(seq, refit_every=every, refit_iter=it) for _ in range(reps)]
            states = results[0][0]
            if (every, it) == (1, 1):
                base[r] = states
            d = float(np.mean(states != base[r]))
            diffs.append(d)
            (diffs_rand if r[2] else diffs_fixed).append(d)
            if r == main_run:
                cost, n_refits, d_main = min(x[1] for x in results), results[0][2], d
        mark = " <- default" if (every, it) == (DEFAULT_REFIT_EVERY, belief.DEFAULT_REFIT_ITER) else ""
        print(
            f"{every:11d} {it:10d} {cost * 1e6:10.1f} {cost / t_swarm:10.1%} {n_refits:7d} "
            f"{d_main:12.1%} {np.mean(diffs):9.1%} {np.mean(diffs_fixed):11.1%} {np.mean(diffs_rand):10.1%}{mark}"
        )
    print(
        f"(us/iter: mean over the {ITERS}-iteration rastrigin run, refits included; diff = fraction of steps "
        f"whose state differs from refit_every=1, refit_iter=1; 'all' averages {len(seqs)} runs: "
        "rastrigin/sphere/ackley, fixed w=0.7 c1=c2=1.5 ('fixed') and random per-iteration w, c1, c2 ('rand'))"
    )

    print("\n## 4. B sequences at once: us per sequence and step (1000-step sequences of section 3)")
    print(f"{'refit_every':>11s} {'B':>5s} {'Belief(B)':>12s} {'loop over B=1':>19s} {'loop / batch':>13s}")
    for every in (0, DEFAULT_REFIT_EVERY):
        for b in (1, 16, 256):
            t_b, t_l = time_batch(list(seqs.values()), b, every)
            print(f"{every or 'off':>11} {b:5d} {t_b * 1e6:12.2f} {t_l * 1e6:19.2f} {t_l / t_b:12.1f}x", flush=True)
    print(f"\ntotal script time {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
