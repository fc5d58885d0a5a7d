"""Deep Q-Network (Mnih et al. 2015) in one readable file.

The algorithm follows CleanRL's single-file DQN; the API follows Stable-Baselines3 habits
(``learn`` / ``predict`` / ``save`` / ``load``, ``num_timesteps``, ``reset_num_timesteps``).

Defaults reproduce the Q-network of the DQNPSO paper (SPEC section 5): observation -> 32 ReLU
units -> one Q-value per action, Adam with learning rate 1e-3. Training uses the Huber loss
(``smooth_l1``), gradient-norm clipping, a preallocated circular replay buffer, a target network
copied every ``target_update_interval`` environment steps and linearly decaying epsilon-greedy
exploration.

Supported environments
----------------------
Any environment with a ``gymnasium.spaces.Box`` observation space (flattened to a vector) and a
``gymnasium.spaces.Discrete`` action space (``start`` offsets are honoured), given as

* a plain ``gymnasium.Env`` (reset by the agent at episode end);
* a ``gymnasium.vector.VectorEnv`` in any autoreset mode (``env.metadata["autoreset_mode"]``):
  NEXT_STEP (default: the step after an episode end only resets that sub-environment; this
  pseudo-transition is not stored), SAME_STEP (the final observation is read from
  ``info["final_obs"]``) or DISABLED (the agent resets finished sub-environments with
  ``reset(options={"reset_mask": ...})``);
* a Stable-Baselines3 ``VecEnv`` (same-step autoreset; the final observation is read from
  ``infos[i]["terminal_observation"]`` and truncation from ``infos[i]["TimeLimit.truncated"]``).

Termination ends the bootstrap (target ``r``); truncation does not (target
``r + gamma * max_a Q_target(s', a)`` with ``s'`` the real final observation).

Timesteps count transitions: every call of the environment's ``step`` adds ``num_envs`` to
``num_timesteps`` (also the NEXT_STEP reset steps, as in Stable-Baselines3 and CleanRL).
``train_freq`` and ``gradient_steps`` count vector steps like Stable-Baselines3 (train
``gradient_steps`` times every ``train_freq`` calls of ``step``); ``learning_starts``,
``target_update_interval`` and the exploration schedule count transitions.

Save layout
-----------
``agent.save(path)`` creates the directory ``path`` holding

* ``model.pt``: ``torch.save`` of a dict of plain types and tensors (loadable with
  ``weights_only=True``): ``q_net`` and ``q_net_target`` state dicts, ``optimizer`` state dict,
  ``num_timesteps``, ``n_updates``, ``exploration_rate`` and the numpy generator state;
* ``config.json``: format version, hyperparameters and the observation/action spaces
  (Box shape, dtype, bounds; Discrete ``n`` and ``start``), so ``DQNAgent.load(path)`` can
  ``predict`` without an environment.

The replay buffer is saved separately with ``save_replay_buffer(file)`` (a ``.npz`` file).
"""

from __future__ import annotations

import copy
import json
import math
import os
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
import torch.nn.functional as F
from gymnasium import spaces
from torch import nn

__all__ = ["DQNAgent", "ReplayBuffer", "build_q_network"]

FORMAT_VERSION = 1
MODEL_FILE = "model.pt"
CONFIG_FILE = "config.json"

Callback = Callable[[dict[str, Any]], Any]


# --------------------------------------------------------------------------------------------
# Q-network and replay buffer
# --------------------------------------------------------------------------------------------
def build_q_network(obs_dim: int, n_actions: int, hidden_sizes: Sequence[int]) -> nn.Sequential:
    """Multilayer perceptron ``obs_dim -> hidden (ReLU) ... -> n_actions`` (linear output).

    Parameters
    ----------
    obs_dim : int
        Size of the flattened observation.
    n_actions : int
        Number of discrete actions (one Q-value each).
    hidden_sizes : sequence of int
        Widths of the hidden ReLU layers; empty gives a linear Q-function.

    Returns
    -------
    torch.nn.Sequential
    """
    layers: list[nn.Module] = []
    in_size = obs_dim
    for width in hidden_sizes:
        layers += [nn.Linear(in_size, width), nn.ReLU()]
        in_size = width
    layers.append(nn.Linear(in_size, n_actions))
    return nn.Sequential(*layers)


