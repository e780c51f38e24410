"""Cutting a program into shards: the shards run one after another give the registered program's output
bit for bit; cuts are checked; the sharded id commits to cuts and shard ids."""
from __future__ import annotations

import functools

import numpy as np
import pytest

from bisection.shards import sharded_id
from runtime import zoo
from runtime.model import Model
from runtime.shards import InvalidCut, ShardPlan, valid_cuts
from runtime.tensor_root import tensor_root

LAYER_CUTS = (37, 72)  # gpt2-tiny (1, 8): embeddings + block 0 | block 1 | final LayerNorm + head


@functools.lru_cache(maxsize=None)
def gpt2_tiny():
    m = Model.load("gpt2-tiny", profile="exact")
    program = m.program((1, 8))
    x = np.random.default_rng(0).integers(0, m.id_limit(), (1, 8)).astype(np.int64)
    return program, x


def test_threeShards_uncompressed_equalTheUnshardedRoot():
    program, x = gpt2_tiny()
    plan = ShardPlan.make(program, cuts=LAYER_CUTS, block=None)
    assert plan.k == 3 and plan.full is program
    assert sum(s.steps for s in plan.shards) == program.steps
    out = plan.run(x)[-1]
    assert tensor_root(out) == tensor_root(program.run(x)[0])


def test_threeShards_compressed_equalTheRegisteredProgram_andCostLittle():
    program, x = gpt2_tiny()
    plan = ShardPlan.make(program, cuts=LAYER_CUTS, block=64)
    boundaries = plan.run(x)
    assert tensor_root(boundaries[-1]) == tensor_root(plan.full.run(x)[0])
    assert plan.full.steps == program.steps + 2 * 2  # a QuantizeBlock and a DequantizeBlock per cut
    assert [plan.boundary_bytes(j) for j in (1, 2)] == [8 * 33 * 2] * 2  # from 1024 bytes each
    ref = program.run(x)[0]
    assert np.array_equal(boundaries[-1].argmax(-1), ref.argmax(-1))  # the accuracy cost: no token changes


@pytest.mark.parametrize("name", ["digits-cnn", "digits-mlp"])
def test_anyValidStep_isACut(name):
    m = Model.load(name, profile="exact")
    x, _ = zoo.test_data(name)
    x_q = m.quantize_input(np.asarray(x[:1]))
    program = m.program(x_q.shape)
    cuts = valid_cuts(program)
    plan = ShardPlan.make(program, cuts=cuts, block=None)
    assert plan.k == len(cuts) + 1
    assert tensor_root(plan.run(x_q)[-1]) == tensor_root(program.run(x_q)[0])


def test_badCuts_areRefused_withTheirReason():
    program, _ = gpt2_tiny()
    with pytest.raises(InvalidCut, match="values are live"):
        ShardPlan.make(program, cuts=(20,))
    with pytest.raises(InvalidCut, match="increasing"):
        ShardPlan.make(program, cuts=(72, 37))
    with pytest.raises(InvalidCut, match="increasing"):
        ShardPlan.make(program, cuts=(program.steps,))


def test_shardedId_commitsToCutsAndBlock():
    program, _ = gpt2_tiny()
    a = ShardPlan.make(program, cuts=LAYER_CUTS, block=64)
    assert sharded_id(a) == sharded_id(ShardPlan.make(program, cuts=LAYER_CUTS, block=64))
    assert sharded_id(a) != sharded_id(ShardPlan.make(program, cuts=(37, 63), block=64))
    assert sharded_id(a) != sharded_id(ShardPlan.make(program, cuts=LAYER_CUTS, block=32))
    assert sharded_id(a) != sharded_id(ShardPlan.make(program, cuts=LAYER_CUTS, block=None))


def test_cutOnASplitOpsPartial_isRefused_andNeverOffered():
    """digits-cnn's second Conv lowers to ConvBlock steps carrying int64 limbs; after the last, the limbs are
    the one int16 value live, but block-quantizing limbs wrecked the answers (accuracy 98% -> 12%). No cut."""
    m = Model.load("digits-cnn", profile="exact")
    x, _ = zoo.test_data("digits-cnn")
    program = m.program((1, *x.shape[1:]))
    partial = [n.index + 1 for n in program.nodes if n.op == "ConvBlock"]
    assert partial and not set(partial) & set(valid_cuts(program))
    with pytest.raises(InvalidCut, match="running partial"):
        ShardPlan.make(program, cuts=(partial[-1],))
