"""Training a PSOControl controller: the run directory, checkpoints, held-out evaluation and resume.

A run directory (``train_agent.py --out DIR``) holds ``run.json`` (configuration, package versions,
functions), ``model`` and ``best_model`` (the final one and the best on the held-out functions;
``model/`` for custom-dqn, ``model.zip`` for SB3), ``checkpoints/step_<n>`` (with replay buffers),
``progress.csv`` (one row per held-out evaluation), ``episodes.csv`` (one row per training episode),
``learning_curve.png`` and ``tb/`` (TensorBoard logs).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import itertools
import json
import math
import platform
import re
import shutil
import signal
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback

from benchmarks_fn import resolve_entries
from benchmarks_fn.suites import InstanceError
from evaluation.runner import check_run_settings
from pso_env.config import (
    ACTION_SETTINGS,
    EnvConfig,
    action_settings,
    check_choice,
    check_int,
    config_field,
    validate_fields,
)

from .models import (
    ALGORITHMS,
    CONTINUOUS_ALGORITHMS,
    RUN_CONFIG,
    LoadedPolicy,
    check_action_mode,
    check_hyperparameters,
    load_model,
    make_model,
    model_parameters,
)

_ALGOS = ALGORITHMS + CONTINUOUS_ALGORITHMS

#: Functions the default controller trains on, and the ones kept out of training to measure transfer.
DEFAULT_TRAIN = "sphere,elliptic,quadric,rastrigin,griewank,schwefel"
DEFAULT_HELD_OUT = "tablet,step,ackley"
_OFF_POLICY = ("custom-dqn", "dqn", "qrdqn")
# Algorithms whose checkpoints carry a state beside the model (a replay buffer; es: CMA-ES's state).
_STATEFUL = (*_OFF_POLICY, "es")
# Algorithms with their own learn loop (ours), not SB3's callbacks.
_OWN_LOOP = ("custom-dqn", "es")
# Settings that define a run: they must match for --resume.
_RUN_KEYS = ("algo", "functions", "held_out", "held_out_instance", "dim", "swarm_size", "iterations", "max_evaluations", "obs_mode",
             "action_mode", "reward_mode", "n_envs", "seed", "shift", "rotate", "hyperparameters", *ACTION_SETTINGS)


def _env_field(name: str, **changes: Any) -> Any:
    """A field declared like :class:`pso_env.EnvConfig`'s field ``name`` (its help and check)."""
    f = {f.name: f for f in dataclasses.fields(EnvConfig)}[name]
    meta = dict(f.metadata)
    default = changes.pop("default", f.default)
    meta.update(changes)
    return config_field(default, meta.pop("help"), meta.pop("check"), **meta)


