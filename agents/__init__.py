"""Learners and controllers for PSOControl: our DQN, Stable-Baselines3 factories, online DQNPSO, the
hand-designed PSO variants and the shipped pretrained controller (runs and their evaluation:
:mod:`evaluation`). Names are imported on first use (PEP 562), so ``import agents`` stays cheap.
"""

from pso_env import lazy_exports

_EXPORTS = {
    "advisors": ("ADVISED_VARIANTS", "ADVISORS", "LLMPSO", "Advisor", "Proposal", "RandomAdvisor", "SurrogateAdvisor",
                 "SwarmState", "advise", "make_advised", "make_advisor"),
    "llm": ("LLMAdvisor", "ReplayAdvisor"),
    "baselines": ("VARIANTS", "list_variants", "make_rule", "run_cmaes", "run_random_search", "run_variant"),
    "controller": ("ConstantObservation", "FixedDraw", "PolicyController", "RandomPolicy", "RuleController", "StaticPolicy",
                   "run_policy"),
    "dqn": ("DQNAgent",),
    "es": ("LinearPolicy", "PolicySearch", "save_ensemble"),
    "models": ("ALGORITHMS", "LoadedPolicy", "default_hyperparameters", "load_agent", "load_model",
               "PRETRAINED", "load_pretrained", "make_model", "pretrained_path"),
    "online": ("OnlineDQNController",),
    "training": ("TrainConfig", "Trainer", "plot_learning_curve"),
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(sum(_EXPORTS.values(), ()))  # noqa: PLE0605 - one place lists each name
