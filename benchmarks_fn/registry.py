"""Look functions up by name: :func:`get_function` and :func:`list_functions`."""

from __future__ import annotations

import re

from ._validate import check_finite, check_int, unknown_name_error
from .base import BenchmarkFunction
from .functions import PAPER_FUNCTIONS
from .ioh_wrap import BBOB_EXACT, N_FUNCTIONS, IOHFunction
from .network import NETWORK_OBJECTIVES, network_objective
from .transforms import TransformedFunction
from .tuning import MAX_LAYERS, TUNING_FUNCTIONS

FAMILIES = ("paper", "bbob", "bbob-exact", "cec2022", "tuning", "nn")

ALIASES = {**dict.fromkeys(("schwefel226", "schwefel2.26", "schwefel_2_26"), "schwefel"),
           **dict.fromkeys(("schwefel12", "schwefel1.2", "schwefel_1_2"), "quadric"),
           **dict.fromkeys(("drop-wave", "drop_wave"), "dropwave")}

_SUITE_NAME = re.compile(r"^(bbob|bbob-exact|cec2022):f?(\d+)$")
#: How many functions each family named like ``"bbob:f15"`` has (``"bbob-exact"``: f1 and f2, :data:`BBOB_EXACT`).
_N_NUMBERED = {**N_FUNCTIONS, "bbob-exact": len(BBOB_EXACT)}


def list_functions(family: str | None = None) -> list[tuple[str, str]]:
    """``(name, family)`` pairs, e.g. ``("rastrigin", "paper")``, ``("bbob:f15", "bbob")``, of one family
    (``"paper"``, ``"bbob"``, ``"bbob-exact"``, ``"cec2022"``, ``"tuning"``, ``"nn"``) or of all (None: 10 + 24 + 2 +
    12 + 2 + 2 names). ``"bbob-exact:f1"`` and ``"bbob-exact:f2"`` are BBOB f1 and f2 without f*
    (:class:`~benchmarks_fn.ioh_wrap.IOHFunction`'s ``exact``)."""
    if family is not None and family not in FAMILIES:
        raise unknown_name_error("family", str(family), FAMILIES)
    out: list[tuple[str, str]] = []
    if family in (None, "paper"):
        out += [(name, "paper") for name in PAPER_FUNCTIONS]
    for suite in ("bbob", "bbob-exact", "cec2022"):
        if family in (None, suite):
            out += [(f"{suite}:f{i}", suite) for i in range(1, _N_NUMBERED[suite] + 1)]
    if family in (None, "tuning"):
        out += [(name, "tuning") for name in TUNING_FUNCTIONS]
    if family in (None, "nn"):
        out += [(name, "nn") for name in NETWORK_OBJECTIVES]
    return out


def canonical_name(name: str) -> tuple[str, str]:
    """``(canonical_name, family)`` of a name in any case, an alias of :data:`ALIASES` or ``"bbob:15"`` for
    ``"bbob:f15"``; ValueError (listing close matches) for an unknown name."""
    key = name.strip().lower() if isinstance(name, str) else ""
    if not key:
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    key = ALIASES.get(key, key)
    if key in PAPER_FUNCTIONS:
        return key, "paper"
    if key in NETWORK_OBJECTIVES:
        return key, "nn"
    m = _SUITE_NAME.match(key)
    if m and 1 <= int(m.group(2)) <= _N_NUMBERED[m.group(1)]:
        return f"{m.group(1)}:f{int(m.group(2))}", m.group(1)
    if key in TUNING_FUNCTIONS:
        return key, "tuning"
    known = [n for n, _ in list_functions()]
    raise unknown_name_error("name", name, known, hint="see list_functions()")


def get_function(name: str, dim: int, *, shift: bool = False, rotate: bool = False, bias: float = 0.0,
                 seed: int | None = None, instance: int = 1) -> BenchmarkFunction:
    """Build one benchmark function.

    ``name`` is one of :func:`list_functions` (case-insensitive). Drop-wave needs ``dim`` 2, BBOB >= 2,
    CEC 2022 10 or 20 (also 2 for f1-f5 and f9-f12), the tuning objectives (``tuning:digits-mlp``, the live
    one, and ``tuning:digits-mlp-table``, :mod:`benchmarks_fn.tuning`) 3; a network loss (``"nn:digits-mlp"``,
    :mod:`benchmarks_fn.network`) has the dimension of its weights and ignores ``dim``. ``shift``, ``rotate``, ``bias`` and ``seed`` give a
    paper function the CEC-style form of :class:`~benchmarks_fn.transforms.TransformedFunction` (the same
    on every machine); ``instance`` is the BBOB instance (1 elsewhere). ``"bbob-exact:f1"`` and ``"bbob-exact:f2"``
    are BBOB f1 and f2 of that instance with values ``f - f*`` computed directly (relative rounding only: no float
    floor near f*).

    Raises
    ------
    ValueError
        For an unknown name, a dim the function does not define, a non-finite bias, a negative or
        non-integer seed, an instance other than 1 where there are no instances, or transformations
        asked of a BBOB / CEC 2022 function (those are shifted and rotated already) or of a tuning objective.
    """
    key, family = canonical_name(name)
    dim = check_int(dim, "dim")
    bias = check_finite(bias, "bias")
    instance = check_int(instance, "instance")
    if seed is not None:
        check_int(seed, "seed", minimum=0)
    transformed = shift or rotate or bias != 0.0
    if family == "paper":
        if instance != 1:
            raise ValueError(f"instance must be 1 for paper function {key!r}; use shift/rotate/seed to get variants")
        fn: BenchmarkFunction = PAPER_FUNCTIONS[key](dim)
        return TransformedFunction(fn, shift=shift, rotate=rotate, bias=bias, seed=seed) if transformed else fn
    if family == "tuning":  # benchmarks_fn.tuning's architecture objectives
        if transformed or instance != 1:
            raise ValueError(f"shift/rotate/bias and instance do not apply to {key!r} (a grid of architectures)")
        if dim != MAX_LAYERS:
            raise ValueError(f"dim must be {MAX_LAYERS} for {key!r} (indices of {MAX_LAYERS} hidden layers), got {dim}")
        return TUNING_FUNCTIONS[key]()
    if transformed:
        raise ValueError(f"shift/rotate/bias apply to paper functions only; {key!r} is transformed by its suite "
                         "(choose a variant with instance=)")
    if family == "nn":
        return network_objective(key)
    suite, fid = key.split(":f")
    exact = suite == "bbob-exact"
    return IOHFunction("bbob" if exact else suite, int(fid), dim, instance, exact=exact)
