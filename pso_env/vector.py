"""The PSOControl environment for B episodes at once (:class:`PSOVectorEnv`, the one implementation;
:class:`pso_env.env.PSOEnv` is its batch of one) and its Stable-Baselines3 adapter (:class:`SB3VecEnv`,
:func:`make_sb3_vec_env`)."""

from __future__ import annotations

import copy
import functools
import time
import warnings
import weakref
from collections.abc import Sequence
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from benchmarks_fn._validate import function_name

from ._jit import jit
from .actions import (
    ACTION_NAMES,
    N_ACTIONS,
    N_CONTINUOUS,
    ActionConfig,
    action_columns,
    actions_into,
    check_continuous,
    continuous_into,
    particle_into,
)
from .advice import ADVICE_INFO_KEYS, Advice
from .belief import STATE_NAMES, Belief
from .config import EnvConfig, check_int, make_config
from .factor import _factor_into, _scratch
from .hmm_kernels import batch_update
from .instances import InstanceSet
from .observation import (
    FEATURE_FLOATS,
    FEATURE_NAMES,
    PARTICLE_COLUMNS,
    PARTICLE_SWARM_FEATURES,
    Features,
    feature_row,
    observation_space,
    particle_inputs_into,
    swarm_statistics_into,
)
from .operators import elitist_learning, elitist_sigma, vote_width
from .reward import Reward, reward
from .swarm import Swarm

_STATE_NAMES = np.array(STATE_NAMES, dtype=object)
#: ``target_error`` must be at least this many float epsilons at the function's value scale.
TARGET_ULPS = 4
_INFO_KEYS = ("best_fitness", "error", "w", "c1", "c2", "state", "f", "iteration", "evaluations", "nonfinite",
              "function")


def _host(x: Any) -> np.ndarray:
    """A numpy array (not a copy) of a numpy array or a torch tensor on any device."""
    return x if isinstance(x, np.ndarray) else x.detach().cpu().numpy()


# numba keys the on-disk cache of these kernels on this file only: after an edit of a module whose kernels they
# call (factor, hmm_kernels, reward, observation), delete pso_env/__pycache__ (a test catches a stale kernel).
@jit()
def _step_rows(x, fit, best, totals, iteration, evaluations, scratch, floats, ints, settings, history, belief_ints,
               lattice, tables, obs, particle, feature):
    """After the swarms' step, for all B rows: factors (from ``x``, ``fit`` unless empty), best values, counts,
    rewards, ends, the belief's step and the observations.

    ``floats``, ``ints``: :class:`PSOVectorEnv`'s; ``settings``: target error (NaN: none), step limit, evaluation
    budget (inf: none), obs and reward mode, refit_every, refit_min_length, the features' parameters; ``belief_ints``: the belief's;
    ``obs``, ``particle``, ``feature``: as :func:`_observe_rows`.
    Returns 2 x the belief's rows due for a refit (-1: its history is full; then the observations are left
    to the caller), + 1 when a row had non-finite values.
    """
    target, obs_code, reward_code = settings[0], int(settings[3]), int(settings[4])
    reward_params = floats[6:10]
    nonfinite = False
    for r in range(floats.shape[1]):
        if x.shape[0]:
            floats[3, r] = _factor_into(x[r], fit[r], scratch)
        previous, floats[4, r] = floats[4, r], best[r]
        ints[0, r], ints[1, r] = totals[r] - ints[1, r], totals[r]
        nonfinite |= ints[0, r] > 0
        floats[5, r] = reward(reward_code, previous, best[r], reward_params, r)
        e = best[r] - reward_params[0, r]
        ints[2, r] = not np.isnan(e) and e <= target
        ints[3, r] = iteration[r] >= settings[1] or evaluations[r] >= settings[2]
        ints[5, r], ints[6, r] = iteration[r], evaluations[r]
    rows = np.arange(floats.shape[1])
    n_due = batch_update(floats[3], True, rows, history, belief_ints[1], belief_ints[0], lattice, tables,
                         int(settings[5]), int(settings[6]), belief_ints[4])
    if n_due == 0:
        _observe_rows(rows, obs, obs_code, belief_ints[0], lattice, floats, ints, settings[7:], particle, feature)
    return 2 * n_due + nonfinite


@jit()
def _observe_rows(rows, obs, obs_code, states, lattice, floats, ints, feature_params, particle, feature):
    """The observations of ``rows`` into ``obs`` (B, n) (``obs_code``: index in ``OBS_MODES``; "particle": rows of
    N x 7, entries 0-2 and 6 from ``particle`` (B, N, 4), 3-5 from the features, built in ``feature`` (13,)), their
    states into ``ints[4]``."""
    for r in rows:
        o = obs[r]
        ints[4, r] = states[r]
        if obs_code == 0:
            o[:] = 0.0
            o[states[r]] = 1.0
        elif obs_code == 1:
            o[:] = lattice[r, 1]
        else:
            clock = ints[6, r] if feature_params[6] else ints[5, r]  # evaluations with a budget, else iterations
            f = o if obs_code == 2 else feature
            feature_row(f, r, lattice[r, 1], floats[3, r], float(clock), floats[0, r], floats[1, r],
                        floats[2, r], floats[4, r], floats[10:], ints[7:9], feature_params)
            if obs_code == 3:
                n = particle.shape[1]
                for i in range(n):
                    for k in range(3):
                        o[7 * i + k] = particle[r, i, k]
                        o[7 * i + 3 + k] = f[PARTICLE_SWARM_FEATURES[k]]
                    o[7 * i + 6] = particle[r, i, 3]


