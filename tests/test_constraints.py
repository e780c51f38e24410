"""Reproducible installs: constraints.txt pins what `./dev setup` installs (`pip install -c constraints.txt
-e '.[models,dev]'`; `./dev lock` rewrites it from the .venv).

- Every distribution this project needs (the requirements of tribunal-ml[models,dev], transitively) is
  pinned, and the environment running the tests has exactly the pinned version: so the suite ran the
  locked versions.
- With TRIBUNAL_FRESH_INSTALL=1 (minutes and a few GB: torch), a fresh venv set up the way `./dev` does it
  installs exactly the locked versions, nothing unpinned.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked() -> dict[str, str]:
    """constraints.txt as {normalized name: version}."""
    out = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: '{line}' is not an exact pin"
            out[_norm(name)] = version
    return out


def needed(extras: tuple[str, ...] = ("models", "dev")) -> set[str]:
    """The distributions this project[extras] requires (pyproject.toml), transitively through the installed
    distributions' metadata (markers applied)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    top = list(project["dependencies"]) + [r for e in extras for r in project["optional-dependencies"][e]]
    seen: set[str] = set()
    todo: list[tuple[str | None, tuple[str, ...]]] = [(None, ())]
    while todo:
        name, ex = todo.pop()
        for spec in (top if name is None else metadata.requires(name) or []):
            req = Requirement(spec)
            if req.marker and not any(req.marker.evaluate({"extra": e}) for e in (*ex, "")):
                continue
            key = _norm(req.name)
            if key not in seen:
                seen.add(key)
                todo.append((req.name, tuple(req.extras)))
    return seen


def test_constraints_pinEveryNeededDistribution_atTheVersionThisSuiteRuns():
    pins = locked()
    assert "tribunal-ml" not in pins
    need = needed()
    assert {"numpy", "onnx", "torch", "transformers", "web3", "pytest", "pdoc", "mypy"} <= need
    unpinned = sorted(need - set(pins))
    assert not unpinned, f"needed but not in constraints.txt (run ./dev lock): {unpinned}"
    drift = {n: (metadata.version(n), pins[n]) for n in need if metadata.version(n) != pins[n]}
    assert not drift, f"installed != locked (installed, locked): {drift}"
    assert pins["torch"].startswith("2.13.0")


@pytest.mark.skipif(os.environ.get("TRIBUNAL_FRESH_INSTALL") != "1", reason="set TRIBUNAL_FRESH_INSTALL=1 (minutes, GBs)")
def test_freshVenv_installsExactlyTheLockedVersions(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = str(venv / "bin" / "python")
    subprocess.run([py, "-m", "pip", "install", "-q", "--no-compile", "-c", str(ROOT / "constraints.txt"),
                    f"{ROOT}[models,dev]"], check=True, cwd=tmp_path)
    frozen = subprocess.run([py, "-m", "pip", "freeze", "--exclude-editable"], check=True, capture_output=True,
                            text=True).stdout
    got = {_norm(n): v for n, _, v in (line.partition("==") for line in frozen.splitlines() if "==" in line)}
    got.pop("tribunal-ml", None)
    pins = locked()
    assert {n: (v, pins.get(n)) for n, v in got.items() if pins.get(n) != v} == {}
