"""Learners and controllers for PSOControl: our DQN, Stable-Baselines3 factories, online DQNPSO, the
hand-designed PSO variants the paper compares against, and the shipped pretrained controller.

Every controller implements the protocol of :mod:`evaluation.runner`; ``evaluation.run`` makes a run
of it and returns its record (evaluation, storage and statistics live in :mod:`evaluation`). Names
are imported on first use (PEP 562), so that ``import agents`` stays cheap (torch loads with the DQN).
"""

from importlib import import_module
from typing import Any

_WHERE = {name: module for module, names in {
    "baselines": "VARIANTS list_variants make_rule run_cmaes run_random_search run_variant",
    "controller": "PolicyController RandomPolicy RuleController StaticPolicy run_policy",
    "dqn": "DQNAgent",
    "models": "ALGORITHMS LoadedPolicy default_hyperparameters load_agent load_model load_pretrained make_model "
              "pretrained_path",
    "online": "OnlineDQNController",
    "training": "TrainConfig Trainer plot_learning_curve",
}.items() for name in names.split()}
__all__ = sorted(_WHERE)  # noqa: PLE0605 - built from the table above, one place to list each name


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{_WHERE[name]}", __name__), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
