"""Direct policy search for PSOControl: CMA-ES over the weights of a linear controller (``algo="es"``).

An evolution strategy as a reinforcement-learning method (Salimans et al. 2017, "Evolution Strategies as a
Scalable Alternative to Reinforcement Learning"), with CMA-ES (Hansen & Ostermeier 2001) from the ``cma``
package as the search distribution. **Our choice for issue 13** (see ``results/learned-control``): a policy
gradient (PPO) trained on the same functions did not transfer to unseen ones; a search over a few dozen
weights that scores whole runs by how they rank does.

The policy (:class:`LinearPolicy`) maps an observation ``o`` (n,) to continuous actions
``a = clip(W [o, 1], -1, 1)`` with ``W`` of shape (A, n + 1): A = 3 (w, c1, c2), one more with the environment's
``elitist`` switch and one more with its ``random_factors="action"`` draw choice (:class:`pso_env.EnvConfig`). It starts (``init="linwpso"``) as LinWPSO, the linear
inertia schedule ``w = 0.9 -> 0.4`` over the run with ``c1 = c2 = 2`` and elitist learning off, written in the
``progress`` feature of ``obs_mode="features"``; so the search begins at a good hand-designed rule (with
``inputs`` that leave out ``progress``, at w = 0.9 throughout); ``init="undecided"`` starts the same with the
operator switches on their threshold (the weights and bias of every action after the third at 0), so the first
candidates switch them both ways; without such switches it is ``"linwpso"``; ``init=PATH`` fine-tunes a saved policy
(:func:`warm_start_weights`).

With ``obs_mode="particle"`` and ``action_mode="particle"`` the same ``W`` (3, 8) is shared by the particles: each
particle's row of 7 inputs (:data:`pso_env.PARTICLE_FEATURE_NAMES`) gives its own ``w``, ``c1``, ``c2``: per-particle
control in the spirit of GLEET (Ma et al. 2024) with 24 weights (a policy saved with 6 inputs, before
``median_distance``, reads the first 6); with ``elitist`` ``W`` is (4, 8) and the swarm runs
elitist learning when the mean of the particles' 4th outputs (clipped, as every output) is > 0; with
``random_factors="action"`` a last row gives each particle its draw of r1, r2 (> 0: one for all its dimensions).

One generation (:meth:`PolicySearch.learn`): CMA-ES proposes ``popsize`` weight matrices; each runs
``runs_per_function`` whole episodes on every training function: ``runs_per_function`` chunks, each one
:class:`pso_env.PSOVectorEnv` of ``popsize * F`` sub-environments (one episode of every candidate on every
function) with its own seed, spread over ``workers`` processes; the fitness of a
candidate is its mean rank (1 = best, ties averaged) among the candidates by final best value on each
(function, run) slot. Ranks need no optimum value f* and no reward scale: the functions count equally, or by
``function_weights`` (a weighted mean of the ranks).
The environment's reward is only logged (``episodes.csv``). Each generation's environment seed comes from
``(seed, generation)``, so a run is reproducible and resumes bit for bit from a checkpoint.

:func:`save_ensemble` writes the ensemble of several trained policies (the mean of their clipped actions) as an
agent directory that evaluates like a training run's.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pso_env.config import ACTION_SETTINGS, ALWAYS_SAVED, action_settings, check_int, check_real

#: Defaults of :class:`PolicySearch` (``train_agent.py``'s ``hyperparameters`` override them).
ES_DEFAULTS: dict[str, Any] = {"popsize": 16, "runs_per_function": 2, "sigma0": 0.3, "init": "linwpso", "inputs": None,
                               "workers": 1, "function_weights": None}
#: Starting points of the search.
INITS = ("linwpso", "undecided", "zeros")
#: Suffix of a saved policy (``model.save(path)`` writes ``path + SUFFIX``).
SUFFIX = ".json"
#: Inputs of a "particle" policy saved before ``median_distance`` became the observation's 7th entry: it reads the
#: first 6 (:class:`LinearPolicy`), and a warm start from it adds the 7th at weights 0 (:func:`warm_start_weights`).
SAVED_PARTICLE_INPUTS = 6


class LinearPolicy:
    """``a = clip(W [o, 1], -1, 1)``: a linear controller of continuous actions, or an ensemble of K of them.

    Parameters
    ----------
    weights : array of shape (A, n + 1) or (K, A, n + 1)
        A action components (3: w, c1, c2; one more with ``elitist``, one more with ``random_factors="action"``)
        from n observation entries and a bias. With K
        weight matrices the policy is their ensemble: the mean of the K clipped actions,
        ``a = mean_k clip(W_k [o, 1], -1, 1)`` (:func:`save_ensemble`); K = 1 is the single policy, bit for bit.
    obs_mode : str, default "features"
        The observation it reads (:class:`pso_env.EnvConfig`).
    env_kwargs : dict, optional
        The environment settings it acts in beyond the observation and action modes
        (:data:`pso_env.config.ACTION_SETTINGS`); :class:`agents.controller.PolicyController` passes them to the
        environment.
    action_mode : {"continuous", "particle"}
        "particle" (with ``obs_mode="particle"``): ``W`` applies to each row of an (N, n) observation, giving
        (N, A) actions.

    A policy read by :meth:`PolicySearch.load` also has ``obs_mean`` (n,), the mean observation of its last
    training generation (what :class:`agents.controller.ConstantObservation` feeds by default). A "particle" policy
    saved before ``median_distance`` was added (6 inputs, :data:`SAVED_PARTICLE_INPUTS`) reads each row's first 6
    entries of the 7, so it acts as it did.
    """

    def __init__(self, weights: Any, obs_mode: str = "features", env_kwargs: dict[str, Any] | None = None,
                 action_mode: str = "continuous") -> None:
        w = np.asarray(weights, dtype=np.float64)
        if w.ndim not in (2, 3) or w.shape[-1] < 2 or 0 in w.shape or not np.isfinite(w).all():
            raise ValueError(f"weights must be a finite (A, n + 1) or (K, A, n + 1) array, got shape {w.shape}")
        check_modes(obs_mode, action_mode)
        self.weights, self.obs_mode, self.env_kwargs = w, obs_mode, dict(env_kwargs or {})
        self.action_mode = action_mode
        stack = w if w.ndim == 3 else w[None]
        self._matrix, self._bias = stack[:, :, :-1].transpose(0, 2, 1).copy(), stack[:, None, :, -1].copy()

    @property
    def reads(self) -> list[int]:
        """Indices of the inputs the policy reads: those with a nonzero weight in some member and action."""
        return np.flatnonzero(self._matrix.any(axis=(0, 2))).tolist()

    def predict(self, obs: Any, state: Any = None, episode_start: Any = None,
                deterministic: bool = True) -> tuple[np.ndarray, None]:
        """Actions for ``obs`` (..., n): float32 (..., A) in [-1, 1] (deterministic always): (n,) or (B, n), with
        ``obs_mode="particle"`` (N, n) or (B, N, n)."""
        o = np.asarray(obs, dtype=np.float64)
        if self.obs_mode == "particle" and (self._matrix.shape[1], o.shape[-1]) == (SAVED_PARTICLE_INPUTS,
                                                                                   SAVED_PARTICLE_INPUTS + 1):
            o = o[..., :SAVED_PARTICLE_INPUTS]  # saved before median_distance was added
        if o.shape[-1] != self._matrix.shape[1]:
            raise ValueError(f"obs must have {self._matrix.shape[1]} entries per row, got shape {o.shape}")
        if len(self._matrix) == 1:
            return np.clip(o @ self._matrix[0] + self._bias[0, 0], -1.0, 1.0).astype(np.float32), None
        actions = np.clip(o.reshape(-1, o.shape[-1]) @ self._matrix + self._bias, -1.0, 1.0).mean(axis=0)
        return actions.reshape(*o.shape[:-1], -1).astype(np.float32), None


def check_modes(obs_mode: str, action_mode: str) -> None:
    """ValueError unless a linear policy can act with these modes: continuous actions from a swarm's observation,
    or particle actions from the particles' ("particle" for both)."""
    if action_mode not in ("continuous", "particle") or (obs_mode == "particle") != (action_mode == "particle"):
        raise ValueError(f"a linear policy needs action_mode='continuous' with a swarm observation, or "
                         f"obs_mode='particle' with action_mode='particle', got obs_mode={obs_mode!r}, "
                         f"action_mode={action_mode!r}")


