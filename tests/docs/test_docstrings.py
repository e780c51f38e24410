"""Every public name of the library's API has a docstring: the modules of `bisection`, `runtime.model`,
and `verifiers`' public API (the `Tribunal` interface, modes, verdicts, errors, the agents' entry points).
Public: defined in the module, no leading underscore; for classes, their public methods and properties
too (an override may take its base method's docstring, as `inspect.getdoc` and pdoc do)."""
from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import bisection

BISECTION = ["bisection"] + [f"bisection.{m.name}" for m in pkgutil.iter_modules(bisection.__path__)]
VERIFIERS = ["verifiers", "verifiers.api", "verifiers.verdict", "verifiers.errors", "verifiers.modes",
             "verifiers.modes.base", "verifiers.modes.brain", "verifiers.modes.opml", "verifiers.modes.hybrid",
             "verifiers.modes.single_phase", "verifiers.modes.auto", "verifiers.agents", "verifiers.agents.base",
             "verifiers.agents.member", "verifiers.agents.submitter", "verifiers.agents.watcher"]
MODULES = BISECTION + ["runtime.model"] + VERIFIERS


def _doc(obj) -> str:
    return (inspect.getdoc(obj) or "").strip()


def undocumented(module_name: str) -> list[str]:
    """The public names of a module that have no docstring of their own (a dataclass's generated
    signature does not count)."""
    mod = importlib.import_module(module_name)
    missing = [] if _doc(mod) else [module_name]
    for name, obj in vars(mod).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != module_name:
            continue
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        doc = obj.__doc__ or ""
        if not doc.strip() or (inspect.isclass(obj) and doc.startswith(name + "(")):
            missing.append(f"{module_name}.{name}")
        if not inspect.isclass(obj):
            continue
        for attr, value in vars(obj).items():
            if attr.startswith("_"):
                continue
            if isinstance(value, property):
                ok = bool((value.fget.__doc__ or "").strip()) if value.fget else True
            elif isinstance(value, (classmethod, staticmethod)) or inspect.isfunction(value):
                ok = bool(_doc(getattr(obj, attr)))
            else:
                continue
            if not ok:
                missing.append(f"{module_name}.{name}.{attr}")
    return missing


@pytest.mark.parametrize("module", MODULES)
def test_everyPublicName_hasADocstring(module):
    assert undocumented(module) == []
