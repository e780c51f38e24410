"""benchmarks.accuracy: exact-vs-fast figures and the per-op error budget of any model."""
from __future__ import annotations

import json

import pytest

from benchmarks import accuracy


def test_accuracy_budget_namesEveryOpTypeOfTheProgram(capsys):
    accuracy.main(["digits-mlp", "--budget", "--json"])
    r = json.loads(capsys.readouterr().out)["digits-mlp"]
    assert r["cosine_min"] > 0.999 and r["top1"] > 0.99
    assert set(r["budget"]["ops"]) == {"Gemm", "Relu"}
    assert all(0 <= rel < 0.05 for _, rel, _ in r["budget"]["ops"].values())


def test_accuracy_unknownModel_isOneLine_exit2(capsys):
    with pytest.raises(SystemExit) as e:
        accuracy.main(["no-such-model"])
    assert e.value.code == 2 and capsys.readouterr().err.count("\n") == 1