def initial_weights(init: str, config: Any, n_obs: int, n_actions: int) -> np.ndarray:
    """The search's starting weights (A, n + 1) for an environment ``config`` (:class:`pso_env.EnvConfig`).

    ``"linwpso"``: LinWPSO's ``w`` from 0.9 to 0.4 over the run (linear in the ``progress`` entry with
    ``obs_mode="features"`` or ``"particle"``; its midpoint 0.65 otherwise), ``c1 = c2 = 2``, elitist learning off and
    (``random_factors="action"``) r1, r2 per dimension: the columns after the third start at -1; each value clipped to
    the action range. ``"undecided"``: LinWPSO's ``w``, ``c1``, ``c2`` with the operator columns (after the third)
    at 0, so each operator's switch starts on its threshold and CMA-ES's first candidates switch it both ways
    (**our choice**: a search that starts with the operator off may never try it). ``"zeros"``: all weights 0 (the
    middle of every range). Any other string is the path of a saved policy (:meth:`PolicySearch.save`, e.g. a
    run's ``best_model.json``): a warm start from its weights, see :func:`warm_start_weights`.

    Raises
    ------
    ValueError
        A path that is not a saved policy that fits ``config`` (:func:`warm_start_weights`).
    """
    if init not in INITS:
        return warm_start_weights(init, config, n_obs, n_actions)
    w = np.zeros((n_actions, n_obs + 1))
    if init == "zeros":
        return w

    def unit(value: float, low: float, high: float) -> float:  # the action component that sets `value`
        return float(np.clip(2.0 * (value - low) / (high - low) - 1.0, -1.0, 1.0)) if high > low else 0.0

    names = input_names(config.obs_mode)
    if "progress" in names:
        start, end = unit(0.9, config.w_min, config.w_max), unit(0.4, config.w_min, config.w_max)
        w[0, -1], w[0, names.index("progress")] = start, end - start
    else:
        w[0, -1] = unit(0.65, config.w_min, config.w_max)
    w[1, -1] = w[2, -1] = unit(2.0, config.c_min, config.c_max)
    w[3:, -1] = 0.0 if init == "undecided" else -1.0
    return w


