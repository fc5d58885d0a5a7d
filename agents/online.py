"""DQNPSO as the paper runs it: the Q-network learns during the optimisation run itself."""

from __future__ import annotations

import functools
import time
from typing import Any

import numpy as np

from pso_env import PSOEnv

from .records import RunRecord, record_from_swarm

#: Settings of the online learner. The paper gives the learning rate (1e-3) and "the number of steps
#: was 10", read here as a target-network sync every 10 iterations (our choice); one gradient step per
#: iteration on a batch of 32 from a buffer holding the whole run.
ONLINE_DEFAULTS: dict[str, Any] = {
    "learning_rate": 1e-3, "buffer_size": 10_000, "learning_starts": 32, "batch_size": 32, "gamma": 0.9, "train_freq": 1,
    "gradient_steps": 1, "target_update_interval": 10,
}
#: Epsilon schedule: a fresh network explores over the first 30% of the run; a warm-started one
#: trusts its pretrained Q-values and explores little.
FRESH_EXPLORATION = {"exploration_fraction": 0.3, "exploration_initial_eps": 1.0, "exploration_final_eps": 0.05}
WARM_EXPLORATION = {"exploration_fraction": 0.3, "exploration_initial_eps": 0.1, "exploration_final_eps": 0.02}


def run_dqnpso_online(
    function: Any,
    *,
    swarm_size: int = 30,
    iterations: int = 1000,
    seed: int = 0,
    checkpoint_every: int = 10,
    warm_start: Any = "pretrained",
    reward_mode: str = "log",
    algorithm: str | None = None,
    **dqn_kwargs: Any,
) -> RunRecord:
    """One PSO run whose Q-network chooses the parameters and learns while the run goes on.

    At every iteration the agent picks an action epsilon-greedily from the one-hot Viterbi state,
    the swarm takes one step, and the transition (state, action, reward, next state) is stored; then a
    gradient step is taken and, every 10 iterations, the target network is synced.

    Parameters
    ----------
    function : object
        A function object (see :func:`benchmarks_fn.get_function`).
    swarm_size, iterations, seed, checkpoint_every
        As for :func:`agents.baselines.run_variant`; ``seed`` seeds the environment, the network's
        initialisation, exploration and replay sampling.
    warm_start : "pretrained", a path, a policy with a ``model`` DQNAgent, or None
        Start from the shipped controller (default), from a ``train_agent.py`` custom-dqn run
        directory, or from a fresh network (None).
    reward_mode : str, default "log"
        The environment's reward. **(our choice)** The paper's raw improvement falls by orders of
        magnitude along a run, so its early rewards swamp the Q-values; the log-error drop keeps them
        comparable over the whole run.
    algorithm : str, optional
        Name for the record; default ``"DQNPSO-online"`` (``"DQNPSO-online-fresh"`` without warm start).
    **dqn_kwargs
        Override :data:`ONLINE_DEFAULTS` and the exploration schedule.

    Returns
    -------
    RunRecord
        ``extra`` holds the per-iteration ``actions``, ``states``, ``w``, ``c1``, ``c2``, the number of
        gradient updates ``n_updates`` and ``weight_change``, the L2 norm of how far the Q-network's
        weights moved during the run.
    """
    import torch

    from .dqn import DQNAgent

    cpu0, wall0 = time.process_time(), time.perf_counter()
    env = PSOEnv(function=function, swarm_size=swarm_size, max_iterations=iterations, obs_mode="viterbi",
                 reward_mode=reward_mode)
    params = {**ONLINE_DEFAULTS, **(FRESH_EXPLORATION if warm_start is None else WARM_EXPLORATION), **dqn_kwargs}
    eps0, eps1 = params.pop("exploration_initial_eps"), params.pop("exploration_final_eps")
    decay = max(params.pop("exploration_fraction") * iterations, 1.0)
    params.setdefault("hidden_sizes", (32,))
    agent = DQNAgent(env, seed=seed, exploration_initial_eps=eps0, exploration_final_eps=eps1, **params)
    if warm_start is not None:
        _load_weights(agent, warm_start)
    buffer = agent.replay_buffer
    initial = torch.nn.utils.parameters_to_vector(agent.q_net.parameters()).detach().clone()
    trace: dict[str, list] = {"actions": [], "w": [], "c1": [], "c2": []}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a 4-32-4 network: threads only add overhead
    try:
        obs, _ = env.reset(seed=seed)
        for t in range(iterations):
            agent.exploration_rate = eps0 + (eps1 - eps0) * min(t / decay, 1.0)
            action = int(agent.predict(obs, deterministic=False)[0])
            next_obs, reward, terminated, truncated, info = env.step(action)
            buffer.add(obs[None], np.array([action]), np.array([reward], dtype=np.float32), next_obs[None],
                       np.array([terminated]))
            if len(buffer) > agent.learning_starts and (t + 1) % agent.train_freq == 0:  # as DQNAgent.learn
                agent.train(agent.gradient_steps)
            if (t + 1) % agent.target_update_interval == 0:
                agent.update_target()
            trace["actions"].append(action)
            for key in ("w", "c1", "c2"):
                trace[key].append(float(info[key]))
            obs = next_obs
            if terminated or truncated:
                break
    finally:
        torch.set_num_threads(threads)
    trace["states"] = [int(s) for s in env.states]
    final = torch.nn.utils.parameters_to_vector(agent.q_net.parameters()).detach()
    extra = {**trace, "n_updates": int(agent.n_updates), "weight_change": float(torch.linalg.norm(final - initial))}
    name = algorithm or ("DQNPSO-online" if warm_start is not None else "DQNPSO-online-fresh")
    return record_from_swarm(env.swarm, algorithm=name, seed=seed, cpu_seconds=time.process_time() - cpu0,
                             wall_seconds=time.perf_counter() - wall0, checkpoint_every=checkpoint_every,
                             extra=extra)


@functools.lru_cache(maxsize=1)
def _shipped_controller() -> Any:
    """The pretrained controller, read from disk once per process (only its weights are copied out)."""
    from .models import load_pretrained

    return load_pretrained()


def _load_weights(agent: Any, warm_start: Any) -> None:
    from .models import load_agent

    if isinstance(warm_start, str) and warm_start == "pretrained":
        policy = _shipped_controller()
    elif hasattr(warm_start, "model"):
        policy = warm_start
    else:
        policy = load_agent(warm_start)
    source = getattr(policy, "model", None)
    if not hasattr(source, "q_net") or getattr(policy, "obs_mode", "viterbi") != "viterbi":
        raise ValueError("warm_start must be a custom-dqn controller trained on obs_mode='viterbi'")
    agent.q_net.load_state_dict(source.q_net.state_dict())
    agent.q_net_target.load_state_dict(source.q_net.state_dict())
