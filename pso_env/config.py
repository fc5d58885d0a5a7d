"""The one configuration of the PSOControl environment: :class:`EnvConfig`.

Both environments, the training script's ``run.json`` and the command lines use it. Every field is
declared once, here, with its default, check and help text (:func:`config_field`), from which
:func:`add_field_arguments` builds argparse options for it and for any dataclass declared the same way
(:class:`agents.training.TrainConfig`). Importing this module loads neither numba nor the benchmark functions.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from benchmarks_fn._validate import check_int as _check_int
from benchmarks_fn._validate import is_real

OBS_MODES = ("viterbi", "belief", "features", "particle")
#: Action spaces: the paper's four actions, (w, c1, c2) set directly from a Box, or a row of them per particle
#: (see pso_env.actions).
ACTION_MODES = ("discrete", "continuous", "particle")
REWARD_MODES = ("improvement", "log", "relative")
INSTANCE_ORDERS = ("random", "round_robin")
BACKENDS = ("numpy", "torch")
DTYPES = ("float64", "float32")
#: How r1, r2 are drawn: per particle and dimension (the classic update; the default), or one of each per particle,
#: shared by its dimensions (an update that commutes with rotations), or (the environment's, with particle actions)
#: either, as each particle's action chooses at each iteration. :class:`pso_env.Swarm` takes the first two.
RANDOM_FACTORS = ("dimension", "particle", "action")
ELITIST_STEPS = ("range", "vote")
#: Default Baum-Welch re-estimation interval of the belief (see :class:`pso_env.belief.Belief`).
DEFAULT_REFIT_EVERY = 100


def _bound_modes() -> tuple[str, ...]:
    from .swarm import BOUND_MODES  # the swarm owns its bound modes (imported when first needed)

    return BOUND_MODES


# A check takes (name, value) and returns the stored value or raises ValueError naming the field.
Check = Callable[[str, Any], Any]


def _check(ok: Callable[[Any], bool], must: str, convert: Callable[[Any], Any] = lambda v: v) -> Check:
    """A check: ``convert(value)`` where ``ok(value)``, else ValueError ``"<name> must <must>, got <value>"``."""
    def check(name: str, value: Any) -> Any:
        if not ok(value):
            raise ValueError(f"{name} must {must}, got {value!r}")
        return convert(value)
    return check


def check_int(minimum: int, maximum: int | None = None) -> Check:
    return lambda name, value: _check_int(value, name, minimum, maximum)


def check_real(minimum: float = -math.inf, *, positive: bool = False, optional: bool = False) -> Check:
    what = "a positive number" if positive else f"a number >= {minimum:g}"
    return _check(lambda v: (optional and v is None) or (is_real(v) and (v > 0 if positive else v >= minimum)),
                  f"be {what}{' or None' if optional else ''}", lambda v: None if v is None else float(v))


def check_choice(choices: Sequence[str] | Callable[[], Sequence[str]]) -> Check:
    def check(name: str, value: Any) -> str:
        options = choices() if callable(choices) else choices
        if not isinstance(value, str) or value not in options:
            raise ValueError(f"{name} must be one of {tuple(options)}, got {value!r}")
        return value
    return check


# "yes", 1, "False" are errors; numpy's booleans are booleans (stored as Python's, for JSON)
check_bool = _check(lambda v: isinstance(v, (bool, np.bool_)), "be True or False", bool)
check_pair = _check(lambda v: isinstance(v, Sequence) and not isinstance(v, str) and len(v) == 2
                    and all(is_real(x) and x >= 0 for x in v) and v[0] <= v[1],
                    "be a pair (low, high) of numbers with 0 <= low <= high", lambda v: (float(v[0]), float(v[1])))
# torch.device("cuda:0") -> "cuda:0"; torch checks the name when the backend is built
check_device = _check(lambda v: bool(str(v).strip()), "be a torch device name such as 'cpu' or 'cuda'", str)
# names, suites, entries and objects are resolved (and checked in depth) by pso_env.instances.InstanceSet
check_function = _check(lambda v: not (v is None or (isinstance(v, (list, tuple)) and not v)
                                       or (isinstance(v, str) and not v.strip())),
                        "name at least one function", lambda v: list(v) if isinstance(v, list) else v)


def _advisor_names() -> tuple[str, ...]:
    from agents.advisors import ADVISORS  # the advisors own their names (imported when an advisor is named)

    return tuple(ADVISORS)


def check_advisor(name: str, value: Any) -> Any:
    """None, a name of :data:`agents.advisors.ADVISORS` or an object with the advisor interface (``propose``
    and ``reset`` methods, a ``failures`` count: :class:`agents.advisors.Advisor`'s); else ValueError naming
    ``name``."""
    if value is None or (isinstance(value, str) and value in _advisor_names()):
        return value
    if not isinstance(value, str) and all(callable(getattr(value, m, None)) for m in ("propose", "reset")) \
            and hasattr(value, "failures"):
        return value
    raise ValueError(f"{name} must be None, one of {_advisor_names()} or an advisor object (propose, reset, "
                     f"failures: agents.advisors.Advisor's interface), got {value!r}")


def check_optional_int(minimum: int) -> Check:
    return lambda name, value: None if value is None else _check_int(value, name, minimum)


def config_field(default: Any, help: str, check: Check | None = None, *, cli: str | None = "",
                 parse: Callable | None = None,
                 choices: Sequence[str] | Callable[[], Sequence[str]] | None = None, metavar: str | None = None,
                 **kwargs: Any) -> Any:
    """A dataclass field with a ``help`` text and a ``check`` (name, value) -> value that validates and
    normalises it (raising ValueError naming the field; default :func:`check_choice` of ``choices``).
    ``cli`` is the option name ("": ``--field-name``; None: none); ``parse``, ``choices`` (a tuple, or a
    callable giving it) and ``metavar`` go to argparse."""
    meta = {"help": help, "check": check or check_choice(choices), "cli": cli, "parse": parse,
            "choices": choices, "metavar": metavar}
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata=meta, **kwargs)
    return field(default=default, metadata=meta, **kwargs)


def validate_fields(obj: Any) -> None:
    """Run every field's check on a (frozen) dataclass instance and store the normalised values."""
    for f in dataclasses.fields(obj):
        check = f.metadata.get("check")
        if check is not None:
            object.__setattr__(obj, f.name, check(f.name, getattr(obj, f.name)))


def _parse_pair(text: str) -> tuple[float, float]:
    try:
        low, high = (float(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LOW,HIGH, got {text!r}") from None
    return (low, high)


def _parse_optional_float(text: str) -> float | None:
    return None if text.lower() == "none" else float(text)


def _parse_optional_int(text: str) -> int | None:
    return None if text.lower() == "none" else int(text)


def _parse_optional_str(text: str) -> str | None:
    return None if text.lower() == "none" else text


def add_field_arguments(parser: argparse.ArgumentParser, cls: type, *, exclude: Iterable[str] = (),
                        defaults: dict[str, Any] | None = None) -> None:
    """Add one option per field of dataclass ``cls`` (destination: the field name) from its metadata.

    Booleans become flags (``--shift``); the others take a value parsed with the field's ``parse`` (or the
    default's type) and checked by :func:`option_type`, so a bad value is a usage error before anything runs.
    """
    exclude, defaults = set(exclude), dict(defaults or {})
    for f in dataclasses.fields(cls):
        meta = f.metadata
        if f.name in exclude or "help" not in meta or meta.get("cli") is None:
            continue
        option = meta["cli"] or "--" + f.name.replace("_", "-")
        default = defaults.get(f.name, f.default if f.default is not dataclasses.MISSING else f.default_factory())
        kwargs: dict[str, Any] = {"dest": f.name, "help": meta["help"]}
        if isinstance(default, bool):
            kwargs.update(action="store_false" if default else "store_true", default=default)
        else:
            choices = meta.get("choices")
            parse = meta.get("parse") or type(default)
            kwargs.update(default=default, type=parse if choices else option_type(parse, f.name, meta["check"]),
                          choices=choices() if callable(choices) else choices, metavar=meta.get("metavar"))
        parser.add_argument(option, **kwargs)


def option_type(parse: Any, name: str, check: Check) -> Any:
    """An argparse type: ``parse`` the text, then ``check(name, value)``; a failure is a usage error naming
    the option instead of ``name``: ``argument --runs: must be an integer >= 1, got 0``."""

    def typed(text: str) -> Any:
        try:
            return check(name, parse(text))
        except ValueError as err:
            message = str(err).removeprefix(f"{name} ")
            if message == str(err):  # parse failed: int("x") and the like
                kind = {"int": "an integer", "float": "a number"}.get(getattr(parse, "__name__", ""), "valid")
                message = f"must be {kind}, got {text!r}"
            raise argparse.ArgumentTypeError(message) from None

    return typed


def field_values(cls: type, namespace: argparse.Namespace) -> dict[str, Any]:
    """The values of ``cls``'s fields present in ``namespace`` (as :func:`add_field_arguments` stores them)."""
    return {f.name: getattr(namespace, f.name) for f in dataclasses.fields(cls) if hasattr(namespace, f.name)}


#: The action settings a saved policy writes even at their defaults; those after them in :data:`ACTION_SETTINGS` it
#: writes only where they differ, so that a policy trained before a setting existed is saved byte for byte as it was.
#: A later setting's default is therefore part of the file format (a file without it is read with it): never change it.
ALWAYS_SAVED: tuple[str, ...] = ("w_min", "w_max", "c_min", "c_max", "elitist", "elitist_always", "random_factors")
#: The environment settings a policy acts through beyond its observation and action modes (the action ranges, the
#: elitist switch, elitist learning at every iteration, how r1 and r2 are drawn, the elitist step's width): a trained
#: policy carries them to every environment it runs in.
ACTION_SETTINGS: tuple[str, ...] = (*ALWAYS_SAVED, "elitist_step")


def planned_iterations(iterations: int, swarm_size: int, max_evaluations: int | None) -> int:
    """The iterations a run plans for: ``iterations``, or with a budget B at most those in which plain PSO spends
    B (N at the start, N per iteration: ``B // N - 1``, at least 1). Scales the stagnation feature and online
    DQNPSO's exploration, so that under a budget ``iterations`` is only a cap."""
    if max_evaluations is None:
        return int(iterations)
    return max(1, min(int(iterations), int(max_evaluations) // int(swarm_size) - 1))


@dataclass(frozen=True)
class EnvConfig:
    """Everything that defines a PSOControl environment; validated once, on construction.

    ``backend``, ``device`` and ``dtype`` apply to :class:`pso_env.PSOVectorEnv` (PSOEnv runs numpy in
    float64). The parameters below are written from the fields' metadata.

    Parameters
    ----------
    FIELDS

    Raises
    ------
    ValueError
        Naming the first bad field, e.g. ``shift must be True or False, got 'yes'``.

    Examples
    --------
    >>> cfg = EnvConfig(function="sphere", dim=5)
    >>> EnvConfig.from_dict(cfg.to_dict()) == cfg
    True
    """

    function: Any = config_field(  # noqa: RUF009 - a field() factory
        "rastrigin", "function names or suites (paper, bbob, cec2022), comma-separated; in Python also "
        "function objects, (name, dim, options) entries or lists of them; with several, each reset picks one "
        "(instance_order)", check_function, cli="--function")
    dim: int = config_field(30, "dimension D of functions given by name (suite entries carry their own)",
                            check_int(1))
    swarm_size: int = config_field(30, "particles N", check_int(2))
    max_iterations: int = config_field(1000, "PSO iterations per episode", check_int(1))
    max_evaluations: int | None = config_field(
        None, "evaluation budget per episode, more than swarm_size (the initial swarm's N included): the episode "
        "also ends after the iteration in which the swarm's evaluations reach it, and the progress feature and "
        "the elitist sigma follow the evaluations spent / this instead of the iterations; 'none': no budget",
        check_optional_int(1), parse=_parse_optional_int)
    obs_mode: str = config_field("viterbi", "observation: the Viterbi state (the paper's), the filtered "
                                 "posterior, the posterior and 9 scale-free swarm features, or 7 inputs per particle "
                                 "(3 of the particle, 4 of the swarm; none needs f*)", choices=OBS_MODES)
    action_mode: str = config_field("discrete", "actions: the paper's Discrete(4), a Box [-1, 1]^3 mapped "
                                    "affinely onto w, c1, c2 (for SAC, TD3, PPO), or a Box [-1, 1]^(N, 3): one such "
                                    "row per particle", choices=ACTION_MODES)
    elitist: bool = config_field(False, "continuous actions get a 4th component (particle actions a 4th column): > 0 "
                                 "(with particle actions, the column's mean over the particles) runs APSO's elitist "
                                 "learning on the global best after that iteration's move (one evaluation; sigma "
                                 "1.0 -> 0.1 over the episode)", check_bool)
    elitist_always: bool = config_field(False, "run APSO's elitist learning on the global best after every iteration's "
                                        "move, no action entry (one evaluation per iteration; sigma as with "
                                        "elitist); excludes elitist, needs backend='numpy'", check_bool)
    elitist_step: str = config_field("range", "width of the elitist step per dimension: APSO's (the box's range), or, "
                                     "with elitist, the range^v times the extent of the personal bests^(1 - v), v the "
                                     "vote in (0, 1] (pso_env.operators.vote_width)", choices=ELITIST_STEPS)
    reward_mode: str = config_field("improvement", "reward: the paper's raw improvement, or the scale-free "
                                    "log / relative forms", choices=REWARD_MODES)
    w_min: float = config_field(0.4, "lowest inertia weight of the actions", check_real(0.0))
    w_max: float = config_field(0.9, "highest inertia weight of the actions (and w at reset)", check_real(0.0))
    c1: float = config_field(2.0, "cognitive coefficient at reset", check_real(positive=True))
    c2: float = config_field(2.0, "social coefficient at reset", check_real(positive=True))
    delta_range: tuple = config_field((0.05, 0.1), "range (LOW,HIGH) of the coefficient step delta", check_pair,
                                      parse=_parse_pair, metavar="LOW,HIGH")
    c_min: float = config_field(1.5, "lowest acceleration coefficient", check_real(0.0))
    c_max: float = config_field(2.5, "highest acceleration coefficient", check_real(0.0))
    velocity_clamp: float | None = config_field(
        0.2, "fraction of the box width that bounds |v| per dimension ('none': no clamp)",
        check_real(positive=True, optional=True), parse=_parse_optional_float)
    random_factors: str = config_field("dimension", "r1, r2 of the velocity update: one per particle and dimension (the "
                                       "classic update), or one of each per particle for all its dimensions "
                                       "(GLEET's backbone: the update, not the clamp, bounds or start, commutes "
                                       "with rotations; small swarms can stagnate in a subspace), or, with "
                                       "action_mode='particle', either as each particle's last action column "
                                       "chooses (> 0: one per particle)", choices=RANDOM_FACTORS)
    bounds: str = config_field("clip-back", "handling of particles that leave the box (clip-back: SPSO 2011's, "
                               "onto the face with the velocity component times -0.5)", choices=_bound_modes)
    momentum: float | None = config_field(
        None, "EMPSO momentum factor beta in [0, 1) of the swarm update (Mohapatra et al. 2022 eqs 4-5: the "
        "inertia term takes beta M + (1 - beta) v); 'none': the classic update",
        check_real(0.0, optional=True), parse=_parse_optional_float)
    hmm_refit_every: int = config_field(DEFAULT_REFIT_EVERY, "Baum-Welch re-estimation interval of the HMM "
                                        "in iterations (0: never)", check_int(0))
    target_error: float | None = config_field(
        None, "end an episode once best - f* <= this (f* known; at least what the float type resolves at the "
        "function's scale); 'none': run every iteration",
        check_real(0.0, optional=True), parse=_parse_optional_float)
    instance_order: str = config_field("random", "how each reset picks the next function of the set",
                                       choices=INSTANCE_ORDERS)
    shift: bool = config_field(False, "CEC-style shifted functions (fresh each episode)", check_bool)
    rotate: bool = config_field(False, "CEC-style rotated functions (fresh each episode)", check_bool)
    backend: str = config_field("numpy", "array library of the vector environment's swarms", choices=BACKENDS)
    device: str = config_field("cpu", "torch device of the torch backend", check_device)
    dtype: str = config_field("float64", "floating-point type of the torch backend", choices=DTYPES)
    # the consult action (pso_env.advice): with an advisor, action a + 4 also consults it after the iteration
    advisor: Any = config_field(  # noqa: RUF009 - a field() factory
        None, "particle advisor that the agent may consult each step (actions 4-7: the parameter action a - 4, then "
        "the advisor's proposals replace the worst particles): random, surrogate, llm; in Python also an advisor "
        "object (agents.advisors.Advisor); 'none': no advisor, the paper's four actions", check_advisor,
        parse=_parse_optional_str, metavar="NAME")
    advisor_k: int | None = config_field(None, "points asked of the advisor per consultation; 'none': a quarter "
                                         "of the swarm, at least 1", check_optional_int(1), parse=_parse_optional_int)

    def __post_init__(self) -> None:
        validate_fields(self)
        for low, high in (("w_min", "w_max"), ("c_min", "c_max")):
            if getattr(self, low) > getattr(self, high):
                raise ValueError(f"{low} must be <= {high}, got {low}={getattr(self, low)}, "
                                 f"{high}={getattr(self, high)}")
        if self.momentum is not None and not self.momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1) or None, got {self.momentum!r}")
        if self.max_evaluations is not None and self.max_evaluations <= self.swarm_size:
            raise ValueError(f"max_evaluations must be None or more than swarm_size (the initial swarm spends "
                             f"swarm_size evaluations), got max_evaluations={self.max_evaluations}, "
                             f"swarm_size={self.swarm_size}")
        if self.advisor_k is not None and self.advisor_k > self.swarm_size:
            raise ValueError(f"advisor_k must be <= swarm_size (the proposals replace particles), got "
                             f"advisor_k={self.advisor_k}, swarm_size={self.swarm_size}")
        if self.advisor is not None and self.action_mode != "discrete":
            raise ValueError(f"advisor needs action_mode='discrete' (its consult bit extends the four discrete "
                             f"actions), got action_mode={self.action_mode!r}")
        if self.elitist and (self.action_mode not in ("continuous", "particle") or self.backend != "numpy"):
            raise ValueError(f"elitist needs action_mode='continuous' or 'particle' and backend='numpy' (its switch is a "
                             f"4th continuous action component or column), got action_mode={self.action_mode!r}, "
                             f"backend={self.backend!r}")
        if self.elitist_always and (self.elitist or self.backend != "numpy"):
            raise ValueError(f"elitist_always needs elitist=False (elitist makes the operator an action; elitist_always "
                             f"runs it at every iteration) and backend='numpy', got elitist={self.elitist!r}, "
                             f"backend={self.backend!r}")
        if self.elitist_step == "vote" and not self.elitist:
            raise ValueError(f"elitist_step='vote' needs elitist=True (the vote's strength sets the width), got "
                             f"elitist={self.elitist!r}, elitist_always={self.elitist_always!r}")
        if self.random_factors == "action" and self.action_mode != "particle":
            raise ValueError(f"random_factors='action' needs action_mode='particle' (each particle's last action column "
                             f"chooses its draw), got action_mode={self.action_mode!r}")
        if self.advisor is not None and self.backend != "numpy":
            raise ValueError(f"advisor needs backend='numpy' (advisors read the swarm's numpy arrays), got "
                             f"backend={self.backend!r}")
        if self.backend == "numpy" and (self.device != "cpu" or self.dtype != "float64"):
            raise ValueError(f"device and dtype apply to backend='torch' only, got device={self.device!r}, "
                             f"dtype={self.dtype!r}")

    @property
    def horizon(self) -> int:
        """The iterations an episode plans for (:func:`planned_iterations`): ``max_iterations``, or fewer with a
        budget that plain PSO spends sooner."""
        return planned_iterations(self.max_iterations, self.swarm_size, self.max_evaluations)

    def replace(self, **changes: Any) -> EnvConfig:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The fields as a JSON-safe dict (``delta_range`` as a list); ValueError when ``function`` holds a
        function object (give names, suites or entries to serialise)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["delta_range"] = list(self.delta_range)
        out["function"] = _json_function(self.function)
        if not (self.advisor is None or isinstance(self.advisor, str)):
            raise ValueError(f"advisor: the advisor object {self.advisor!r} cannot be written as JSON; configure it by "
                             f"name ({', '.join(_advisor_names())}) to serialise the configuration")
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EnvConfig:
        """Rebuild a configuration from :meth:`to_dict`'s output (unknown keys are an error)."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"unknown EnvConfig fields {unknown}")
        if "function" in data:
            data = {**data, "function": _from_json_function(data["function"])}
        return cls(**data)


def _document_fields(cls: type) -> None:
    """Fill the ``FIELDS`` mark of the docstring with one numpy-style entry per field."""
    entries = []
    for f in dataclasses.fields(cls):
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        choices = f.metadata.get("choices")
        kind = "{" + ", ".join(map(repr, choices)) + "}" if isinstance(choices, tuple) else f.type
        text = textwrap.indent(textwrap.fill(f.metadata["help"], 96), " " * 8)
        entries.append(f"{f.name} : {kind}, default {default!r}\n{text}")
    cls.__doc__ = (cls.__doc__ or "").replace("FIELDS", "\n    ".join(entries))


_document_fields(EnvConfig)


def _json_function(spec: Any) -> Any:
    if isinstance(spec, str):
        return spec
    if isinstance(spec, tuple) and spec and isinstance(spec[0], str):  # (name, dim, options) entry
        return list(spec)
    if isinstance(spec, list):
        return [_json_function(s) for s in spec]
    raise ValueError(f"function: the function object {spec!r} cannot be written as JSON; configure functions by "
                     "name, suite or (name, dim, options) entry to serialise the configuration")


def _from_json_function(spec: Any) -> Any:
    if isinstance(spec, list):
        if 2 <= len(spec) <= 3 and isinstance(spec[0], str) and type(spec[1]) is int:  # an entry
            return tuple(spec)
        return [_from_json_function(s) for s in spec]
    return spec


def make_config(config: EnvConfig | None, fields: dict[str, Any]) -> EnvConfig:
    """``config`` with ``fields`` replaced, or a new :class:`EnvConfig` of ``fields`` (validated either way)."""
    if config is None:
        return EnvConfig(**fields)
    if not isinstance(config, EnvConfig):
        raise ValueError(f"config must be an EnvConfig or None, got {config!r}")
    return config.replace(**fields) if fields else config


def action_settings(saved: Any) -> dict[str, Any]:
    """The :data:`ACTION_SETTINGS` of a saved policy or run (a mapping, e.g. a policy's ``env_kwargs``): each value as
    saved, or the :class:`EnvConfig` default for a setting saved before its field existed."""
    return {k: saved.get(k, EnvConfig.__dataclass_fields__[k].default) for k in ACTION_SETTINGS}
