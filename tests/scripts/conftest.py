"""`scripts/devstack.py` is a script, not a package: load it as a module for its tests."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest

from tests.processes import PROJECT_ROOT


@pytest.fixture(scope="session")
def devstack() -> ModuleType:
    spec = importlib.util.spec_from_file_location("devstack", PROJECT_ROOT / "scripts/devstack.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["devstack"] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module
