"""The scenarios of `tribunal bench`, one module each. A module exposes NAME, TITLE and
run(ctx: harness.Context) -> harness.Section. Order matters: `scale` reads what the scenarios
before it measured (gas per transaction, inference times) when they ran in the same invocation."""
from __future__ import annotations

import importlib

# name -> module; the default run goes through them in this order.
SCENARIOS = {
    "security": "benchmarks.scenarios.security",
    "dispute": "benchmarks.scenarios.dispute",
    "two-phase": "benchmarks.scenarios.two_phase",
    "modes": "benchmarks.scenarios.modes",
    "scale": "benchmarks.scenarios.scale",
    "peers": "benchmarks.scenarios.peers",  # needs the optional group .[peers] (ezkl)
}


MISSING: dict[str, str] = {}  # scenario -> the module it (or what it drives) still lacks


def available() -> dict[str, str]:
    """The scenarios that can run here: their module exists and imports, and so does what it drives
    (`modes` needs the Verifier interface, `verifiers.api`)."""
    out = {}
    for name, path in SCENARIOS.items():
        try:
            importlib.import_module(path)
        except ModuleNotFoundError as e:
            MISSING[name] = e.name or path
            continue
        out[name] = path
    return out


def load(name: str):
    return importlib.import_module(SCENARIOS[name])
