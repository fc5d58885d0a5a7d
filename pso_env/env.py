"""The PSOControl Gymnasium environment: an agent sets PSO's parameters at every iteration."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from .actions import ACTION_NAMES, N_ACTIONS, ActionConfig, apply_action
from .belief import STATE_NAMES, BeliefTracker
from .instances import InstanceSet
from .observation import OBS_MODES, FeatureTracker, observation_space
from .reward import REWARD_MODES, Reward
from .swarm import BOUND_MODES, Swarm

_DEFAULT_REFIT = object()


class PSOEnv(gym.Env):
    """Particle Swarm Optimization whose inertia weight and acceleration coefficients an agent sets.

    ## Description

    One episode is one run of global-best PSO (Kennedy & Eberhart 1995) minimising a benchmark
    function; one step is one swarm iteration. Before each iteration the agent picks one of the four
    parameter actions of DQNPSO (Aoun et al., "DQN-enhanced self-tuning control of PSO"). The swarm's
    evolutionary factor ``f`` (Zhan et al. 2009) is read as one of 7 symbols by a hidden Markov model
    over four evolutionary states, and the state of its Viterbi path is what the agent observes: the
    agent sees the swarm's phase, never the function.

    ## Action Space

    ``Discrete(4)``; ``delta ~ U(0.05, 0.1)`` each step, c1 and c2 clamped to [1.5, 2.5] and rescaled
    so that c1 + c2 <= 4 (see :mod:`pso_env.actions`):

    | Num | Inertia weight w                     | c1          | c2          |
    |-----|--------------------------------------|-------------|-------------|
    | 0   | ``w_min + (w_max - w_min) U(0, 1)``  | + delta     | - delta     |
    | 1   | ``1 / (1 + 1.5 exp(-2.6 f))``        | + delta     | - delta / 2 |
    | 2   | ``w_max``                            | + delta / 2 | - delta     |
    | 3   | ``w_min``                            | - delta     | + delta     |

    ## Observation Space

    ``Box(0, 1, (n,), float32)`` where ``n`` depends on ``obs_mode``:

    - ``"viterbi"`` (default, the paper's), ``n = 4``: the last state of the Viterbi path, one-hot in
      the order exploration, exploitation, convergence, jumping-out.
    - ``"belief"``, ``n = 4``: the forward-filtered posterior ``P(state_t | symbols_1..t)``.
    - ``"features"``, ``n = 11``: the posterior, then seven scale-free features (see
      :mod:`pso_env.observation`):

      | Index | Feature                                                                    |
      |-------|----------------------------------------------------------------------------|
      | 0-3   | posterior over the four states                                             |
      | 4     | evolutionary factor ``f``                                                  |
      | 5     | progress ``t / max_iterations``                                            |
      | 6     | current ``w`` scaled to [0, 1] over ``[w_min, w_max]``                     |
      | 7, 8  | current ``c1``, ``c2`` scaled to [0, 1] over ``[c_min, c_max]``            |
      | 9     | decades the error fell over the last 10 iterations, divided by 10, clipped |
      | 10    | ``log(1 + iterations since the best improved) / log(1 + max_iterations)``  |

    ## Rewards

    ``reward_mode="improvement"`` (default, the paper's): ``best[t-1] - best[t]`` (>= 0). ``"log"``: the
    drop of ``log10`` of the error ``best - f*`` (floored at 1e-8). ``"relative"``: the improvement
    divided by the error at reset. Every reward is finite (see :class:`pso_env.reward.Reward`).

    ## Starting State

    Positions uniform in the function's box, velocities uniform in ``[-vmax, vmax]``; ``w = w_max``,
    ``c1 = c2 = 2``. The HMM starts in exploration and has seen the initial swarm's symbol.

    ## Episode End

    Terminated when ``target_error`` is set, f* is known and ``best - f* <= target_error``.
    Truncated after ``max_iterations`` iterations.

    ## Arguments

    function : str, function object, or a list of them, default "rastrigin"
        A name known to :func:`benchmarks_fn.get_function`, a suite name (``"paper"``, ``"bbob"``,
        ``"cec2022"``), a function object, or a list mixing names, ``(name, dim, options)`` suite
        entries and objects. With several, each ``reset`` picks one (see ``instance_order``).
    dim : int, default 30
        Dimension of functions given by name (suite entries carry their own).
    swarm_size : int, default 30
    max_iterations : int, default 1000
    obs_mode : {"viterbi", "belief", "features"}, default "viterbi"
    reward_mode : {"improvement", "log", "relative"}, default "improvement"
    w_min, w_max : float, default 0.4, 0.9
    c1, c2 : float, default 2.0
        Acceleration coefficients at reset.
    delta_range : (float, float), default (0.05, 0.1)
    c_min, c_max : float, default 1.5, 2.5
    velocity_clamp : float or None, default 0.2
        Fraction of the box width that bounds ``|v|`` per dimension.
    bounds : {"clip", "reflect", "none"}, default "clip"
    hmm_refit_every : int, optional
        Baum-Welch re-estimation interval of the belief tracker (0 = never); default: the tracker's.
    target_error : float or None, default None
    instance_order : {"random", "round_robin"}, default "random"
    shift, rotate : bool, default False
        Use the CEC-style form of functions given by name, with a fresh shift/rotation per episode
        drawn from the environment's seed.
    render_mode : {None, "ansi", "rgb_array"}

    ## Attributes (after reset)

    swarm : Swarm
        The running swarm (positions, bests, ``best_history``).
    tracker : BeliefTracker
        The HMM; its ``transmat``/``emissionprob`` show what Baum-Welch re-estimated.
    function : object
        The episode's function.
    w, c1, c2, f : float
        Current parameters and evolutionary factor.
    states, actions_taken : list of int
        The Viterbi state after reset and after every step; the actions taken.

    ## Example

    >>> import gymnasium as gym
    >>> import pso_env  # registers pso_env/PSOControl-v0
    >>> env = gym.make("pso_env/PSOControl-v0", function="rastrigin", dim=10, max_iterations=100)
    >>> obs, info = env.reset(seed=0)
    >>> obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
    >>> sorted(k for k in ("best_fitness", "error", "state", "w")) == sorted(k for k in info if k in
    ...     ("best_fitness", "error", "state", "w"))
    True
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    def __init__(
        self,
        function: Any = "rastrigin",
        dim: int = 30,
        swarm_size: int = 30,
        max_iterations: int = 1000,
        obs_mode: str = "viterbi",
        reward_mode: str = "improvement",
        w_min: float = 0.4,
        w_max: float = 0.9,
        c1: float = 2.0,
        c2: float = 2.0,
        delta_range: Sequence[float] = (0.05, 0.1),
        c_min: float = 1.5,
        c_max: float = 2.5,
        velocity_clamp: float | None = 0.2,
        bounds: str = "clip",
        hmm_refit_every: Any = _DEFAULT_REFIT,
        target_error: float | None = None,
        instance_order: str = "random",
        shift: bool = False,
        rotate: bool = False,
        render_mode: str | None = None,
    ) -> None:
        _check_int("swarm_size", swarm_size, 2)
        _check_int("max_iterations", max_iterations, 1)
        if obs_mode not in OBS_MODES:
            raise ValueError(f"obs_mode must be one of {OBS_MODES}, got {obs_mode!r}")
        if reward_mode not in REWARD_MODES:
            raise ValueError(f"reward_mode must be one of {REWARD_MODES}, got {reward_mode!r}")
        if bounds not in BOUND_MODES:
            raise ValueError(f"bounds must be one of {BOUND_MODES}, got {bounds!r}")
        if velocity_clamp is not None and not (_is_number(velocity_clamp) and velocity_clamp > 0):
            raise ValueError(f"velocity_clamp must be a positive number or None, got {velocity_clamp!r}")
        if target_error is not None and not (_is_number(target_error) and target_error >= 0):
            raise ValueError(f"target_error must be a number >= 0 or None, got {target_error!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be None or one of {self.metadata['render_modes']}, got {render_mode!r}")
        if not (isinstance(delta_range, Sequence) and len(delta_range) == 2 and all(map(_is_number, delta_range))):
            raise ValueError(f"delta_range must be a pair (low, high) of numbers, got {delta_range!r}")
        self.actions = ActionConfig(w_min=w_min, w_max=w_max, delta_low=float(delta_range[0]),
                                    delta_high=float(delta_range[1]), c_min=c_min, c_max=c_max)
        for name, value in (("c1", c1), ("c2", c2)):
            if not (_is_number(value) and value > 0):
                raise ValueError(f"{name} must be a positive number, got {value!r}")

        self.instances = InstanceSet(function, dim, shift=shift, rotate=rotate, order=instance_order)
        self.swarm_size = int(swarm_size)
        self.max_iterations = int(max_iterations)
        self.obs_mode = obs_mode
        self.reward_mode = reward_mode
        self.c1_init, self.c2_init = float(c1), float(c2)
        self.velocity_clamp = velocity_clamp
        self.bounds = bounds
        self.target_error = target_error
        self.render_mode = render_mode
        tracker_kwargs = {} if hmm_refit_every is _DEFAULT_REFIT else {"refit_every": hmm_refit_every}
        try:
            self.tracker = BeliefTracker(**tracker_kwargs)
        except ValueError as err:
            raise ValueError(f"hmm_refit_every: {err}") from None

        self.action_space = spaces.Discrete(N_ACTIONS)
        self.observation_space = observation_space(obs_mode)
        self._reward = Reward(reward_mode)
        self._features = FeatureTracker(self.max_iterations, self.actions) if obs_mode == "features" else None
        self._eye = np.eye(N_ACTIONS, dtype=np.float32)
        self.swarm: Swarm | None = None
        self._done = True

    # ------------------------------------------------------------------ Gymnasium API
    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict]:
        """Start a new PSO run.

        Parameters
        ----------
        seed : int, optional
            Seeds every random source of the episode and of the episodes after it (swarm, actions,
            function order, CEC-style transformations).
        options : dict, optional
            ``{"function": name, index or function object}`` picks the episode's function.

        Returns
        -------
        observation : ndarray
        info : dict
            The keys listed in the class docstring, plus ``swarm_seed`` (the seed of the swarm's
            generator: ``Swarm(function, N, numpy.random.default_rng(swarm_seed))`` replays it).
        """
        super().reset(seed=seed)
        if seed is not None:
            self.instances.restart()
        choice = (options or {}).get("function")
        swarm_seed, action_seed, transform_seed = (int(s) for s in self.np_random.integers(0, 2**63 - 1, size=3))
        self.function = self.instances.pick(self.np_random, transform_seed, choice)
        self._f_star = self.function.optimum_value
        self.swarm = Swarm(self.function, self.swarm_size, np.random.default_rng(swarm_seed), batch_size=1,
                           velocity_clamp=self.velocity_clamp, bounds=self.bounds, history=True)
        self._action_rng = np.random.default_rng(action_seed)
        self.w, self.c1, self.c2 = self.actions.w_max, self.c1_init, self.c2_init
        self.tracker.reset()
        self.f = self.swarm.evolutionary_factor()[0]
        self.tracker.update(self.f)
        self._reward.reset(self.swarm.gbest_fitness[0], self._f_star)
        if self._features is not None:
            self._features.reset(self._reward)
        self.states = [self.tracker.state]
        self.actions_taken: list[int] = []
        self._done = False
        info = self._info(self._error())
        info["swarm_seed"] = swarm_seed
        return self._observation(), info

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict]:
        """Apply ``action`` (0..3) to w, c1, c2 and run one swarm iteration.

        Returns ``(observation, reward, terminated, truncated, info)``; raises ValueError for an action
        outside the space and RuntimeError before ``reset`` or after the episode ended.
        """
        if self.swarm is None:
            raise RuntimeError("step() called before reset(): call env.reset() first")
        if self._done:
            raise RuntimeError("step() called after the episode ended: call env.reset() to start a new one")
        a = _as_action(action)
        swarm = self.swarm
        previous = swarm.gbest_fitness[0]
        self.w, self.c1, self.c2 = apply_action(a, self.w, self.c1, self.c2, self.f, self._action_rng, self.actions)
        swarm.step(self.w, self.c1, self.c2)
        self.f = swarm.evolutionary_factor()[0]
        state = self.tracker.update(self.f)
        self.states.append(state)
        self.actions_taken.append(a)
        reward = self._reward(previous, swarm.gbest_fitness[0])
        error = self._error()
        terminated = self.target_error is not None and error is not None and error <= self.target_error
        truncated = swarm.iteration[0] >= self.max_iterations
        self._done = terminated or truncated
        return self._observation(), reward, bool(terminated), bool(truncated), self._info(error)

    def render(self) -> str | np.ndarray | None:
        if self.render_mode is None or self.swarm is None:
            return None
        from .render import render_ansi, render_rgb

        return render_ansi(self) if self.render_mode == "ansi" else render_rgb(self)

    def close(self) -> None:
        from .render import close_figure

        close_figure(self)

    # ------------------------------------------------------------------ helpers
    def _error(self) -> float | None:
        return None if self._f_star is None else self.swarm.gbest_fitness[0] - self._f_star

    def _observation(self) -> np.ndarray:
        if self.obs_mode == "viterbi":
            return self._eye[self.tracker.state].copy()
        if self.obs_mode == "belief":
            return np.asarray(self.tracker.posterior, dtype=np.float32)
        return self._features.observe(self)

    def _info(self, error: float | None) -> dict:
        swarm = self.swarm
        return {
            "best_fitness": swarm.gbest_fitness[0],
            "error": error,
            "w": self.w,
            "c1": self.c1,
            "c2": self.c2,
            "state": STATE_NAMES[self.tracker.state],
            "f": self.f,
            "iteration": int(swarm.iteration[0]),
            "evaluations": int(swarm.evaluations[0]),
            "function": self.function.name,
        }

    @property
    def action_names(self) -> tuple[str, ...]:
        """Short names of the four actions."""
        return ACTION_NAMES


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) and math.isfinite(value)


def _check_int(name: str, value: Any, minimum: int) -> None:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def _as_action(action: Any) -> int:
    if type(action) is int and 0 <= action < N_ACTIONS:  # the common case, without numpy calls
        return action
    try:
        a = int(action)
    except (TypeError, ValueError):
        raise ValueError(f"action must be an integer in 0..{N_ACTIONS - 1}, got {action!r}") from None
    if a != action or not 0 <= a < N_ACTIONS or np.ndim(action) != 0:
        raise ValueError(f"action must be an integer in 0..{N_ACTIONS - 1}, got {action!r}")
    return a
