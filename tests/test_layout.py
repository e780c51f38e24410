"""The test packages never shadow the project's packages (tests/runtime is tests.runtime, not runtime)."""
from __future__ import annotations

from pathlib import Path

import bisection
import contracts
import runtime
import verifiers

ROOT = Path(__file__).resolve().parent.parent


def test_projectPackages_resolveToTheRepositoryNotTests():
    for pkg in (runtime, bisection, contracts, verifiers):
        assert Path(pkg.__file__).resolve().parent.parent == ROOT, pkg.__file__


def test_testModules_areUnderTheTestsPackage():
    assert __name__.startswith("tests.")