class ReplayBuffer:
    """Preallocated circular buffer of transitions stored in numpy arrays.

    Parameters
    ----------
    capacity : int
        Maximum number of transitions; the oldest are overwritten first.
    obs_dim : int
        Size of the flattened observation.
    rng : numpy.random.Generator
        Generator used by :meth:`sample`.
    """

    def __init__(self, capacity: int, obs_dim: int, rng: np.random.Generator) -> None:
        self.capacity = int(capacity)
        self.obs_dim = int(obs_dim)
        self.rng = rng
        self.observations = np.zeros((self.capacity, self.obs_dim), dtype=np.float32)
        self.next_observations = np.zeros((self.capacity, self.obs_dim), dtype=np.float32)
        self.actions = np.zeros(self.capacity, dtype=np.int64)
        self.rewards = np.zeros(self.capacity, dtype=np.float32)
        self.terminated = np.zeros(self.capacity, dtype=np.float32)
        self.pos = 0
        self.full = False

    def __len__(self) -> int:
        return self.capacity if self.full else self.pos

    def add(
        self,
        obs: np.ndarray,
        actions: np.ndarray,
        rewards: np.ndarray,
        next_obs: np.ndarray,
        terminated: np.ndarray,
    ) -> None:
        """Store a batch of ``k`` transitions (arrays with leading dimension ``k``).

        ``actions`` are indices ``0..n-1`` (without the action space's ``start`` offset);
        ``terminated`` is true only for real terminations (not for truncations).
        """
        k = len(actions)
        if k == 0:
            return
        if k == 1:  # the common single-environment case, without fancy indexing
            i = self.pos
            self.observations[i] = obs[0]
            self.next_observations[i] = next_obs[0]
            self.actions[i] = actions[0]
            self.rewards[i] = rewards[0]
            self.terminated[i] = terminated[0]
        else:
            if k > self.capacity:  # only the newest ``capacity`` survive anyway
                obs, actions, rewards = (
                    obs[-self.capacity :],
                    actions[-self.capacity :],
                    rewards[-self.capacity :],
                )
                next_obs, terminated = next_obs[-self.capacity :], terminated[-self.capacity :]
                k = self.capacity
            idx = (self.pos + np.arange(k)) % self.capacity
            self.observations[idx] = obs
            self.next_observations[idx] = next_obs
            self.actions[idx] = actions
            self.rewards[idx] = rewards
            self.terminated[idx] = terminated
        new_pos = self.pos + k
        if new_pos >= self.capacity:
            self.full = True
        self.pos = new_pos % self.capacity

    def sample(self, batch_size: int) -> tuple[np.ndarray, ...]:
        """Uniformly sample ``batch_size`` transitions (with replacement).

        Returns
        -------
        tuple of numpy.ndarray
            ``(obs, actions, rewards, next_obs, terminated)``.
        """
        size = len(self)
        if size == 0:
            raise RuntimeError("cannot sample from an empty replay buffer")
        idx = self.rng.integers(0, size, size=batch_size)
        return (
            self.observations[idx],
            self.actions[idx],
            self.rewards[idx],
            self.next_observations[idx],
            self.terminated[idx],
        )

    def _ordered_indices(self) -> np.ndarray:
        """Indices of the stored transitions from oldest to newest."""
        if not self.full:
            return np.arange(self.pos)
        return (self.pos + np.arange(self.capacity)) % self.capacity

    def save(self, path: str | os.PathLike) -> None:
        """Write the stored transitions (oldest first) to a ``.npz`` file."""
        idx = self._ordered_indices()
        np.savez(
            path,
            observations=self.observations[idx],
            next_observations=self.next_observations[idx],
            actions=self.actions[idx],
            rewards=self.rewards[idx],
            terminated=self.terminated[idx],
        )

    def load(self, path: str | os.PathLike) -> None:
        """Replace the contents with transitions read by :meth:`save` (newest kept if too many)."""
        with np.load(path) as data:
            obs = data["observations"]
            if obs.ndim != 2 or obs.shape[1] != self.obs_dim:
                raise ValueError(
                    f"replay buffer file has observations of shape {obs.shape[1:]}, expected ({self.obs_dim},)"
                )
            arrays = [
                data[k] for k in ("observations", "actions", "rewards", "next_observations", "terminated")
            ]
        self.pos, self.full = 0, False
        self.add(*arrays)


# --------------------------------------------------------------------------------------------
# Environment adapter: one interface for gym.Env, gymnasium VectorEnv and SB3 VecEnv
# --------------------------------------------------------------------------------------------
def _is_sb3_vec_env(env: Any) -> bool:
    if isinstance(env, (gym.Env, gym.vector.VectorEnv)):
        return False
    try:
        from stable_baselines3.common.vec_env import VecEnv
    except ImportError:  # pragma: no cover - SB3 is a dependency of the project
        return False
    return isinstance(env, VecEnv)


