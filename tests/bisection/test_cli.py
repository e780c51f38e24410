"""`tribunal trace` and `tribunal dispute` through the CLI core, JSON output."""
from __future__ import annotations

import json

import pytest

from verifiers.cli import main


def _json(capsys, *argv) -> dict:
    assert main(list(argv) + ["--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_trace_json_hasStepsRootsSecondsBytes(capsys):
    r = _json(capsys, "trace", "digits-mlp", "--sample", "2")
    assert r["steps"] == 5 and len(r["states"]) == 6 and r["trace_root"] == r["states"][-1]["root"]
    assert r["output_root"].startswith("0x") and r["bytes_hashed"] > 0 and r["seconds"] > 0


@pytest.mark.parametrize("cheat,winner", [("wrong-output", "challenger"), ("challenger:flip-lsb", "defender")])
def test_dispute_json_namesWinnerCheaterMovesStepTranscript(capsys, cheat, winner):
    r = _json(capsys, "dispute", "digits-cnn", "--cheat", cheat, "--at-step", "4", "--chain", "none")
    assert r["winner"] == winner and r["cheater"] == ("challenger" if ":" in cheat else "defender")
    assert r["moves"] == len(r["transcript"]) <= r["max_moves"] and 1 <= r["disputed_step"] <= 10


def test_dispute_honest_saysNothingToDispute(capsys):
    r = _json(capsys, "dispute", "toy", "--cheat", "honest")
    assert r["disputed"] is False and "nothing to dispute" in r["reason"]


@pytest.mark.parametrize("argv,needle", [
    (["--cheat", "nope"], "unknown strategy"), (["--cheat", "judge:timeout"], "defender or challenger"),
    (["--cheat", "timeout", "--chain", "mainnet"], "use none"), (["--cheat", "timeout", "--at-step", "99"], "outside 1..12"),
])
def test_dispute_badArguments_oneLineError(capsys, argv, needle):
    assert main(["dispute", "toy"] + argv) == 2
    assert needle in capsys.readouterr().err
