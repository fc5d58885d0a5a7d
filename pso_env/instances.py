"""The set of functions an environment draws its episodes from."""

from __future__ import annotations

from typing import Any

import numpy as np

from benchmarks_fn import SUITES, canonical_name, get_function, get_suite
from benchmarks_fn._validate import check_function_object, function_name


class InstanceSet:
    """Functions to run episodes on, given by name, suite, entry or object.

    ``spec`` is a name (built at ``dim``), a suite name (its entries, :func:`benchmarks_fn.get_suite`,
    carry their own dimensions), a function object, a ``(name, dim, options)`` entry, or a list of them.
    With ``shift`` or ``rotate``, paper functions named here get a fresh CEC-style transformation per
    episode, seeded from the environment. ``order`` (``"random"`` or ``"round_robin"``) is how
    :meth:`pick` chooses. ``dim`` and ``order`` are checked by :class:`pso_env.EnvConfig`.

    Raises
    ------
    ValueError
        ``function`` when the spec is empty or holds something that is not a function, and the
        message of :func:`benchmarks_fn.get_function` (prefixed with ``function:``) for a bad name/dim.
    """

    def __init__(self, spec: Any, dim: int, *, shift: bool = False, rotate: bool = False,
                 order: str = "random") -> None:
        self.dim, self.shift, self.rotate, self.order = int(dim), bool(shift), bool(rotate), order
        items = spec if isinstance(spec, (list, tuple)) and not _is_entry(spec) else [spec]
        self.entries: list[Any] = []
        for item in items:
            self.entries.extend(self._expand(item))
        if not self.entries:
            raise ValueError("function must name at least one function, got an empty list")
        # Build every named entry once: validates names and dims now, and caches the plain forms.
        self._built = [self._build(e, seed=0) if isinstance(e, tuple) else e for e in self.entries]
        self.names = [function_name(fn) for fn in self._built]
        #: each entry's name before any shift or rotation, and its dimension, in the order of ``names``
        self.base_names = [str(getattr(fn, "base_name", None) or name) for fn, name in zip(self._built, self.names)]
        self.dims = [int(fn.dim) for fn in self._built]
        self._next = 0

    def _expand(self, item: Any) -> list[Any]:
        if isinstance(item, str):
            if "," in item:  # "sphere,ackley", as a command line gives it
                return [e for part in item.split(",") if part.strip() for e in self._expand(part.strip())]
            key = item.strip().lower()
            if key in SUITES:
                return list(get_suite(key, dim=self.dim))
            return [(item, self.dim, {})]
        if _is_entry(item):
            return [(item[0], item[1], dict(item[2]) if len(item) > 2 else {})]
        return [check_function_object(item, "function", "a name, a suite name, a (name, dim, options) entry, a list "
                                      "of these or ")]

    def _transforms(self, entry: tuple) -> bool:
        return (self.shift or self.rotate) and canonical_name(entry[0])[1] == "paper" and "seed" not in entry[2]

    def _build(self, entry: tuple, seed: int) -> Any:
        name, dim, options = entry
        try:
            if self._transforms(entry):
                return get_function(name, dim, shift=self.shift, rotate=self.rotate, seed=seed, **options)
            return get_function(name, dim, **options)
        except ValueError as err:
            raise ValueError(f"function: {str(err).removeprefix('name: ')}") from None

    def __len__(self) -> int:
        return len(self.entries)

    def restart(self) -> None:
        """Start the round-robin order again from the first function."""
        self._next = 0

    def pick(self, rng: np.random.Generator, transform_seed: int, choice: Any = None) -> Any:
        """The function of the next episode: drawn with ``rng`` (random order), the next (round robin), or
        the explicit ``choice`` of ``reset(options={"function": ...})``: an index into the set, a name (the
        set's, or any other built at its ``dim``) or a function object. ``transform_seed`` seeds a fresh
        CEC-style transformation."""
        if choice is not None:
            if isinstance(choice, (int, np.integer)) and not isinstance(choice, bool):
                if not 0 <= choice < len(self.entries):
                    raise ValueError(f"options['function'] index must be in 0..{len(self.entries) - 1}, got {choice}")
                index = int(choice)
            elif isinstance(choice, str):
                index = next((i for i, fn in enumerate(self._built)
                              if choice in (function_name(fn), getattr(fn, "base_name", None))), None)
                if index is None:
                    if choice.strip().lower() in SUITES:
                        raise ValueError(f"options['function'] must name one function, got the suite {choice!r}")
                    return self._build(self._expand(choice)[0], transform_seed)
            else:
                return check_function_object(choice, "options['function']", "an index, a name or ")
        elif len(self.entries) == 1:
            index = 0
        elif self.order == "random":
            index = int(rng.integers(len(self.entries)))
        else:
            index = self._next % len(self.entries)
            self._next += 1
        entry = self.entries[index]
        if isinstance(entry, tuple) and self._transforms(entry):
            return self._build(entry, transform_seed)
        return self._built[index]


def _is_entry(item: Any) -> bool:
    return (isinstance(item, tuple) and 2 <= len(item) <= 3 and isinstance(item[0], str)
            and isinstance(item[1], (int, np.integer)) and (len(item) == 2 or isinstance(item[2], dict)))
