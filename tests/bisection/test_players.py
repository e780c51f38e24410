"""Whatever a dishonest side posts, the honest side wins: every strategy, every step, both sides.

Exhaustive loops over (strategy, step K, cheating side) for toy, digits-mlp and digits-cnn, with one
sample (one-chunk tensors) and with a batch (multi-chunk tensors, so level two descends), plus a
Hypothesis property test drawing the strategy, K, the input, the side, the stride and the seed.
"""
from __future__ import annotations

import pytest
from .bisection_cases import MODELS, case
from hypothesis import given, settings
from hypothesis import strategies as st

from bisection import STRATEGIES, MemoryArbiter, Side, dispute
from bisection.errors import NothingToDispute
from bisection.types import BOND_GROWTH, bond_at, ceil_log2

CHEATS = [s for s in STRATEGIES if s != "honest"]
SIDES = ("defender", "challenger")


def _check(result, side: str) -> None:
    honest = "challenger" if side == "defender" else "defender"
    assert result.winner is Side(honest), (result.strategy, side, result.reason, result.rejected)
    assert result.cheater is Side(side)
    assert result.moves <= result.max_moves, result.transcript
    assert len(result.transcript) == result.moves
    assert result.claim_status == ("rejected" if side == "defender" else "pending")
    # The winner takes every bond of the game (each move's, by depth; a timeout claim carries none),
    # and the claim bond when the lie was the claim's; the liar is paid nothing.
    pot = sum(bond_at(1, BOND_GROWTH, m.number - 1) for m in result.transcript if m.kind != "timeout")
    assert result.payouts.get(honest, 0) == pot + (1 if side == "defender" else 0)
    assert result.payouts.get(side, 0) == 0


@pytest.mark.parametrize("name,batch", [(m, 1) for m in MODELS] + [("digits-cnn", 8), ("digits-mlp", 32), ("toy", 200)])
@pytest.mark.parametrize("side", SIDES)
def test_everyStrategy_everyStep_honestSideWins(name, batch, side):
    program, x_q = case(name, batch)
    for cheat in CHEATS:
        for k in range(1, program.steps + 1):
            _check(dispute.run(program, x_q, cheat, k, side, seed=k), side)


@given(name=st.sampled_from(MODELS), cheat=st.sampled_from(CHEATS), data=st.data(), side=st.sampled_from(SIDES),
       batch=st.sampled_from([1, 2, 5, 16]), sample=st.integers(0, 60), stride=st.integers(1, 4), seed=st.integers(0, 9))
@settings(max_examples=120, deadline=None)
def test_property_honestSideWins_withinMoveBound(name, cheat, data, side, batch, sample, stride, seed):
    program, x_q = case(name, batch, sample)
    k = data.draw(st.integers(1, program.steps), label="K")
    r = dispute.run(program, x_q, cheat, k, side, seed=seed, arbiter=MemoryArbiter(stride=stride))
    _check(r, side)
    if stride >= 2 and r.chunks:
        assert r.moves <= ceil_log2(program.steps) + ceil_log2(r.chunks) + 4


def test_honestAgainstHonest_noDisputeCanStart(zoo_case):
    program, x_q = zoo_case
    with pytest.raises(NothingToDispute, match="nothing to dispute"):
        dispute.run(program, x_q, "honest")
    assert "nothing to dispute" in dispute.check_honest(program, x_q)


def test_disputedStep_isTheCorruptedStep_forWrongOutput():
    program, x_q = case("digits-cnn")
    for k in range(1, program.steps + 1):
        r = dispute.run(program, x_q, "wrong-output", k, "defender")
        assert r.disputed_step == k and "recomputed" in r.reason
