"""Agents for PSOControl: our DQN, Stable-Baselines3 factories, online DQNPSO, the hand-designed PSO
variants the paper compares against, and the shipped pretrained controller.

Every optimiser returns a :class:`RunRecord`.
"""

from .baselines import VARIANTS, list_variants, make_rule, run_cmaes, run_random_search, run_rule, run_variant
from .controller import RandomPolicy, StaticPolicy, run_policy
from .dqn import DQNAgent
from .models import (
    ALGORITHMS,
    LoadedPolicy,
    default_hyperparameters,
    load_agent,
    load_model,
    load_pretrained,
    make_model,
    pretrained_path,
)
from .online import run_dqnpso_online
from .records import RunRecord, checkpoint_curve, record_from_swarm

__all__ = [
    "ALGORITHMS",
    "VARIANTS",
    "DQNAgent",
    "LoadedPolicy",
    "RandomPolicy",
    "RunRecord",
    "StaticPolicy",
    "checkpoint_curve",
    "default_hyperparameters",
    "list_variants",
    "load_agent",
    "load_model",
    "load_pretrained",
    "make_model",
    "make_rule",
    "pretrained_path",
    "record_from_swarm",
    "run_cmaes",
    "run_dqnpso_online",
    "run_policy",
    "run_random_search",
    "run_rule",
    "run_variant",
]