def _check_functions(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a comma-separated string of names or suites, got {value!r}")
    return value


def _parse_json_object(text: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise argparse.ArgumentTypeError(f"expected a JSON object, got {text!r} ({err})") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"expected a JSON object, got {text!r}")
    return value


def _check_dict(name: str, value: Any) -> dict:
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be a dict, got {value!r}")
    return value


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run (written to ``run.json``); validated on construction.

    Each field's help text and check are in its declaration (the environment's are
    :class:`pso_env.EnvConfig`'s; ``iterations`` is its ``max_iterations``); ``train_agent.py``'s options
    are built from them.

    Raises
    ------
    ValueError
        Naming the first bad field.
    """

    algo: str = config_field("custom-dqn", "custom-dqn is our DQN with the paper's 4-32-4 Q-network; dqn/ppo/a2c/sac/td3 "
                             "are Stable-Baselines3's; qrdqn and recurrent_ppo need sb3-contrib; sac, td3 and es need "
                             "--action-mode continuous or particle, the DQNs the discrete one", check_choice(_ALGOS), choices=_ALGOS)
    functions: str = config_field(DEFAULT_TRAIN, "training functions: comma-separated names or suites (paper, bbob, "
                                  "cec2022, metabox-train); NAME@D builds NAME at D instead of --dim (several "
                                  "dimensions: metabox-train,metabox-train@30)", _check_functions)
    held_out: str = config_field(DEFAULT_HELD_OUT, "functions never trained on, scored during training to pick "
                                 "best_model ('' for none)", _check_functions)
    held_out_instance: int = config_field(1, "ioh instance of the BBOB functions in --held-out (another instance of "
                                          "a training function is a function not trained on: new shift, rotation "
                                          "and optimum)", check_int(1))
    dim: int = _env_field("dim", help="dimension D of the functions (Drop-wave is always 2)")
    swarm_size: int = _env_field("swarm_size")
    iterations: int = _env_field("max_iterations", help="PSO iterations per episode (with --max-evaluations only a "
                                 "cap, which must let the budget be spent: swarm_size (iterations + 1) >= "
                                 "max_evaluations)")
    max_evaluations: int | None = _env_field("max_evaluations", help="evaluation budget per episode, more than "
                                             "swarm_size (training and held-out scoring), as evaluate.py's "
                                             "--max-evaluations: episodes end once the swarm has spent it, and the "
                                             "progress feature, the elitist sigma and the stagnation scale follow "
                                             "it; 'none': episodes of --iterations")
    obs_mode: str = _env_field("obs_mode", help="observation of the agent")
    action_mode: str = _env_field("action_mode")
    reward_mode: str = _env_field("reward_mode", default="log")
    w_min: float = _env_field("w_min")
    w_max: float = _env_field("w_max")
    c_min: float = _env_field("c_min")
    c_max: float = _env_field("c_max")
    elitist: bool = _env_field("elitist")
    elitist_always: bool = _env_field("elitist_always")
    elitist_step: str = _env_field("elitist_step")
    random_factors: str = _env_field("random_factors")
    timesteps: int = config_field(200_000, "environment steps to train for", check_int(1))
    n_envs: int = config_field(1, "environments stepped together", check_int(1))
    seed: int = config_field(0, "seed of the model and the environments", check_int(0))
    shift: bool = _env_field("shift", help="train on CEC-style shifted functions (fresh each episode)")
    rotate: bool = _env_field("rotate", help="train on CEC-style rotated functions (fresh each episode)")
    checkpoint_every: int = config_field(20_000, "steps between checkpoints", check_int(1))
    eval_every: int = config_field(20_000, "steps between held-out evaluations", check_int(1))
    eval_runs: int = config_field(3, "runs per held-out function in each evaluation", check_int(1))
    keep_checkpoints: int = config_field(3, "checkpoints kept", check_int(1), cli=None)
    hyperparameters: dict[str, Any] = config_field(  # noqa: RUF009 - a field() factory
        {}, "model hyperparameters as a JSON object, over agents.default_hyperparameters(algo) (e.g. '{\"popsize\": "
        "8}' for es)", _check_dict, parse=_parse_json_object, metavar="JSON")

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ValueError naming the first bad setting."""
        validate_fields(self)
        check_action_mode(self.algo, self.action_mode)
        check_hyperparameters(self.algo, self.hyperparameters)
        self.env_config()
        try:
            check_run_settings(self.swarm_size, self.iterations, 1, max_evaluations=self.max_evaluations)
        except ValueError as err:  # EnvConfig checked each value; what is left is a budget the cap cannot spend
            raise ValueError(f"max_evaluations: {err}") from None
        train = self.train_entries()
        if self.algo == "es":  # what PolicySearch checks again on the environment, checked here before anything is written
            from .es import check_modes, resolve_function_weights

            try:
                check_modes(self.obs_mode, self.action_mode)
            except ValueError as err:
                raise ValueError(f"obs_mode: {err}") from None
            try:
                resolve_function_weights(self.hyperparameters.get("function_weights"), [e.name for e in train],
                                         [e.dim for e in train])
            except ValueError as err:
                raise ValueError(f"hyperparameters: {err}") from None
        def function(e: Any) -> tuple:  # bbob-exact:fN is bbob:fN without its f*: the same function
            return e.name.replace("bbob-exact:", "bbob:"), e.options.get("instance")

        held = {function(e) for e in self.held_out_entries()}
        overlap = {e.name for e in train if function(e) in held}
        if overlap:
            raise ValueError(f"held_out must not repeat training functions, both hold {sorted(overlap)} (at the same "
                             "instance; bbob-exact:fN counts as bbob:fN)")

    def train_entries(self) -> list:
        """Suite entries of the training functions."""
        return self._entries("functions", self.functions)

    def held_out_entries(self) -> list:
        """Suite entries of the held-out functions (may be empty)."""
        if not self.held_out:
            if self.held_out_instance != 1:
                raise ValueError("held_out_instance needs BBOB functions in held_out, which is empty ('')")
            return []
        return self._entries("held_out", self.held_out, self.held_out_instance)

    def _entries(self, name: str, value: str, instance: int = 1) -> list:
        try:
            entries = resolve_entries(value, self.dim, instance=instance)
        except ValueError as err:  # one prefix: the field's, not the resolver's ("functions: name: ...")
            if isinstance(err, InstanceError):
                name = "held_out_instance"
            raise ValueError(f"{name}: {re.sub(r'^(?:[A-Za-z_-]+: )+', '', str(err))}") from None
        if not entries:
            raise ValueError(f"{name} must name at least one function")
        return entries

    def env_config(self) -> EnvConfig:
        """The environment settings shared by training and evaluation (functions aside)."""
        return EnvConfig(dim=self.dim, swarm_size=self.swarm_size, max_iterations=self.iterations,
                         max_evaluations=self.max_evaluations, obs_mode=self.obs_mode, action_mode=self.action_mode,
                         reward_mode=self.reward_mode, shift=self.shift, rotate=self.rotate,
                         **{k: getattr(self, k) for k in ACTION_SETTINGS})

    def to_dict(self) -> dict[str, Any]:
        """The fields as a JSON-safe dict (``run.json``'s ``config``)."""
        return json.loads(json.dumps(dataclasses.asdict(self)))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Rebuild a configuration from :meth:`to_dict`'s output."""
        return cls(**data)

    @classmethod
    def option(cls, name: str) -> str:
        """The command-line option of field ``name`` (``n_envs`` -> ``--n-envs``)."""
        meta = {f.name: f.metadata for f in dataclasses.fields(cls)}[name]
        return meta.get("cli") or "--" + name.replace("_", "-")

    @classmethod
    def resumed(cls, out: str | Path, changes: dict[str, Any]) -> TrainConfig:
        """The configuration saved in ``out``'s ``run.json`` with ``changes`` applied (``--resume``).

        Raises
        ------
        ValueError
            When ``out`` holds no run, or naming the options that change a setting defining the run (all
            but the budget and the checkpoint/evaluation intervals).
        """
        path = Path(out) / RUN_CONFIG
        if not path.is_file():
            raise ValueError(f"--resume: {str(out)!r} holds no run to resume (no {RUN_CONFIG})")
        try:
            saved = json.loads(path.read_text())["config"]
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise ValueError(f"--resume: {path} is unreadable ({err})") from None
        saved = _saved_with_defaults(saved)
        clash = [k for k in _RUN_KEYS if k in changes and k in saved and changes[k] != saved[k]]
        if clash:
            given = ", ".join(f"{cls.option(k)} {changes[k]!r} (saved: {saved[k]!r})" for k in clash)
            raise ValueError(f"--resume: the run in {str(out)!r} was made with other settings: {given}; "
                             "leave these options out to continue it, or train into another --out")
        return cls.from_dict({**saved, **changes})


def _saved_with_defaults(saved: dict[str, Any]) -> dict[str, Any]:
    """A saved ``config`` with every setting of :data:`_RUN_KEYS` it lacks at its field's default: an older run.json
    lacks a setting added since, and its run was made with the default (``max_evaluations``: None,
    ``held_out_instance``: 1)."""
    defaults = {f.name: f.default for f in dataclasses.fields(TrainConfig)}
    return {**{k: defaults[k] for k in _RUN_KEYS if k not in saved and k in defaults
               and defaults[k] is not dataclasses.MISSING}, **saved}


def package_versions() -> dict[str, str]:
    """Versions of Python and the packages a run depends on, and under ``"blas"`` each loaded BLAS library with its
    version and the CPU kernels it chose (threadpoolctl), e.g. ``"openblas 0.3.31.188.0 SkylakeX"``: ES training
    (CMA-ES's linear algebra) repeats bit for bit only where these kernels are the same; ``""`` where threadpoolctl
    finds none (Apple's Accelerate, for one)."""
    from threadpoolctl import threadpool_info

    out = {"python": platform.python_version()}
    for name in ("pso-env", "numpy", "scipy", "gymnasium", "stable-baselines3", "sb3-contrib", "torch", "hmmlearn", "ioh",
                 "cma"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    blas = [" ".join(str(lib[k]) for k in ("internal_api", "version", "architecture") if lib.get(k))
            for lib in threadpool_info() if lib.get("user_api") == "blas"]  # threadpoolctl < 3.5 misses numpy 2's
    out["blas"] = "; ".join(dict.fromkeys(blas))
    return out


def _new_model(config: TrainConfig, env: Any, tensorboard_log: str | None, hyperparameters: dict[str, Any]) -> Any:
    """``make_model`` for ``config`` on ``env``; an error the given hyperparameters cause is a ValueError naming
    ``hyperparameters`` (our models check their arguments with ValueError; SB3 with assert, and torch and SB3 raise
    TypeError or RuntimeError for a value of the wrong kind)."""
    own = config.algo in _OWN_LOOP
    errors = (ValueError,) if own else (ValueError, TypeError, AssertionError, RuntimeError)
    try:
        return make_model(config.algo, env, seed=config.seed, tensorboard_log=tensorboard_log, **hyperparameters)
    except errors as err:
        if not config.hyperparameters and not isinstance(err, ValueError):
            raise  # not the user's hyperparameters: a fault of ours, with its traceback
        raise ValueError(f"hyperparameters: {err or type(err).__name__}") from None


def check_model(config: TrainConfig) -> None:
    """Build ``config``'s new model and drop it, writing nothing: on the CPU unless its hyperparameters name a
    device (a sweep checks its runs this way before the first starts).

    Raises
    ------
    ValueError
        Naming ``hyperparameters`` for a value the model does not take.
    """
    hyperparameters = dict(config.hyperparameters)
    if "device" in (model_parameters(config.algo) or ()):
        hyperparameters.setdefault("device", "cpu")
    _new_model(config, make_training_env(config), None, hyperparameters)


def make_training_env(config: TrainConfig) -> Any:
    """The training environment: a PSOEnv or PSOVectorEnv, for SB3 an SB3 VecEnv that reports finished
    episodes in ``info["episode"]``."""
    from pso_env import PSOEnv, PSOVectorEnv, make_sb3_vec_env

    env_config = config.env_config().replace(function=config.train_entries())
    if config.algo in _OWN_LOOP:  # es reads the settings and runs its own batch (agents.es)
        return PSOEnv(env_config) if config.n_envs == 1 else PSOVectorEnv(config.n_envs, env_config)
    if config.n_envs == 1:  # SB3's own wrapper of one environment adds the Monitor that reports episodes
        from stable_baselines3.common.env_util import make_vec_env

        return make_vec_env(PSOEnv, n_envs=1, seed=config.seed, env_kwargs={"config": env_config})
    return make_sb3_vec_env(config.n_envs, seed=config.seed, config=env_config)


def evaluate_policy_on(policy: Any, entries: list, config: TrainConfig, runs: int = 3, seed: int = 10_000) -> float:
    """Held-out score (lower is better): the mean over ``entries`` and ``runs`` greedy runs of
    ``log10(max(final error, 1e-8))``, with the fixed seeds ``seed, seed + 1, ...``; with ``config.max_evaluations``
    the error of the best of each run's first ``max_evaluations`` evaluations."""
    from benchmarks_fn import make_functions

    from .controller import run_policy

    scores = []
    for fn in make_functions(entries):
        for k in range(runs):
            record = run_policy(policy, fn, swarm_size=config.swarm_size, iterations=config.iterations,
                                seed=seed + k, env_kwargs={"shift": False, "rotate": False},
                                max_evaluations=config.max_evaluations)
            err = record.error if record.error is not None else record.best_value
            scores.append(math.log10(max(err, 1e-8)))
    return float(np.mean(scores))


class Trainer:
    """Runs (or resumes) one training run into ``out``.

    Parameters
    ----------
    resume : bool
        Continue from the newest checkpoint in ``out``; its ``run.json`` must hold the same settings.
    progress_bar : bool
        Show steps, episodes and the recent mean return.

    Raises
    ------
    ValueError
        For an ``out`` that holds a different run, or a run while ``resume`` is off, or ``resume`` with
        nothing to resume or a budget below the saved steps.
    """

    def __init__(self, config: TrainConfig, out: str | Path, *, resume: bool = False,
                 progress_bar: bool = True) -> None:
        self.config, self.out, self.resume, self.progress_bar = config, Path(out), resume, progress_bar
        self.held_out = config.held_out_entries()
        existing = self.out / RUN_CONFIG
        if existing.is_file():
            old = _saved_with_defaults(json.loads(existing.read_text()).get("config", {}))
            old.update(action_settings(old))  # their defaults for runs saved before them
            new = config.to_dict()
            diff = [k for k in _RUN_KEYS if old.get(k) != new[k]]
            if diff:
                raise ValueError(f"--out {str(self.out)!r} holds a different run (settings differ: {', '.join(diff)})")
            if not resume:
                raise ValueError(f"--out {str(self.out)!r} already holds this run: pass --resume to continue it")
        elif resume:
            raise ValueError(f"--resume: {str(self.out)!r} holds no run to resume (no {RUN_CONFIG})")
        if resume and config.timesteps < self.saved_steps():
            raise ValueError(f"--timesteps {config.timesteps} is below the {self.saved_steps()} steps already saved in "
                             f"{str(self.out)!r}: give a larger budget to continue the run")
        self.best_score = math.inf
        self.steps = 0  # environment steps made so far
        self._bar: Any = None
        self._model: Any = None  # made by build()
        self._resumed = False

    def _write_run_json(self) -> None:
        c = self.config
        run = {"algo": c.algo, "obs_mode": c.obs_mode, "action_mode": c.action_mode, "name": f"{c.algo}-{c.obs_mode}", "config": c.to_dict(),
               "train_functions": [e.name for e in c.train_entries()],
               "train_dims": [e.dim for e in c.train_entries()],
               "held_out_functions": [e.name for e in self.held_out],
               "held_out_dims": [e.dim for e in self.held_out], "held_out_instance": c.held_out_instance,
               "versions": package_versions()}
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / RUN_CONFIG).write_text(json.dumps(run, indent=2, default=str))

    def _checkpoints(self) -> list[Path]:
        folder = self.out / "checkpoints"
        found = [p for p in folder.glob("step_*") if p.suffix in ("", ".zip", ".json") and not p.name.endswith("_buffer")]
        return sorted(found, key=lambda p: int(p.stem.split("_")[1]))

    def _buffer_file(self, checkpoint: Path) -> Path:
        suffix = ".npz" if self.config.algo == "custom-dqn" else ".pkl"  # es: CMA-ES's state, pickled
        return checkpoint.parent / f"{checkpoint.stem}_buffer{suffix}"

    def _save(self, model: Any, path: Path, with_buffer: bool = False) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _sigint_deferred():  # Ctrl-C never leaves half a checkpoint for --resume to load
            model.save(str(path))
            if with_buffer and self.config.algo in _STATEFUL:
                model.save_replay_buffer(str(self._buffer_file(path)))

    def saved_steps(self) -> int:
        """Steps of the newest checkpoint in ``out`` (0 if none)."""
        checkpoints = self._checkpoints()
        return int(checkpoints[-1].stem.split("_")[1]) if checkpoints else 0

    def _append_csv(self, name: str, header: list[str], row: list[Any]) -> None:
        path = self.out / name
        new = not path.exists()
        with path.open("a", newline="") as fh:
            writer = csv.writer(fh)
            if new:
                writer.writerow(header)
            writer.writerow(row)

    def on_step(self, model: Any, num_timesteps: int) -> bool:
        """Log episodes; checkpoint and evaluate when their intervals come round."""
        c = self.config
        self.steps = num_timesteps
        self._log_episodes(model)
        if self._bar is not None:
            self._bar.total = max(self._bar.total, num_timesteps)  # rollouts of whole episodes may overrun
            self._bar.update(num_timesteps - self._bar.n)
            if time.perf_counter() - self._postfix_at > 0.5:
                self._postfix_at = time.perf_counter()
                returns = [r[1] for r in self._episodes]
                if returns:
                    self._bar.set_postfix(episodes=len(returns), mean_return=f"{np.mean(returns[-100:]):.2f}",
                                          refresh=False)
        if num_timesteps >= self._next_checkpoint:
            self._next_checkpoint += c.checkpoint_every
            self._save(model, self.out / "checkpoints" / f"step_{num_timesteps}", with_buffer=True)
            for old in self._checkpoints()[:-c.keep_checkpoints]:
                shutil.rmtree(old) if old.is_dir() else old.unlink()
                self._buffer_file(old).unlink(missing_ok=True)
        if num_timesteps >= self._next_eval:
            self._next_eval += c.eval_every
            self.evaluate(model, num_timesteps)
        return True

    def evaluate(self, model: Any, num_timesteps: int) -> float:
        """Score ``model`` on the held-out (else training) functions; save the best as ``best_model``."""
        policy = LoadedPolicy(model, self.config.algo, {"obs_mode": self.config.obs_mode,
                                                        "action_mode": self.config.action_mode,
                                                        "config": self.config.to_dict()})
        entries = self.held_out or self.config.train_entries()
        score = evaluate_policy_on(policy, entries, self.config, runs=self.config.eval_runs)
        self._last_eval = num_timesteps
        returns = [r[1] for r in self._episodes]
        self._append_csv("progress.csv", ["timesteps", "episodes", "mean_return_last10", "held_out_score"],
                         [num_timesteps, len(returns), float(np.mean(returns[-10:])) if returns else "", score])
        if score < self.best_score:
            self.best_score = score
            self._save(model, self.out / "best_model")
        return score

    def _log_episodes(self, model: Any) -> None:
        """Append the episodes finished since the last call to ``episodes.csv``."""
        if hasattr(model, "episode_returns"):  # our DQN lists its episodes itself (SB3's: _SB3Callback)
            k = len(self._episodes)
            self._episodes += zip(model.episode_timesteps[k:], model.episode_returns[k:], model.episode_lengths[k:])
        for row in self._episodes[self._logged:]:
            self._append_csv("episodes.csv", ["timesteps", "return", "length"], list(row))
        self._logged = len(self._episodes)

    def build(self) -> Any:
        """The model this run trains, made once: the newest checkpoint's when resuming, else a new one on the
        training environment. Nothing is written, so a caller can check the hyperparameters' values first.

        Raises
        ------
        ValueError
            Naming ``hyperparameters`` for a value the new model does not take (``popsize`` 1 for ``es``, say), or
            from :func:`agents.load_model` for a checkpoint that cannot be loaded.
        """
        if self._model is None:
            c = self.config
            env = make_training_env(c)
            checkpoints = self._checkpoints() if self.resume else []
            if checkpoints:
                latest = checkpoints[-1]
                model = load_model(latest.with_suffix(""), c.algo, env=env)
                model.tensorboard_log = str(self.out / "tb")  # not the path saved with it (another cwd, a moved run)
                if c.algo in _STATEFUL and self._buffer_file(latest).exists():
                    model.load_replay_buffer(str(self._buffer_file(latest)))
                if c.algo != "custom-dqn":  # our DQN re-seeds itself from (seed, steps); SB3 needs telling
                    model.set_random_seed(int(np.random.SeedSequence([c.seed, int(model.num_timesteps)])
                                              .generate_state(1)[0]))
            else:
                model = _new_model(c, env, str(self.out / "tb"), c.hyperparameters)
            self._model, self._resumed = model, bool(checkpoints)
        return self._model

    def run(self) -> Any:
        """Train (or resume) and return the model (:meth:`build`'s: a second call trains it further)."""
        c = self.config
        model = self.build()
        done = 0
        self._episodes: list[tuple] = []
        if self._resumed:
            done = int(model.num_timesteps)
            self._restore_logs(done)
        else:
            for name in ("progress.csv", "episodes.csv"):  # a run that starts from step 0 starts its logs anew
                (self.out / name).unlink(missing_ok=True)
        self._write_run_json()  # a resumed run may have a new --timesteps
        self._logged = len(self._episodes)
        self._last_eval = -1
        self._next_checkpoint = (done // c.checkpoint_every + 1) * c.checkpoint_every
        self._next_eval = (done // c.eval_every + 1) * c.eval_every
        remaining = c.timesteps - done
        if remaining > 0:
            self._learn(model, remaining, reset=done == 0)
        self._log_episodes(model)
        self._save(model, self.out / "model")
        self._save(model, self.out / "checkpoints" / f"step_{model.num_timesteps}", with_buffer=True)
        if self._last_eval != model.num_timesteps and (done < c.timesteps or not self.best_score < math.inf):
            self.evaluate(model, int(model.num_timesteps))
        plot_learning_curve(self.out)
        return model

    def _restore_logs(self, step: int) -> None:
        """Read the logs back up to the checkpoint at ``step``, dropping the rows after it."""
        progress = self._truncate_csv("progress.csv", step)
        self.best_score = min((float(r["held_out_score"]) for r in progress), default=math.inf)
        self._episodes = [(int(r["timesteps"]), float(r["return"]), int(r["length"]))
                          for r in self._truncate_csv("episodes.csv", step)]

    def _truncate_csv(self, name: str, step: int) -> list[dict[str, str]]:
        path = self.out / name
        if not path.exists():
            return []
        with path.open(newline="") as fh:
            reader = csv.DictReader(fh)
            header = list(reader.fieldnames or [])
            rows = [r for r in reader if int(r["timesteps"]) <= step]
        with path.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, header)
            writer.writeheader()
            writer.writerows(rows)
        return rows

    def _learn(self, model: Any, steps: int, reset: bool) -> None:
        if self.progress_bar:  # from the saved step to the end of the last whole rollout
            from tqdm.auto import tqdm

            done = int(model.num_timesteps)
            unit = getattr(model, "steps_per_generation", None) or _rollout_steps(model) * self.config.n_envs
            self._bar = tqdm(total=done + -(-steps // unit) * unit, initial=done, unit="step", dynamic_ncols=True)
            self._postfix_at = 0.0
        try:
            if self.config.algo not in _OWN_LOOP:
                model.learn(steps, callback=_SB3Callback(self), reset_num_timesteps=reset,
                            tb_log_name=self.config.algo)
                return
            if not reset:  # restore the episode history so that curves and logs continue
                model.episode_timesteps = [r[0] for r in self._episodes]
                model.episode_returns = [r[1] for r in self._episodes]
                model.episode_lengths = [r[2] for r in self._episodes]
            model.learn(steps, callback=lambda loc: self.on_step(loc["self"], loc["self"].num_timesteps),
                        reset_num_timesteps=reset)
        finally:
            if self._bar is not None:
                self._bar.close()
                self._bar = None


#: The sweep's summary in its folder: one row per run, best (lowest) held-out score first.
SWEEP_SUMMARY = "sweep.csv"


def sweep_runs(config: TrainConfig, out: str | Path, seeds: Sequence[int],
               grid: Mapping[str, Sequence[Any]] | None = None) -> list[tuple[Path, TrainConfig]]:
    """The runs of a sweep: every combination of ``grid``'s settings (field name -> values) with every seed,
    each ``config`` with those fields replaced, in its own folder of ``out``: ``seed<k>``, preceded by
    ``<field>=<value>-`` per grid field (``obs_mode=features-seed0``).

    Raises
    ------
    ValueError
        For an unknown field, ``seed`` among the grid's fields, or a bad value (naming the field).
    """
    grid = dict(grid or {})
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    for name in grid:
        if name not in fields or name == "seed":
            raise ValueError(f"{name}: not a setting a sweep can vary (known: "
                             f"{', '.join(sorted(fields - {'seed'}))}; seeds are given apart)")
    runs = []
    for values in itertools.product(*grid.values()):
        settings = dict(zip(grid, values))
        for seed in seeds:
            name = "-".join([*(f"{k}={v}" for k, v in settings.items()), f"seed{seed}"])
            runs.append((Path(out) / name, dataclasses.replace(config, **settings, seed=int(seed))))
    return runs


def train_run(config: dict[str, Any], out: str, resume: bool) -> dict[str, Any]:
    """One run of a sweep (in a worker process: one torch/BLAS thread, no progress bar), from
    ``config`` (:meth:`TrainConfig.to_dict`) into ``out``; its summary row. A run directory that an earlier
    attempt of this task began (a worker that died, a retried task) is continued from its newest checkpoint:
    the caller checked before the sweep that ``out`` held no run unless ``resume``."""
    from evaluation.pool import single_threaded

    trainer = Trainer(TrainConfig.from_dict(config), out, resume=resume or (Path(out) / RUN_CONFIG).is_file(),
                      progress_bar=False)
    with single_threaded():
        model = trainer.run()
    return {"run": Path(out).name, "seed": config["seed"], "steps": int(model.num_timesteps),
            "held_out_score": trainer.best_score}


def write_sweep_summary(out: str | Path, rows: Sequence[Mapping[str, Any]],
                        settings: Sequence[str] = ()) -> Path:
    """Write ``out/sweep.csv``: per run its folder, seed, the grid's ``settings``, steps and best held-out
    score (mean log10 final error, lower is better), sorted best first; its path."""
    path = Path(out) / SWEEP_SUMMARY
    columns = ["run", "seed", *settings, "steps", "held_out_score"]
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(sorted(rows, key=lambda r: (r["held_out_score"], r["run"])))
    return path


def _rollout_steps(model: Any) -> int:
    """Steps per environment that one learn() call runs in whole multiples of (its rollout length)."""
    n_steps = getattr(model, "n_steps", None)  # SB3's PPO and A2C
    if n_steps is not None:
        return int(n_steps)
    freq = getattr(model, "train_freq", None)  # SB3's DQNs: a TrainFreq of steps (or episodes: unknown length)
    unit = getattr(getattr(freq, "unit", None), "value", None)
    return int(freq.frequency) if unit == "step" else 1


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Hold a Ctrl-C back until the block ends, then raise KeyboardInterrupt (main thread only)."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) in (
            signal.SIG_IGN, None):
        yield
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise KeyboardInterrupt


def plot_learning_curve(run_dir: str | Path, path: str | Path | None = None) -> Path:
    """Plot a run's episode returns (smoothed over 10) and held-out scores against training steps into
    ``path`` (default ``run_dir/learning_curve.png``); returns the PNG path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    run_dir = Path(run_dir)
    path = Path(path) if path is not None else run_dir / "learning_curve.png"
    log = run_dir / "episodes.csv"  # absent when no episode ended yet
    episodes = np.loadtxt(log, delimiter=",", skiprows=1, ndmin=2) if log.exists() else np.empty((0, 2))
    fig, ax = plt.subplots(figsize=(7, 4))
    if len(episodes):
        steps, returns = episodes[:, 0], episodes[:, 1]
        ax.plot(steps, returns, ".", color="0.7", ms=3, label="episode return")
        at, where = np.unique(steps, return_inverse=True)
        if len(at) <= len(steps) // 2:  # whole batches end at one step (es: a generation): the mean of each
            ax.plot(at, np.bincount(where, returns) / np.bincount(where), color="C0", label="mean per batch")
        else:
            k = min(10, len(returns))
            smooth = np.convolve(returns, np.ones(k) / k, mode="valid")
            ax.plot(steps[k - 1:], smooth, color="C0", label=f"mean of {k} episodes")
    ax.set_xlabel("training steps")
    ax.set_ylabel("episode return")
    progress = run_dir / "progress.csv"
    if progress.exists():
        rows = np.loadtxt(progress, delimiter=",", skiprows=1, ndmin=2, usecols=(0, 3))
        if len(rows):
            ax2 = ax.twinx()
            ax2.plot(rows[:, 0], rows[:, 1], "o-", color="C3", label="held-out score")
            ax2.set_ylabel("held-out mean log10 error (lower is better)", color="C3")
            ax2.legend(loc="upper right", fontsize=8)
    if ax.get_legend_handles_labels()[0]:  # no episode ended yet: nothing to name
        ax.legend(loc="upper left", fontsize=8)
    ax.set_title(run_dir.name)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


class _SB3Callback(BaseCallback):
    """Feeds SB3's step loop into :meth:`Trainer.on_step` and collects finished episodes."""

    def __init__(self, trainer: Trainer) -> None:
        super().__init__()
        self.trainer = trainer

    def _on_step(self) -> bool:
        for info in self.locals.get("infos", []):
            episode = info.get("episode")
            if episode is not None:
                self.trainer._episodes.append((self.num_timesteps, float(episode["r"]), int(episode["l"])))
        return self.trainer.on_step(self.model, self.num_timesteps)
