"""Helpers shared by the test modules (pytest puts this folder on ``sys.path``: ``from conftest import ...``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def load_script(name: str) -> ModuleType:
    """The repository's command-line script ``<name>.py`` (``train_agent``, ``evaluate``) as a fresh module, so that a
    test calls its ``main(argv)`` and ``build_parser()`` in-process."""
    spec = importlib.util.spec_from_file_location(f"{name}_script", ROOT / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pytest_collection_modifyitems(items: list) -> None:
    """Run the long tests (marked ``slow``, and the documentation's examples) first. pytest-xdist hands tests out in
    this order, one at a time (``--maxschedchunk 1`` in pyproject.toml), so each worker takes the next long test
    when it is free and the two finish together, instead of one of them ending the suite alone on a long test."""
    items.sort(key=lambda item: not (item.get_closest_marker("slow") or item.path.name == "test_docs.py"))
