"""Model factories (our DQN, Stable-Baselines3, sb3-contrib) and loading a saved agent as a policy."""

from __future__ import annotations

import copy
import json
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from pso_env.config import ACTION_SETTINGS, check_choice

from .es import ES_DEFAULTS

#: Algorithms :func:`make_model` builds; the last two need the optional ``sb3-contrib`` package.
ALGORITHMS = ("custom-dqn", "dqn", "ppo", "a2c", "qrdqn", "recurrent_ppo")
#: Algorithms :func:`make_model` also builds, for the Box actions only (``action_mode="continuous"`` or ``"particle"``:
#: Stable-Baselines3's SAC and TD3, and ``es``: CMA-ES over a linear policy, :mod:`agents.es`; PPO, A2C and recurrent
#: PPO take any action mode, the DQNs only the discrete one).
CONTINUOUS_ALGORITHMS = ("sac", "td3", "es")
#: Algorithms that take either action mode.
EITHER_ACTION_MODE = ("ppo", "a2c", "recurrent_ppo")
#: Name of the training-run description written beside every saved model.
RUN_CONFIG = "run.json"

# Defaults tuned for PSOControl: short observations, 1000-step episodes, a 4-action space.
_DQN_DEFAULTS = {"learning_rate": 1e-3, "buffer_size": 50_000, "learning_starts": 1000, "batch_size": 64,
                 "gamma": 0.99, "train_freq": 4, "gradient_steps": 1, "target_update_interval": 500,
                 "exploration_fraction": 0.2, "exploration_final_eps": 0.05}
_PG_DEFAULTS = {"gamma": 0.99, "ent_coef": 0.01, "policy_kwargs": {"net_arch": [32, 32]}}
_DEFAULTS: dict[str, dict[str, Any]] = {
    "custom-dqn": dict(_DQN_DEFAULTS, hidden_sizes=(32,)),
    "dqn": dict(_DQN_DEFAULTS, policy_kwargs={"net_arch": [32]}),
    "qrdqn": dict(_DQN_DEFAULTS, policy_kwargs={"net_arch": [32], "n_quantiles": 25}),
    "ppo": dict(_PG_DEFAULTS, learning_rate=3e-4, n_steps=1024, batch_size=256),
    "a2c": dict(_PG_DEFAULTS, learning_rate=7e-4, n_steps=16),
    "recurrent_ppo": dict(_PG_DEFAULTS, learning_rate=3e-4, n_steps=512, batch_size=256,
                          policy_kwargs={"net_arch": [32], "lstm_hidden_size": 32}),
    # SB3's defaults but a smaller buffer and network (observations of 4 to a few dozen numbers)
    "sac": {"learning_rate": 3e-4, "buffer_size": 100_000, "learning_starts": 1000, "batch_size": 256, "gamma": 0.99,
            "policy_kwargs": {"net_arch": [64, 64]}},
    "es": ES_DEFAULTS,
    "td3": {"learning_rate": 1e-3, "buffer_size": 100_000, "learning_starts": 1000, "batch_size": 256, "gamma": 0.99,
            "policy_kwargs": {"net_arch": [64, 64]}},
}


_check_model_algo = check_choice(ALGORITHMS + CONTINUOUS_ALGORITHMS)  # (name, value) -> value, or ValueError naming it


def check_action_mode(algo: str, action_mode: str) -> None:
    """Raise ValueError naming ``algo`` and ``action_mode`` unless ``algo`` takes that action mode
    (``sac``/``td3``/``es`` the Box ones only, "continuous" or "particle"; the DQNs the discrete one only)."""
    if algo in EITHER_ACTION_MODE or (algo in CONTINUOUS_ALGORITHMS) == (action_mode != "discrete"):
        return
    need = "'continuous' or 'particle'" if algo in CONTINUOUS_ALGORITHMS else "'discrete'"
    raise ValueError(f"algo {algo!r} needs action_mode {need}, got action_mode {action_mode!r}")


