"""Online DQNPSO: the controller whose Q-network learns during the optimisation run itself."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .controller import PolicyController

#: The paper gives the learning rate and "the number of steps was 10", read here as a target-network sync
#: every 10 iterations (our choice); one gradient step per iteration on a batch of 32.
ONLINE_DEFAULTS: dict[str, Any] = {"learning_rate": 1e-3, "buffer_size": 10_000, "learning_starts": 32, "batch_size": 32,
                                   "gamma": 0.9, "train_freq": 1, "gradient_steps": 1, "target_update_interval": 10}
#: Epsilon schedules: a warm-started network trusts its pretrained Q-values and explores little.
FRESH_EXPLORATION = {"exploration_fraction": 0.3, "exploration_initial_eps": 1.0, "exploration_final_eps": 0.05}
WARM_EXPLORATION = {"exploration_fraction": 0.3, "exploration_initial_eps": 0.1, "exploration_final_eps": 0.02}


class OnlineDQNController(PolicyController):
    """DQNPSO as the paper runs it: the Q-network chooses the parameters and learns during the run.

    Every iteration: an epsilon-greedy action on the one-hot Viterbi state, one swarm step, the
    transition stored, a gradient step; every 10 iterations a target sync. Each start builds a fresh
    agent seeded by the run's seed.

    Parameters
    ----------
    warm_start : "pretrained" (the shipped DQNPSO network, ``load_pretrained(name="dqnpso")``), a path, a policy with a ``model`` DQNAgent, or None
        Start from the shipped controller (default), from a ``train_agent.py`` custom-dqn run
        directory, or from a fresh network (None).
    reward_mode : str
        The environment's reward. **(our choice: the paper's raw improvement falls by orders of
        magnitude along a run, so its early rewards would swamp the Q-values.)**
    **dqn_kwargs
        Override :data:`ONLINE_DEFAULTS` and the exploration schedule.
    """

    obs_mode = "viterbi"

    def __init__(self, warm_start: Any = "pretrained", *, reward_mode: str = "log", **dqn_kwargs: Any) -> None:
        import torch  # loaded before the run loop limits its threads

        self.torch = torch
        self.warm_start, self.dqn_kwargs = warm_start, dqn_kwargs
        name = "DQNPSO-online" if warm_start is not None else "DQNPSO-online-fresh"
        super().__init__(self, env_kwargs={"obs_mode": "viterbi", "reward_mode": reward_mode}, name=name)

    def start(self, function: Any, *, swarm_size: int, iterations: int, seed: int,
              max_evaluations: int | None = None) -> Any:
        from .dqn import DQNAgent

        swarm = super().start(function, swarm_size=swarm_size, iterations=iterations, seed=seed,
                              max_evaluations=max_evaluations)
        fresh = FRESH_EXPLORATION if self.warm_start is None else WARM_EXPLORATION
        params = {**ONLINE_DEFAULTS, **fresh, **self.dqn_kwargs}
        self.eps0, self.eps1 = params.pop("exploration_initial_eps"), params.pop("exploration_final_eps")
        self.decay = max(params.pop("exploration_fraction") * self.env.config.horizon, 1.0)  # iterations planned
        params.setdefault("hidden_sizes", (32,))
        self.agent = DQNAgent(self.env, seed=seed, exploration_initial_eps=self.eps0,
                              exploration_final_eps=self.eps1, **params)
        if self.warm_start is not None:
            _load_weights(self.agent, self.warm_start)
        self.initial = self._weights().clone()
        return swarm

    def _weights(self) -> Any:
        return self.torch.nn.utils.parameters_to_vector(self.agent.q_net.parameters()).detach()

    def act(self, obs: np.ndarray, t: int) -> int:
        """Epsilon-greedy, epsilon falling linearly over ``exploration_fraction`` of the run."""
        self.agent.exploration_rate = self.eps0 + (self.eps1 - self.eps0) * min(t / self.decay, 1.0)
        return int(self.agent.predict(obs, deterministic=False)[0])

    def observe(self, obs: np.ndarray, action: int, reward: float, next_obs: np.ndarray, terminated: bool,
                t: int) -> None:
        agent = self.agent
        agent.replay_buffer.add(obs[None], np.array([action]), np.array([reward], dtype=np.float32), next_obs[None],
                                np.array([terminated]))
        if len(agent.replay_buffer) > agent.learning_starts and (t + 1) % agent.train_freq == 0:
            agent.train(agent.gradient_steps)
        if (t + 1) % agent.target_update_interval == 0:
            agent.update_target()

    def trace(self) -> dict[str, Any]:
        """The policy trace, ``n_updates`` and ``weight_change`` (L2 norm of how far the weights moved)."""
        change = float(self.torch.linalg.norm(self._weights() - self.initial))
        return {**super().trace(), "n_updates": int(self.agent.n_updates), "weight_change": change}


@functools.lru_cache(maxsize=1)
def _shipped_controller() -> Any:
    """The shipped DQNPSO controller, read once per process (only its weights are copied out)."""
    from .models import load_pretrained

    return load_pretrained(name="dqnpso")


def _load_weights(agent: Any, warm_start: Any) -> None:
    from .models import load_agent

    if isinstance(warm_start, str) and warm_start == "pretrained":
        policy = _shipped_controller()
    else:
        policy = warm_start if hasattr(warm_start, "model") else load_agent(warm_start)
    source = getattr(policy, "model", None)
    if not hasattr(source, "q_net") or getattr(policy, "obs_mode", "viterbi") != "viterbi":
        raise ValueError("warm_start must be a custom-dqn controller trained on obs_mode='viterbi'")
    agent.q_net.load_state_dict(source.q_net.state_dict())
    agent.q_net_target.load_state_dict(source.q_net.state_dict())
