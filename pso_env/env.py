"""The PSOControl Gymnasium environment: an agent sets PSO's parameters at every iteration."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from .actions import ACTION_NAMES, N_ACTIONS, check_continuous
from .advice import ADVICE_INFO_KEYS
from .belief import STATE_NAMES
from .config import EnvConfig


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

    With ``action_mode="continuous"`` (**our choice**, for SAC, TD3 and PPO): ``Box(-1, 1, (3,), float32)``,
    the parameters themselves, each component clipped to [-1, 1] and mapped affinely onto its range; then c1
    and c2 are rescaled so that c1 + c2 <= 4, as above, so both modes reach the same parameters. No random
    draw, no ``delta``, no evolutionary factor: the action alone sets them
    (:func:`pso_env.actions.continuous_parameters`):

    | Num | Parameter | Value (defaults)                                           | Min  | Max  |
    |-----|-----------|------------------------------------------------------------|------|------|
    | 0   | w         | ``w_min + (a[0] + 1) / 2 (w_max - w_min)``                 | 0.4  | 0.9  |
    | 1   | c1        | ``c_min + (a[1] + 1) / 2 (c_max - c_min)``, then the cap   | 1.5  | 2.5  |
    | 2   | c2        | ``c_min + (a[2] + 1) / 2 (c_max - c_min)``, then the cap   | 1.5  | 2.5  |
    | 3   | elitist   | ``a[3] > 0``: elitist learning after the move (``elitist``) | -1   | 1    |

    With ``action_mode="particle"`` (**our choice**, per-particle control as in GLEET, Ma et al. 2024):
    ``Box(-1, 1, (N, 3), float32)``, one such (w, c1, c2) row per particle, each mapped as above into that particle's
    own parameters (:func:`pso_env.actions.particle_parameters`); ``w``, ``c1``, ``c2`` of the info are then the
    swarm's means.

    With ``elitist=True`` the Box has a 4th component: where it is > 0, APSO's elitist learning
    (:func:`pso_env.operators.elitist_learning`, Zhan et al. 2009) perturbs one coordinate of the global best
    after the iteration's move (one more evaluation, counted), with sigma falling from 1.0 to 0.1 over the
    episode, before the reward and observation are computed. With particle actions each row gets the 4th entry,
    ``Box(-1, 1, (N, 4))``, and the swarm runs elitist learning where the mean of the particles' 4th entries, each
    clipped to [-1, 1], is > 0 (**our choice**: a vote; there is one global best to perturb). With
    ``elitist_step="vote"`` the vote's strength v in (0, 1] also sets the step's width per dimension, from the
    extent of the personal bests (v near 0) to APSO's box range (v = 1), geometrically
    (:func:`pso_env.operators.vote_width`; **our design**).
    With ``elitist_always=True`` (any action mode, no action entry) the swarm runs it after every iteration's move.

    With ``random_factors="particle"`` the swarm draws one r1 and one r2 per particle for all its dimensions
    (GLEET's backbone, Ma et al. 2024), not one per particle and dimension: the update then commutes with rotations
    of the search space (Wilke, Kok & Groenwold 2007; the velocity clamp, bounds and start still act per
    coordinate), and a small swarm can stagnate in a subspace. With ``random_factors="action"`` (particle actions
    only, **our choice**) each row gets one more entry, the last (``Box(-1, 1, (N, 4))``, ``(N, 5)`` with
    ``elitist``): where it is > 0 the particle takes one r1 and one r2 for all its dimensions at that iteration (the
    ones drawn for its first dimension), elsewhere one per dimension, so a controller chooses per particle and
    iteration between the rotation-invariant and the classic draw. A trained policy carries the setting, as the
    action ranges.

    With an ``advisor`` (discrete actions only) (``EnvConfig(advisor="surrogate")``, see :mod:`pso_env.advice`) the space is
    ``Discrete(8)``: action ``a + 4`` is action ``a``, then the advisor sees the swarm and its proposals
    (at most ``advisor_k``, evaluated and counted) replace the worst particles before the step's reward and
    observation are computed. Without one the four actions above are the whole space.

    ## Observation Space

    ``Box(0, 1, (n,), float32)`` where ``n`` depends on ``obs_mode`` (``(N, 7)`` for ``"particle"``):

    - ``"viterbi"`` (default, the paper's), ``n = 4``: the last state of the Viterbi path, one-hot in
      the order exploration, exploitation, convergence, jumping-out.
    - ``"belief"``, ``n = 4``: the forward-filtered posterior ``P(state_t | symbols_1..t)``.
    - ``"features"``, ``n = 13``: the posterior, then nine scale-free features, none of which needs the
      optimum value f* (see :class:`pso_env.observation.Features`):

      | Index | Feature                                                                           |
      |-------|-----------------------------------------------------------------------------------|
      | 0-3   | posterior over the four states                                                    |
      | 4     | evolutionary factor ``f``                                                         |
      | 5     | progress ``t / max_iterations``, or ``evaluations / max_evaluations`` (a budget)  |
      | 6     | current ``w`` scaled to [0, 1] over ``[w_min, w_max]``                            |
      | 7, 8  | current ``c1``, ``c2`` scaled to [0, 1] over ``[c_min, c_max]``                   |
      | 9     | share of the episode's improvement made in the last 10 iterations                 |
      | 10    | ``log(1 + iterations since the best improved) / log(1 + planned iterations)``     |
      | 11    | diversity: ``1 + log10(div_t / div_0) / 12`` clipped, ``div`` the mean distance of |
      |       | the particles to their centroid                                                   |
      | 12    | ``(1 + r) / 2``, ``r`` the fitness-distance correlation to the global best (0.5:  |
      |       | undefined)                                                                        |

    - ``"particle"``, shape ``(N, 7)``: one row per particle (:data:`pso_env.PARTICLE_FEATURE_NAMES`, see
      :func:`pso_env.observation.particle_inputs_into`), for a policy shared by the particles:

      | Column | Input                                                                               |
      |--------|-------------------------------------------------------------------------------------|
      | 0      | rank of the particle's current value in the swarm / (N - 1) (0: the best)           |
      | 1      | its distance to the global best / the farthest particle's                           |
      | 2      | ``log(1 + iterations since its personal best improved) / log(1 + planned iterations)`` |
      | 3-5    | the swarm's progress, stagnation and diversity (features 5, 10 and 11)              |
      | 6      | median distance: ``1 + log10(m_t / m_0) / 12`` clipped, ``m`` the median particle's |
      |        | distance to the global best (a policy saved with 6 inputs reads columns 0-5)        |

    ## Rewards

    ``reward_mode="improvement"`` (default, the paper's): ``best[t-1] - best[t]`` (>= 0). ``"log"``: the
    drop of ``log10`` of the error ``best - f*`` (floored at 1e-8). ``"relative"``: the improvement
    divided by the error at reset. Every reward is finite (see :class:`pso_env.reward.Reward`).

    ## Starting State

    Positions uniform in the function's box, velocities uniform in ``[-vmax, vmax]``; ``w = w_max``,
    ``c1 = c2 = 2``. The HMM starts in exploration and has seen the initial swarm's symbol.

    ## Info

    ``best_fitness`` (best value so far), ``error`` (``max(best - f*, 0)``; None when f* is unknown), ``w``,
    ``c1``, ``c2``, ``f`` (current parameters and evolutionary factor), ``state`` (name of the Viterbi
    state), ``iteration``, ``evaluations`` (since reset), ``nonfinite`` (objective values of the step, or of
    the reset, that were NaN or +-inf), ``function`` (name of the episode's function); with an advisor also
    ``consultations``, ``advisor_failures`` and ``advice_evaluations`` (proposals evaluated), since reset.

    Non-finite values (NaN, +inf, -inf) are taken as +inf, the worst value: -inf from an objective to
    minimise is a fault, not a best point. The first step (or reset) of an episode with any emits one
    ``RuntimeWarning`` naming the function and the count.

    ## Episode End

    Terminated when ``target_error`` is set, f* is known and ``best - f* <= target_error``.
    Truncated after ``max_iterations`` iterations, or with ``max_evaluations`` B after the iteration in which
    the swarm's evaluations (its initial N included) reach B.

    ## Arguments

    config : EnvConfig, optional
        The configuration (:class:`pso_env.config.EnvConfig`); its fields may also be given as keyword
        arguments (they replace the config's), validated once by building the config (ValueError naming the
        field). PSOEnv is :class:`pso_env.PSOVectorEnv` with one sub-environment: the same dynamics.
    render_mode : {None, "ansi", "rgb_array"}

    ## Attributes (after reset)

    swarm : object
        The run (row 0 of the core's swarm): ``positions`` (N, D), ``gbest_fitness``, ``iteration``,
        ``function``, ``best_history`` (the best value after reset and after every step)...
    belief : Belief
        The HMM (a batch of one); ``transmat``/``emissionprob`` (1, 4, 4)/(1, 4, 7) show what Baum-Welch
        re-estimated.
    function; w, c1, c2, f : float
        The episode's function; current parameters (the swarm's means with ``action_mode="particle"``) and
        evolutionary factor.
    states, actions_taken : list
        The Viterbi state (int) after reset and after every step; the actions taken (ints, or (3,) float64 arrays
        of continuous actions, (N, 3) of particle ones, (4,) and (N, 4) with ``elitist``, one more column with
        ``random_factors="action"``; as given, before clipping).

    ## Example

    >>> import gymnasium as gym
    >>> import pso_env  # registers pso_env/PSOControl-v0
    >>> env = gym.make("pso_env/PSOControl-v0", function="rastrigin", dim=10, max_iterations=100)
    >>> obs, info = env.reset(seed=0)
    >>> obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
    >>> {"best_fitness", "error", "state", "w"} <= set(info)
    True
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    def __init__(self, config: EnvConfig | None = None, *, render_mode: str | None = None,
                 **config_fields: Any) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be None or one of {self.metadata['render_modes']}, got {render_mode!r}")
        from .vector import PSOVectorEnv  # the one implementation; PSOEnv is its batch of one

        self._core = core = PSOVectorEnv(1, config, autoreset_mode="Disabled", **config_fields)
        self.config = core.config
        self.render_mode = render_mode
        self.instances, self.actions = core.instances, core.actions
        self.swarm_size, self.max_iterations, self.max_evaluations = core.swarm_size, core.max_iterations, core.max_evaluations
        self.obs_mode, self.reward_mode, self.target_error = core.obs_mode, core.reward_mode, core.target_error
        self.belief = core.belief
        self.action_space = core.single_action_space
        self._continuous = core._continuous
        self.observation_space = core.single_observation_space
        self.swarm: _RunView | None = None
        # row 0 of the core's state: w, c1, c2, f, best, reward; counts, ends, state, iteration, evaluations; obs
        self._row = (core._floats[:6, 0], core._ints[:7, 0], core._obs[0])
        self._done = True

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict]:
        """Start a new PSO run; returns ``(observation, info)``.

        ``seed`` seeds every random source of this episode and the next ones (swarm, actions, function order,
        CEC-style transformations), as :meth:`PSOVectorEnv.reset`; ``options={"function": name, index or
        function object}`` picks the episode's function.
        """
        super().reset(seed=seed)
        obs, _ = self._core.reset(seed=seed, options=options)
        self.swarm = _RunView(self)
        self.states = [int(self.belief.states[0])]
        self.actions_taken: list[int] = []
        f_star = float(self._core._reward.f_star[0])
        self._f_star = None if math.isnan(f_star) else f_star
        self._best_history = [float(self._core._best[0])]
        self._done = False
        return obs[0], self._info()

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict]:
        """Apply ``action`` (0..3; 4..7 with an advisor: ``action - 4``, then a consultation of the advisor; 3
        numbers with ``action_mode="continuous"``; (N, 3) with ``action_mode="particle"``; a 4th number or column
        with ``elitist``; a last column, the draw choice, with ``random_factors="action"``) to w, c1, c2 and run one
        swarm iteration.

        Returns ``(observation, reward, terminated, truncated, info)``; raises ValueError for an action
        outside the space (continuous and particle: not the space's shape of finite numbers; components beyond
        [-1, 1] are clipped) and RuntimeError before ``reset`` or after the episode ended.
        """
        if self._done:
            if self.swarm is None:
                raise RuntimeError("step() called before reset(): call env.reset() first")
            raise RuntimeError("step() called after the episode ended: call env.reset() to start a new one")
        if type(action) is not int or not 0 <= action < N_ACTIONS or self._continuous:  # the common case without numpy
            if self._continuous:
                row = _as_continuous(action, self.action_space.shape, self._core._columns)  # fresh: nothing else holds it
                action = row[0]
            else:
                action = _as_action(action, self.action_space.n)
        self._core._advance(row if self._continuous else _ACTION_ROWS[action])
        floats, ints, obs = self._row
        floats, ints = floats.tolist(), ints.tolist()
        self.states.append(ints[4])
        self.actions_taken.append(action)
        self._best_history.append(floats[4])
        terminated, truncated = ints[2] == 1, ints[3] == 1
        self._done = terminated or truncated
        return obs.copy(), floats[5], terminated, truncated, self._info(floats, ints)

    def render(self) -> str | np.ndarray | None:
        if self.render_mode is None or self.swarm is None:
            return None
        from .render import render_ansi, render_rgb

        return render_ansi(self) if self.render_mode == "ansi" else render_rgb(self)

    def close(self) -> None:
        from .render import close_figure

        close_figure(self)

    function = property(lambda self: self._core.functions[0], doc="The episode's function.")

    w = property(lambda self: float(self._core.w[0]), doc="The inertia weight.")
    c1 = property(lambda self: float(self._core.c1[0]), doc="The cognitive coefficient.")
    c2 = property(lambda self: float(self._core.c2[0]), doc="The social coefficient.")
    f = property(lambda self: float(self._core.f[0]), doc="The evolutionary factor after the latest reset or step.")

    def _info(self, floats: list | None = None, ints: list | None = None) -> dict:
        """The info dict from the core's ``_floats`` and ``_ints`` columns (default: the current ones)."""
        core = self._core
        w, c1, c2, f, best, _ = self._row[0].tolist() if floats is None else floats
        nonfinite, _, _, _, state, iteration, evaluations = self._row[1].tolist() if ints is None else ints
        info = {"best_fitness": best, "error": None if self._f_star is None else max(best - self._f_star, 0.0),
                "w": w, "c1": c1, "c2": c2, "state": STATE_NAMES[state], "f": f, "iteration": iteration,
                "evaluations": evaluations, "nonfinite": nonfinite, "function": core._names[0]}
        if core._advice is not None:
            info.update(zip(ADVICE_INFO_KEYS, (int(v[0]) for v in core._advice.info())))
        return info

    action_names = ACTION_NAMES  #: short names of the four actions