def _policy_file(path: str | Path) -> Path:
    """The file of the saved policy ``path`` names: a ``.json`` file, the same without the suffix, or a run directory
    (its ``model.json``)."""
    path = Path(path)
    if path.is_dir():
        return path / ("model" + SUFFIX)
    return path if path.suffix == SUFFIX else Path(str(path) + SUFFIX)


def warm_start_weights(path: str | Path, config: Any, n_obs: int, n_actions: int) -> np.ndarray:
    """Starting weights (A, n + 1) copied from the saved policy at ``path`` (a ``.json`` file or a run directory), as
    online DQNPSO warm-starts from the paper's network.

    Its rows are copied by action column (:func:`pso_env.actions.action_columns`); an operator switch the
    environment adds starts on its threshold (weights and bias 0, as ``init="undecided"``): the elitist vote of a
    policy trained without ``elitist`` (0: off), the draw choice of one trained with ``random_factors="dimension"``
    (0: a draw per dimension); so does an input a "particle" policy saved with fewer inputs lacks (weights 0:
    ``median_distance`` for one saved with 6). So the search's first mean acts exactly as the saved policy did, and
    its first candidates try the new switch (or input) both ways. **Our choice**: fine-tuning a trained controller
    with an operator or an input it did not have.

    Raises
    ------
    ValueError
        ``path`` not a saved single policy, or one for another observation (``obs_mode``, n) or action mode, other
        action ranges (``w_min``, ``w_max``, ``c_min``, ``c_max``), or operator settings the environment would run
        differently (``elitist_always``; ``elitist`` or ``random_factors`` other than adding a switch as above;
        ``elitist_step`` of a policy with the vote): its weights would act differently.
    """
    from pso_env.actions import action_columns

    try:
        saved = PolicySearch.load(path)
    except ValueError as err:
        raise ValueError(f"init: not one of {INITS} nor the path of a saved es policy: {err}") from None
    if saved.weights.ndim != 2:
        raise ValueError(f"init: {str(path)!r} is an ensemble; a warm start needs a single policy")
    ours, theirs = action_settings(env_kwargs(config)), action_settings(saved.env_kwargs)
    same = ["w_min", "w_max", "c_min", "c_max", "elitist_always"]
    same += ["elitist", "elitist_step"] if theirs["elitist"] else []
    same += [] if (theirs["random_factors"], ours["random_factors"]) == ("dimension", "action") else ["random_factors"]
    differ = "".join(f"; {k}={theirs[k]!r} there, {ours[k]!r} here" for k in same if theirs[k] != ours[k])
    n_saved = saved.weights.shape[1] - 1
    fewer = saved.obs_mode == "particle" and (n_saved, n_obs) == (SAVED_PARTICLE_INPUTS, SAVED_PARTICLE_INPUTS + 1)
    if (saved.obs_mode, saved.action_mode, n_obs if fewer else n_saved) != (config.obs_mode, config.action_mode,
                                                                           n_obs) or differ:
        raise ValueError(f"init: {str(path)!r} acts with obs_mode={saved.obs_mode!r} ({n_saved} inputs), "
                         f"action_mode={saved.action_mode!r}; the environment has {config.obs_mode!r} ({n_obs}), "
                         f"{config.action_mode!r}{differ} (a warm start may only add the elitist vote, or the draw "
                         f"choice to random_factors='dimension')")
    padded = np.insert(saved.weights, [n_saved] * (n_obs - n_saved), 0.0, axis=1)  # new inputs' weights 0
    rows = dict(zip(action_columns(theirs["elitist"], theirs["random_factors"]), padded, strict=True))
    zero = np.zeros(n_obs + 1)
    return np.stack([rows.get(name, zero) for name in action_columns(ours["elitist"], ours["random_factors"])])


