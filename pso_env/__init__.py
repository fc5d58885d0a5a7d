"""pso-env: Particle Swarm Optimization as a Gymnasium environment.

Importing the package registers ``pso_env/PSOControl-v0``.
"""

from gymnasium.envs.registration import register, registry

from .actions import ACTION_NAMES, N_ACTIONS, ActionConfig, adaptive_inertia, apply_action
from .belief import STATE_NAMES, BeliefTracker
from .env import PSOEnv
from .factor import N_SYMBOLS, SYMBOL_EDGES, discretise, evolutionary_factor, mean_distances
from .instances import InstanceSet
from .observation import FEATURE_NAMES, OBS_MODES
from .reward import REWARD_MODES, Reward
from .swarm import BOUND_MODES, Swarm

ENV_ID = "pso_env/PSOControl-v0"
if ENV_ID not in registry:
    register(id=ENV_ID, entry_point="pso_env.env:PSOEnv")

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
    "BeliefTracker",
    "InstanceSet",
    "PSOEnv",
    "Reward",
    "Swarm",
    "adaptive_inertia",
    "apply_action",
    "discretise",
    "evolutionary_factor",
    "mean_distances",
]
