"""mypy accepts the typed public API (`[tool.mypy]` in pyproject.toml: bisection's modules, runtime.model,
and `typed_usage.py`, a user's script typed against them), and rejects a script that misuses it."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _mypy(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "mypy", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)


def test_mypy_acceptsThePublicApi():
    r = _mypy()
    assert r.returncode == 0 and "Success" in r.stdout, r.stdout + r.stderr


def test_mypy_rejectsAMisuse(tmp_path):
    bad = tmp_path / "misuse.py"
    bad.write_text("from bisection import dispute\nr = dispute.run(None, None)\nwinner: str = r.winner\n")
    r = _mypy("--follow-imports=silent", "--ignore-missing-imports", "--cache-dir", str(tmp_path / "cache"), str(bad))
    assert r.returncode == 1 and 'expected "ndarray' in r.stdout and '"Side | None"' in r.stdout, r.stdout
