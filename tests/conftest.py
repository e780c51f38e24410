"""Shared test setup.

Figures: a test that measures something calls `figure(name, value)` (the fixture below); the values
travel with the test reports (so they survive pytest-xdist) and are printed in a "Tribunal figures"
section at the end of the run. Tests never assert on timings: those belong in benchmarks/.
"""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("tribunal", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("tribunal")
os.environ.setdefault("PYTHONWARNINGS", "ignore")


def pytest_collection_modifyitems(config, items):
    # Real-size checks take minutes and gigabytes: the default run (CI, 2 cores) leaves them out.
    if os.environ.get("TRIBUNAL_REALSIZE") == "1":
        return
    skip = pytest.mark.skip(reason="real-size check: set TRIBUNAL_REALSIZE=1 to run it")
    for item in items:
        if "realsize" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def figure(record_property):
    def record(name: str, value) -> None:
        record_property(f"figure:{name}", value)
    return record


def pytest_terminal_summary(terminalreporter):
    rows = []
    for rep in terminalreporter.stats.get("passed", []):
        for key, value in getattr(rep, "user_properties", []):
            if isinstance(key, str) and key.startswith("figure:"):
                rows.append((key[len("figure:"):], value))
    if rows:
        terminalreporter.section("Tribunal figures")
        for name, value in sorted(rows):
            terminalreporter.write_line(f"{name}: {value:.6g}" if isinstance(value, float) else f"{name}: {value}")