class PolicySearch:
    """CMA-ES over the weights of a :class:`LinearPolicy`, with Stable-Baselines3's ``learn``/``predict``/``save``/
    ``load`` (see the module docstring for a generation).

    Parameters
    ----------
    env : PSOEnv or PSOVectorEnv
        Gives the training settings (its ``config``: functions, swarm, observation and action modes) and the
        number of functions F; each generation runs ``runs_per_function`` vector environments of ``popsize * F``
        sub-environments with these settings. The action mode must be ``"continuous"``, or ``"particle"`` with
        ``obs_mode="particle"`` (a policy shared by the particles).
    popsize : int, default 16
        Candidates per generation (CMA-ES's lambda).
    runs_per_function : int, default 2
        Episodes of each candidate on each training function per generation.
    sigma0 : float, default 0.3
        CMA-ES's initial step size, in weight units.
    init : {"linwpso", "undecided", "zeros"} or path
        Starting weights (:func:`initial_weights`); a path warm-starts from a saved policy
        (:func:`warm_start_weights`).
    inputs : list of str, optional
        The observation entries the policy reads (names of :data:`pso_env.FEATURE_NAMES` with ``obs_mode="features"``,
        of :data:`pso_env.PARTICLE_FEATURE_NAMES` with ``obs_mode="particle"``);
        the weights of the others stay 0 and CMA-ES searches the rest (and the biases). Default: all.
    workers : int, default 1
        Processes that run a generation's ``runs_per_function`` chunks (each chunk: one episode of every
        candidate on every function); the result does not depend on it.
    function_weights : dict of str to float, optional
        The weight of each training function in a candidate's fitness (its mean rank becomes a weighted mean),
        keyed ``"NAME@D"`` (the function built at dimension D, as ``--functions`` writes it: ``"bbob:f15@30"``) or
        ``"NAME"`` (the function at every dimension; :func:`resolve_function_weights`); a weight is a finite number
        > 0 and the functions not named weigh 1. Default: every function weighs 1.
    seed : int, optional
        Seeds CMA-ES and every generation's environment (default 0).
    tensorboard_log : str, optional
        Kept for the training run's interface; nothing is written there.
    verbose : int
        Unused (the training run shows a progress bar).

    Attributes
    ----------
    weights : ndarray (A, n + 1)
        The current policy: CMA-ES's mean (what :meth:`predict` and :meth:`save` use).
    num_timesteps : int
        Environment steps run so far: the training episodes' lengths summed (``popsize * F *
        runs_per_function * max_iterations`` per generation without ``max_evaluations``).
    generation : int
    episode_timesteps, episode_returns, episode_lengths : lists
        One entry per finished training episode (the return is the environment's reward summed).
    obs_mean : ndarray (n,)
        The mean observation of the latest generation's episodes, over their particles too with
        ``obs_mode="particle"`` (the constant of the ablations ``constant-obs:`` and ``constant-particle:``,
        :mod:`evaluation.registry`).

    Raises
    ------
    ValueError
        Naming a bad argument, or an environment without continuous or particle actions (particle ones with
        ``obs_mode="particle"``).
    """

    def __init__(self, env: Any, *, popsize: int = 16, runs_per_function: int = 2, sigma0: float = 0.3,
                 init: str = "linwpso", inputs: Any = None, workers: int = 1, function_weights: Any = None,
                 seed: int | None = None, tensorboard_log: str | None = None, verbose: int = 0) -> None:
        self.popsize = check_int(2)("popsize", popsize)
        self.workers = check_int(1)("workers", workers)
        self.runs_per_function = check_int(1)("runs_per_function", runs_per_function)
        self.sigma0 = check_real(positive=True)("sigma0", sigma0)
        if not isinstance(init, (str, Path)):
            raise ValueError(f"init must be one of {INITS} or the path of a saved es policy, got {init!r}")
        self.init = str(init)  # a name of INITS or a saved policy's path (initial_weights checks it)
        self.seed = 0 if seed is None else check_int(0)("seed", seed)
        self.tensorboard_log, self.verbose = tensorboard_log, verbose
        self.config = env.config
        try:
            check_modes(self.config.obs_mode, self.config.action_mode)
        except ValueError as err:
            raise ValueError(f"algo 'es': {err}") from None
        space = getattr(env, "single_action_space", None) or env.action_space
        self.n_obs = int((getattr(env, "single_observation_space", None) or env.observation_space).shape[-1])
        self.n_actions = int(space.shape[-1])
        self.n_functions = len(env.instances)
        self._function_weights = resolve_function_weights(function_weights, env.instances.base_names,
                                                          env.instances.dims)
        self.function_weights = None if function_weights is None else dict(function_weights)
        weights = initial_weights(self.init, self.config, self.n_obs, self.n_actions)
        self.inputs = None if inputs is None else [str(x) for x in inputs]
        self._free = np.ones(weights.shape, dtype=bool)  # the weights CMA-ES searches; the others stay 0
        if self.inputs is not None:
            names = input_names(self.config.obs_mode)
            unknown = [x for x in self.inputs if x not in names]
            if not names:
                raise ValueError(f"inputs needs obs_mode='features' or 'particle' (named entries), got obs_mode="
                                 f"{self.config.obs_mode!r}")
            if unknown or not self.inputs:
                raise ValueError(f"inputs must name entries of the {self.config.obs_mode} observation {names}, got "
                                 f"{inputs!r}")
            self._free[:, :-1] = np.isin(names, self.inputs)[None, :]
            if self.init not in INITS and weights[~self._free].any():
                raise ValueError(f"inputs: the warm start {self.init!r} reads entries outside {self.inputs} (its "
                                 f"weights there are not 0); name them in inputs or start elsewhere")
            weights[~self._free] = 0.0
        self.weights = weights
        self.obs_mean = np.full(self.n_obs, 0.5)
        #: SHA-256 of the warm start's file (``init`` a path), saved with the policy: which policy it started from
        self.init_sha256 = None if self.init in INITS else _sha256(_policy_file(self.init))
        self.num_timesteps = self.generation = 0
        self.episode_timesteps: list[int] = []
        self.episode_returns: list[float] = []
        self.episode_lengths: list[int] = []
        self._es: Any = None
        self._pool: Any = None

    # ------------------------------------------------------------------ the policy
    @property
    def weights(self) -> np.ndarray:
        """The current policy's weights (A, n + 1): CMA-ES's mean; assigning one rebuilds :attr:`policy`."""
        return self.policy.weights

    @weights.setter
    def weights(self, value: np.ndarray) -> None:
        self.policy = LinearPolicy(value, self.config.obs_mode, env_kwargs(self.config), self.config.action_mode)

    def predict(self, obs: Any, state: Any = None, episode_start: Any = None,
                deterministic: bool = True) -> tuple[np.ndarray, None]:
        """The current policy's actions for ``obs`` (..., n) (:meth:`LinearPolicy.predict`)."""
        return self.policy.predict(obs)

    def set_random_seed(self, seed: int | None = None) -> None:
        """Nothing to do: every generation is seeded from ``(seed, generation)``."""

    # ------------------------------------------------------------------ training
    @property
    def batch_size(self) -> int:
        """Episodes per generation: ``popsize * F * runs_per_function``."""
        return self.popsize * self.n_functions * self.runs_per_function

    @property
    def steps_per_generation(self) -> int:
        """Environment steps per generation: ``batch_size`` episodes of the planned iterations (with a budget,
        about: an episode ends once its swarm has spent the budget)."""
        return self.batch_size * self.config.horizon

    def _strategy(self) -> Any:
        if self._es is None:
            import cma

            # every Gaussian sample from our generator (numpy's global state untouched: seed=nan, as run_cmaes)
            self._es = cma.CMAEvolutionStrategy(self.weights[self._free], self.sigma0,
                                                {"popsize": self.popsize, "randn": _Normal(), "seed": np.nan,
                                                 "verbose": -9})
        return self._es

    def learn(self, total_timesteps: int, callback: Callable[[dict[str, Any]], Any] | None = None,
              reset_num_timesteps: bool = True, **_: Any) -> PolicySearch:
        """Run generations until ``total_timesteps`` more environment steps are done (whole generations);
        ``callback(locals())`` after each (its ``"self"`` is this model)."""
        if reset_num_timesteps and self.generation == 0:
            self.num_timesteps = 0
        end = self.num_timesteps + check_int(1)("total_timesteps", total_timesteps)
        while self.num_timesteps < end:
            self._generation()
            if callback is not None:
                callback(locals())
        return self

    def _generation(self) -> None:
        from scipy.stats import rankdata

        es, r_max = self._strategy(), self.runs_per_function
        es.opts["randn"].rng = np.random.default_rng([self.seed, self.generation, 1])
        candidates = es.ask()
        weights = np.stack([self._weights(x) for x in candidates])
        # chunk r: the r-th episode of every candidate on every function, seeded by (seed, generation, r)
        seeds = [int(np.random.SeedSequence([self.seed, self.generation, r]).generate_state(1)[0])
                 for r in range(r_max)]
        args = [(self.config, self.n_functions, weights, seed) for seed in seeds]
        if self.workers > 1:
            if self._pool is None:
                import multiprocessing
                from concurrent.futures import ProcessPoolExecutor

                self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
            chunks = list(self._pool.map(_rollout_chunk, *zip(*args)))
        else:
            chunks = [_rollout_chunk(*a) for a in args]
        best = np.concatenate([c[0] for c in chunks], axis=1)  # (popsize, F R): every (function, run) slot
        ranks = np.apply_along_axis(rankdata, 0, best)
        if self._function_weights is None:
            fitness = ranks.mean(axis=1)  # mean rank over the slots
        else:  # the slots of chunk r are the functions in order
            fitness = np.average(ranks, axis=1, weights=np.tile(self._function_weights, r_max))
        es.tell(candidates, fitness.tolist())
        self.weights = self._weights(es.result.xfavorite)
        steps = int(sum(c[3].sum() for c in chunks))
        self.obs_mean = sum(c[2] for c in chunks) / steps
        self.generation += 1
        self.num_timesteps += steps
        self.episode_timesteps += [self.num_timesteps] * self.batch_size
        for _, returns, _, lengths in chunks:
            self.episode_returns += returns.tolist()
            self.episode_lengths += lengths.tolist()

    def _weights(self, x: Any) -> np.ndarray:
        """The (A, n + 1) weights of a CMA-ES point (the free entries; the others 0)."""
        w = np.zeros(self.weights.shape)
        w[self._free] = np.asarray(x, dtype=np.float64)
        return w

    def close(self) -> None:
        """Stop the worker processes (``workers > 1``); a later generation starts them again."""
        pool = getattr(self, "_pool", None)  # absent when __init__ raised
        if pool is not None:
            pool.shutdown()
            self._pool = None

    def __del__(self) -> None:
        self.close()

    # ------------------------------------------------------------------ files
    def save(self, path: str | Path) -> None:
        """Write the policy and the search's position to ``path + ".json"`` (plain JSON, no code)."""
        data = {"algo": "es", "weights": self.weights.tolist(), "obs_mode": self.config.obs_mode,
                "action_mode": self.config.action_mode,
                "env_kwargs": env_kwargs(self.config), "obs_mean": self.obs_mean.tolist(),
                "num_timesteps": self.num_timesteps, "generation": self.generation,
                **({"init_sha256": self.init_sha256} if self.init_sha256 else {}),
                "hyperparameters": {"popsize": self.popsize, "runs_per_function": self.runs_per_function,
                                    "sigma0": self.sigma0, "init": self.init, "inputs": self.inputs,
                                    "workers": self.workers, "function_weights": self.function_weights,
                                    "seed": self.seed}}
        Path(str(path) + SUFFIX).write_text(json.dumps(data, indent=1))

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_pool": None}

    def save_replay_buffer(self, path: str | Path) -> None:
        """Write CMA-ES's state (a pickle: for ``--resume`` of your own runs only, as SB3's replay buffers)."""
        with open(path, "wb") as fh:
            pickle.dump(self._strategy(), fh)

    def load_replay_buffer(self, path: str | Path) -> None:
        """Read CMA-ES's state written by :meth:`save_replay_buffer` (unpickles: your own runs only)."""
        with open(path, "rb") as fh:
            self._es = pickle.load(fh)

    @classmethod
    def load(cls, path: str | Path, env: Any = None) -> PolicySearch | LinearPolicy:
        """The saved search (with ``env`` to train on; its settings must be the saved ones) or, without
        ``env``, its policy: a :class:`LinearPolicy`. ``path`` with or without ``.json``, or a run directory (its
        ``model.json``).

        Raises
        ------
        ValueError
            An unreadable file, or ``env`` whose spaces differ from the saved policy's (a policy saved with fewer
            inputs or switches than ``env`` has is fine-tuned through ``init``: :func:`warm_start_weights`).
        """
        file = _policy_file(path)
        try:
            data = json.loads(file.read_text())
            weights = np.asarray(data["weights"], dtype=np.float64)
            policy = LinearPolicy(weights, data["obs_mode"], data.get("env_kwargs", {}),
                                  data.get("action_mode", "continuous"))
        except (OSError, json.JSONDecodeError, KeyError, ValueError) as err:
            raise ValueError(f"{str(file)!r} is not a saved es policy ({err})") from None
        policy.obs_mean = np.asarray(data.get("obs_mean", np.full(weights.shape[-1] - 1, 0.5)))
        if env is None:
            return policy
        if weights.ndim == 3:
            raise ValueError(f"{str(file)!r} is an ensemble of {len(weights)} policies (save_ensemble): it can be "
                             "evaluated, not trained further")
        hyperparameters = data.get("hyperparameters", {})
        # the weights come from the file: a warm start's source need not exist any more
        model = cls(env, **{**hyperparameters, "init": "zeros"})
        model.init, model.init_sha256 = hyperparameters.get("init", ES_DEFAULTS["init"]), data.get("init_sha256")
        if model.weights.shape != weights.shape:
            raise ValueError(f"env has {model.n_actions} actions and {model.n_obs} observations; the saved policy "
                             f"{weights.shape[0]} and {weights.shape[1] - 1}: load continues the saved search; to "
                             f"fine-tune the policy on env, start a new one from it (hyperparameters "
                             f"{{\"init\": {str(file)!r}}}), which adds the missing inputs and switches at 0")
        model.weights, model.obs_mean = weights, policy.obs_mean
        model.num_timesteps, model.generation = int(data["num_timesteps"]), int(data["generation"])
        return model


