"""Learners and controllers for PSOControl: our DQN, Stable-Baselines3 factories, online DQNPSO, the
hand-designed PSO variants the paper compares against, and the shipped pretrained controller.

Every controller implements the protocol of :mod:`evaluation.runner`; ``evaluation.run`` makes a run
of it and returns its record (evaluation, storage and statistics live in :mod:`evaluation`). Names
are imported on first use (PEP 562), so that ``import agents`` stays cheap (torch loads with the DQN).
"""

from pso_env import lazy_exports

_EXPORTS = {
    "baselines": ("VARIANTS", "list_variants", "make_rule", "run_cmaes", "run_random_search", "run_variant"),
    "controller": ("PolicyController", "RandomPolicy", "RuleController", "StaticPolicy", "run_policy"),
    "dqn": ("DQNAgent",),
    "models": ("ALGORITHMS", "LoadedPolicy", "default_hyperparameters", "load_agent", "load_model",
               "load_pretrained", "make_model", "pretrained_path"),
    "online": ("OnlineDQNController",),
    "training": ("TrainConfig", "Trainer", "plot_learning_curve"),
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(sum(_EXPORTS.values(), ()))  # noqa: PLE0605 - one place lists each name
