"""The dispute game on the exact profile's real networks: gpt2-tiny (token ids, attention, LayerNorm,
Gelu, masked Softmax) and digits-resnet (residual blocks, BatchNorm folded at load).

Every strategy against an honest opponent, both sides: at every step of the ResNet, and at a spread
of steps of gpt2-tiny (the first, every ninth, the last: each op kind appears among them), in memory.
The chain versions are in tests/contracts/test_opml_real.py.
"""
from __future__ import annotations

import pytest

from bisection import STRATEGIES, Side, dispute

from .bisection_cases import case

CHEATS = [s for s in STRATEGIES if s != "honest"]
SIDES = ("defender", "challenger")


def steps(name: str, program) -> list[int]:
    if name == "digits-resnet":
        return list(range(1, program.steps + 1))
    return sorted(set(range(1, program.steps + 1, 9)) | {program.steps})


@pytest.mark.parametrize("name", ["digits-resnet", "gpt2-tiny"])
@pytest.mark.parametrize("side", SIDES)
def test_realModel_everyStrategy_honestSideWins(name, side):
    program, x_q = case(name)
    honest = "challenger" if side == "defender" else "defender"
    for cheat in CHEATS:
        for k in steps(name, program):
            r = dispute.run(program, x_q, cheat, k, side, seed=k)
            assert r.winner == honest, (name, cheat, k, side, r.reason, r.rejected)
            assert r.moves <= r.max_moves
            assert r.claim_status == ("rejected" if side == "defender" else "pending")


def test_gpt2Tiny_batchOfSequences_wrongOutputLosesAtEveryLayerNorm():
    """A batch of 2 sequences (multi-chunk tensors): a lie at each LayerNormalization step is found
    at exactly that step."""
    program, x_q = case("gpt2-tiny", 2)
    ln = [i + 1 for i, n in enumerate(program.nodes) if n.op == "LayerNormalization"]
    assert ln
    for k in ln:
        r = dispute.run(program, x_q, "wrong-output", k, "defender")
        assert r.winner is Side.CHALLENGER and r.disputed_step == k, (k, r.reason)