def save_ensemble(members: Sequence[str | Path], out: str | Path) -> LinearPolicy:
    """Write the ensemble of saved linear policies: ``a = mean_k clip(W_k [o, 1], -1, 1)`` (:class:`LinearPolicy`).

    Averaging the actions of controllers trained from different seeds needs no choice among them (on
    held-out functions the seeds' ranks differ more than a validation split can tell: ``results/learned-control``).

    Parameters
    ----------
    members : sequence of paths
        At least two saved policies (``model.json`` or ``best_model.json`` of ``train_agent.py --algo es`` runs,
        or ensembles: their members join), all with the same observation mode, action settings
        (:data:`pso_env.config.ACTION_SETTINGS`: ranges, ``elitist``, ``elitist_always``, ``random_factors``,
        ``elitist_step``; a setting saved before it existed counts as its default) and weight shape (A, n + 1).
    out : path
        A new directory (it must not hold a ``run.json``) that becomes an agent directory like a training run's
        ``--out``: ``model.json`` and ``best_model.json`` (the same policy, weights (K, A, n + 1), ``obs_mean`` the
        members' mean) and ``run.json`` naming each member with its SHA-256. ``agent:OUT`` in ``evaluate.py`` and
        :func:`agents.load_agent` read it.

    Returns
    -------
    LinearPolicy
        The ensemble (K = the members' total number of weight matrices).

    Raises
    ------
    ValueError
        Fewer than two members, an unreadable member, members that differ in their settings or shapes, or an
        ``out`` that already holds a run; nothing is written then.
    """
    paths = [_policy_file(m) for m in members]
    if len(paths) < 2:
        raise ValueError(f"members: an ensemble needs at least two saved policies, got {len(paths)}")
    try:
        policies = [PolicySearch.load(p) for p in paths]
    except ValueError as err:
        raise ValueError(f"members: {err}") from None
    first = policies[0]
    def settings(p: LinearPolicy) -> tuple:
        return p.obs_mode, p.action_mode, action_settings(p.env_kwargs), p.weights.shape[-2:]

    for path, policy in zip(paths[1:], policies[1:], strict=True):
        if settings(policy) != settings(first):
            raise ValueError(f"members: {str(path)!r} has obs_mode {policy.obs_mode!r}, action_mode "
                             f"{policy.action_mode!r}, settings {settings(policy)[2]}, weights "
                             f"{policy.weights.shape[-2:]}; {str(paths[0])!r} has {first.obs_mode!r}, "
                             f"{first.action_mode!r}, {settings(first)[2]}, {first.weights.shape[-2:]}")
    out = Path(out)
    if (out / "run.json").exists():
        raise ValueError(f"out: {str(out)!r} already holds a run (run.json); choose a new directory")
    stack = np.concatenate([p.weights.reshape(-1, *p.weights.shape[-2:]) for p in policies])
    ensemble = LinearPolicy(stack, first.obs_mode, first.env_kwargs, first.action_mode)
    ensemble.obs_mean = np.mean([p.obs_mean for p in policies], axis=0)
    model = {"algo": "es", "weights": stack.tolist(), "obs_mode": first.obs_mode, "action_mode": first.action_mode,
             "env_kwargs": first.env_kwargs,
             "obs_mean": ensemble.obs_mean.tolist(), "members": [str(p) for p in paths]}
    run = {"algo": "es", "obs_mode": first.obs_mode, "action_mode": first.action_mode, "name": "es-ensemble",
           "config": {"algo": "es", "obs_mode": first.obs_mode, "action_mode": first.action_mode, **first.env_kwargs},
           "members": [{"path": str(p), "sha256": _sha256(p),
                        "policies": len(pol.weights) if pol.weights.ndim == 3 else 1}
                       for p, pol in zip(paths, policies, strict=True)]}
    out.mkdir(parents=True, exist_ok=True)
    for name in ("model", "best_model"):
        (out / (name + SUFFIX)).write_text(json.dumps(model, indent=1))
    (out / "run.json").write_text(json.dumps(run, indent=1))
    return ensemble


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


