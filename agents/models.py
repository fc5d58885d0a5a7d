"""Model factories (our DQN, Stable-Baselines3, sb3-contrib) and loading a saved agent as a policy."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

#: Algorithms :func:`make_model` builds; the last two need the optional ``sb3-contrib`` package.
ALGORITHMS = ("custom-dqn", "dqn", "ppo", "a2c", "qrdqn", "recurrent_ppo")
#: Name of the training-run description written beside every saved model.
RUN_CONFIG = "run.json"

# Defaults tuned for PSOControl: short observations, 1000-step episodes, a 4-action space.
_DQN_DEFAULTS = {"learning_rate": 1e-3, "buffer_size": 50_000, "learning_starts": 1000, "batch_size": 64, "gamma": 0.99,
                     "train_freq": 4, "gradient_steps": 1, "target_update_interval": 500, "exploration_fraction": 0.2,
                     "exploration_final_eps": 0.05}
_DEFAULTS: dict[str, dict[str, Any]] = {
    "custom-dqn": dict(_DQN_DEFAULTS, hidden_sizes=(32,)),
    "dqn": dict(_DQN_DEFAULTS, policy_kwargs={"net_arch": [32]}),
    "qrdqn": dict(_DQN_DEFAULTS, policy_kwargs={"net_arch": [32], "n_quantiles": 25}),
    "ppo": {"learning_rate": 3e-4, "n_steps": 1024, "batch_size": 256, "gamma": 0.99, "ent_coef": 0.01,
                "policy_kwargs": {"net_arch": [32, 32]}},
    "a2c": {"learning_rate": 7e-4, "n_steps": 16, "gamma": 0.99, "ent_coef": 0.01, "policy_kwargs": {"net_arch": [32, 32]}},
    "recurrent_ppo": {"learning_rate": 3e-4, "n_steps": 512, "batch_size": 256, "gamma": 0.99, "ent_coef": 0.01,
                          "policy_kwargs": {"net_arch": [32], "lstm_hidden_size": 32}},
}


def _check_algo(algo: str) -> str:
    if algo not in ALGORITHMS:
        raise ValueError(f"algo must be one of {ALGORITHMS}, got {algo!r}")
    return algo


def _sb3_class(algo: str) -> type:
    if algo in ("qrdqn", "recurrent_ppo"):
        try:
            import sb3_contrib
        except ImportError as err:  # pragma: no cover - depends on the optional extra
            raise ImportError(f"algo {algo!r} needs sb3-contrib: pip install 'pso-env[contrib]'") from err
        return sb3_contrib.QRDQN if algo == "qrdqn" else sb3_contrib.RecurrentPPO
    import stable_baselines3 as sb3

    return {"dqn": sb3.DQN, "ppo": sb3.PPO, "a2c": sb3.A2C}[algo]


def default_hyperparameters(algo: str) -> dict[str, Any]:
    """The defaults :func:`make_model` uses for ``algo`` (a copy)."""
    return json.loads(json.dumps(_DEFAULTS[_check_algo(algo)]))


def make_model(algo: str, env: Any, *, seed: int | None = None, tensorboard_log: str | None = None,
               verbose: int = 0, **kwargs: Any) -> Any:
    """Build a model for ``env`` with defaults suited to PSOControl.

    Parameters
    ----------
    algo : {"custom-dqn", "dqn", "ppo", "a2c", "qrdqn", "recurrent_ppo"}
        ``custom-dqn`` is :class:`agents.dqn.DQNAgent` (the paper's 32-unit Q-network); ``dqn``,
        ``ppo`` and ``a2c`` are Stable-Baselines3's; ``qrdqn`` and ``recurrent_ppo`` (an LSTM policy,
        which suits the partially observed swarm) come from sb3-contrib.
    env : gymnasium.Env or VecEnv
        Training environment.
    seed, tensorboard_log, verbose
        Passed to the model.
    **kwargs
        Override the defaults (see :func:`default_hyperparameters`): DQN-family models use the
        paper's learning rate 1e-3 and a 32-unit hidden layer, a 50k buffer, 1000 learning-start steps,
        a target update every 500 steps and epsilon decaying over the first 20% of training;
        PPO/A2C use two 32-unit layers and a small entropy bonus.
    """
    params = default_hyperparameters(algo)
    params.update(kwargs)
    if algo == "custom-dqn":
        from .dqn import DQNAgent

        params["hidden_sizes"] = tuple(params["hidden_sizes"])
        return DQNAgent(env, seed=seed, tensorboard_log=tensorboard_log, verbose=verbose, **params)
    policy = "MlpLstmPolicy" if algo == "recurrent_ppo" else "MlpPolicy"
    return _sb3_class(algo)(policy, env, seed=seed, tensorboard_log=tensorboard_log, verbose=verbose, **params)


class LoadedPolicy:
    """A saved model of any algorithm behind one ``predict``, with the settings it was trained with.

    Attributes
    ----------
    model : DQNAgent or stable_baselines3 model
    algo : str
    obs_mode : str
        The observation mode the model expects.
    config : dict
        The training run's description (``run.json``), if any.

    Notes
    -----
    A non-recurrent model on one-hot Viterbi observations is a table of 4 greedy actions: the first
    deterministic ``predict`` computes it, and later one-hot observations are looked up instead of
    running the network (the same actions, without torch's per-call cost on every PSO iteration).
    The model must not be trained further after that; load it again if it is.
    """

    def __init__(self, model: Any, algo: str, config: dict[str, Any]) -> None:
        self.model, self.algo, self.config = model, algo, config
        self.obs_mode = config.get("obs_mode", "viterbi")
        self.name = config.get("name", algo)
        self._recurrent = algo == "recurrent_ppo"
        self._state: Any = None
        self._start = True
        self._table: np.ndarray | None = None
        self._actions: list[np.ndarray] = []

    def reset(self) -> None:
        """Forget the recurrent state (call at the start of an episode)."""
        self._state, self._start = None, True

    def predict(self, obs: np.ndarray, state: Any = None, episode_start: Any = None,
                deterministic: bool = True) -> tuple[np.ndarray, Any]:
        """Greedy (by default) action for ``obs``, like SB3's ``predict``."""
        if not self._recurrent:
            state_index = _one_hot_index(obs) if deterministic and self.obs_mode == "viterbi" else None
            if state_index is not None:
                if self._table is None:
                    table = np.asarray(self.model.predict(np.eye(4, dtype=np.float32), deterministic=True)[0])
                    self._table = table
                    self._actions = [np.asarray(a) for a in table]  # 0-d arrays, as SB3 returns
                if isinstance(state_index, int):
                    return self._actions[state_index].copy(), None
                return self._table[state_index], None
            return self.model.predict(obs, deterministic=deterministic)
        action, self._state = self.model.predict(obs, state=self._state, episode_start=np.array([self._start]),
                                                 deterministic=deterministic)
        self._start = False
        return action, self._state

    def __repr__(self) -> str:
        return f"LoadedPolicy(algo={self.algo!r}, obs_mode={self.obs_mode!r}, name={self.name!r})"


def _one_hot_index(obs: Any) -> Any:
    """The state index of a one-hot observation (int, or an array for a batch); None if not one-hot."""
    obs = np.asarray(obs)
    if obs.shape == (4,):  # the per-iteration case: plain Python on 4 numbers beats numpy calls
        values = obs.tolist()
        return values.index(1.0) if values.count(1.0) == 1 and values.count(0.0) == 3 else None
    if obs.ndim == 2 and obs.shape[1] == 4 and np.all((obs == 0) | (obs == 1)) and np.all(obs.sum(axis=1) == 1):
        return obs.argmax(axis=1)
    return None


def _model_path(directory: Path, algo: str, which: str) -> Path:
    return directory / (which if algo == "custom-dqn" else f"{which}.zip")


def load_model(path: str | Path, algo: str, env: Any = None) -> Any:
    """Load a model saved by :func:`save_model` (``path`` without the ``.zip`` SB3 adds)."""
    _check_algo(algo)
    path = Path(path)
    if algo == "custom-dqn":
        from .dqn import DQNAgent

        return DQNAgent.load(path, env=env)
    return _sb3_class(algo).load(str(path), env=env, device="cpu")


def load_agent(path: str | Path, which: str = "model") -> LoadedPolicy:
    """Load an agent saved by ``train_agent.py`` (or the shipped one) as a policy.

    Parameters
    ----------
    path : str or Path
        The ``--out`` directory of a training run: it holds ``run.json`` (algorithm, observation mode,
        functions) and the models ``model``, ``best_model`` (and checkpoints).
    which : str, default "model"
        ``"model"`` (the final one) or ``"best_model"`` (the best on the held-out functions).

    Raises
    ------
    FileNotFoundError
        When ``path`` has no ``run.json`` or the model is missing.
    ValueError
        When ``run.json`` cannot be read or names an unknown algorithm.
    """
    directory = Path(path)
    config_file = directory / RUN_CONFIG
    if not config_file.is_file():
        raise FileNotFoundError(f"agent path {str(path)!r} holds no {RUN_CONFIG}: not a train_agent.py --out directory")
    try:
        config = json.loads(config_file.read_text())
        algo = _check_algo(config["algo"])
    except (json.JSONDecodeError, KeyError, ValueError) as err:
        raise ValueError(f"agent path {str(path)!r}: unreadable {RUN_CONFIG} ({err})") from None
    model_path = _model_path(directory, algo, which)
    if not model_path.exists():
        raise FileNotFoundError(f"agent path {str(path)!r} has no {model_path.name}")
    try:
        model = load_model(directory / which, algo)
    except Exception as err:  # noqa: BLE001 - torch and zipfile raise many kinds for a corrupt file
        raise ValueError(f"agent path {str(path)!r}: cannot load {model_path.name} ({err})") from None
    return LoadedPolicy(model, algo, config)


def pretrained_path() -> Path:
    """Directory of the controller shipped inside the package."""
    return Path(str(resources.files("agents") / "pretrained"))


def load_pretrained(which: str = "best_model") -> LoadedPolicy:
    """The shipped pretrained DQNPSO controller (the paper's 4-32-4 Q-network on the Viterbi state).

    How it was trained, and on which functions, is in ``pretrained_path() / "run.json"`` and in the
    README.
    """
    return load_agent(pretrained_path(), which=which)
