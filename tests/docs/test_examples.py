"""The worked examples in docs/examples run as a user runs them: `python docs/examples/X.py` from
another directory, and each asserts its own outcome (the lying side loses; on chain, the same moves
as in memory)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"


def _run(name: str, cwd: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, str(EXAMPLES / name)], cwd=cwd, env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_example_ownModelInMemory_customStrategyLosesOnEitherSide(tmp_path):
    out = _run("own_model_in_memory.py", tmp_path)
    assert "defender plays shift-logit: challenger wins" in out and "challenger plays shift-logit: defender wins" in out


@pytest.mark.anvil
@pytest.mark.slow
def test_example_ownModelOnAnvil_sameGameOnChain_withGas(tmp_path):
    out = _run("own_model_on_anvil.py", tmp_path)
    assert "challenger wins on chain" in out and " gas" in out


def test_example_customArbiterRule_refusesACheapChallenge_thenTheLiarLoses(tmp_path):
    out = _run("custom_arbiter_rule.py", tmp_path)
    assert "refused: opening a game on a 3-step claim needs a bond of 30" in out and "challenger wins" in out
