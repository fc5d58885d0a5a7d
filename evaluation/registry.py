"""The algorithm registry: names to picklable runners that each make one run and return its record.

Registry
--------
:func:`resolve_algorithm` turns a name into an :class:`Algorithm`, a small picklable runner
``(function, swarm_size, iterations, seed, checkpoint_every) -> RunRecord``; all but CMA-ES and random
search run a controller through :func:`evaluation.runner.run`:

========================  ==========================================================  =====================
name                      runs                                                        record name
========================  ==========================================================  =====================
a PSO variant             ``RuleController(make_rule(name))`` (case-insensitive)       the variant's name
``cmaes``                 :func:`agents.baselines.run_cmaes`                          ``CMA-ES``
``random-search``         :func:`agents.baselines.run_random_search`                  ``RandomSearch``
``pretrained``            ``PolicyController(agents.load_pretrained())`` (es)         ``ES-pretrained``
``dqnpso-pretrained``     ``PolicyController(load_pretrained(name="dqnpso"))``        ``DQNPSO-pretrained``
``dqnpso-online``         ``OnlineDQNController("pretrained")`` (DQNPSO warm start)    ``DQNPSO-online``
``agent:PATH``            ``PolicyController(agents.load_agent(PATH))``               ``agent:<basename>``
``constant-obs:X``        ``PolicyController(ConstantObservation(X's policy))``       ``constant-obs:<X's>``
``schedule-only:X``       the same, ``keep=("progress",)``                            ``schedule-only:<X's>``
``constant-particle:X``   the same, the swarm's inputs kept (``obs_mode="particle"``)  ``constant-particle:<X's>``
``hold:NAME:X``           the same, every input but ``NAME`` kept                     ``hold:NAME:<X's>``
``dimension-factors:X``   X with r1, r2 per dimension (``random_factors``)            ``dimension-factors:<X's>``
``particle-factors:X``    X with one r1, r2 per particle (``random_factors``)         ``particle-factors:<X's>``
``range-step:X``          X with APSO's elitist step (``elitist_step="range"``)       ``range-step:<X's>``
``random-policy``         ``PolicyController(RandomPolicy())``                        ``RandomPolicy``
``static:ABCD``           ``PolicyController(StaticPolicy([A, B, C, D]))``            ``static:ABCD``
``LLMPSO``, ``PSO+...``   ``RuleController(agents.advisors.make_advised(name))``      the name
========================  ==========================================================  =====================

``constant-obs:X`` is the ablation of a learned controller ``X`` (``pretrained`` or ``agent:PATH``): the same
policy fed its mean training observation at every step (:class:`agents.controller.ConstantObservation`);
``schedule-only:X`` feeds it the same constant but the true ``progress`` (the budget spent): a schedule that sees
nothing of the swarm. ``constant-particle:X``, for a controller of ``obs_mode="particle"``, feeds every particle the
same constant particle inputs (rank, distance, own stagnation) with the swarm's true ones: what the per-particle
inputs add. ``hold:NAME:X`` holds the one observation entry ``NAME`` (of :data:`pso_env.FEATURE_NAMES` or
:data:`pso_env.PARTICLE_FEATURE_NAMES`, as ``X`` reads) at its training mean and passes the others through:
what that input adds. ``dimension-factors:X`` runs ``X`` unchanged in a swarm that draws r1, r2 per particle and dimension, the
classic update, and ``particle-factors:X`` in one that draws one r1, r2 per particle: for a controller trained with
another draw, what its own draw adds (each refuses a controller that already draws its way). For a controller trained
with ``random_factors="action"`` they fix its choice column for every particle
(:class:`agents.controller.FixedDraw`): what choosing the draw adds. ``range-step:X`` runs a controller trained with
``elitist_step="vote"`` with APSO's elitist step instead (the box's range, whatever the vote's strength): what the
vote's width adds.

The advised variants (:data:`agents.advisors.ADVISED_VARIANTS`): ``PSO+no-advisor``, ``PSO+random-advisor``,
``PSO+surrogate-advisor`` and ``LLMPSO`` (a chat model; its server from ``PSO_LLM_BASE_URL`` and
``PSO_LLM_MODEL``, see :mod:`agents.llm`).
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .records import RunRecord, function_name

#: The algorithms of the default evaluation (the paper's Table 3 columns, learned controllers first).
DEFAULT_ALGORITHMS: tuple[str, ...] = ("pretrained", "dqnpso-pretrained", "dqnpso-online", "APSO", "HMM-APSO", "PSO", "LinWPSO",
                                        "AsyLnCPSO", "RandWPSO", "YSPSO", "CLSPSO")

# kind -> (names that select it, the record name)
_SPECIAL: dict[str, tuple[tuple[str, ...], str]] = {
    "cmaes": (("cmaes", "cma"), "CMA-ES"),
    "random-search": (("random-search", "randomsearch"), "RandomSearch"),
    "pretrained": (("pretrained", "es-pretrained"), "ES-pretrained"),
    "dqnpso-pretrained": (("dqnpso-pretrained", "dqnpso"), "DQNPSO-pretrained"),
    "dqnpso-online": (("dqnpso-online", "online"), "DQNPSO-online"),
    "random-policy": (("random-policy", "randompolicy"), "RandomPolicy"),
}
_OWN_RUNS = ("cmaes", "random-search")  # not PSO controllers: agents.baselines runs them
# ablations of a learned controller, prefix -> (observation entries kept, agents.controller.ConstantObservation; None:
# the true observation), environment settings changed
_ABLATIONS: dict[str, tuple[tuple[str, ...] | None, dict[str, Any]]] = {
    "constant-obs": ((), {}), "schedule-only": (("progress",), {}),
    "constant-particle": (("progress", "stagnation", "diversity", "median_distance"), {}),
    "dimension-factors": (None, {"random_factors": "dimension"}),
    "particle-factors": (None, {"random_factors": "particle"}),
    "range-step": (None, {"elitist_step": "range"})}
#: ``hold:NAME:X``: the one ablation that names an input (its ``arg`` is ``"NAME:<X's name>"``)
_HOLD = "hold"
_ABLATION_KINDS = (*_ABLATIONS, _HOLD)
# registry kinds of the shipped controllers -> their agents.PRETRAINED names (Algorithm kind "pretrained", arg the name)
_PRETRAINED = {"pretrained": "es", "dqnpso-pretrained": "dqnpso"}
_STATIC = re.compile(r"^static:([0-3]{4})$", re.IGNORECASE)
#: ``static:all`` expands to the 4**4 = 256 static state-to-action policies.
_ALL_STATIC = ["static:" + "".join(p) for p in itertools.product("0123", repeat=4)]


@dataclass(frozen=True)
class Algorithm:
    """A named, picklable runner for one algorithm of the registry.

    ``name`` is the record name (the module docstring's last column), ``kind`` the registry kind
    (``"variant"``, ``"agent"``, ``"static"`` or a key of the other rows: ``"cmaes"``, ...) and ``arg``
    the variant's name, the agent's absolute path, the four static actions, or for an ablation the name of the
    controller it changes (``hold``: ``"NAME:<that name>"``).
    """

    name: str
    kind: str
    arg: str | None = None

    def __call__(self, function: Any, swarm_size: int, iterations: int, seed: int, checkpoint_every: int,
                 ioh_dir: str | None = None, max_evaluations: int | None = None) -> RunRecord:
        """Run once and return the record, named :attr:`name` and ``function_name(function)``; with ``ioh_dir``
        the run is also logged in IOHprofiler's format (:class:`evaluation.anytime.Tracked`); with
        ``max_evaluations`` it stops at that fixed budget (:func:`evaluation.runner.run`)."""
        options = {"swarm_size": int(swarm_size), "iterations": int(iterations), "seed": int(seed),
                   "checkpoint_every": int(checkpoint_every), "ioh_dir": ioh_dir, "max_evaluations": max_evaluations}
        if self.kind in _OWN_RUNS:
            from agents.baselines import run_cmaes, run_random_search

            record = (run_cmaes if self.kind == "cmaes" else run_random_search)(function, **options)
        else:
            from .runner import run

            record = run(self.controller(), function, algorithm=self.name, **options)
        return dataclasses.replace(record, algorithm=self.name, function=function_name(function))

    def controller(self) -> Any:
        """A controller for one run (networks are loaded once per process); ValueError for CMA-ES and random
        search, which are not PSO controllers."""
        if self.kind in _OWN_RUNS:
            raise ValueError(f"{self.name} is not a PSO controller")
        from agents.controller import PolicyController, RandomPolicy, RuleController, StaticPolicy

        if self.kind == "variant":
            from agents.baselines import make_rule

            return RuleController(make_rule(str(self.arg)), trace=False)
        if self.kind == "advised":
            from agents.advisors import make_advised

            return RuleController(make_advised(str(self.arg)), trace=False)
        if self.kind == "dqnpso-online":
            from agents.online import OnlineDQNController

            return OnlineDQNController("pretrained")
        if self.kind == "static":
            return PolicyController(StaticPolicy([int(c) for c in str(self.arg)]))
        if self.kind == "random-policy":
            return PolicyController(RandomPolicy())
        if self.kind == _HOLD:
            from agents.controller import ConstantObservation

            held = ConstantObservation(_loaded(_inner(self)), hold=str(self.arg).partition(":")[0])
            return PolicyController(held, name=self.name)
        if self.kind in _ABLATIONS:
            from agents.controller import ConstantObservation, FixedDraw
            from pso_env.config import action_settings

            keep, settings = _ABLATIONS[self.kind]
            policy = _loaded(_inner(self))
            own = action_settings(getattr(policy, "env_kwargs", {}))
            if settings and all(own[k] == v for k, v in settings.items()):
                raise ValueError(f"{self.kind}: {self.arg} already runs with {settings}, so the ablation would rerun it "
                                 f"unchanged (it takes a controller trained with other settings, e.g. "
                                 f"another --random-factors or --elitist-step)")
            if own["random_factors"] == "action" and "random_factors" in settings:  # the choice column fixed
                policy, settings = FixedDraw(policy, shared=settings["random_factors"] == "particle"), {}
            policy = policy if keep is None else ConstantObservation(policy, keep=keep)
            return PolicyController(policy, env_kwargs=settings, name=self.name)
        return PolicyController(_loaded(self))


# Loaded networks, once per process (``PolicyController`` resets a recurrent one at every start).
_LOADED: dict[tuple[str, str | None], Any] = {}


def _loaded(algorithm: Algorithm) -> Any:
    key = (algorithm.kind, algorithm.arg)
    if key not in _LOADED:
        from agents.models import load_agent, load_pretrained

        _LOADED[key] = (load_pretrained(name=str(algorithm.arg)) if algorithm.kind == "pretrained"
                        else load_agent(str(algorithm.arg)))
    return _LOADED[key]


def _inner(algorithm: Algorithm) -> Algorithm:
    """The learned controller an ablation changes."""
    arg = str(algorithm.arg)
    return resolve_algorithm(arg.partition(":")[2] if algorithm.kind == _HOLD else arg, check=False)


def list_algorithms() -> list[str]:
    """Every name :func:`resolve_algorithm` accepts (patterns as ``agent:PATH`` and ``static:ABCD``)."""
    from agents.advisors import ADVISED_VARIANTS
    from agents.baselines import list_variants

    return [*list_variants(), *ADVISED_VARIANTS, *_SPECIAL, "agent:PATH", "static:ABCD", "static:all",
            *(f"{a}:{x}" for a, (_, changes) in _ABLATIONS.items()
              for x in (("agent:PATH",) if changes else ("pretrained", "agent:PATH"))),
            "hold:NAME:pretrained", "hold:NAME:agent:PATH"]


def resolve_algorithm(name: str, *, check: bool = True) -> Algorithm:
    """The :class:`Algorithm` for a registry name.

    ``name`` is one of :func:`list_algorithms` (case, ``-``, ``_`` and spaces ignored), ``agent:PATH`` or
    ``static:ABCD`` (four digits 0-3: the action for each Viterbi state). ``check`` loads networks and
    modules now, so an unreadable file fails here rather than in the middle of a run. ValueError for an
    unknown name (with close matches), a bad ``static:`` code, or what cannot be loaded.
    """
    from agents.baselines import _key, list_variants

    name = str(name).strip()
    ablation = next((a for a in _ABLATION_KINDS if name.lower().startswith(f"{a}:")), None)
    if ablation is not None:
        rest, entry = name[len(ablation) + 1:], ""
        if ablation == _HOLD:
            from agents.es import input_names

            entry, _, rest = rest.partition(":")
            entry = entry.strip().lower().replace("-", "_")
            entries = list(dict.fromkeys(input_names("features") + input_names("particle")))
            if entry not in entries or not rest.strip():
                raise ValueError(f"bad {name!r}: hold:NAME:X needs NAME one of {entries} and a learned controller X, "
                                 f"e.g. hold:diversity:pretrained")
            entry += ":"
        inner = resolve_algorithm(rest, check=False)
        if inner.kind not in ("pretrained", "agent"):
            raise ValueError(f"bad {name!r}: {ablation}: takes a learned controller, pretrained or agent:PATH")
        inner_name = f"agent:{inner.arg}" if inner.kind == "agent" else inner.name
        algorithm = Algorithm(f"{ablation}:{entry}{inner.name}", ablation, f"{entry}{inner_name}")
    elif name.lower().startswith("agent:"):
        given = name[len("agent:") :].strip()
        if not given:
            raise ValueError("agent: needs a path, e.g. agent:runs/dqn/final")
        path = Path(given).expanduser()
        algorithm = Algorithm(f"agent:{path.resolve().name}", "agent", str(path.resolve()))
    elif name.lower().startswith("static:"):
        match = _STATIC.match(name)
        if not match:
            raise ValueError(f"bad {name!r}: static:ABCD needs four digits 0-3, e.g. static:0123")
        algorithm = Algorithm(f"static:{match.group(1)}", "static", match.group(1))
    else:
        known = {_key(a): Algorithm(label, "pretrained" if kind in _PRETRAINED else kind, _PRETRAINED.get(kind))
                 for kind, (aliases, label) in _SPECIAL.items() for a in (*aliases, label)}
        known.update({_key(v): Algorithm(v, "variant", v) for v in list_variants()})
        from agents.advisors import ADVISED_VARIANTS

        known.update({_key(v): Algorithm(v, "advised", v) for v in ADVISED_VARIANTS})
        if _key(name) not in known:
            by_lower = {a.lower(): a for a in list_algorithms()}
            close = difflib.get_close_matches(name.lower(), list(by_lower), n=3, cutoff=0.6)
            hint = f" Did you mean: {', '.join(by_lower[c] for c in close)}?" if close else ""
            raise ValueError(f"unknown algorithm {name!r}.{hint} Known: {', '.join(by_lower.values())}")
        algorithm = known[_key(name)]
    if check:
        _check_loadable(algorithm)
    return algorithm


def _check_loadable(algorithm: Algorithm) -> None:
    """Load what the algorithm needs, turning every failure into a ValueError naming it."""
    try:
        if algorithm.kind == "agent" and not Path(str(algorithm.arg)).exists():
            raise FileNotFoundError(f"no such file or directory: {algorithm.arg}")
        if algorithm.kind in ("pretrained", "agent", "dqnpso-online", *_ABLATION_KINDS):  # online: its warm start
            load = (Algorithm(_SPECIAL["dqnpso-pretrained"][1], "pretrained", "dqnpso") if algorithm.kind == "dqnpso-online"
                    else _inner(algorithm) if algorithm.kind in _ABLATION_KINDS else algorithm)
            _LOADED.pop((load.kind, load.arg), None)  # read the file now
            _loaded(load)
        if algorithm.kind not in _OWN_RUNS:
            algorithm.controller()
    except (ValueError, ImportError, OSError, RuntimeError, KeyError, EOFError) as exc:
        why = exc if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
        raise ValueError(f"cannot load {algorithm.name} ({algorithm.arg or algorithm.kind}): {why}") from exc


def model_paths(algorithms: Sequence[Algorithm]) -> dict[str, str]:
    """Record name -> directory of the trained model each algorithm runs, for those that run one:
    ``agent:PATH``, the shipped controllers (``pretrained``, ``dqnpso-pretrained``), ``dqnpso-online`` (its
    warm start) and the ablations of a learned controller. What :func:`evaluation.storage.check_agents`
    records and checks, so that a store never resumes runs of one model under another's name."""
    from agents.models import pretrained_path

    def path(algorithm: Algorithm) -> str | None:
        if algorithm.kind == "agent":
            return str(algorithm.arg)
        if algorithm.kind == "pretrained":
            return str(pretrained_path(str(algorithm.arg)))
        if algorithm.kind == "dqnpso-online":
            return str(pretrained_path("dqnpso"))
        if algorithm.kind in _ABLATION_KINDS:
            return path(_inner(algorithm))
        return None

    return {a.name: p for a in algorithms if (p := path(a)) is not None}


def resolve_algorithms(names: str | Sequence[str | Algorithm], *, check: bool = True) -> list[Algorithm]:
    """Algorithms for a comma-separated string or a list of names or :class:`Algorithm` objects, in order,
    duplicates dropped.

    Raises
    ------
    ValueError
        As :func:`resolve_algorithm`; also for an empty list or two different algorithms with the same
        record name (two agent files with the same basename).
    """
    if isinstance(names, str):
        names = [n for n in names.split(",") if n.strip()]
    names = [e for n in names for e in (_ALL_STATIC if isinstance(n, str) and n.strip().lower() == "static:all"
                                        else [n])]
    result: list[Algorithm] = []
    for name in names:
        algorithm = name if isinstance(name, Algorithm) else resolve_algorithm(name, check=check)
        same = [a for a in result if a.name == algorithm.name]
        if same and same[0] != algorithm:
            raise ValueError(f"two algorithms would both be named {algorithm.name!r}: {same[0].arg}, {algorithm.arg}")
        if not same:
            result.append(algorithm)
    if not result:
        raise ValueError("no algorithm given")
    return result

