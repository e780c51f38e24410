"""Build the API reference (HTML, with pdoc) of Tribunal's library: `bisection` and every module in it,
`runtime.model`, and `verifiers`' public API (the `Tribunal` interface, modes, verdicts, errors, agents).

    .venv/bin/python docs/build_api.py [OUT]        # default OUT: docs/api (not committed)

`tests/docs/test_api_reference.py` builds it on every test run, so CI does too.
"""
from __future__ import annotations

import pkgutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def modules() -> list[str]:
    """The modules the reference documents, packages first."""
    sys.path.insert(0, str(ROOT))
    import bisection
    import verifiers.agents
    import verifiers.modes

    names = ["bisection"] + [f"bisection.{m.name}" for m in pkgutil.iter_modules(bisection.__path__)]
    names += ["runtime.model", "verifiers", "verifiers.api", "verifiers.verdict", "verifiers.errors", "verifiers.modes"]
    names += [f"verifiers.modes.{m.name}" for m in pkgutil.iter_modules(verifiers.modes.__path__)]
    names += ["verifiers.agents"] + [f"verifiers.agents.{m.name}" for m in pkgutil.iter_modules(verifiers.agents.__path__)]
    return [n for n in names if n.rpartition(".")[0] not in names or not _added_by_parent(n)]


def _added_by_parent(name: str) -> bool:
    """pdoc documents a package's submodules itself: all of them without `__all__`, else those it lists."""
    import importlib

    parent, _, child = name.rpartition(".")
    if not parent:
        return False
    pkg = importlib.import_module(parent)
    listed = getattr(pkg, "__all__", None)
    return listed is None or child in listed


def build(out: Path) -> Path:
    """Write the reference under `out`; returns its index.html."""
    import pdoc
    import pdoc.render

    names = modules()
    import verifiers
    import verifiers.api
    import verifiers.verdict

    for name in verifiers.__all__:  # resolved lazily on first use (`verifiers.__getattr__`); pdoc wants them bound
        setattr(verifiers, name, getattr(verifiers, name))
    pdoc.render.configure(docformat="markdown", footer_text="Tribunal", search=True)
    pdoc.pdoc(*names, output_directory=out)
    return out / "index.html"


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "api"
    print(build(out))