class _EnvAdapter:
    """Wrap an environment so that ``step`` returns, for all ``num_envs`` sub-environments,
    the observation for the next action, the real next observation of the transition, rewards,
    terminated, truncated and a mask of transitions that are real (NEXT_STEP reset steps are not).
    """

    def __init__(self, env: Any) -> None:
        self.env = env
        if isinstance(env, gym.vector.VectorEnv):
            self.kind = "gym_vector"
            self.num_envs = int(env.num_envs)
            self.observation_space = env.single_observation_space
            self.action_space = env.single_action_space
            mode = env.metadata.get("autoreset_mode", gym.vector.AutoresetMode.NEXT_STEP)
            self.autoreset_mode = gym.vector.AutoresetMode(mode)
        elif isinstance(env, gym.Env):
            self.kind = "gym"
            self.num_envs = 1
            self.observation_space = env.observation_space
            self.action_space = env.action_space
        elif _is_sb3_vec_env(env):
            self.kind = "sb3"
            self.num_envs = int(env.num_envs)
            self.observation_space = env.observation_space
            self.action_space = env.action_space
        else:
            raise TypeError(
                "env must be a gymnasium.Env, a gymnasium.vector.VectorEnv or a stable_baselines3 VecEnv, "
                f"got {type(env).__name__}"
            )
        self._pending_reset = np.zeros(self.num_envs, dtype=bool)
        self._all_valid = np.ones(self.num_envs, dtype=bool)

    def _flat(self, obs: Any) -> np.ndarray:
        return np.asarray(obs, dtype=np.float32).reshape(self.num_envs, -1)

    def seed_action_space(self, seed: int) -> None:
        for space in {
            id(s): s for s in (self.action_space, getattr(self.env, "action_space", None))
        }.values():
            if space is not None:
                space.seed(seed)

    def reset(self, seed: int | None = None) -> np.ndarray:
        self._pending_reset[:] = False
        if self.kind == "sb3":
            if seed is not None:
                self.env.seed(seed)
            return self._flat(self.env.reset())
        obs, _ = self.env.reset(seed=seed)
        return self._flat(obs if self.kind == "gym_vector" else [obs])

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, ...]:
        """Step with action indices ``actions`` (shape ``(num_envs,)``, without ``start`` offset)."""
        env_actions = actions + int(self.action_space.start)
        if self.kind == "gym":
            obs, reward, terminated, truncated, _ = self.env.step(env_actions[0].item())
            real_next = self._flat([obs])
            if terminated or truncated:
                obs, _ = self.env.reset()
                next_obs = self._flat([obs])
            else:
                next_obs = real_next
            return (
                next_obs,
                real_next,
                np.array([reward], dtype=np.float32),
                np.array([terminated], dtype=bool),
                np.array([truncated], dtype=bool),
                self._all_valid,
                None,
            )
        if self.kind == "sb3":
            obs, rewards, dones, infos = self.env.step(env_actions)
            next_obs = self._flat(obs)
            real_next = next_obs
            dones = np.asarray(dones, dtype=bool)
            truncated = np.zeros(self.num_envs, dtype=bool)
            if dones.any():
                real_next = next_obs.copy()
                for i in np.flatnonzero(dones):
                    truncated[i] = bool(infos[i].get("TimeLimit.truncated", False))
                    final = infos[i].get("terminal_observation")
                    if final is not None:
                        real_next[i] = np.asarray(final, dtype=np.float32).reshape(-1)
            terminated = dones & ~truncated
            return (
                next_obs,
                real_next,
                np.asarray(rewards, dtype=np.float32),
                terminated,
                truncated,
                self._all_valid,
                infos,
            )
        # gymnasium VectorEnv
        obs, rewards, terminated, truncated, infos = self.env.step(env_actions)
        next_obs = self._flat(obs)
        real_next = next_obs
        terminated = np.asarray(terminated, dtype=bool)
        truncated = np.asarray(truncated, dtype=bool)
        done = terminated | truncated
        valid = self._all_valid
        mode = self.autoreset_mode
        if mode == gym.vector.AutoresetMode.NEXT_STEP:
            if self._pending_reset.any():
                valid = ~self._pending_reset
            self._pending_reset = done
        elif mode == gym.vector.AutoresetMode.SAME_STEP:
            if done.any():
                real_next = next_obs.copy()
                final_obs = infos["final_obs"]
                for i in np.flatnonzero(done):
                    real_next[i] = np.asarray(final_obs[i], dtype=np.float32).reshape(-1)
        elif mode == gym.vector.AutoresetMode.DISABLED:
            if done.any():
                obs, _ = self.env.reset(options={"reset_mask": done})
                next_obs = self._flat(obs)
        else:  # pragma: no cover - future gymnasium modes
            raise ValueError(f"unsupported autoreset mode {mode!r}")
        return next_obs, real_next, np.asarray(rewards, dtype=np.float32), terminated, truncated, valid, infos


# --------------------------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------------------------
def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_float(
    name: str, value: Any, low: float, high: float = math.inf, *, low_open: bool = False
) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    value = float(value)
    ok = (value > low if low_open else value >= low) and value <= high and not math.isnan(value)
    if not ok:
        interval = f"{'(' if low_open else '['}{low}, {high}]"
        raise ValueError(f"{name} must lie in {interval}, got {value!r}")
    return value


def _check_spaces(observation_space: Any, action_space: Any) -> None:
    if not isinstance(observation_space, spaces.Box):
        raise ValueError(
            f"observation_space must be a gymnasium.spaces.Box, got {type(observation_space).__name__}"
        )
    if not isinstance(action_space, spaces.Discrete):
        raise ValueError(
            f"action_space must be a gymnasium.spaces.Discrete, got {type(action_space).__name__}"
        )


def _linear_schedule(start: float, end: float, fraction: float, progress: float) -> float:
    """Value at ``progress`` in [0, 1]: linear from ``start`` to ``end`` over ``fraction``."""
    if fraction <= 0.0 or progress >= fraction:
        return end
    return start + progress * (end - start) / fraction


