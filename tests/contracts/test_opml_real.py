"""The opML game on chain on the exact profile's real networks, gpt2-tiny and digits-resnet.

Embedded chain: a representative subset (a game costs ~9 s of py-evm here, so two per model: four
different strategies, both sides, steps spread over the program), each played on the chain and in
memory with the same outcome; every strategy on both models is covered in memory
(tests/bisection/test_real_models.py). Anvil (slow): the CLI's
`tribunal dispute gpt2-tiny --cheat wrong-output --chain anvil` ends with the honest side winning.
"""
from __future__ import annotations

import json

import pytest

from contracts.chain.anvil import anvil_binary
from verifiers.cli import main

from .test_opml import case, check_same, embedded, play_both  # noqa: F401 - the module-scoped chain fixture

@pytest.mark.parametrize("name,cheat,side,at", [
    ("gpt2-tiny", "wrong-output", "defender", 0.5), ("gpt2-tiny", "flip-lsb", "challenger", 0.9),
    ("digits-resnet", "extra-slot", "defender", 0.3), ("digits-resnet", "bad-bisection", "challenger", 0.7)])
def test_realModel_strategy_chainAgreesWithMemory_honestWins(embedded, name, cheat, side, at):  # noqa: F811
    program, _ = case(name)
    k = max(1, int(at * program.steps))
    check_same(*play_both(embedded, name, cheat, k, side, seed=k), side)


@pytest.mark.anvil
@pytest.mark.slow
@pytest.mark.skipif(not anvil_binary().exists(), reason="run `npm ci` for anvil")
def test_cli_gpt2Tiny_wrongOutput_onAnvil_challengerWins(capsys):
    assert main(["dispute", "gpt2-tiny", "--cheat", "wrong-output", "--chain", "anvil", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["winner"] == "challenger" and r["cheater"] == "defender", r["reason"]
    assert r["moves"] == len(r["transcript"]) <= r["max_moves"]