def _sb3_class(algo: str) -> type:
    if algo in ("qrdqn", "recurrent_ppo"):
        try:
            import sb3_contrib
        except ImportError as err:  # pragma: no cover - depends on the optional extra
            raise ImportError(f"algo {algo!r} needs sb3-contrib: pip install 'pso-env[contrib]'") from err
        return sb3_contrib.QRDQN if algo == "qrdqn" else sb3_contrib.RecurrentPPO
    import stable_baselines3 as sb3

    return {"dqn": sb3.DQN, "ppo": sb3.PPO, "a2c": sb3.A2C, "sac": sb3.SAC, "td3": sb3.TD3}[algo]


def _sb3_model(algo: str, env: Any, **kwargs: Any) -> Any:
    return _sb3_class(algo)("MlpLstmPolicy" if algo == "recurrent_ppo" else "MlpPolicy", env, **kwargs)


def _model_class(algo: str) -> type:
    if algo == "es":
        from .es import PolicySearch

        return PolicySearch
    if algo == "custom-dqn":
        from .dqn import DQNAgent

        return DQNAgent
    return _sb3_class(algo)


def check_hyperparameters(algo: str, hyperparameters: dict[str, Any]) -> None:
    """Check that ``algo``'s model takes every key of ``hyperparameters``: its constructor's parameters but ``env``,
    ``policy``, ``seed`` and ``tensorboard_log``, which :func:`make_model` and the training run set. The values are
    checked when the model is built. An algorithm whose package is missing is not checked here (building it says so).

    Raises
    ------
    ValueError
        Naming ``hyperparameters``, the keys ``algo`` does not take (with the closest it takes) and the ones it takes.
    """
    import difflib

    taken = model_parameters(algo)
    if taken is None:
        return
    unknown = sorted(set(hyperparameters) - set(taken))
    if unknown:
        close = difflib.get_close_matches(unknown[0], taken, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        set_by = " (--seed and --out set seed and tensorboard_log)" if {"seed", "tensorboard_log"} & set(unknown) else ""
        raise ValueError(f"hyperparameters: algo {algo!r} does not take {', '.join(map(repr, unknown))}{hint}{set_by}; "
                         f"it takes {', '.join(taken)}")


def model_parameters(algo: str) -> list[str] | None:
    """The hyperparameters ``algo``'s model takes (its constructor's parameters but ``env``, ``policy``, ``seed`` and
    ``tensorboard_log``), sorted; None when its package is missing or it takes any keyword."""
    import inspect

    try:
        cls = _model_class(_check_model_algo("algo", algo))
    except ImportError:
        return None
    params = inspect.signature(cls.__init__).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return None
    return sorted(p for p in set(params) - {"self", "env", "policy", "seed", "tensorboard_log"} if not p.startswith("_"))


def default_hyperparameters(algo: str) -> dict[str, Any]:
    """The defaults :func:`make_model` uses for ``algo`` (a copy)."""
    return json.loads(json.dumps(_DEFAULTS[_check_model_algo("algo", algo)]))


def make_model(algo: str, env: Any, *, seed: int | None = None, tensorboard_log: str | None = None,
               verbose: int = 0, **kwargs: Any) -> Any:
    """Build a model for ``env`` (a gymnasium Env or VecEnv) with defaults suited to PSOControl.

    ``algo`` ``custom-dqn`` is :class:`agents.dqn.DQNAgent` (the paper's 32-unit Q-network); ``dqn``,
    ``ppo`` and ``a2c`` are Stable-Baselines3's; ``qrdqn`` and ``recurrent_ppo`` (an LSTM policy) come
    from sb3-contrib; ``sac`` and ``td3`` (Stable-Baselines3's) need an environment with
    ``action_mode="continuous"`` or ``"particle"``, which ``ppo``, ``a2c`` and ``recurrent_ppo`` take too (Gaussian
    policies); ``es`` is :class:`agents.es.PolicySearch` (CMA-ES over a linear policy: continuous actions, or particle
    actions from particle observations). ``seed``,
    ``tensorboard_log`` and ``verbose`` go to the model; ``kwargs`` override :func:`default_hyperparameters`.

    Raises
    ------
    ValueError
        An unknown ``algo``, one whose action space is not the environment's (``sac``/``td3`` on the discrete
        actions, the DQNs on the continuous or particle ones), or a hyperparameter it does not take
        (:func:`check_hyperparameters`).
    """
    params = default_hyperparameters(algo)
    space = getattr(env, "single_action_space", None)
    space = getattr(env, "action_space", None) if space is None else space
    continuous = type(space).__name__ == "Box"
    if continuous != (algo in CONTINUOUS_ALGORITHMS) and algo not in EITHER_ACTION_MODE:
        need = "action_mode='continuous' or 'particle'" if algo in CONTINUOUS_ALGORITHMS else "the discrete actions"
        raise ValueError(f"algo {algo!r} needs an environment with {need}, got action space {space}")
    check_hyperparameters(algo, kwargs)
    params.update(copy.deepcopy(kwargs))  # SB3 completes policy_kwargs in place: keep the caller's intact
    if algo == "custom-dqn":
        params["hidden_sizes"] = tuple(params["hidden_sizes"])
    if algo in ("es", "custom-dqn"):
        return _model_class(algo)(env, seed=seed, tensorboard_log=tensorboard_log, verbose=verbose, **params)
    return _sb3_model(algo, env, seed=seed, tensorboard_log=tensorboard_log, verbose=verbose, **params)


class LoadedPolicy:
    """A saved model of any algorithm behind one ``predict``, with the settings it was trained with.

    ``config`` is the training run's description (``run.json``); ``obs_mode`` the observation the model
    expects and ``action_mode`` its actions ("discrete": an action index; "continuous": 3 numbers in
    [-1, 1] that the environment maps onto w, c1, c2, 4 with its elitist switch; "particle": such a row per particle). A non-recurrent model on one-hot Viterbi observations is a table of 4 greedy actions, computed
    by the first deterministic ``predict`` and then looked up: load the model again if it is trained further.
    """

    def __init__(self, model: Any, algo: str, config: dict[str, Any]) -> None:
        self.model, self.algo, self.config = model, algo, config
        self.obs_mode = config.get("obs_mode", "viterbi")
        self.action_mode = config.get("action_mode", "discrete")
        self.name = config.get("name", algo)
        run = config.get("config", {})  # the settings the policy acts through (ACTION_SETTINGS)
        self.env_kwargs = {k: run[k] for k in ACTION_SETTINGS if k in run}
        self._recurrent = algo == "recurrent_ppo"
        self._table: np.ndarray | None = None
        self.reset()

    def reset(self) -> None:
        """Forget the recurrent state (at the start of an episode)."""
        self._state, self._start = None, True

    def predict(self, obs: np.ndarray, state: Any = None, episode_start: Any = None,
                deterministic: bool = True) -> tuple[np.ndarray, Any]:
        """Greedy (by default) action for ``obs``, like SB3's ``predict``."""
        if self._recurrent:
            action, self._state = self.model.predict(obs, state=self._state, episode_start=np.array([self._start]),
                                                     deterministic=deterministic)
            self._start = False
            return action, self._state
        index = _one_hot_index(obs) if deterministic and self.obs_mode == "viterbi" else None
        if index is None:
            return self.model.predict(obs, deterministic=deterministic)
        if self._table is None:
            self._table = np.asarray(self.model.predict(np.eye(4, dtype=np.float32), deterministic=True)[0])
        return self._table[index, ...].copy(), None  # a 0-d array for one observation, as SB3 returns

    def __repr__(self) -> str:
        return (f"LoadedPolicy(algo={self.algo!r}, obs_mode={self.obs_mode!r}, action_mode={self.action_mode!r}, "
                f"name={self.name!r})")


def _one_hot_index(obs: Any) -> Any:
    """The state index of a one-hot observation (int, or an array for a batch); None if not one-hot."""
    obs = np.asarray(obs)
    if obs.shape == (4,):  # plain Python on 4 numbers beats numpy calls
        values = obs.tolist()
        return values.index(1.0) if values.count(1.0) == 1 and values.count(0.0) == 3 else None
    if obs.ndim == 2 and obs.shape[1] == 4 and np.all((obs == 0) | (obs == 1)) and np.all(obs.sum(axis=1) == 1):
        return obs.argmax(axis=1)
    return None


# Entries of an SB3 archive's ``data`` that SB3 rebuilds in ``_setup_model`` or that hold an interrupted
# rollout's state: loaded as None, never unpickled.
_SB3_REBUILT_BY_SETUP = ("lr_schedule", "exploration_schedule")
_SB3_TRANSIENT = ("_last_obs", "_last_episode_starts", "_last_original_obs", "ep_info_buffer", "ep_success_buffer")


def load_model(path: str | Path, algo: str, env: Any = None, *, config: dict[str, Any] | None = None) -> Any:
    """Load a model saved by ``model.save(path)`` (``path`` without the ``.zip`` SB3 adds), unpickling nothing.

    Parameters
    ----------
    path : str or Path
        ``custom-dqn``: the directory with ``model.pt`` and ``config.json``; SB3 models: the archive,
        with or without its ``.zip``.
    algo : str
        One of :data:`ALGORITHMS` or :data:`CONTINUOUS_ALGORITHMS`.
    env : gymnasium.Env or VecEnv, optional
        Environment to continue training on (its spaces must match).
    config : dict, optional
        SB3 only: the run's ``run.json`` (``obs_mode``, ``action_mode`` and ``config.hyperparameters`` are
        read); default
        that of the run directory holding ``path`` (``DIR/model`` or ``DIR/checkpoints/step_n``).

    Raises
    ------
    ValueError
        For an unknown ``algo``, or an SB3 archive with no ``run.json`` to rebuild it from or with a
        pickled entry that cannot be rebuilt from it.

    Notes
    -----
    Nothing in the model files runs code when loaded. Our DQN's files are read with
    ``torch.load(..., weights_only=True)`` and as JSON. An SB3 ``.zip`` holds tensors (read with
    ``weights_only=True``) and a JSON ``data`` entry with Python objects as cloudpickle blobs
    (``:serialized:``). Every such entry is replaced through SB3's ``custom_objects``: the policy class,
    spaces, ``policy_kwargs``, ``train_freq`` and buffer classes from a model built afresh from ``algo``,
    ``obs_mode`` and ``run.json``'s hyperparameters; the schedules are rebuilt by SB3, an interrupted
    rollout's state starts empty; a pickled entry of any other name is refused. An SB3 run's replay-buffer
    checkpoints (``checkpoints/*_buffer.pkl``, read by ``train_agent.py --resume``) are pickles: resume
    only runs you made.
    """
    _check_model_algo("algo", algo)
    path = Path(path)
    if algo == "es":
        from .es import PolicySearch

        return PolicySearch.load(path, env=env)
    if algo == "custom-dqn":
        from .dqn import DQNAgent

        return DQNAgent.load(path, env=env)
    import io
    import zipfile

    archive = path if path.is_file() else path.with_name(path.name + ".zip")  # as SB3's open_path finds it
    if config is None:
        config = _find_run_config(archive)
    raw = archive.read_bytes()  # read once: what is checked is what SB3 loads
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        data = json.loads(zf.read("data"))
    custom_objects = _sb3_custom_objects(algo, data, config)
    return _sb3_class(algo).load(io.BytesIO(raw), env=env, device="cpu", custom_objects=custom_objects)


def _find_run_config(archive: Path) -> dict[str, Any]:
    """The ``run.json`` beside ``archive`` or in its parent."""
    for directory in (archive.parent, archive.parent.parent):
        if (directory / RUN_CONFIG).is_file():
            return json.loads((directory / RUN_CONFIG).read_text())
    raise ValueError(f"{str(archive)!r}: no {RUN_CONFIG} beside it or in its parent; an SB3 model is rebuilt "
                     f"from the run's settings (pass config=)")


def _sb3_custom_objects(algo: str, data: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """SB3 ``custom_objects`` replacing every pickled entry of the archive's ``data`` (see :func:`load_model`)."""
    from pso_env import PSOEnv

    hyperparameters = default_hyperparameters(algo)
    hyperparameters.update(copy.deepcopy(config.get("config", {}).get("hyperparameters", {})))
    obs_mode = config.get("obs_mode", config.get("config", {}).get("obs_mode", "viterbi"))
    action_mode = config.get("action_mode", config.get("config", {}).get("action_mode", "discrete"))
    env = PSOEnv(function="sphere", dim=2, swarm_size=2, max_iterations=1, obs_mode=obs_mode,
                 action_mode=action_mode)  # for its spaces
    hyperparameters["device"] = "cpu"  # as the archive is loaded (a run trained on a GPU saved device "cuda")
    # Not set up (no network, buffer or schedule); __init__ completes policy_kwargs as the training run did.
    fresh = _sb3_model(algo, env, _init_setup_model=False, **hyperparameters).__dict__
    custom: dict[str, Any] = {}
    for key, value in data.items():
        if not (isinstance(value, dict) and ":serialized:" in value):
            continue  # plain JSON: read as data by SB3
        if key in fresh and key != "env":
            custom[key] = fresh[key]
        elif key in _SB3_REBUILT_BY_SETUP or key in _SB3_TRANSIENT:
            custom[key] = None
        else:
            raise ValueError(f"model entry {key!r} is a pickled object that cannot be rebuilt from {RUN_CONFIG}; "
                             "refusing to unpickle it")
    return custom


def load_agent(path: str | Path, which: str = "model") -> LoadedPolicy:
    """Load an agent saved by ``train_agent.py`` (or the shipped one) as a policy.

    Parameters
    ----------
    path : str or Path
        The ``--out`` directory of a training run (``run.json``, ``model``, ``best_model``, checkpoints).
    which : {"model", "best_model"}
        The final model or the best on the held-out functions.

    Raises
    ------
    FileNotFoundError
        When ``path`` has no ``run.json`` or the model is missing.
    ValueError
        When ``run.json`` cannot be read or names an unknown algorithm, or the model cannot be loaded
        (a corrupt file, or an SB3 archive with a pickled entry that cannot be rebuilt).

    Loading a run directory runs none of its code (see :func:`load_model`).
    """
    directory = Path(path)
    config_file = directory / RUN_CONFIG
    if not config_file.is_file():
        raise FileNotFoundError(f"agent path {str(path)!r} holds no {RUN_CONFIG}: not a train_agent.py --out directory")
    try:
        config = json.loads(config_file.read_text())
        algo = _check_model_algo("algo", config["algo"])
    except (json.JSONDecodeError, KeyError, ValueError) as err:
        raise ValueError(f"agent path {str(path)!r}: unreadable {RUN_CONFIG} ({err})") from None
    model_path = directory / (which if algo == "custom-dqn" else f"{which}.json" if algo == "es" else f"{which}.zip")
    if not model_path.exists():
        raise FileNotFoundError(f"agent path {str(path)!r} has no {model_path.name}")
    try:
        model = load_model(directory / which, algo, config=config)
    except Exception as err:  # noqa: BLE001 - torch and zipfile raise many kinds for a corrupt file
        raise ValueError(f"agent path {str(path)!r}: cannot load {model_path.name} ({err})") from None
    return LoadedPolicy(model, algo, config)


#: The controllers shipped inside the package (``agents/pretrained/<name>/``, each a ``train_agent.py --out``
#: directory): ``es``, the default (issue 13: CMA-ES over a linear rule shared by the particles, each particle's w, c1,
#: c2 and its vote on elitist learning from seven inputs, trained on MetaBox's BBOB training functions at D = 10 and 30
#: at its budget, the seed chosen on the same functions at other ioh instances; ``results/learned-control``);
#: ``dqnpso``, the paper's 4-32-4 Q-network on the Viterbi state.
PRETRAINED = ("es", "dqnpso")


def pretrained_path(name: str = PRETRAINED[0]) -> Path:
    """Directory of a controller shipped inside the package (one of :data:`PRETRAINED`; ValueError otherwise)."""
    name = check_choice(PRETRAINED)("name", name)
    return Path(str(resources.files("agents") / "pretrained" / name))


def load_pretrained(which: str = "best_model", name: str = PRETRAINED[0]) -> LoadedPolicy:
    """A shipped controller: by default ``es`` (see ``results/learned-control``), or ``name="dqnpso"``, the paper's
    network (the warm start of online DQNPSO). How each was trained is in ``pretrained_path(name) / "run.json"``
    and the README."""
    return load_agent(pretrained_path(name), which=which)
