"""pso-env: Particle Swarm Optimization as a Gymnasium environment.

Importing the package registers ``pso_env/PSOControl-v0`` (``gymnasium.make``) with its batched vector
environment (``gymnasium.make_vec(..., vectorization_mode="vector_entry_point")``). :class:`Swarm` runs
on numpy or (``backend="torch"``) on torch tensors; torch is imported only for that backend.
"""

from gymnasium.envs.registration import register, registry

from .actions import ACTION_NAMES, N_ACTIONS, ActionConfig, adaptive_inertia, apply_action
from .batch_belief import BatchBelief, make_batch_belief
from .belief import STATE_NAMES, BeliefTracker
from .env import PSOEnv
from .factor import (
    N_SYMBOLS,
    SYMBOL_EDGES,
    batch_evolutionary_factor,
    batch_mean_distances,
    discretise,
    evolutionary_factor,
    mean_distances,
)
from .instances import InstanceSet
from .observation import FEATURE_NAMES, OBS_MODES
from .reward import REWARD_MODES, Reward
from .swarm import BOUND_MODES, Swarm
from .vector import PSOVectorEnv, make_sb3_vec_env

ENV_ID = "pso_env/PSOControl-v0"
if ENV_ID not in registry:
    register(id=ENV_ID, entry_point="pso_env.env:PSOEnv", vector_entry_point="pso_env.vector:PSOVectorEnv")

__all__ = [
    "ACTION_NAMES",
    "BOUND_MODES",
    "ENV_ID",
    "FEATURE_NAMES",
    "N_ACTIONS",
    "N_SYMBOLS",
    "OBS_MODES",
    "REWARD_MODES",
    "STATE_NAMES",
    "SYMBOL_EDGES",
    "ActionConfig",
    "BatchBelief",
    "BeliefTracker",
    "InstanceSet",
    "PSOEnv",
    "PSOVectorEnv",
    "Reward",
    "Swarm",
    "adaptive_inertia",
    "apply_action",
    "batch_evolutionary_factor",
    "batch_mean_distances",
    "discretise",
    "evolutionary_factor",
    "make_batch_belief",
    "make_sb3_vec_env",
    "mean_distances",
]