_CHUNK_ENV: list[Any] = []  # this process's batch environment, reused while the settings and size stay


def resolve_function_weights(spec: Any, names: Sequence[str], dims: Sequence[int]) -> np.ndarray | None:
    """The (F,) weights of the training functions ``names`` (base names, before any shift or rotation) at ``dims``
    from a ``function_weights`` mapping (:class:`PolicySearch`; None or empty: every function weighs 1).

    A key ``"NAME@D"`` weighs NAME at dimension D and a key ``"NAME"`` every dimension of NAME (``"NAME@D"`` wins
    where both apply); names are read as ``--functions`` reads them (``"Sphere"`` is ``"sphere"``).

    Raises
    ------
    ValueError
        Naming ``function_weights``: not a mapping, a key that names no training function, or a weight that is not a
        finite number > 0.
    """
    from numbers import Real

    from benchmarks_fn import canonical_name

    if spec is None or (isinstance(spec, dict) and not spec):
        return None
    labels = [f"{name}@{dim}" for name, dim in zip(names, dims, strict=True)]
    if not isinstance(spec, dict):
        raise ValueError(f"function_weights must map training functions ({', '.join(labels)}) to weights > 0, got "
                         f"{spec!r}")

    def canonical(name: str) -> str:
        try:
            return canonical_name(name)[0]
        except ValueError:  # a function object's own name
            return name

    weights = np.ones(len(labels))
    for key, value in sorted(spec.items(), key=lambda kv: "@" in str(kv[0])):  # NAME first, then NAME@D over it
        name, _, dim = str(key).partition("@")
        hits = [i for i, (n, d) in enumerate(zip(names, dims, strict=True))
                if canonical(name.strip()) == canonical(n) and dim.strip() in ("", str(d))]
        if not hits:
            raise ValueError(f"function_weights: {key!r} names no training function; they are {', '.join(labels)} "
                             "(NAME@D, or NAME for every dimension)")
        try:
            ok = isinstance(value, Real) and not isinstance(value, bool) and np.isfinite(float(value)) and value > 0
        except OverflowError:
            ok = False
        if not ok:
            raise ValueError(f"function_weights[{key!r}] must be a finite number > 0, got {value!r}")
        weights[hits] = float(value)
    return weights


