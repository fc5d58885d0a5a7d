"""Run a controller policy on PSOControl as one optimiser run, and the reference policies.

A *policy* here is anything with Stable-Baselines3's ``predict(obs, deterministic=True) -> (action,
state)``: a trained DQN or SB3 model, a :class:`StaticPolicy` or a :class:`RandomPolicy`. An optional
``obs_mode`` attribute says which observation it expects (default ``"viterbi"``).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from pso_env import N_ACTIONS, PSOEnv

from .records import RunRecord, record_from_swarm


class StaticPolicy:
    """A fixed state-to-action rule: action ``actions[k]`` whenever the Viterbi state is ``k``.

    Parameters
    ----------
    actions : sequence of 4 ints in 0..3
        The action for exploration, exploitation, convergence and jumping-out.
    """

    obs_mode = "viterbi"

    def __init__(self, actions: Sequence[int]) -> None:
        acts = tuple(int(a) for a in actions)
        if len(acts) != 4 or any(not 0 <= a < N_ACTIONS for a in acts):
            raise ValueError(f"actions must be 4 integers in 0..{N_ACTIONS - 1}, got {actions!r}")
        self.actions = acts
        self._table = np.array(acts)
        self.name = "static:" + "".join(map(str, acts))

    def predict(self, obs: np.ndarray, state: Any = None, episode_start: Any = None,
                deterministic: bool = True) -> tuple[np.ndarray, None]:
        """The action of the state that the one-hot ``obs`` (shape (4,) or (B, 4)) marks."""
        return self._table[np.argmax(obs, axis=-1)], None

    @staticmethod
    def all_policies() -> list[StaticPolicy]:
        """The 4**4 = 256 static policies."""
        return [StaticPolicy(p) for p in itertools.product(range(N_ACTIONS), repeat=4)]


class RandomPolicy:
    """Uniformly random actions, drawn from its own generator (seeded by :func:`run_policy`)."""

    obs_mode = "viterbi"
    name = "random-policy"

    def __init__(self, seed: int | None = None) -> None:
        self.seed(seed)

    def seed(self, seed: int | None) -> None:
        """Restart the generator from ``seed`` (a child stream: not the one an env reset with it draws)."""
        self.rng = np.random.default_rng(None if seed is None else [seed, 2])

    def predict(self, obs: np.ndarray, state: Any = None, episode_start: Any = None,
                deterministic: bool = True) -> tuple[np.ndarray, None]:
        """One uniformly random action per observation (shape () or (B,))."""
        obs = np.asarray(obs)
        shape = obs.shape[:-1]
        return self.rng.integers(0, N_ACTIONS, size=shape), None


def run_policy(
    policy: Any,
    function: Any,
    *,
    swarm_size: int = 30,
    iterations: int = 1000,
    seed: int = 0,
    checkpoint_every: int = 10,
    algorithm: str = "policy",
    env_kwargs: dict[str, Any] | None = None,
) -> RunRecord:
    """One PSO run of ``iterations`` iterations whose parameters ``policy`` sets at every iteration.

    Parameters
    ----------
    policy : object
        Has ``predict(obs, deterministic=True)``; its ``obs_mode`` attribute (default "viterbi")
        chooses the observation. A policy with a ``seed`` method (:class:`RandomPolicy`) is seeded
        with ``seed`` first, so the run depends on ``seed`` alone.
    function : object
        A function object (see :func:`benchmarks_fn.get_function`).
    swarm_size, iterations, seed, checkpoint_every
        As for :func:`agents.baselines.run_variant`; ``seed`` seeds the environment's ``reset``.
    algorithm : str
        Name for the record.
    env_kwargs : dict, optional
        Further :class:`pso_env.PSOEnv` arguments (for example ``reward_mode``).

    Returns
    -------
    RunRecord
        ``extra`` holds the per-iteration ``actions``, ``states`` (indices), ``w``, ``c1`` and ``c2``.
    """
    cpu0, wall0 = time.process_time(), time.perf_counter()
    kwargs = {"obs_mode": getattr(policy, "obs_mode", "viterbi"), **(env_kwargs or {})}
    env = PSOEnv(function=function, swarm_size=swarm_size, max_iterations=iterations, **kwargs)
    if callable(getattr(policy, "seed", None)):
        policy.seed(seed)
    if callable(getattr(policy, "reset", None)):  # a recurrent policy forgets the last episode
        policy.reset()
    obs, _ = env.reset(seed=seed)
    trace: dict[str, list] = {"actions": [], "w": [], "c1": [], "c2": []}
    predict, step = policy.predict, env.step
    actions, ws, c1s, c2s = trace["actions"], trace["w"], trace["c1"], trace["c2"]
    done = False
    while not done:
        action = int(predict(obs, deterministic=True)[0])
        obs, _, terminated, truncated, info = step(action)
        actions.append(action)
        ws.append(info["w"])
        c1s.append(info["c1"])
        c2s.append(info["c2"])
        done = terminated or truncated
    trace["states"] = [int(s) for s in env.states]
    return record_from_swarm(env.swarm, algorithm=algorithm, seed=seed, cpu_seconds=time.process_time() - cpu0,
                             wall_seconds=time.perf_counter() - wall0, checkpoint_every=checkpoint_every,
                             extra=trace)