class PSOVectorEnv(VectorEnv):
    """``num_envs`` PSOControl environments stepped together (a native Gymnasium vector environment).

    ## Description

    B independent episodes of :class:`pso_env.env.PSOEnv` (one step = one swarm iteration of every run):
    one :class:`pso_env.swarm.Swarm` per dimension, one :class:`pso_env.belief.Belief`, and one numba pass
    per step for factors, rewards and observations. Random numbers are drawn batch-wide from generators
    seeded by :meth:`reset`: the batch is reproducible bit for bit from its seed, and a sub-environment
    matches a single environment in distribution, not draw for draw.

    ## Spaces and step results

    ``single_action_space`` ``Discrete(4)`` (the actions of :class:`PSOEnv`), ``action_space``
    ``MultiDiscrete([4] * B)``; with ``action_mode="continuous"`` ``Box(-1, 1, (3,), float32)`` and
    ``Box(-1, 1, (B, 3), float32)``, rows (w, c1, c2) as :class:`PSOEnv` maps them; with ``action_mode="particle"``
    ``Box(-1, 1, (N, 3), float32)`` and ``Box(-1, 1, (B, N, 3), float32)``;
    ``single_observation_space`` ``Box(0, 1, (n,), float32)`` (n = 4, or 13 for "features"; (N, 7) for
    "particle"), ``observation_space`` ``Box(0, 1, (B, n), float32)`` ((B, N, 7) for "particle"). A step returns observations (B, n)
    float32 ((B, N, 7) for "particle"), rewards (B,) float64 (as :class:`PSOEnv`; 0 on a reset), terminations and truncations (B,) bool
    (``target_error`` reached, ``max_iterations`` or ``max_episode_steps`` run, ``max_evaluations`` spent) and infos (dict of (B,) arrays
    with ``_key`` masks). With an ``advisor`` (:mod:`pso_env.advice`) ``single_action_space`` is ``Discrete(8)``:
    action ``a + 4`` is parameter action ``a`` followed by a consultation of the sub-environment's advisor.

    Info keys are :class:`PSOEnv`'s, each with its ``_key`` mask: float64 ``best_fitness``, ``error`` (NaN and
    masked out where f* is unknown), ``w``, ``c1``, ``c2``, ``f``; int64 ``iteration``, ``evaluations``,
    ``nonfinite``; object arrays ``state``, ``function``; with an advisor, int64 ``consultations``,
    ``advisor_failures`` and ``advice_evaluations`` (since the episode's reset). With
    ``autoreset_mode=SAME_STEP`` a step that ends episodes adds ``final_obs`` (object array of their last
    observations) and ``final_info``.

    ## Autoreset

    ``autoreset_mode`` (``metadata["autoreset_mode"]``):

    - ``NEXT_STEP`` (default, Gymnasium's): after a sub-environment ends, the next :meth:`step` ignores
      its action, resets it and returns its reset observation, reward 0 and not terminated nor truncated.
    - ``SAME_STEP``: an ended sub-environment is reset within the same step; its reset observation is
      returned and the last one is in ``infos["final_obs"]`` (used by :class:`SB3VecEnv`).
    - ``DISABLED``: stepping an ended sub-environment raises; reset it with
      ``reset(options={"reset_mask": mask})``.

    ## Arguments

    num_envs : int, default 1
        B, the number of sub-environments.
    config : EnvConfig, optional
        As :class:`pso_env.env.PSOEnv` (fields also as keyword arguments). The batch shares one function set:
        with ``instance_order="round_robin"`` the sub-environments starting episodes take the next functions
        in turn, so a batch spreads over the set **(our choice)**. ``backend="torch"`` runs the swarms on
        ``device`` in ``dtype`` (paper functions and their shifted/rotated forms only); beliefs, rewards and
        observations stay in numpy on the host, which receives (B,) arrays each step.
    autoreset_mode : AutoresetMode or str, default AutoresetMode.NEXT_STEP
    max_episode_steps : int, optional
        Truncate episodes after this many steps (and after ``max_iterations``), as the ``TimeLimit`` that
        ``gymnasium.make`` puts around :class:`PSOEnv`; ``gymnasium.make_vec`` passes it here. None or -1 (make's
        "no limit"): none. The features' progress stays relative to ``max_iterations`` (or ``max_evaluations``), as
        under ``TimeLimit``.
    render_mode : None
        The vector environment does not render (``make_vec(..., vectorization_mode="sync")`` renders each
        :class:`PSOEnv`); any other value raises ValueError.
    disable_env_checker : bool, optional
        Ignored: what ``gymnasium.make`` takes and ``make_vec`` passes on (vector environments have no checker).

    ## Example

    >>> from pso_env.vector import PSOVectorEnv
    >>> envs = PSOVectorEnv(num_envs=8, function="rastrigin", dim=10, max_iterations=100)
    >>> obs, infos = envs.reset(seed=0)
    >>> obs.shape, infos["iteration"].tolist() == [0] * 8
    ((8, 4), True)
    >>> obs, rewards, terminated, truncated, infos = envs.step(envs.action_space.sample())
    >>> rewards.shape, bool(infos["_best_fitness"].all())
    ((8,), True)
    """

    metadata: ClassVar[dict[str, Any]] = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": []}

    def __init__(self, num_envs: int = 1, config: EnvConfig | None = None, *,
                 autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP, max_episode_steps: int | None = None,
                 render_mode: None = None, disable_env_checker: bool | None = None, **config_fields: Any) -> None:
        if not isinstance(num_envs, (int, np.integer)) or isinstance(num_envs, bool) or num_envs < 1:
            raise ValueError(f"num_envs must be an integer >= 1, got {num_envs!r}")
        if render_mode is not None:
            raise ValueError(f"render_mode must be None: PSOVectorEnv does not render (make_vec(..., "
                             f"vectorization_mode='sync') renders each PSOEnv), got {render_mode!r}")
        self.max_episode_steps = None if max_episode_steps in (None, -1) else check_int(1)("max_episode_steps",
                                                                                          max_episode_steps)
        try:
            self.autoreset_mode = AutoresetMode(autoreset_mode)
        except ValueError:
            raise ValueError(
                f"autoreset_mode must be one of {[m.value for m in AutoresetMode]}, got {autoreset_mode!r}"
            ) from None
        cfg = self.config = make_config(config, config_fields)
        self.num_envs = b = int(num_envs)
        self.instances = InstanceSet(cfg.function, cfg.dim, shift=cfg.shift, rotate=cfg.rotate,
                                     order=cfg.instance_order)
        self.actions = ActionConfig(w_min=cfg.w_min, w_max=cfg.w_max, delta_low=cfg.delta_range[0],
                                    delta_high=cfg.delta_range[1], c_min=cfg.c_min, c_max=cfg.c_max)
        self.swarm_size, self.max_iterations = cfg.swarm_size, cfg.max_iterations
        self.obs_mode, self.reward_mode, self.target_error = cfg.obs_mode, cfg.reward_mode, cfg.target_error
        self.hmm_refit_every = cfg.hmm_refit_every
        self.backend, self.device, self.dtype = cfg.backend, cfg.device, cfg.dtype
        self.metadata = {**type(self).metadata, "autoreset_mode": self.autoreset_mode}
        self.render_mode = None
        if cfg.backend == "torch" or cfg.target_error is not None:
            probe = np.random.default_rng(0)
            fns = [self.instances.pick(probe, 0, i) for i in range(len(self.instances))]
            self._check_target_error(fns)
        if cfg.backend == "torch":
            from .objective import group_functions
            from .swarm import _torch_backend

            xp, self.device, self.dtype = _torch_backend(cfg.device, cfg.dtype)
            group_functions(fns, like=xp.zeros(1, dtype=self.dtype, device=self.device))

        self.single_action_space = spaces.Discrete(N_ACTIONS)
        self._continuous = cfg.action_mode != "discrete"
        self._per_particle = cfg.action_mode == "particle"
        self._elitist_on = cfg.elitist or cfg.elitist_always
        self._vote_width = cfg.elitist_step == "vote"  # the vote's strength sets the elitist step's width
        self._columns = action_columns(cfg.elitist, cfg.random_factors)  # of continuous and particle actions
        self._choice = cfg.random_factors == "action"  # the particles' last column chooses their draw
        if self._per_particle:  # a (w, c1, c2) row per particle (pso_env.actions.particle_parameters)
            self.single_action_space = spaces.Box(-1.0, 1.0, (cfg.swarm_size, len(self._columns)), dtype=np.float32)
            self._coefficients = np.zeros((3, b, cfg.swarm_size))  # the particles' w, c1, c2
        elif self._continuous:  # (w, c1, c2) set directly (pso_env.actions.continuous_parameters)
            self.single_action_space = spaces.Box(-1.0, 1.0, (len(self._columns),), dtype=np.float32)
        self._advice = None if cfg.advisor is None else Advice(cfg.advisor, cfg.advisor_k, b, cfg.swarm_size)
        if self._advice is not None:  # the consult bit: actions 4..7 (pso_env.advice)
            self.single_action_space = spaces.Discrete(2 * N_ACTIONS)
        self.single_observation_space = observation_space(cfg.obs_mode, cfg.swarm_size)
        self.action_space = batch_space(self.single_action_space, b)
        self.observation_space = batch_space(self.single_observation_space, b)

        self.belief = Belief(b, refit_every=cfg.hmm_refit_every)
        # w, c1, c2, f, best, reward, the reward's (4) and the features' per-episode values: one kernel argument
        self._floats = np.zeros((10 + FEATURE_FLOATS, b))
        self.w, self.c1, self.c2, self.f, self._best, self._rewards = self._floats[:6]
        # non-finite values of the latest step or reset, their total since reset, terminated, truncated, Viterbi
        # state, iteration, evaluations, the features' counts (2)
        self._ints = np.zeros((9, b), dtype=np.int64)
        self.nonfinite, self._nonfinite_total = self._ints[0], self._ints[1]
        self.iteration, self.evaluations = self._ints[5], self._ints[6]
        self._reward = Reward(self.reward_mode, b, self._floats[6:10])
        self.max_evaluations = cfg.max_evaluations
        self._features = Features(b, self.max_iterations, self.actions, self._floats[10:], self._ints[7:9],
                                  max_evaluations=cfg.max_evaluations, horizon=cfg.horizon)
        self._obs_code = ("viterbi", "belief", "features", "particle").index(cfg.obs_mode)
        # obs_mode="particle": the entries of particle_inputs_into (B, N, 4), each particle's last personal best and
        # iterations since and each swarm's first median distance (3, B, N)
        self._particle = np.zeros((b, cfg.swarm_size, PARTICLE_COLUMNS) if self._obs_code == 3 else (0, 0, 0))
        self._particle_state = np.zeros((3, *self._particle.shape[:2]))
        self._feature = np.zeros(len(FEATURE_NAMES), dtype=np.float32)  # the features of one row (particle mode)
        self._all_rows = np.arange(b)
        self._action_params = self.actions.as_array()
        self._u, self._u_next = np.empty((0, 2, b)), 0  # uniform draws of the actions, fetched in blocks
        self.swarms: dict[int, Any] = {}  # one batched swarm per dimension (rows of other dims idle)
        self._dims = np.zeros(b, dtype=np.int64)
        self.functions: list = [None] * b
        self._names = np.full(b, None, dtype=object)
        self._warned = np.zeros(b, dtype=bool)
        self._obs = np.zeros(self.observation_space.shape, dtype=np.float32)
        self._autoreset_envs = np.zeros(b, dtype=bool)
        self._swarm_rng: np.random.Generator | None = None
        self._action_rng: np.random.Generator | None = None
        self._no_x, self._no_fit = np.zeros((0, 0, 0)), np.zeros((0, 0))
        self._fused: Swarm | None = None  # the one numpy swarm, whose factors the step kernel computes
        self._copies: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # function -> {j: j's copy}
        self._args: tuple = ()  # the step kernel's arguments after the swarm's arrays

    @property
    def swarm(self) -> Any:
        """The batched swarm when every sub-environment runs one dimension (None before reset); else ValueError:
        the swarms are in :attr:`swarms` (dimension -> swarm; sub-environment ``i`` is row ``i`` of each)."""
        if not self.swarms:
            return None
        if len(self.swarms) > 1:
            raise ValueError(f"the sub-environments run functions of dimensions {sorted(self.swarms)}: use .swarms")
        return next(iter(self.swarms.values()))

    def _check_target_error(self, fns: list) -> None:
        """ValueError when ``target_error`` is below ``TARGET_ULPS * eps * fn.value_scale`` (``max(|f*|, 1)``
        without one), the rounding noise of a value near f*: float32 Schwefel at D = 30 computes values 1e-3
        below f*, and would end a run whose true error is 5e-6 on ``target_error=1e-8``."""
        if self.target_error is None:
            return
        eps = float(np.finfo(self.config.dtype).eps)
        for fn in fns:
            if getattr(fn, "optimum_value", None) is None:
                continue  # never terminates
            scale = getattr(fn, "value_scale", None) or max(abs(float(fn.optimum_value)), 1.0)
            smallest = TARGET_ULPS * eps * scale
            if self.target_error < smallest:
                raise ValueError(
                    f"target_error={self.target_error:g} is below what {self.config.dtype} resolves for "
                    f"{function_name(fn)!r} (values of magnitude {scale:.6g}): the smallest allowed is {smallest:.3g} "
                    f"({TARGET_ULPS} x eps {eps:.3g} x {scale:.6g})")

    def _seed(self, seed: Any) -> None:
        def natural(s: Any) -> bool:
            return isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 0

        if seed is None:
            ss = np.random.SeedSequence()
        elif natural(seed):
            ss = np.random.SeedSequence(int(seed))
        elif (isinstance(seed, Sequence) and not isinstance(seed, str) and len(seed) == self.num_envs
              and all(natural(s) for s in seed)):
            ss = np.random.SeedSequence([int(s) for s in seed])
        else:
            raise ValueError(f"seed must be None, an integer >= 0 or {self.num_envs} of them, got {seed!r}")
        s_swarm, s_action, s_episode = ss.spawn(3)
        self._swarm_rng = np.random.default_rng(s_swarm)
        self._action_rng = np.random.default_rng(s_action)
        self._u_next = len(self._u)  # drop the draws of the old stream
        self._np_random = np.random.default_rng(s_episode)
        self._np_random_seed = seed if isinstance(seed, (int, np.integer)) else -1
        if self._advice is not None:  # a fourth stream: the other three stay as without an advisor
            self._advice.seed(ss.spawn(1)[0])
        self.instances.restart()

    # ------------------------------------------------------------------ swarms
    def _place(self, idx: np.ndarray, fns: list) -> None:
        """Start swarms for sub-environments ``idx`` on ``fns``, in the swarm of each function's dimension."""
        dims = np.array([int(fn.dim) for fn in fns], dtype=np.int64)
        if idx.size == self.num_envs:
            self.swarms = {}
        self._dims[idx] = dims
        cfg = self.config
        for d in np.unique(dims).tolist():
            sel = dims == d
            rows, group_fns = idx[sel], [fn for fn, s in zip(fns, sel) if s]
            swarm = self.swarms.get(d)
            if swarm is None:  # rows of other dimensions hold a placeholder of this one, stepped but unread
                spare = self._own(-1, group_fns[0])  # an ioh problem of no sub-environment
                all_fns = [self.functions[j] if self.functions[j] is not None and self.functions[j].dim == d
                           else spare for j in range(self.num_envs)]
                for j, fn in zip(rows, group_fns):
                    all_fns[j] = fn
                rng = int(self._swarm_rng.integers(0, 2**63 - 1)) if self.backend == "torch" else self._swarm_rng
                self.swarms[d] = Swarm(all_fns, self.swarm_size, rng, velocity_clamp=cfg.velocity_clamp,
                                       bounds=cfg.bounds, backend=self.backend, device=self.device,
                                       dtype=self.dtype, random_factors="dimension" if self._choice
                                       else cfg.random_factors)
            else:
                swarm.reset(rows, group_fns)
        for d in [d for d in self.swarms if not (self._dims == d).any()]:
            del self.swarms[d]  # no sub-environment runs this dimension any more

    def _read(self) -> tuple[np.ndarray, ...]:
        """Factors, best values, non-finite totals, iterations and evaluations of all swarms (new arrays)."""
        b = self.num_envs
        f, best, totals, iteration, evaluations = np.empty(b), np.empty(b), *np.empty((3, b), dtype=np.int64)
        for d, s in self.swarms.items():
            m = self._dims == d
            f[m], best[m], totals[m] = (_host(a)[m] for a in (s.evolutionary_factor(), s.gbest_fitness, s.nonfinite))
            iteration[m], evaluations[m] = s.iteration[m], s.evaluations[m]
        return f, best, totals, iteration, evaluations

    def _swarm_statistics(self, start: np.ndarray | None = None) -> None:
        """With obs_mode="features" or "particle": every row's diversity and fitness-distance correlation, the
        features' inputs (:func:`pso_env.observation.swarm_statistics_into`), from its swarm's current state; with
        "particle" also the particle entries (:func:`pso_env.observation.particle_inputs_into`) of the rows
        ``start`` (their episodes' first) or, without it, of every row, one step on."""
        if self._obs_code < 2:
            return
        for d, s in self.swarms.items():
            rows = self._all_rows if len(self.swarms) == 1 else np.flatnonzero(self._dims == d)
            x, fit, g = _host(s.positions), _host(s.fitness), _host(s.gbest_position)
            swarm_statistics_into(x, fit, g, rows, self._features.statistics)
            if self._obs_code == 3:
                particle_inputs_into(x, fit, g, _host(s.pbest_fitness), rows if start is None else
                                     np.intersect1d(rows, start), start is not None, self._particle_state,
                                     self._features.params[1], self._particle)

    def _warn_nonfinite(self) -> None:
        """One RuntimeWarning per episode whose latest step or reset had non-finite values."""
        new = (self.nonfinite > 0) & ~self._warned
        for i in np.flatnonzero(new):
            warnings.warn(f"function {self._names[i]!r} returned {self.nonfinite[i]} non-finite values (NaN "
                          "or +-inf) in one iteration (or reset), taken as +inf (the worst value); counted in "
                          "info['nonfinite'], warned once per episode", RuntimeWarning, stacklevel=4)
        self._warned |= new

    # ------------------------------------------------------------------ episodes
    def _start_episodes(self, idx: np.ndarray, choice: Any = None) -> None:
        """Start new episodes in sub-environments ``idx`` and write their observations."""
        rng = self.np_random
        transform_seeds = rng.integers(0, 2**63 - 1, size=idx.size)
        fns = [self._own(j, self.instances.pick(rng, int(s), choice))
               for j, s in zip(idx.tolist(), transform_seeds)]
        self._place(idx, fns)
        for j, fn in zip(idx, fns):
            self.functions[j] = fn
            self._names[j] = function_name(fn)
        if choice is not None:
            self._check_target_error(fns)
        f_star = np.array([getattr(fn, "optimum_value", None) for fn in fns], dtype=float)  # None: nan
        f, best, totals, self.iteration[:], self.evaluations[:] = self._read()
        self._fused = None
        if len(self.swarms) == 1 and self.backend == "numpy":
            (self._fused,) = self.swarms.values()
        self._warned[idx] = False
        self.nonfinite[idx] = self._nonfinite_total[idx] = totals[idx]
        self._warn_nonfinite()
        self.f[idx], self._best[idx] = f[idx], best[idx]
        self.w[idx], self.c1[idx], self.c2[idx] = self.actions.w_max, self.config.c1, self.config.c2
        if self._advice is not None:
            self._advice.reset(idx)
        self.belief.reset(idx)
        self.belief.update(f[idx], idx)
        self._reward.reset(idx, best[idx], f_star)
        self._features.reset(idx)
        self._bind()
        self._swarm_statistics(idx)
        _observe_rows(idx, *self._observe_args)

    def _own(self, j: int, fn: Any) -> Any:
        """Sub-environment ``j``'s instance of ``fn``, its run started: a function with runs (``start_run``: ioh
        problems) is ``fn`` itself in sub-environment 0 and its own copy (made once) in the others; any other
        function is ``fn``."""
        if not hasattr(fn, "start_run"):
            return fn
        if j:
            copies = self._copies.setdefault(fn, {})
            fn = copies[j] if j in copies else copies.setdefault(j, copy.copy(fn))
        fn.start_run()
        return fn

    def _bind(self) -> None:
        """The kernels' arguments after the swarm's arrays (bound again when an array is replaced)."""
        s, bl, ft, cfg = self._fused, self.belief, self._features, self.config
        swarm = (s.nonfinite, s.iteration, s.evaluations, _scratch(s.n_particles, s.dim)) if s else (self._no_fit,) * 4
        limit = min(cfg.max_iterations, self.max_episode_steps or cfg.max_iterations)
        budget = np.inf if cfg.max_evaluations is None else cfg.max_evaluations
        settings = np.array([np.nan if cfg.target_error is None else cfg.target_error, limit, budget,
                             self._obs_code, self._reward.code, bl.refit_every, bl.refit_min_length, *ft.params])
        obs = self._obs.reshape(self.num_envs, -1)  # a view: rows of N x 7 with obs_mode="particle"
        self._args = (*swarm, self._floats, self._ints, settings, bl._history, bl._ints, bl._lattice, bl._tables,
                      obs, self._particle, self._feature)
        self._observe_args = (obs, self._obs_code, bl.states, bl._lattice, self._floats, self._ints, ft.params,
                              self._particle, self._feature)

    def _info(self, mask: np.ndarray | None = None) -> dict[str, Any]:
        m = np.ones(self.num_envs, dtype=bool) if mask is None else mask
        error = np.maximum(self._best - self._reward.f_star, 0.0)  # never negative, even where rounding says so
        values = (self._best.copy(), error, self.w.copy(), self.c1.copy(), self.c2.copy(),
                  _STATE_NAMES[self.belief.states], self.f.copy(), self.iteration.copy(), self.evaluations.copy(),
                  self.nonfinite.copy(), self._names.copy())
        out: dict[str, Any] = {}
        for key, value in zip(_INFO_KEYS, values):
            out[key] = value
            out[f"_{key}"] = m & ~np.isnan(error) if key == "error" else m.copy()
        if self._advice is not None:
            for key, value in zip(ADVICE_INFO_KEYS, self._advice.info()):
                out[key], out[f"_{key}"] = value, m.copy()
        return out

    # ------------------------------------------------------------------ Gymnasium API
    def reset(self, *, seed: Any = None, options: dict | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        """Reset all sub-environments, or those of ``options["reset_mask"]``.

        Parameters
        ----------
        seed : int, sequence of ``num_envs`` ints, or None
            Seeds every random source of the batch (swarms, actions, function choice and
            transformations); None continues the current streams (fresh entropy on the first reset).
        options : dict, optional
            ``"reset_mask"``: boolean array of shape (num_envs,), reset only those (their infos' masks
            are True, the others keep their last observation); ``"function"``: as
            :meth:`PSOEnv.reset`, for every sub-environment reset.

        Raises
        ------
        ValueError
            A bad seed, mask or function choice.
        """
        options = dict(options or {})
        if seed is not None or self._swarm_rng is None:
            self._seed(seed)
        mask = options.pop("reset_mask", None)
        if mask is None:
            idx = np.arange(self.num_envs)
            mask = np.ones(self.num_envs, dtype=bool)
        else:
            mask = np.asarray(mask)
            if mask.shape != (self.num_envs,) or mask.dtype != np.bool_ or not mask.any():
                raise ValueError(f"options['reset_mask'] must be a boolean array of shape ({self.num_envs},) with "
                                 f"at least one True, got {options.get('reset_mask', mask)!r}")
            if not self.swarms and not mask.all():
                raise ValueError("options['reset_mask'] must be all True on the first reset")
            idx = np.flatnonzero(mask)
        self._start_episodes(idx, options.get("function"))
        self._autoreset_envs[idx] = False
        return self._obs.copy(), self._info(mask)

    def _check_actions(self, actions: Any) -> np.ndarray:
        if self._continuous:
            return self._check_continuous(actions)
        a, n = np.asarray(actions), self.single_action_space.n
        if a.shape == (self.num_envs,) and (np.issubdtype(a.dtype, np.integer) or (
                np.issubdtype(a.dtype, np.floating) and np.array_equal(a, np.round(a)))):
            a = a.astype(np.int64)
            if a.min() >= 0 and a.max() < n:
                return a
        raise ValueError(f"actions must be {self.num_envs} integers in 0..{n - 1}, got {actions!r}")

    def _check_continuous(self, actions: Any) -> np.ndarray:
        """Continuous actions as a float64 array of shape (B, 3) ((B, 4) with ``elitist``, (B, N, 3) with
        ``action_mode="particle"``, (B, N, 4) with both, one more column with ``random_factors="action"``;
        components outside [-1, 1] are clipped when applied);
        ValueError unless they have that shape and finite numbers."""
        return check_continuous(actions, (self.num_envs, *self.single_action_space.shape), "actions",
                                per_particle=self._per_particle, columns=self._columns)

    def _advance(self, a: np.ndarray) -> None:
        """One iteration of every sub-environment under actions ``a`` (checked), the one step of the environment:
        action -> parameters -> swarm update -> objective -> evolutionary factor -> belief -> reward -> observation.

        Leaves the rewards, ends and observations in ``_floats``, ``_ints`` and ``_obs``;
        :class:`pso_env.env.PSOEnv` calls it at B = 1.
        """
        consult = None
        if self._advice is not None:  # actions 4..7: the parameter action a - 4, then the advisor
            a, consult = self._advice.split(a, self._autoreset_envs)
        s = self._fused
        coefs = self._no_fit if s is None else s._coefficient_buffer()  # (0, 0): no buffer to fill
        if self._per_particle:  # action -> each particle's w, c1, c2 (pso_env.actions.particle_parameters)
            particle_into(a, self._floats, self._action_params, coefs, self._coefficients)
        elif self._continuous:  # action -> w, c1, c2 directly, no draws (pso_env.actions.continuous_parameters)
            continuous_into(a, self._floats, self._action_params, coefs)
        else:
            t = self._u_next  # action -> w, c1, c2 (pso_env.actions.apply_actions)
            if t == len(self._u):  # draws in blocks: the same stream as one (2, B) draw per step
                self._u, t = self._action_rng.random((64, 2, self.num_envs)), 0
            self._u_next = t + 1
            actions_into(a, self._u, t, self._floats, self._action_params, coefs)
        shared = a[:, :, -1] > 0.0 if self._choice else None
        if s is not None:  # the action kernel filled the swarm's coefficients; the step kernel computes the factors
            s._iterate(None, None if self.config.momentum is None else s._momentum(self.config.momentum, "average"),
                       None, shared)
            if self._elitist_on:
                self._elitist(a)
            if consult is not None:
                self._advice.consult(self.swarms, self._dims, consult)
            if self._obs_code >= 2:
                swarm_statistics_into(s.positions, s.fitness, s.gbest_position, self._all_rows,
                                      self._features.statistics)
                if self._obs_code == 3:
                    particle_inputs_into(s.positions, s.fitness, s.gbest_position, s.pbest_fitness, self._all_rows,
                                         False, self._particle_state, self._features.params[1], self._particle)
            code = _step_rows(s.positions, s.fitness, s.gbest_fitness, *self._args)
        else:
            coefficients = self._coefficients if self._per_particle else self._floats[:3]
            for swarm in self.swarms.values():
                swarm.step(*coefficients, momentum=self.config.momentum, shared=shared)
            if self._elitist_on:
                self._elitist(a)
            if consult is not None:
                self._advice.consult(self.swarms, self._dims, consult)
            f, *read = self._read()
            self.f[:] = f
            self._swarm_statistics()
            code = _step_rows(self._no_x, self._no_fit, *read, *self._args[3:])
        if not code:
            return
        n_due, nonfinite = code >> 1, code & 1
        if n_due:  # refits due (or a full symbol history): the belief finishes its update, then the observations
            if n_due < 0:
                self.belief.update(self.f)
                self._bind()
            else:
                self.belief._refit(self.belief._due[:n_due].copy())
            _observe_rows(np.arange(self.num_envs), *self._observe_args)
        if nonfinite:
            self._warn_nonfinite()

    def _elitist(self, a: np.ndarray) -> None:
        """APSO's elitist learning (:func:`pso_env.operators.elitist_learning`) after this iteration's move, in the
        sub-environments whose 4th action component is > 0 (with particle actions: the mean of the particles' 4th
        entries, each clipped to [-1, 1]: a vote; not those whose step is an autoreset), with sigma at the iteration
        just run (:func:`pso_env.operators.elitist_sigma` of :meth:`_share`); with ``elitist_always`` in all of them.
        With ``elitist_step="vote"`` the step's width is :func:`pso_env.operators.vote_width` of the vote."""
        if self.config.elitist_always:
            on = ~self._autoreset_envs
        else:
            if self._per_particle:  # the vote, np.clip(v, -1, 1).mean(axis=1) with the ufuncs alone (every step)
                v = a[:, :, N_CONTINUOUS]
                switch = np.add.reduce(np.minimum(np.maximum(v, -1.0), 1.0), axis=1) / v.shape[1]
            else:
                switch = a[:, N_CONTINUOUS]
            on = (switch > 0.0) & ~self._autoreset_envs
        if not on.any():
            return
        for dim, swarm in self.swarms.items():
            rows = np.flatnonzero(on & (self._dims == dim))
            if rows.size:
                width = vote_width(swarm, rows, switch[rows]) if self._vote_width else None
                elitist_learning(swarm, elitist_sigma(self._share(swarm, rows)), rows, width)

    def _share(self, swarm: Swarm, rows: np.ndarray) -> np.ndarray:
        """The share of their run that episodes ``rows`` have spent after their latest move, (k,): ``(t - 1) / (T - 1)``
        at iteration t of ``max_iterations`` T (0 for T = 1), or with ``max_evaluations`` their evaluations over it."""
        if self.max_evaluations is not None:
            return swarm.evaluations[rows] / self.max_evaluations
        t = swarm.iteration[rows] - 1
        return t / (self.max_iterations - 1) if self.max_iterations > 1 else np.zeros(rows.size)

    def step(self, actions: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Step every sub-environment (see the class docstring for the autoreset modes).

        Raises
        ------
        ValueError
            ``actions`` not ``num_envs`` integers in 0..3 (0..7 with an advisor), or with continuous or particle
            actions not an array of the action space's batched shape of finite numbers.
        RuntimeError
            Before :meth:`reset`, or, with ``autoreset_mode=DISABLED``, for ended sub-environments.
        """
        if not self.swarms:
            raise RuntimeError("step() called before reset(): call reset() first")
        a = self._check_actions(actions)
        mode = self.autoreset_mode
        pending = self._autoreset_envs.copy() if mode == AutoresetMode.NEXT_STEP else None
        if mode == AutoresetMode.DISABLED and np.count_nonzero(self._autoreset_envs):
            raise RuntimeError(
                "step() called for sub-environments whose episode ended (autoreset_mode=DISABLED): reset them "
                f"with reset(options={{'reset_mask': mask}}); ended: {np.flatnonzero(self._autoreset_envs).tolist()}"
            )
        self._advance(a)
        rewards, (terminated, truncated) = self._rewards.copy(), self._ints[2:4].astype(bool)
        if pending is not None and np.count_nonzero(pending):
            idx = np.flatnonzero(pending)
            self._start_episodes(idx)
            rewards[idx] = 0.0
            terminated[idx] = truncated[idx] = False
        obs = self._obs.copy()
        infos = self._info()
        done = terminated | truncated
        if mode == AutoresetMode.SAME_STEP and np.count_nonzero(done):
            idx = np.flatnonzero(done)
            final_obs = np.full(self.num_envs, None, dtype=object)
            for i in idx:
                final_obs[i] = obs[i].copy()
            final_info = {k: v & done if k.startswith("_") else v for k, v in infos.items()}
            self._start_episodes(idx)
            obs[idx] = self._obs[idx]
            infos = self._info()
            infos["final_obs"], infos["_final_obs"] = final_obs, done.copy()
            infos["final_info"], infos["_final_info"] = final_info, done.copy()
        else:
            self._autoreset_envs = done
        return obs, rewards, terminated, truncated, infos

    def close_extras(self, **kwargs: Any) -> None:
        self.swarms = {}

    action_names = ACTION_NAMES  #: short names of the four actions

    def __repr__(self) -> str:
        return (f"PSOVectorEnv(num_envs={self.num_envs}, functions={self.instances.names}, backend={self.backend!r}, "
                f"autoreset_mode={self.autoreset_mode.value})")


@functools.cache
def _sb3_class() -> type:
    """:class:`SB3VecEnv`, built on first use: Stable-Baselines3 (and torch) load only when it is asked for."""
    from stable_baselines3.common.vec_env.base_vec_env import VecEnv

    class SB3VecEnv(VecEnv):
        """Stable-Baselines3 ``VecEnv`` over a :class:`PSOVectorEnv` of ``num_envs`` sub-environments built from
        ``env_kwargs`` (``autoreset_mode`` is fixed to SAME_STEP).

        SB3 semantics: :meth:`step_wait` resets ended sub-environments in the same step and returns their
        reset observations; their infos hold ``"terminal_observation"``, ``"TimeLimit.truncated"``
        (truncated and not terminated) and, as ``Monitor`` adds them, ``"episode": {"r": return,
        "l": length, "t": seconds since creation}`` (so ``env_is_wrapped(Monitor)`` is True). Per-step infos carry the single environment's keys as
        Python scalars. ``get_attr``, ``set_attr`` and ``env_method`` act once on the shared vector env.
        """

        def __init__(self, num_envs: int = 1, **env_kwargs: Any) -> None:
            if "autoreset_mode" in env_kwargs:
                raise ValueError("autoreset_mode is fixed to SAME_STEP in SB3VecEnv; do not pass it")
            self.venv = PSOVectorEnv(num_envs, autoreset_mode=AutoresetMode.SAME_STEP, **env_kwargs)
            super().__init__(self.venv.num_envs, self.venv.single_observation_space, self.venv.single_action_space)
            self._actions: np.ndarray | None = None
            self._returns = np.zeros(self.num_envs)
            self._lengths = np.zeros(self.num_envs, dtype=np.int64)
            self._t_start = time.time()

        def reset(self) -> np.ndarray:
            seed = self._seeds[0] if self._seeds and self._seeds[0] is not None else None
            options = self._options[0] if self._options and self._options[0] else None
            obs, _ = self.venv.reset(seed=seed, options=options)
            self._reset_seeds()
            self._reset_options()
            self._returns[:] = 0.0
            self._lengths[:] = 0
            return obs

        def step_async(self, actions: np.ndarray) -> None:
            self._actions = np.asarray(actions).reshape(self.num_envs, *self.action_space.shape)

        def step_wait(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict]]:
            obs, rewards, terminated, truncated, infos = self.venv.step(self._actions)
            dones = terminated | truncated
            self._returns += rewards
            self._lengths += 1

            keys = _INFO_KEYS if self.venv._advice is None else _INFO_KEYS + ADVICE_INFO_KEYS

            def columns(src: dict) -> list[tuple[str, list, list]]:  # .tolist(): Python scalars, one call per key
                return [(k, src[k].tolist(), src[f"_{k}"].tolist()) for k in keys]

            step_cols = columns(infos)
            final_cols = columns(infos["final_info"]) if dones.any() else step_cols
            out: list[dict] = []
            for i in range(self.num_envs):
                info = {k: v[i] for k, v, m in (final_cols if dones[i] else step_cols) if m[i]}
                if dones[i]:
                    info["terminal_observation"] = infos["final_obs"][i]
                    info["TimeLimit.truncated"] = bool(truncated[i] and not terminated[i])
                    info["episode"] = {"r": round(float(self._returns[i]), 6), "l": int(self._lengths[i]),
                                       "t": round(time.time() - self._t_start, 6)}
                    self._returns[i] = 0.0
                    self._lengths[i] = 0
                out.append(info)
            return obs, rewards.astype(np.float32), dones, out

        def close(self) -> None:
            self.venv.close()

        def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
            return [getattr(self.venv, attr_name)] * len(self._get_indices(indices))

        def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
            setattr(self.venv, attr_name, value)

        def env_method(self, method_name: str, *method_args: Any, indices: Any = None, **method_kwargs: Any) -> list[Any]:
            result = getattr(self.venv, method_name)(*method_args, **method_kwargs)
            return [result] * len(self._get_indices(indices))

        def env_is_wrapped(self, wrapper_class: type[gym.Wrapper], indices: Any = None) -> list[bool]:
            """True for SB3's ``Monitor`` (whose ``"episode"`` infos this adapter writes, so SB3's tools such as
            ``evaluate_policy`` take its episode statistics), False for any other wrapper class."""
            from stable_baselines3.common.monitor import Monitor

            return [wrapper_class is Monitor] * len(self._get_indices(indices))

    SB3VecEnv.__module__ = __name__
    SB3VecEnv.__qualname__ = "SB3VecEnv"
    return SB3VecEnv


def __getattr__(name: str) -> Any:
    """``SB3VecEnv``, built lazily (PEP 562): importing this module loads neither SB3 nor torch."""
    if name == "SB3VecEnv":
        return _sb3_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def make_sb3_vec_env(num_envs: int = 1, seed: int | None = None, **env_kwargs: Any) -> Any:
    """An :class:`SB3VecEnv` of ``num_envs`` sub-environments (``env_kwargs``: :class:`PSOVectorEnv`'s), its first
    ``reset()`` seeded with ``seed`` (then the streams continue).

    Raises
    ------
    ValueError
        As :class:`PSOVectorEnv`, or when ``autoreset_mode`` is given.
    """
    venv = _sb3_class()(num_envs, **env_kwargs)
    if seed is not None:
        venv.seed(seed)
    return venv
