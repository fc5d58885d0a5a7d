"""pso-env: Particle Swarm Optimization as a Gymnasium environment.

Importing the package registers ``pso_env/PSOControl-v0`` (``gymnasium.make``) with its batched vector
environment (``gymnasium.make_vec(..., vectorization_mode="vector_entry_point")``) and loads nothing
heavy: the names below are imported on first use (PEP 562), so numba, ioh and torch load only when an
environment, swarm or belief is built.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib import import_module
from typing import Any

from gymnasium.envs.registration import register, registry

ENV_ID = "pso_env/PSOControl-v0"
if ENV_ID not in registry:
    register(id=ENV_ID, entry_point="pso_env.env:PSOEnv", vector_entry_point="pso_env.vector:PSOVectorEnv")


def lazy_exports(package: str, exports: dict[str, tuple[str, ...]]) -> tuple[Callable, Callable]:
    """PEP 562 ``__getattr__`` and ``__dir__`` for ``package``, whose ``exports`` (submodule -> names) are
    imported from their submodule on first use (any package of the project can build its own with it)."""
    where = {name: module for module, names in exports.items() for name in names}

    def get(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(import_module(f".{where[name]}", package), name)

    return get, lambda: sorted(set(vars(sys.modules[package])) | set(where))


_EXPORTS = {"config": ("OBS_MODES", "REWARD_MODES", "EnvConfig"), "env": ("PSOEnv",),
            "vector": ("PSOVectorEnv", "make_sb3_vec_env"), "swarm": ("Swarm",), "belief": ("Belief", "STATE_NAMES"),
            "actions": ("ACTION_NAMES", "N_ACTIONS"), "observation": ("FEATURE_NAMES", "PARTICLE_FEATURE_NAMES"),
            "optim": ("AdaSwarm", "HGPSOTrainer", "SwarmGradLoss"),
            "operators": ("elitist_learning",)}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(["ENV_ID", *sum(_EXPORTS.values(), ())])  # noqa: PLE0605 - one place lists each name
