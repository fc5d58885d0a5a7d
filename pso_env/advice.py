"""The consult action: the agent decides when a particle advisor is consulted (LLMPSO inside the environment).

With ``EnvConfig(advisor=...)`` the action space of :class:`pso_env.PSOEnv` is ``Discrete(8)`` (and
:class:`pso_env.PSOVectorEnv`'s ``single_action_space``): action ``a`` in 0..3 is the paper's parameter
action ``a``; action ``a + 4`` is the same parameter action, and after the swarm's iteration the
sub-environment's advisor is consulted as :class:`agents.advisors.LLMPSO` consults it, through the same
function, :func:`agents.advisors.advise` (``accept="always"``): the advisor sees the swarm
(:class:`agents.advisors.SwarmState`) and proposes at most ``advisor_k`` points, which are evaluated and
counted (:meth:`pso_env.Swarm.set_particles`) and replace the worst particles. The step's best value,
reward, evaluations, evolutionary factor and observation are computed after the consultation, so the reward
is the improvement of the best value including what the advisor found. Without an advisor nothing here runs.

Each sub-environment has its own advisor (reset at the start of each of its episodes) and its own generator,
spawned from the seed of :meth:`pso_env.PSOVectorEnv.reset` apart from the swarm's, action's and episode's
streams: whether one sub-environment consults changes nothing in the others' episodes.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from .actions import N_ACTIONS

#: The info keys of an environment with an advisor (counts since the episode's reset).
ADVICE_INFO_KEYS = ("consultations", "advisor_failures", "advice_evaluations")


class Advice:
    """The advisors of B sub-environments, their generators and their counts.

    Parameters
    ----------
    advisor : str or advisor object
        A name of :data:`agents.advisors.ADVISORS` (every sub-environment gets a fresh advisor), or an object
        with :class:`agents.advisors.Advisor`'s interface (sub-environment 0 consults it, the others a
        ``copy.copy`` of it, as :class:`pso_env.PSOVectorEnv` copies ioh problems); each is reset at the start
        of its sub-environment's episodes.
    k : int or None
        Points asked per consultation; None: a quarter of the swarm, at least 1 (:class:`~agents.advisors.LLMPSO`'s).
    num_envs, swarm_size : int

    Attributes
    ----------
    advisors : list
        Sub-environment ``j``'s advisor.
    consultations, evaluations : ndarray of int64, shape (B,)
        Consultations and evaluated proposals (all accepted) of each sub-environment's episode.
    """

    def __init__(self, advisor: Any, k: int | None, num_envs: int, swarm_size: int) -> None:
        from agents.advisors import advise, make_advisor  # loaded only when an advisor is configured

        self._advise = advise
        if isinstance(advisor, str):
            self.advisors = [make_advisor(advisor) for _ in range(num_envs)]
        else:
            self.advisors = [advisor] + [copy.copy(advisor) for _ in range(num_envs - 1)]
        self.k = k or max(1, swarm_size // 4)
        self.consultations = np.zeros(num_envs, dtype=np.int64)
        self.evaluations = np.zeros(num_envs, dtype=np.int64)
        self._rngs: list[np.random.Generator] = []

    def seed(self, seed_sequence: np.random.SeedSequence) -> None:
        """One generator per sub-environment, spawned from ``seed_sequence``."""
        self._rngs = [np.random.default_rng(s) for s in seed_sequence.spawn(len(self.advisors))]

    def reset(self, idx: np.ndarray) -> None:
        """Sub-environments ``idx`` start episodes: their advisors are reset and their counts zeroed."""
        for j in idx.tolist():
            self.advisors[j].reset()
        self.consultations[idx] = self.evaluations[idx] = 0

    @staticmethod
    def split(actions: np.ndarray, ended: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(parameter actions, consult mask)`` of checked actions in 0..7; sub-environments whose episode
        ``ended`` (their step is ignored: the autoreset's) do not consult."""
        return actions % N_ACTIONS, (actions >= N_ACTIONS) & ~ended

    def consult(self, swarms: dict[int, Any], dims: np.ndarray, consult: np.ndarray) -> None:
        """Consult the advisors of the sub-environments where ``consult`` is True; sub-environment ``j`` is row
        ``j`` of the swarm of its dimension, ``swarms[dims[j]]``."""
        for j in np.flatnonzero(consult).tolist():
            m, _ = self._advise(self.advisors[j], swarms[int(dims[j])], j, self.k, self._rngs[j], "always")
            self.consultations[j] += 1
            self.evaluations[j] += m

    def info(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The values of :data:`ADVICE_INFO_KEYS`, new (B,) int64 arrays."""
        failures = np.array([int(a.failures) for a in self.advisors], dtype=np.int64)
        return self.consultations.copy(), failures, self.evaluations.copy()