class _RunView:
    """Row 0 of the core's swarm as one run: arrays lose their batch axis; ``function``, ``best_history`` the run's."""

    def __init__(self, env: PSOEnv) -> None:
        self._env = env

    def __getattr__(self, name: str) -> Any:
        if name == "function":
            return self._env.function
        if name == "best_history":  # kept by the environment: the swarm keeps none
            return np.array(self._env._best_history)
        value = getattr(self._env._core.swarm, name)
        return value[0] if isinstance(value, np.ndarray) and value.ndim else value


_ACTION_ROWS = tuple(np.array((a,)) for a in range(2 * N_ACTIONS))  # the (1,) action arrays of the core (4..7: consult)


def _as_action(action: Any, n: int = N_ACTIONS) -> int:
    """``action`` as an int in 0..n-1; ValueError otherwise."""
    try:
        a = int(action)
    except (TypeError, ValueError):
        raise ValueError(f"action must be an integer in 0..{n - 1}, got {action!r}") from None
    if a != action or not 0 <= a < n or np.ndim(action) != 0:
        raise ValueError(f"action must be an integer in 0..{n - 1}, got {action!r}")
    return a


def _as_continuous(action: Any, shape: tuple[int, ...], columns: tuple[str, ...]) -> np.ndarray:
    """A continuous action of ``shape`` ((3,), (4,) with ``elitist``, (N, 3) per particle, (N, 4) or (N, 5) with
    ``elitist`` and ``random_factors="action"``) as the core's batch of one, float64; ValueError unless it has that
    shape and finite numbers (``columns``: their names, for the message)."""
    return check_continuous(action, shape, "action", per_particle=len(shape) == 2, copy=True, columns=columns)[None]
