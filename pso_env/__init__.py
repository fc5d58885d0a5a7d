"""pso-env: Particle Swarm Optimization as a Gymnasium environment.

Importing the package registers ``pso_env/PSOControl-v0`` (``gymnasium.make``) with its batched vector
environment (``gymnasium.make_vec(..., vectorization_mode="vector_entry_point")``) and loads nothing
heavy: the names below are imported on first use (PEP 562), so numba, ioh and torch load only when an
environment, swarm or belief is built.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from gymnasium.envs.registration import register, registry

from .config import OBS_MODES, REWARD_MODES, EnvConfig

ENV_ID = "pso_env/PSOControl-v0"
if ENV_ID not in registry:
    register(id=ENV_ID, entry_point="pso_env.env:PSOEnv", vector_entry_point="pso_env.vector:PSOVectorEnv")

# public name -> module that defines it
_LAZY = {
    "PSOEnv": "env",
    "PSOVectorEnv": "vector",
    "make_sb3_vec_env": "vector",
    "Swarm": "swarm",
    "Belief": "belief",
    "STATE_NAMES": "belief",
    "ACTION_NAMES": "actions",
    "N_ACTIONS": "actions",
    "FEATURE_NAMES": "observation",
}

__all__ = ["ACTION_NAMES", "ENV_ID", "FEATURE_NAMES", "N_ACTIONS", "OBS_MODES", "REWARD_MODES", "STATE_NAMES", "Belief",
           "EnvConfig", "PSOEnv", "PSOVectorEnv", "Swarm", "make_sb3_vec_env"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
