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
