"""The controllers of :mod:`evaluation.runner`'s protocol: what sets a swarm's parameters during a run.

:class:`RuleController` drives the swarm with a hand-designed ``ParameterRule``; :class:`PolicyController`
runs a policy with SB3's ``predict`` on PSOControl (a loaded model, :class:`StaticPolicy`,
:class:`RandomPolicy`). ``evaluation.run(controller, function, ...)`` makes the run and its record.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from pso_env import N_ACTIONS, PSOEnv
from pso_env.swarm import BOUND_MODES, Swarm


class RuleController:
    """A hand-designed PSO variant: its ``ParameterRule`` (reset at every start) sets the parameters and
    moves the swarm.

    Parameters
    ----------
    velocity_clamp : float or None
        Velocity clamp as a fraction of the range (SPEC section 1).
    bounds : {"clip-back", "clip", "reflect", "none"}
        Position handling at the box (:class:`pso_env.Swarm`; the default is SPSO 2011's).
    trace : bool
        Keep the per-iteration ``w`` (the swarm mean where it is per particle), ``c1``, ``c2`` and the
        rule's own trace.
    """

    def __init__(self, rule: Any, *, velocity_clamp: float | None = 0.2, bounds: str = BOUND_MODES[0],
                 trace: bool = True) -> None:
        self.rule, self.velocity_clamp, self.bounds, self.keep_trace = rule, velocity_clamp, bounds, trace
        self.name = rule.name

    def start(self, function: Any, *, swarm_size: int, iterations: int, seed: int,
              max_evaluations: int | None = None) -> Swarm:
        rng = np.random.default_rng(seed)
        self.swarm = Swarm(function, swarm_size, rng, batch_size=1, velocity_clamp=self.velocity_clamp,
                           bounds=self.bounds, history=True)
        self.rule.reset(self.swarm, iterations, max_evaluations)
        self._trace: dict[str, list[float]] = {"w": [], "c1": [], "c2": []}
        return self.swarm

    def step(self, t: int) -> bool:
        w, c1, c2, chi = self.rule.parameters(self.swarm, t)
        self.rule.move(self.swarm, w, c1, c2, chi)
        self.rule.after_step(self.swarm, t)
        if self.keep_trace:
            for key, value in zip(("w", "c1", "c2"), (w, c1, c2)):
                self._trace[key].append(float(np.mean(value)))
        return False

    def trace(self) -> dict[str, Any]:
        return {**self._trace, **self.rule.trace()} if self.keep_trace else {}


class PolicyController:
    """A policy acting on PSOControl, one action per iteration.

    Parameters
    ----------
    policy : object
        Has ``predict(obs, deterministic=True)``; its ``obs_mode`` attribute (default "viterbi") chooses
        the observation and its ``action_mode`` (default "discrete") the actions: an index, or with
        "continuous" 3 numbers in [-1, 1] mapped onto w, c1, c2, with "particle" such a row per particle; its ``env_kwargs`` dict, if any, the environment
        settings it acts through (:data:`pso_env.config.ACTION_SETTINGS`: action ranges, ``elitist``: a 4th number,
        ``elitist_always``, ``random_factors``: ``"action"`` adds a last column per particle, ``elitist_step``). Its ``seed`` method, if any, gets the run's seed; its ``reset``, if any, is
        called at every start.
    env_kwargs : dict, optional
        Further :class:`pso_env.PSOEnv` arguments (for example ``reward_mode``).
    name : str, optional
        Record name; default the policy's ``name`` attribute, else ``"policy"``.

    Subclasses change :meth:`act` and :meth:`observe` (learn from a transition).
    """

    def __init__(self, policy: Any, *, env_kwargs: dict[str, Any] | None = None, name: str | None = None) -> None:
        self.policy, self.env_kwargs = policy, dict(env_kwargs or {})
        for key in ("max_iterations", "max_evaluations", "swarm_size", "function"):  # the run's, set at start
            if key in self.env_kwargs:
                raise ValueError(f"env_kwargs must not hold {key!r}: the run sets it (evaluation.runner.run's "
                                 f"iterations, max_evaluations, swarm_size and function)")
        self.name = name or getattr(policy, "name", None) or "policy"
        self.obs_mode = getattr(policy, "obs_mode", "viterbi")
        self.action_mode = getattr(policy, "action_mode", "discrete")

    def start(self, function: Any, *, swarm_size: int, iterations: int, seed: int,
              max_evaluations: int | None = None) -> Any:
        kwargs = {"obs_mode": self.obs_mode, "action_mode": self.action_mode,
                  **getattr(self.policy, "env_kwargs", {}), **self.env_kwargs}
        self.env = PSOEnv(function=function, swarm_size=swarm_size, max_iterations=iterations,
                          max_evaluations=max_evaluations, **kwargs)
        if callable(getattr(self.policy, "seed", None)):
            self.policy.seed(seed)
        if callable(getattr(self.policy, "reset", None)):
            self.policy.reset()
        self.obs, _ = self.env.reset(seed=seed)
        self._trace: dict[str, list] = {"actions": [], "w": [], "c1": [], "c2": []}
        return self.env.swarm

    def act(self, obs: np.ndarray, t: int) -> Any:
        """The policy's deterministic action for ``obs`` at iteration ``t``: an int, with continuous actions a list
        of 3 floats (4 with ``elitist``), with particle actions an (N, 3) float64 array (one more column each with
        ``elitist`` and with ``random_factors="action"``)."""
        action = self.policy.predict(obs, deterministic=True)[0]
        if self.action_mode == "particle":
            return np.asarray(action, dtype=np.float64)
        if self.action_mode == "continuous":
            return [float(a) for a in np.asarray(action, dtype=np.float64).reshape(-1)]
        return int(action)

    def observe(self, obs: np.ndarray, action: int, reward: float, next_obs: np.ndarray, terminated: bool,
                t: int) -> None:
        """The transition of iteration ``t`` (a fixed policy ignores it)."""

    def step(self, t: int) -> bool:
        obs = self.obs
        action = self.act(obs, t)
        self.obs, reward, terminated, truncated, info = self.env.step(action)
        self.observe(obs, action, reward, self.obs, terminated, t)
        self._trace["actions"].append(action)
        for key in ("w", "c1", "c2"):
            self._trace[key].append(float(info[key]))
        return terminated or truncated

    def trace(self) -> dict[str, Any]:
        """Per-iteration ``actions``, ``w``, ``c1``, ``c2``; ``states`` (indices, one more: the reset's)."""
        return {**self._trace, "states": [int(s) for s in self.env.states]}


class _Ablation:
    """A policy changed for an ablation: it keeps the policy's observation and action modes and environment
    settings, and its ``reset``; ``name`` is ``"{prefix}:{the policy's name}"``."""

    def __init__(self, policy: Any, prefix: str) -> None:
        self.policy = policy
        self.obs_mode = getattr(policy, "obs_mode", "viterbi")
        self.action_mode = getattr(policy, "action_mode", "discrete")
        self.env_kwargs = dict(getattr(policy, "env_kwargs", {}))
        self.name = f"{prefix}:{getattr(policy, 'name', 'policy')}"

    def reset(self) -> None:
        if callable(getattr(self.policy, "reset", None)):
            self.policy.reset()


class ConstantObservation(_Ablation):
    """An ablation: ``policy`` fed one constant observation, whatever the swarm does.

    ``value`` (n,) defaults to the policy's stored mean observation over its last training generation
    (``obs_mean`` of an :mod:`agents.es` policy, or of a :class:`agents.models.LoadedPolicy`'s model; with
    ``obs_mode="particle"`` one row, fed to every particle). ``keep`` names entries of
    :data:`pso_env.FEATURE_NAMES` (:data:`pso_env.PARTICLE_FEATURE_NAMES` with ``obs_mode="particle"``) passed
    through unchanged: ``keep=("progress",)`` leaves the policy the budget spent and nothing of the swarm's state (a
    schedule); ``keep=("progress", "stagnation", "diversity", "median_distance")`` on a particle policy leaves it the
    swarm's inputs and nothing of each particle's. ``hold="diversity"`` holds that one entry alone and passes the
    others through (the registry's ``hold:NAME:X``, record prefix ``hold:NAME``): what that input adds. The
    observation and action modes and the environment settings are the policy's.

    Raises
    ------
    ValueError
        No ``value`` and the policy stores no mean observation; a ``keep`` name that is not an entry of the policy's
        observation; the swarm inputs of a particle observation kept for a policy of another observation; ``hold``
        that is not one of the policy's named inputs, or given with ``keep``; ``keep`` or ``hold`` that leaves
        nothing the policy reads held (a linear policy reads the inputs it weighs: one saved with 6 particle inputs
        does not read ``median_distance``, one trained on ``inputs`` reads those).
    """

    def __init__(self, policy: Any, value: Any = None, keep: Sequence[str] = (), hold: str | None = None) -> None:
        from agents.es import input_names
        from pso_env.observation import FEATURE_NAMES, PARTICLE_FEATURE_NAMES

        obs_mode = getattr(policy, "obs_mode", "viterbi")
        named = input_names(obs_mode)
        names = named or FEATURE_NAMES  # constant-obs of an unnamed observation (keep=()) needs no names
        if hold is not None:
            if not named:
                raise ValueError(f"hold needs a policy with named inputs (obs_mode 'features' or 'particle'), got "
                                 f"obs_mode={obs_mode!r}")
            if hold not in named or keep:
                raise ValueError(f"hold must name one entry of the policy's observation {list(named)} (and keep be "
                                 f"empty), got hold={hold!r}, keep={list(keep)}")
            keep = [n for n in named if n != hold]
        if value is None:
            value = getattr(getattr(policy, "model", policy), "obs_mean", None)
        prefix = f"hold:{hold}" if hold is not None else {
            ("progress",): "schedule-only", PARTICLE_FEATURE_NAMES[3:]: "constant-particle"}.get(tuple(keep), "constant-obs")
        if value is None:
            raise ValueError(f"{prefix} needs a policy that stores its mean observation (algo 'es'), got {policy!r}")
        super().__init__(policy, prefix)
        if prefix == "constant-particle" and self.obs_mode != "particle":
            raise ValueError(f"constant-particle needs a policy of obs_mode='particle' (it holds the particle inputs), "
                             f"got obs_mode={self.obs_mode!r}")
        unknown = [k for k in keep if k not in names]
        if unknown:
            raise ValueError(f"keep must name entries of {names}, got {unknown}")
        self.value = np.asarray(value, dtype=np.float32)
        self._keep = [names.index(k) for k in keep]
        # what the policy reads: a linear policy the inputs it weighs, another every entry of its mean observation
        read = set(getattr(getattr(policy, "model", policy), "reads", range(self.value.shape[-1])))
        if not read - set(self._keep):
            raise ValueError(f"{prefix}: the policy reads only {[names[i] for i in sorted(read)]}, all kept: holding "
                             f"{[n for n in names if n not in keep]} would change nothing")

    def predict(self, obs: np.ndarray, state: Any = None, episode_start: Any = None,
                deterministic: bool = True) -> tuple[np.ndarray, Any]:
        """The policy's action for the constant observation (shaped like ``obs``: one row or a batch), with the
        ``keep`` entries taken from ``obs``."""
        if self.obs_mode == "particle":  # a policy saved with 6 inputs: the 7th entry passes through, unread
            fed = np.array(obs, dtype=np.float32)
            fed[..., :self.value.shape[-1]] = self.value
        else:
            fed = np.broadcast_to(self.value, np.shape(obs)).copy()
        if self._keep:
            fed[..., self._keep] = np.asarray(obs)[..., self._keep]
        return self.policy.predict(fed, deterministic=deterministic)


class FixedDraw(_Ablation):
    """An ablation of a policy trained with ``random_factors="action"``: its particle actions with the last column,
    each particle's choice of r1, r2, set to ``1.0`` (``shared=True``: one r1, r2 per particle for all its dimensions)
    or ``-1.0`` (the classic draw per dimension, bit for bit ``random_factors="dimension"``), the rest as the policy
    sets them. The observation and action modes and the environment settings are the policy's.

    Raises
    ------
    ValueError
        A policy that was not trained with ``random_factors="action"``.
    """

    def __init__(self, policy: Any, shared: bool) -> None:
        super().__init__(policy, "particle-factors" if shared else "dimension-factors")
        if self.env_kwargs.get("random_factors") != "action":
            raise ValueError(f"FixedDraw needs a policy trained with random_factors='action' (its last action column "
                             f"chooses the draw), got random_factors={self.env_kwargs.get('random_factors')!r}")
        self.value = 1.0 if shared else -1.0

    def predict(self, obs: np.ndarray, state: Any = None, episode_start: Any = None,
                deterministic: bool = True) -> tuple[np.ndarray, Any]:
        """The policy's action (N, k) or (B, N, k) with its last column set to the fixed choice."""
        action, state = self.policy.predict(obs, deterministic=deterministic)
        action = np.array(action, dtype=np.float32)
        action[..., -1] = self.value
        return action, state


class StaticPolicy:
    """A fixed state-to-action rule: action ``actions[k]`` whenever the Viterbi state is ``k``.

    ``actions`` (4 ints in 0..3) are for exploration, exploitation, convergence and jumping-out.
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
        """The action of the state the one-hot ``obs`` (shape (4,) or (B, 4)) marks."""
        return self._table[np.argmax(obs, axis=-1)], None


class RandomPolicy:
    """Uniformly random actions, drawn from its own generator (seeded by :class:`PolicyController`)."""

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
        return self.rng.integers(0, N_ACTIONS, size=np.shape(obs)[:-1]), None


def run_policy(policy: Any, function: Any, *, swarm_size: int = 30, iterations: int = 1000, seed: int = 0,
               checkpoint_every: int = 10, algorithm: str = "policy", env_kwargs: dict[str, Any] | None = None,
               max_evaluations: int | None = None) -> Any:
    """One run of ``policy`` through :class:`PolicyController` (settings as :func:`evaluation.runner.run`; a budget
    goes in ``max_evaluations``, not ``env_kwargs``); ``extra`` holds its :meth:`~PolicyController.trace`."""
    from evaluation.runner import run

    return run(PolicyController(policy, env_kwargs=env_kwargs), function, swarm_size=swarm_size,
               iterations=iterations, seed=seed, checkpoint_every=checkpoint_every, algorithm=algorithm,
               max_evaluations=max_evaluations)