# --------------------------------------------------------------------------------------------
# The agent
# --------------------------------------------------------------------------------------------
class DQNAgent:
    """Deep Q-Network agent for Box observations and Discrete actions.

    Parameters
    ----------
    env : gymnasium.Env, gymnasium.vector.VectorEnv, stable_baselines3 VecEnv or str
        Training environment (see the module docstring); a string is passed to ``gymnasium.make``.
        To use an agent without an environment, build it with :meth:`load`.
    hidden_sizes : sequence of int, default (32,)
        Hidden ReLU layer widths of the Q-network (the paper's network is ``(32,)``).
    learning_rate : float, default 1e-3
        Adam learning rate.
    buffer_size : int, default 50_000
        Replay buffer capacity (transitions).
    learning_starts : int, default 1000
        Transitions collected before the first gradient step.
    batch_size : int, default 64
        Minibatch size.
    gamma : float, default 0.99
        Discount factor in [0, 1].
    train_freq : int, default 4
        Train every ``train_freq`` vector steps (calls of ``env.step``).
    gradient_steps : int, default 1
        Gradient steps per training round.
    target_update_interval : int, default 500
        Copy the Q-network into the target network every this many transitions.
    exploration_fraction : float, default 0.2
        Fraction of ``total_timesteps`` over which epsilon decays linearly.
    exploration_initial_eps, exploration_final_eps : float, default 1.0 and 0.05
        Start and end of the epsilon schedule, in [0, 1].
    max_grad_norm : float or None, default 10.0
        Clip the gradient norm to this value; ``None`` disables clipping.
    seed : int or None
        Seeds network initialisation, exploration, buffer sampling, the environment's first reset
        and its action space. With a seed the same learning run is reproduced bit for bit.
    device : str or torch.device, default "cpu"
        Torch device (``"auto"`` picks CUDA when available).
    verbose : int, default 0
        1 prints a summary every ``log_interval`` episodes.
    tensorboard_log : str or None
        Directory for TensorBoard runs (``<dir>/<tb_log_name>_<i>``); ``None`` disables.
    num_threads : int or None, default 1
        ``torch.set_num_threads`` value used while :meth:`learn` runs (restored afterwards);
        one thread is fastest for small networks. ``None`` leaves torch's setting alone.

    Attributes
    ----------
    q_net, q_net_target : torch.nn.Sequential
        Online and target Q-networks.
    replay_buffer : ReplayBuffer
    num_timesteps : int
        Transitions collected so far (continues across ``learn`` calls with
        ``reset_num_timesteps=False``).
    exploration_rate : float
        Current epsilon.
    episode_returns, episode_lengths, episode_timesteps : list
        Return, length and ``num_timesteps`` at the end of every finished training episode.
    """

    def __init__(
        self,
        env: Any,
        *,
        hidden_sizes: Sequence[int] = (32,),
        learning_rate: float = 1e-3,
        buffer_size: int = 50_000,
        learning_starts: int = 1000,
        batch_size: int = 64,
        gamma: float = 0.99,
        train_freq: int = 4,
        gradient_steps: int = 1,
        target_update_interval: int = 500,
        exploration_fraction: float = 0.2,
        exploration_initial_eps: float = 1.0,
        exploration_final_eps: float = 0.05,
        max_grad_norm: float | None = 10.0,
        seed: int | None = None,
        device: str | torch.device = "cpu",
        verbose: int = 0,
        tensorboard_log: str | os.PathLike | None = None,
        num_threads: int | None = 1,
    ) -> None:
        if env is None:
            raise ValueError("env must not be None (use DQNAgent.load to build an agent without one)")
        if isinstance(env, str):
            env = gym.make(env)
        adapter = _EnvAdapter(env)
        self._setup(
            adapter.observation_space,
            adapter.action_space,
            {
                "hidden_sizes": hidden_sizes,
                "learning_rate": learning_rate,
                "buffer_size": buffer_size,
                "learning_starts": learning_starts,
                "batch_size": batch_size,
                "gamma": gamma,
                "train_freq": train_freq,
                "gradient_steps": gradient_steps,
                "target_update_interval": target_update_interval,
                "exploration_fraction": exploration_fraction,
                "exploration_initial_eps": exploration_initial_eps,
                "exploration_final_eps": exploration_final_eps,
                "max_grad_norm": max_grad_norm,
                "seed": seed,
                "verbose": verbose,
                "tensorboard_log": tensorboard_log,
                "num_threads": num_threads,
            },
            device,
        )
        self._adapter = adapter
        self.env = env

    # ---- construction -----------------------------------------------------------------------
    def _setup(self, observation_space: Any, action_space: Any, hp: dict[str, Any], device: Any) -> None:
        _check_spaces(observation_space, action_space)
        hidden = hp["hidden_sizes"]
        if isinstance(hidden, (int, np.integer)) or not isinstance(hidden, Iterable):
            raise ValueError(f"hidden_sizes must be a sequence of positive integers, got {hidden!r}")
        hidden = tuple(_check_int("hidden_sizes", h, 1) for h in hidden)
        self.hidden_sizes = hidden
        self.learning_rate = _check_float("learning_rate", hp["learning_rate"], 0.0, low_open=True)
        self.buffer_size = _check_int("buffer_size", hp["buffer_size"], 1)
        self.learning_starts = _check_int("learning_starts", hp["learning_starts"], 0)
        self.batch_size = _check_int("batch_size", hp["batch_size"], 1)
        self.gamma = _check_float("gamma", hp["gamma"], 0.0, 1.0)
        self.train_freq = _check_int("train_freq", hp["train_freq"], 1)
        self.gradient_steps = _check_int("gradient_steps", hp["gradient_steps"], 1)
        self.target_update_interval = _check_int("target_update_interval", hp["target_update_interval"], 1)
        self.exploration_fraction = _check_float("exploration_fraction", hp["exploration_fraction"], 0.0, 1.0)
        self.exploration_initial_eps = _check_float(
            "exploration_initial_eps", hp["exploration_initial_eps"], 0.0, 1.0
        )
        self.exploration_final_eps = _check_float(
            "exploration_final_eps", hp["exploration_final_eps"], 0.0, 1.0
        )
        mgn = hp["max_grad_norm"]
        self.max_grad_norm = None if mgn is None else _check_float("max_grad_norm", mgn, 0.0, low_open=True)
        seed = hp["seed"]
        self.seed = None if seed is None else _check_int("seed", seed, 0)
        self.verbose = _check_int("verbose", hp["verbose"], 0)
        tb = hp["tensorboard_log"]
        self.tensorboard_log = None if tb is None else os.fspath(tb)
        nt = hp["num_threads"]
        self.num_threads = None if nt is None else _check_int("num_threads", nt, 1)
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        try:
            self.device = torch.device(device)
        except (RuntimeError, TypeError) as exc:
            raise ValueError(f"device is not a valid torch device: {device!r}") from exc

        self.observation_space: spaces.Box = observation_space
        self.action_space: spaces.Discrete = action_space
        self.obs_shape = tuple(observation_space.shape)
        self.obs_dim = int(np.prod(self.obs_shape))
        self.n_actions = int(action_space.n)
        self.action_start = int(action_space.start)

        # The agent's draws (exploration, replay sampling) come from a child of the seed, so that they
        # are not the same stream as an environment reset with the same seed.
        self.rng = np.random.default_rng(None if self.seed is None else [self.seed, 1])
        if self.seed is not None:
            with torch.random.fork_rng(devices=[]):  # leave the caller's global RNG untouched
                torch.manual_seed(self.seed)
                self.q_net = build_q_network(self.obs_dim, self.n_actions, hidden)
        else:
            self.q_net = build_q_network(self.obs_dim, self.n_actions, hidden)
        self.q_net.to(self.device)
        self.q_net_target = copy.deepcopy(self.q_net)
        self.q_net_target.requires_grad_(False)
        self.q_net_target.eval()
        try:  # the fused kernel is much faster for small networks (CPU support since torch 2.4)
            self.optimizer = torch.optim.Adam(self.q_net.parameters(), lr=self.learning_rate, fused=True)
        except (RuntimeError, TypeError, ValueError):
            self.optimizer = torch.optim.Adam(self.q_net.parameters(), lr=self.learning_rate)
        self.replay_buffer = ReplayBuffer(self.buffer_size, self.obs_dim, self.rng)

        self.num_timesteps = 0
        self.n_updates = 0
        self.exploration_rate = self.exploration_initial_eps
        self.last_loss: float = math.nan
        self.episode_returns: list[float] = []
        self.episode_lengths: list[int] = []
        self.episode_timesteps: list[int] = []
        self.env: Any = None
        self._adapter: _EnvAdapter | None = None
        self._last_obs: np.ndarray | None = None
        self._env_seeded = False
        self._ep_return = np.zeros(0)
        self._ep_length = np.zeros(0, dtype=np.int64)
        self._total_timesteps = 0
        self._writer: Any = None

    def _env_seed(self) -> int:
        """Seed of the environment's first reset: the agent's seed, or one derived from it on resume."""
        if self.num_timesteps == 0:
            return int(self.seed)
        return int(np.random.SeedSequence([self.seed, self.num_timesteps]).generate_state(1)[0])

    def _hyperparameters(self) -> dict[str, Any]:
        return {
            "hidden_sizes": list(self.hidden_sizes),
            "learning_rate": self.learning_rate,
            "buffer_size": self.buffer_size,
            "learning_starts": self.learning_starts,
            "batch_size": self.batch_size,
            "gamma": self.gamma,
            "train_freq": self.train_freq,
            "gradient_steps": self.gradient_steps,
            "target_update_interval": self.target_update_interval,
            "exploration_fraction": self.exploration_fraction,
            "exploration_initial_eps": self.exploration_initial_eps,
            "exploration_final_eps": self.exploration_final_eps,
            "max_grad_norm": self.max_grad_norm,
            "seed": self.seed,
            "verbose": self.verbose,
            "tensorboard_log": self.tensorboard_log,
            "num_threads": self.num_threads,
        }

    def set_env(self, env: Any) -> None:
        """Attach a (new) training environment with the same spaces; the next ``learn`` resets it.

        Raises
        ------
        ValueError
            If its observation shape or number of actions differ from the agent's.
        """
        adapter = _EnvAdapter(env)
        _check_spaces(adapter.observation_space, adapter.action_space)
        if tuple(adapter.observation_space.shape) != self.obs_shape:
            raise ValueError(
                f"observation_space shape {adapter.observation_space.shape} does not match the agent's {self.obs_shape}"
            )
        if (
            int(adapter.action_space.n) != self.n_actions
            or int(adapter.action_space.start) != self.action_start
        ):
            raise ValueError(
                f"action_space {adapter.action_space} does not match the agent's "
                f"Discrete({self.n_actions}, start={self.action_start})"
            )
        self.env = env
        self._adapter = adapter
        self._last_obs = None

    # ---- acting -----------------------------------------------------------------------------
    def _greedy(self, obs: np.ndarray) -> np.ndarray:
        """Greedy action indices for a float32 batch ``(B, obs_dim)``."""
        with torch.inference_mode():
            q = self.q_net(torch.from_numpy(obs).to(self.device))
            return q.argmax(dim=1).cpu().numpy()

    def _epsilon_greedy(self, obs: np.ndarray, epsilon: float) -> np.ndarray:
        n = obs.shape[0]
        if epsilon <= 0.0:
            return self._greedy(obs)
        explore = self.rng.random(n) < epsilon
        random_actions = self.rng.integers(0, self.n_actions, size=n)
        if explore.all():
            return random_actions
        return np.where(explore, random_actions, self._greedy(obs))

    def predict(
        self,
        observation: np.ndarray,
        state: Any = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = True,
    ) -> tuple[np.ndarray, None]:
        """Action(s) for one observation or a batch, like Stable-Baselines3's ``predict``.

        Parameters
        ----------
        observation : array_like
            One observation of the observation space's shape, or a batch ``(B, *shape)``.
        state, episode_start
            Ignored (kept for API compatibility with recurrent policies).
        deterministic : bool, default True
            Greedy actions if true; otherwise epsilon-greedy with the current ``exploration_rate``.

        Returns
        -------
        actions : numpy.ndarray
            Integer array of shape ``()`` for a single observation, ``(B,)`` for a batch
            (values include the action space's ``start`` offset).
        state : None
        """
        obs = np.asarray(observation, dtype=np.float32)
        if obs.shape == self.obs_shape:
            single = True
            obs = obs.reshape(1, self.obs_dim)
        elif obs.ndim == len(self.obs_shape) + 1 and obs.shape[1:] == self.obs_shape:
            single = False
            obs = obs.reshape(obs.shape[0], self.obs_dim)
        else:
            raise ValueError(
                f"observation of shape {obs.shape} matches neither {self.obs_shape} nor (batch, *{self.obs_shape})"
            )
        if not (obs.flags.c_contiguous and obs.flags.writeable):  # torch.from_numpy needs both
            obs = obs.copy()
        actions = self._greedy(obs) if deterministic else self._epsilon_greedy(obs, self.exploration_rate)
        if self.action_start:
            actions = actions + self.action_start
        return (actions.reshape(()) if single else actions), None

    # ---- learning ---------------------------------------------------------------------------
    def train(self, gradient_steps: int, batch_size: int | None = None) -> float:
        """Do ``gradient_steps`` DQN updates on minibatches from the replay buffer.

        Parameters
        ----------
        gradient_steps : int
            Number of gradient steps.
        batch_size : int, optional
            Minibatch size; defaults to ``self.batch_size``.

        Returns
        -------
        float
            Loss of the last step.
        """
        batch_size = self.batch_size if batch_size is None else batch_size
        loss = torch.zeros(())
        for _ in range(gradient_steps):
            obs, actions, rewards, next_obs, terminated = (
                torch.from_numpy(a).to(self.device) for a in self.replay_buffer.sample(batch_size)
            )
            with torch.no_grad():
                next_q = self.q_net_target(next_obs).max(dim=1).values
                target = rewards + self.gamma * (1.0 - terminated) * next_q
            q = self.q_net(obs).gather(1, actions.unsqueeze(1)).squeeze(1)
            loss = F.smooth_l1_loss(q, target)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if self.max_grad_norm is not None:
                nn.utils.clip_grad_norm_(self.q_net.parameters(), self.max_grad_norm)
            self.optimizer.step()
            self.n_updates += 1
        self.last_loss = float(loss.item())
        return self.last_loss

    def update_target(self) -> None:
        """Copy the online Q-network's weights into the target network."""
        with torch.no_grad():
            for target_param, param in zip(self.q_net_target.parameters(), self.q_net.parameters()):
                target_param.copy_(param)

    def _epsilon_at(self, num_timesteps: int) -> float:
        progress = num_timesteps / max(self._total_timesteps, 1)
        return _linear_schedule(
            self.exploration_initial_eps, self.exploration_final_eps, self.exploration_fraction, progress
        )

    def _open_writer(self, tb_log_name: str, reset: bool) -> None:
        if self.tensorboard_log is None or (self._writer is not None and not reset):
            return
        from torch.utils.tensorboard import SummaryWriter  # slow import, only when needed

        if self._writer is not None:
            self._writer.close()
        root = Path(self.tensorboard_log)
        root.mkdir(parents=True, exist_ok=True)
        taken = [
            int(p.name[len(tb_log_name) + 1 :])
            for p in root.glob(f"{tb_log_name}_*")
            if p.name[len(tb_log_name) + 1 :].isdigit()
        ]
        self._writer = SummaryWriter(log_dir=str(root / f"{tb_log_name}_{max(taken, default=0) + 1}"))

    def learn(
        self,
        total_timesteps: int,
        callback: Callback | None = None,
        progress_bar: bool = False,
        reset_num_timesteps: bool = True,
        log_interval: int = 4,
        tb_log_name: str = "DQN",
    ) -> DQNAgent:
        """Collect ``total_timesteps`` transitions while training the Q-network.

        Parameters
        ----------
        total_timesteps : int
            Transitions to collect in this call (rounded up to a multiple of ``num_envs``).
        callback : callable or None
            Called after every vector step as ``callback(locals_dict)``, where ``locals_dict`` is
            the loop's ``locals()`` (keys include ``"self"`` (the agent), ``"obs"``,
            ``"actions"``, ``"rewards"``, ``"terminated"``, ``"truncated"``, ``"infos"``,
            ``"epsilon"``). Training stops when it returns ``False``; any other return value
            (including ``None``) continues.
        progress_bar : bool, default False
            Show a tqdm bar (steps, with episodes, mean return of the last 100 episodes and epsilon).
        reset_num_timesteps : bool, default True
            If true, restart ``num_timesteps`` (and the episode statistics) at 0 and reset the
            environment; if false, continue counting, the epsilon schedule and the current episodes.
        log_interval : int, default 4
            Episodes between summaries (printed with ``verbose >= 1``, and written to TensorBoard).
        tb_log_name : str, default "DQN"
            TensorBoard run name prefix.

        Returns
        -------
        DQNAgent
            ``self``.
        """
        total_timesteps = _check_int("total_timesteps", total_timesteps, 1)
        log_interval = _check_int("log_interval", log_interval, 1)
        if callback is not None and not callable(callback):
            raise TypeError("callback must be a callable callback(locals_dict) -> bool, or None")
        if self._adapter is None:
            raise ValueError("the agent has no environment: pass env to DQNAgent.load or call set_env(env)")
        adapter = self._adapter
        n_envs = adapter.num_envs

        if reset_num_timesteps:
            self.num_timesteps = 0
            self.episode_returns, self.episode_lengths, self.episode_timesteps = [], [], []
        self._total_timesteps = total_timesteps + self.num_timesteps
        if reset_num_timesteps or self._last_obs is None:
            if not self._env_seeded and self.seed is not None:
                env_seed = self._env_seed()
                adapter.seed_action_space(env_seed)
                self._last_obs = adapter.reset(seed=env_seed)
            else:
                self._last_obs = adapter.reset()
            self._env_seeded = True
            self._ep_return = np.zeros(n_envs)
            self._ep_length = np.zeros(n_envs, dtype=np.int64)
        self._open_writer(tb_log_name, reset_num_timesteps)

        pbar = None
        if progress_bar:
            from tqdm import tqdm

            pbar = tqdm(total=-(-total_timesteps // n_envs) * n_envs, unit="step", dynamic_ncols=True)
        old_threads = torch.get_num_threads()
        if self.num_threads is not None and self.num_threads != old_threads:
            torch.set_num_threads(self.num_threads)
        start_time = time.perf_counter()
        start_steps = self.num_timesteps
        end_timesteps = self.num_timesteps + total_timesteps
        vector_steps = 0
        episodes_since_log = 0
        loss_sum, loss_count = 0.0, 0
        last_postfix = 0.0
        try:
            obs = self._last_obs
            while self.num_timesteps < end_timesteps:
                epsilon = self._epsilon_at(self.num_timesteps)
                self.exploration_rate = epsilon
                actions = self._epsilon_greedy(obs, epsilon)
                next_obs, real_next_obs, rewards, terminated, truncated, valid, infos = adapter.step(actions)

                if valid is adapter._all_valid:
                    self.replay_buffer.add(obs, actions, rewards, real_next_obs, terminated)
                else:
                    self.replay_buffer.add(
                        obs[valid], actions[valid], rewards[valid], real_next_obs[valid], terminated[valid]
                    )
                obs = next_obs
                self._last_obs = obs
                prev_timesteps = self.num_timesteps
                self.num_timesteps += n_envs
                vector_steps += 1
                if pbar is not None:
                    pbar.update(n_envs)

                # episode bookkeeping
                self._ep_return += np.where(valid, rewards, 0.0)
                self._ep_length += valid
                dones = (terminated | truncated) & valid
                if dones.any():
                    for i in np.flatnonzero(dones):
                        self.episode_returns.append(float(self._ep_return[i]))
                        self.episode_lengths.append(int(self._ep_length[i]))
                        self.episode_timesteps.append(self.num_timesteps)
                        self._ep_return[i] = 0.0
                        self._ep_length[i] = 0
                        episodes_since_log += 1
                        if self._writer is not None:
                            self._writer.add_scalar(
                                "rollout/ep_return", self.episode_returns[-1], self.num_timesteps
                            )
                            self._writer.add_scalar(
                                "rollout/ep_length", self.episode_lengths[-1], self.num_timesteps
                            )
                    if pbar is not None and time.perf_counter() - last_postfix > 0.5:
                        last_postfix = time.perf_counter()
                        pbar.set_postfix(
                            episodes=len(self.episode_returns),
                            mean_return=f"{np.mean(self.episode_returns[-100:]):.2f}",
                            eps=f"{epsilon:.3f}",
                            refresh=False,
                        )
                    if episodes_since_log >= log_interval:
                        episodes_since_log = 0
                        self._log_summary(start_time, start_steps, loss_sum / max(loss_count, 1), loss_count)
                        loss_sum, loss_count = 0.0, 0

                # training
                if self.num_timesteps > self.learning_starts and vector_steps % self.train_freq == 0:
                    loss_sum += self.train(self.gradient_steps)
                    loss_count += 1
                if (
                    self.num_timesteps // self.target_update_interval
                    > prev_timesteps // self.target_update_interval
                ):
                    self.update_target()

                if callback is not None and callback(locals()) is False:
                    break
        finally:
            if self.num_threads is not None and torch.get_num_threads() != old_threads:
                torch.set_num_threads(old_threads)
            if pbar is not None:
                pbar.close()
            if self._writer is not None:
                self._writer.flush()
        return self

    def _log_summary(self, start_time: float, start_steps: int, mean_loss: float, loss_count: int) -> None:
        fps = (self.num_timesteps - start_steps) / max(time.perf_counter() - start_time, 1e-9)
        mean_return = float(np.mean(self.episode_returns[-100:]))
        if self._writer is not None:
            w, t = self._writer, self.num_timesteps
            w.add_scalar("rollout/ep_return_mean", mean_return, t)
            w.add_scalar("rollout/exploration_rate", self.exploration_rate, t)
            w.add_scalar("time/fps", fps, t)
            if loss_count:
                w.add_scalar("train/loss", mean_loss, t)
                w.add_scalar("train/n_updates", self.n_updates, t)
        if self.verbose >= 1:
            loss_text = f"{mean_loss:.4g}" if loss_count else "-"
            print(
                f"steps {self.num_timesteps:>8d} | episodes {len(self.episode_returns):>6d} | "
                f"mean return(100) {mean_return:10.3f} | eps {self.exploration_rate:.3f} | "
                f"loss {loss_text} | fps {fps:.0f}"
            )

    # ---- persistence ------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Save weights, optimizer, counters and configuration into the directory ``path``.

        Writes ``path/model.pt`` (tensors and plain types, ``weights_only``-loadable) and
        ``path/config.json`` (hyperparameters and spaces). The replay buffer is not included;
        see :meth:`save_replay_buffer`.
        """
        directory = Path(path)
        directory.mkdir(parents=True, exist_ok=True)
        torch.save(
            {
                "format_version": FORMAT_VERSION,
                "q_net": self.q_net.state_dict(),
                "q_net_target": self.q_net_target.state_dict(),
                "optimizer": self.optimizer.state_dict(),
                "num_timesteps": int(self.num_timesteps),
                "n_updates": int(self.n_updates),
                "exploration_rate": float(self.exploration_rate),
                "rng_state": self.rng.bit_generator.state,
            },
            directory / MODEL_FILE,
        )
        box = self.observation_space
        config = {
            "format_version": FORMAT_VERSION,
            "algorithm": "DQN",
            "hyperparameters": self._hyperparameters(),
            "observation_space": {
                "type": "Box",
                "shape": list(self.obs_shape),
                "dtype": str(box.dtype),
                "low": box.low.astype(np.float64).tolist(),
                "high": box.high.astype(np.float64).tolist(),
            },
            "action_space": {"type": "Discrete", "n": self.n_actions, "start": self.action_start},
            "num_timesteps": int(self.num_timesteps),
        }
        (directory / CONFIG_FILE).write_text(json.dumps(config, indent=2))

    @classmethod
    def load(cls, path: str | os.PathLike, env: Any = None, device: str | torch.device = "cpu") -> DQNAgent:
        """Load an agent written by :meth:`save`.

        Parameters
        ----------
        path : str or os.PathLike
            Directory containing ``model.pt`` and ``config.json``.
        env : optional
            Environment to continue training on (spaces must match); without it the agent can
            still ``predict`` (its spaces are rebuilt from ``config.json``).
        device : str or torch.device, default "cpu"

        Returns
        -------
        DQNAgent
        """
        directory = Path(path)
        config = json.loads((directory / CONFIG_FILE).read_text())
        if config.get("format_version") != FORMAT_VERSION or config.get("algorithm") != "DQN":
            raise ValueError(f"{directory / CONFIG_FILE} is not a DQN save of format {FORMAT_VERSION}")
        o, a = config["observation_space"], config["action_space"]
        shape = tuple(o["shape"])
        observation_space = spaces.Box(
            low=np.asarray(o["low"], dtype=o["dtype"]).reshape(shape),
            high=np.asarray(o["high"], dtype=o["dtype"]).reshape(shape),
            shape=shape,
            dtype=np.dtype(o["dtype"]),
        )
        action_space = spaces.Discrete(int(a["n"]), start=int(a["start"]))
        agent = cls.__new__(cls)
        agent._setup(observation_space, action_space, dict(config["hyperparameters"]), device)
        state = torch.load(directory / MODEL_FILE, map_location=agent.device, weights_only=True)
        agent.q_net.load_state_dict(state["q_net"])
        agent.q_net_target.load_state_dict(state["q_net_target"])
        agent.optimizer.load_state_dict(state["optimizer"])
        agent.num_timesteps = int(state["num_timesteps"])
        agent.n_updates = int(state["n_updates"])
        agent.exploration_rate = float(state["exploration_rate"])
        agent.rng.bit_generator.state = state["rng_state"]
        # A resumed run seeds its new environment from (seed, steps so far): reproducible, and not a replay
        # of the first episodes.
        agent._env_seeded = agent.seed is None
        if env is not None:
            agent.set_env(env)
        return agent

    def save_replay_buffer(self, path: str | os.PathLike) -> None:
        """Write the replay buffer's transitions to a ``.npz`` file (numpy appends ``.npz`` if missing)."""
        self.replay_buffer.save(path)

    def load_replay_buffer(self, path: str | os.PathLike) -> None:
        """Replace the replay buffer's contents with a file written by :meth:`save_replay_buffer`."""
        self.replay_buffer.load(path)

    def __repr__(self) -> str:
        return (
            f"DQNAgent(obs_shape={self.obs_shape}, n_actions={self.n_actions}, hidden_sizes={self.hidden_sizes}, "
            f"num_timesteps={self.num_timesteps})"
        )