def _rollout_chunk(config: Any, n_functions: int, weights: np.ndarray, seed: int) -> tuple[np.ndarray, ...]:
    """One episode of each of the K candidates ``weights`` (K, A, n + 1) on each of the F = ``n_functions`` functions
    of ``config``,
    all in one :class:`pso_env.PSOVectorEnv` of K F sub-environments (``j``: candidate ``j // F``, function
    ``j % F`` in round robin) reset with ``seed``. Episodes may end at different steps (a budget, a target): each
    row's values count until its own end, and the batch steps until every row has ended (a row that ended first
    is reset by its next step and runs on unscored; its random draws come from the batch's one swarm generator,
    so they shift the later draws of the rows still running: reproducible, but a candidate's episode depends on
    when the others end). With a budget B the final best value is the swarm's after its last whole iteration (up
    to N - 1 evaluations past B, and an elitist one), where :func:`evaluation.runner.run` scores the first B.
    Returns the final best values (K, F), the episodes' returns (K F,), the sum of their observations (n,) (of
    each observation's mean row with ``obs_mode="particle"``) and their lengths (K F,)."""
    from pso_env import PSOVectorEnv

    k, wanted = weights.shape[0], config.replace(instance_order="round_robin")
    env = _CHUNK_ENV[0] if _CHUNK_ENV else None
    if env is None or env.config != wanted or env.num_envs != k * n_functions:
        env = PSOVectorEnv(k * n_functions, wanted)
        _CHUNK_ENV[:] = [env]
    per_row = weights[np.arange(env.num_envs) // (env.num_envs // k)]
    matrix, bias = per_row[:, :, :-1], per_row[:, :, -1]
    obs, _ = env.reset(seed=seed)
    b = env.num_envs
    bias = bias.reshape(b, *[1] * (obs.ndim - 2), -1)  # (B, 1, A) for particle observations (B, N, n)
    returns, obs_sum = np.zeros(b), np.zeros(obs.shape[-1])
    best, lengths, running = np.zeros(b), np.zeros(b, dtype=np.int64), np.ones(b, dtype=bool)
    while running.any():
        rows = obs[running]
        obs_sum += (rows if rows.ndim == 2 else rows.mean(axis=1)).sum(axis=0)
        actions = np.clip(np.einsum("bij,b...j->b...i", matrix, obs) + bias, -1.0, 1.0).astype(np.float32)
        obs, rewards, terminated, truncated, infos = env.step(actions)
        returns[running] += rewards[running]
        ended = running & (terminated | truncated)
        best[ended] = infos["best_fitness"][ended]
        lengths[ended] = infos["iteration"][ended]
        running &= ~ended
    return best.reshape(k, -1), returns, obs_sum, lengths


class _Normal:
    """CMA-ES's ``randn(*shape)`` from a generator that each generation re-seeds (picklable with CMA-ES's state)."""

    def __init__(self) -> None:
        self.rng = np.random.default_rng(0)

    def __call__(self, *shape: int) -> np.ndarray:
        return self.rng.standard_normal(shape)


def input_names(obs_mode: str) -> tuple[str, ...]:
    """The names of a policy's inputs: :data:`pso_env.FEATURE_NAMES` for "features", :data:`pso_env.PARTICLE_FEATURE_NAMES`
    for "particle", none (empty) for the others."""
    from pso_env.observation import FEATURE_NAMES, PARTICLE_FEATURE_NAMES

    return {"features": FEATURE_NAMES, "particle": PARTICLE_FEATURE_NAMES}.get(obs_mode, ())


def env_kwargs(config: Any) -> dict[str, Any]:
    """The environment settings a continuous policy acts through beyond its modes (:data:`pso_env.config.ACTION_SETTINGS`:
    action ranges, ``elitist``, ``elitist_always``, ``random_factors`` and, where not its default, ``elitist_step``:
    :data:`pso_env.config.ALWAYS_SAVED`)."""
    defaults = action_settings({})
    return {k: getattr(config, k) for k in ACTION_SETTINGS if k in ALWAYS_SAVED or getattr(config, k) != defaults[k]}
