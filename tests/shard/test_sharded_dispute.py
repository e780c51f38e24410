"""The sharded dispute: level zero finds the first wrong shard in at most ceil(log2 K) moves, then the
unchanged game inside that shard alone decides (the lie loses)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bisection import Side
from bisection.errors import InvalidMove
from bisection.shards import dispute, find_shard, honest_run, level_zero_moves, lying_run
from bisection.types import ceil_log2
from runtime.shards import ShardPlan, valid_cuts

from .test_shards import gpt2_tiny


def plan_of(k: int, block=None) -> ShardPlan:
    program, _ = gpt2_tiny()
    cuts = valid_cuts(program)  # [1, 2, 28, 37, 63, 72, 73, 74]: up to 9 shards
    step = len(cuts) / (k - 1) if k > 1 else 0
    return ShardPlan.make(program, cuts=tuple(cuts[int(i * step)] for i in range(k - 1)), block=block)


@settings(max_examples=12, deadline=None)
@given(k=st.integers(2, 9), data=st.data())
def test_levelZero_findsTheFirstWrongShard_inAtMostLog2KMoves(k, data):
    plan = plan_of(k)
    _, x = gpt2_tiny()
    shard = data.draw(st.integers(1, k))
    liar = lying_run(plan, x, shard)
    j, moves = find_shard(liar.commitment(), liar, honest_run(plan, x))
    assert j == shard
    assert moves <= level_zero_moves(k) == ceil_log2(k)


def test_lieInTheMiddleShard_losesInThatShardsGame_withLog2KMoreMoves():
    _, x = gpt2_tiny()
    plan = plan_of(3, block=64)
    result = dispute(plan, x, lying_run(plan, x, 2))
    assert result.shard == 2 and result.level_zero == ceil_log2(3) == 2
    assert result.game.winner is Side.CHALLENGER and result.game.claim_status == "rejected"
    assert result.moves == 2 + result.game.moves <= 2 + result.game.max_moves
    assert result.game.disputed_step is not None and result.game.disputed_step <= plan.shards[1].steps


def test_aRevealThatIsNotTheCommittedBoundary_isRefused():
    _, x = gpt2_tiny()
    plan = plan_of(4)
    liar, honest = lying_run(plan, x, 3), honest_run(plan, x)
    with pytest.raises(InvalidMove, match="does not verify"):
        find_shard(honest.commitment(), liar, honest)  # the liar reveals against another commitment
    with pytest.raises(InvalidMove, match="same input and different outputs"):
        find_shard(honest.commitment(), honest, honest)
    assert np.array_equal(liar.values[0], honest.values[0])
