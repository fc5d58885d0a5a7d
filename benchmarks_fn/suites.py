"""Named suites of (name, dim, options) entries, train/validation/test splits, and ``--functions`` parsing."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from ._validate import check_finite, check_int, unknown_name_error
from .base import BenchmarkFunction
from .ioh_wrap import BBOB_MIN_DIM
from .network import network_dim
from .registry import canonical_name, get_function, list_functions
from .tuning import MAX_LAYERS

SUITES = ("paper", "bbob", "cec2022")
#: Dimension used when ``dim`` is None.
DEFAULT_DIMS = {"paper": 30, "bbob": 10, "cec2022": 10}
DEFAULT_DIMS["tuning"] = MAX_LAYERS  # the tuning objectives' one dimension (a family, not a suite)
DEFAULT_DIMS["bbob-exact"] = DEFAULT_DIMS["bbob"]  # BBOB f1 and f2 without f* (a family, not a suite)
#: The suite uses the two dimensions where all 12 CEC 2022 functions are defined.
CEC2022_SUITE_DIMS = (10, 20)

#: MetaBox's BBOB training functions in its "difficult" mode (Ma et al., NeurIPS 2023; ``metaevobox`` 2.0.2,
#: ``BBOB_Dataset.get_datasets(..., difficulty="difficult")``): the 8 of its "small set"; the other 16 are its test set.
METABOX_BBOB_TRAIN = (1, 2, 3, 5, 15, 16, 17, 21)
#: The validation functions taken from MetaBox's training side **(our choice)**: one unimodal (f2, the separable
#: ill-conditioned ellipsoid) and one multimodal (f16, Weierstrass), so that selection scores both regimes while
#: training keeps a function of each kind (f1, f5 unimodal; f3, f15, f17, f21 multimodal).
METABOX_BBOB_VALIDATION = (2, 16)
#: MetaBox's BBOB test functions in its "difficult" mode: everything it does not train on.
METABOX_BBOB_TEST = tuple(i for i in range(1, 25) if i not in METABOX_BBOB_TRAIN)
#: Named splits that ``--functions`` accepts (:func:`resolve_entries`), each side as BBOB function numbers.
SPLITS = {"metabox-train": tuple(i for i in METABOX_BBOB_TRAIN if i not in METABOX_BBOB_VALIDATION),
          "metabox-validation": METABOX_BBOB_VALIDATION, "metabox-test": METABOX_BBOB_TEST}


class Split(NamedTuple):
    """Disjoint train, validation and test entries (:func:`metabox_split`)."""

    train: list[SuiteEntry]
    validation: list[SuiteEntry]
    test: list[SuiteEntry]


class SuiteEntry(NamedTuple):
    """One function of a suite: ``get_function(name, dim, **options)`` builds it."""

    name: str
    dim: int
    options: dict[str, Any]


def _dims(dim: int | Sequence[int] | None, suite: str) -> list[int]:
    if dim is None:
        return [DEFAULT_DIMS[suite]]
    if isinstance(dim, Sequence) and not isinstance(dim, str):
        if len(dim) == 0:
            raise ValueError("dim must be an integer or a non-empty sequence of integers")
        return [check_int(d, "dim") for d in dim]
    return [check_int(dim, "dim")]


def _transform_options(shift: bool, rotate: bool, bias: float, seed: int | None) -> dict[str, Any]:
    bias = check_finite(bias, "bias")
    if seed is not None:
        seed = check_int(seed, "seed", minimum=0)
    opts = {key: value for key, value, on in (("shift", True, shift), ("rotate", True, rotate),
                                              ("bias", bias, bias != 0.0)) if on}
    if opts and seed is not None:
        opts["seed"] = seed
    return opts


def _entry(name: str, family: str, dim: int, opts: dict[str, Any], instance: int) -> SuiteEntry:
    """The entry of a canonical name (Drop-wave is 2-D only: always built at dim 2; the tuning objectives at 3)."""
    if family == "tuning":
        return SuiteEntry(name, MAX_LAYERS, {})
    if family == "paper":
        return SuiteEntry(name, 2 if name == "dropwave" else dim, dict(opts))
    if family == "nn":  # the network fixes the dimension
        return SuiteEntry(name, network_dim(name), {})
    return SuiteEntry(name, dim, {"instance": instance} if family in ("bbob", "bbob-exact") else {})


def get_suite(suite: str, dim: int | Sequence[int] | None = None, *, instance: int = 1, shift: bool = False,
              rotate: bool = False, bias: float = 0.0, seed: int | None = None) -> list[SuiteEntry]:
    """The entries of a named suite.

    ``"paper"``: the ten functions of SPEC section 6 (Drop-wave always at dim 2); ``"bbob"``: the 24 BBOB
    functions (dim >= 2); ``"cec2022"``: the 12 CEC 2022 functions (dim 10 and/or 20). One entry per
    function and dimension of ``dim`` (int, sequence, or None: :data:`DEFAULT_DIMS`). ``instance`` (BBOB
    only, else 1) and, for the paper suite only, ``shift``, ``rotate``, ``bias`` and ``seed``
    (:func:`get_function`) are stored in the options. Build the entries with :func:`make_functions`.
    """
    if suite not in SUITES:
        raise unknown_name_error("suite", str(suite), SUITES)
    dims = _dims(dim, suite)
    instance = check_int(instance, "instance")
    opts = _transform_options(shift, rotate, bias, seed)
    if suite != "paper" and opts:
        raise ValueError(f"shift/rotate/bias apply to the paper suite only, not to {suite!r}")
    if suite != "bbob" and instance != 1:
        raise ValueError(f"instance must be 1 for suite {suite!r}; only BBOB has instances")

    names = [name for name, _ in list_functions(suite)]
    for d in dims:
        if suite == "bbob" and d < BBOB_MIN_DIM:
            raise ValueError(f"dim must be >= {BBOB_MIN_DIM} for suite 'bbob', got {d}")
        if suite == "cec2022" and d not in CEC2022_SUITE_DIMS:
            raise ValueError(f"dim must be one of {CEC2022_SUITE_DIMS} for suite 'cec2022', got {d}")
    return _dedupe([_entry(name, suite, d, opts, instance) for d in dims for name in names])


def _dedupe(entries: list[SuiteEntry]) -> list[SuiteEntry]:
    unique: dict[tuple, SuiteEntry] = {}
    for e in entries:
        unique.setdefault((e.name, e.dim, tuple(sorted(e.options.items()))), e)
    return list(unique.values())


def split_suite(suite: Sequence[SuiteEntry], test_fraction: float | None = None, *,
                test_names: Sequence[str] | None = None, seed: int = 0) -> tuple[list[SuiteEntry], list[SuiteEntry]]:
    """Split suite entries into disjoint train and test lists.

    The split is by function name, so a function present at several dimensions lands entirely on
    one side. Both lists keep the suite's order.

    ``test_names`` (names, or a comma-separated string) form the test side exactly; otherwise a fraction
    ``test_fraction`` (in (0, 1), default 0.25) of the distinct names is held out, rounded with at least
    one name on each side, chosen by ``numpy.random.default_rng(seed)``. Returns ``(train, test)``.
    """
    entries = [SuiteEntry(*e) for e in suite]
    names = list(dict.fromkeys(e.name for e in entries))
    if test_fraction is not None and test_names is not None:
        raise ValueError("test_fraction and test_names: give one of them, not both")
    if test_names is not None:
        if isinstance(test_names, str):
            test_names = [n for n in test_names.split(",") if n.strip()]
        test = set()
        for n in test_names:
            try:
                key = canonical_name(n)[0]
            except ValueError:
                key = str(n).strip()
            if key not in names:
                raise unknown_name_error("test_names", n, names, hint="not in this suite")
            test.add(key)
    else:
        frac = 0.25 if test_fraction is None else check_finite(test_fraction, "test_fraction")
        if not 0.0 < frac < 1.0:
            raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
        if len(names) < 2:
            raise ValueError("suite must hold at least two distinct functions to be split")
        seed = check_int(seed, "seed", minimum=0)
        k = min(max(round(frac * len(names)), 1), len(names) - 1)
        picked = np.random.default_rng(seed).permutation(len(names))[:k]
        test = {names[i] for i in picked}
    return [e for e in entries if e.name not in test], [e for e in entries if e.name in test]


def metabox_split(dim: int = 10, *, instance: int = 1) -> Split:
    """MetaBox's BBOB "difficult" split on ``ioh``'s instance ``instance``, with our validation split.

    ``train``: f1, f3, f5, f15, f17, f21; ``validation``: f2, f16 (:data:`METABOX_BBOB_VALIDATION`, taken from
    MetaBox's training side, so that selecting a model never looks at a test function); ``test``: the 16 functions
    MetaBox holds out (f4, f6-f14, f18-f20, f22-f24). ``train + validation`` is MetaBox's training set.

    These are ioh's BBOB instances (COCO's transformations of instance ``instance``), not MetaBox's own: MetaBox
    draws its shifts, rotations and biases from ``numpy.random.seed(3849)`` in box [-5, 5] (``peers/metabox/``
    builds those through ``metaevobox``). Same names and functions, other optima and rotations.

    Raises
    ------
    ValueError
        ``dim`` below 2 or ``instance`` below 1.
    """
    dim = check_int(dim, "dim")
    if dim < BBOB_MIN_DIM:
        raise ValueError(f"dim must be >= {BBOB_MIN_DIM} for BBOB functions, got {dim}")
    instance = check_int(instance, "instance")
    sides = [SPLITS[f"metabox-{side}"] for side in ("train", "validation", "test")]
    return Split(*([SuiteEntry(f"bbob:f{i}", dim, {"instance": instance}) for i in fids] for fids in sides))


def make_functions(entries: Sequence[SuiteEntry | tuple[str, int, dict[str, Any]]]) -> list[BenchmarkFunction]:
    """``get_function(name, dim, **options)`` for each entry (a :class:`SuiteEntry` or plain tuple)."""
    return [get_function(name, dim, **options) for name, dim, options in entries]


def resolve_entries(functions: str | Sequence[str], dim: int | None = None, *, shift: bool = False,
                    rotate: bool = False, bias: float = 0.0, seed: int | None = None,
                    instance: int = 1) -> list[SuiteEntry]:
    """Parse a ``--functions`` value into suite entries.

    ``functions`` are comma-separated names, suite names and/or split names (``"sphere,rastrigin"``,
    ``"paper"``, ``"bbob:f1,bbob:f15"``, ``"metabox-train"``: :data:`SPLITS`, see :func:`metabox_split`) or a
    list of them; duplicates are dropped. ``dim`` applies to every function
    (Drop-wave is always 2; None: :data:`DEFAULT_DIMS`) but those with a suffix ``@D``, which are built at D
    (``"metabox-train,metabox-train@30"``: the split at ``dim`` and at 30); ``shift``, ``rotate``, ``bias`` and
    ``seed`` transform paper functions (:func:`get_function`), ``instance`` is the BBOB instance (of ``bbob:fN``,
    ``bbob-exact:fN``, the ``bbob`` suite and the splits; CEC 2022 has one). ValueError for an empty list, an
    unknown name, a bad ``@D``, or a setting the functions do not accept (an ``instance`` other than 1 without a BBOB function).
    """
    tokens = [t.strip() for item in ([functions] if isinstance(functions, str) else functions)
              for t in str(item).split(",") if t.strip()]
    if not tokens:
        raise ValueError("functions must name at least one function or suite")
    if dim is not None:
        dim = check_int(dim, "dim")
    opts = _transform_options(shift, rotate, bias, seed)
    instance = check_int(instance, "instance")

    entries: list[SuiteEntry] = []
    for token in tokens:
        tok, at = _split_dim(token, dim)
        try:
            entries += _token_entries(tok, at, opts, instance)
        except ValueError as err:
            if tok == token:
                raise
            raise ValueError(f"{err} (in {token!r})") from None
    if instance != 1 and not any("instance" in e.options for e in entries):
        raise InstanceError(instance, tokens)
    return _dedupe(entries)


class InstanceError(ValueError):
    """A BBOB ``instance`` other than 1 given with ``functions`` (names) none of which is BBOB; its own type, so that a
    caller names the option that set the instance (``--instance``, ``--held-out-instance``), not the functions."""

    def __init__(self, instance: int, functions: Sequence[str]) -> None:
        super().__init__(f"instance applies to BBOB functions (bbob:fN, bbob-exact:fN, bbob, {', '.join(SPLITS)}), "
                         f"got instance {instance} and none of them in {', '.join(functions)}")


def _token_entries(tok: str, dim: int | None, opts: dict[str, Any], instance: int) -> list[SuiteEntry]:
    """The entries of one ``--functions`` token (a suite, split or function name) at ``dim``."""
    if tok.lower() in SUITES:
        suite = tok.lower()
        if suite != "paper" and opts:
            raise ValueError(f"shift/rotate/bias apply to paper functions only, not to suite {suite!r}")
        return get_suite(suite, dim, instance=instance if suite == "bbob" else 1, **opts)
    if tok.lower() in SPLITS:
        if opts:
            raise ValueError(f"shift/rotate/bias apply to paper functions only, not to split {tok.lower()!r}")
        split = metabox_split(DEFAULT_DIMS["bbob"] if dim is None else dim, instance=instance)
        return getattr(split, tok.lower().removeprefix("metabox-"))
    try:
        key, family = canonical_name(tok)
    except ValueError as err:
        raise ValueError(f"functions: {str(err).removeprefix('name: ')}") from None
    if family != "paper" and opts:
        raise ValueError(f"shift/rotate/bias apply to paper functions only, not to {key!r}")
    return [_entry(key, family, DEFAULT_DIMS.get(family, 1) if dim is None else dim, opts, instance)]


def _split_dim(token: str, dim: int | None) -> tuple[str, int | None]:
    """``("name", D)`` for ``"name@D"``, else ``(token, dim)``."""
    if "@" not in token:
        return token, dim
    name, _, at = token.rpartition("@")
    if not name.strip() or not re.fullmatch(r"\s*[0-9]+\s*", at) or int(at) < 1:
        raise ValueError(f"functions: {token!r} must be a name followed by @D with D a positive integer "
                         f"(for example 'metabox-train@30')")
    return name.strip(), int(at)


def resolve_functions(functions: str | Sequence[str], dim: int | None = None, **options: Any) -> list[BenchmarkFunction]:
    """Function objects for a ``--functions`` value: ``make_functions(resolve_entries(...))``."""
    return make_functions(resolve_entries(functions, dim, **options))
