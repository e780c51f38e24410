"""Every one-step proof fits a real chain, by construction (runtime/proof_cost.py).

The lowering lays weights out [N, K], reads B of an activation MatMul by rows, splits long reductions
into GemmBlock steps and Softmax into two row steps; the cost model says what each step's proof costs.
Here: every step of every zoo model fits; dense layers of any width fit (the shape model, and the
shape model bounds what lowered programs cost); the row ops at GPT-2 124M's and LLaMA-1.1B's widths and
contexts fit (graphs with those dimensions, no weights); a lie at a step of each op type of gpt2-tiny
loses; blocked results are bit-identical to unblocked ones.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import helper

from bisection import dispute
from contracts.onestep import prestates
from runtime import proof_cost, zoo
from runtime.model import Model
from runtime.ops.gemmblock import from_limbs, to_limbs
from bisection.step_cost import program_costs, step_cost
from runtime.proof_cost import BYTES_BOUND, GAS_BOUND, dense_block, dense_cost
from runtime.tensor_root import tensor_bytes
from tests.runtime.graphs import graph

ZOO = [e.name for e in zoo.ENTRIES.values() if e.exact]


def _case(name: str):
    m = Model.load(name, profile="exact")
    x, _ = zoo.test_data(name)
    x_q = m.quantize_input(np.asarray(x[:1]))
    return m.program(x_q.shape), x_q


@pytest.mark.parametrize("name", ZOO)
def test_everyStep_ofEveryZooModel_fitsTheBounds(name):
    program, x_q = _case(name)
    states = prestates(program, x_q)
    for k in range(1, program.steps + 1):
        for cost in (step_cost(program, k), step_cost(program, k, states[k - 1])):  # shapes; then the values
            assert cost.fits, cost


@settings(max_examples=200, deadline=None)
@given(k=st.integers(1, 1 << 16), n=st.integers(1, 1 << 17), rows=st.integers(1, 1 << 12))
def test_denseLayer_ofAnyWidth_everyStepFits(k, n, rows):
    """A dense layer of any K, N (lm_heads, 11008-long reductions, wider) and any number of rows: the
    lowering's block makes each of its steps fit, in at most ceil(K / 512) + 1 steps."""
    block = dense_block(k, n, rows)
    assert 512 <= block or block == k
    gas, nbytes = dense_cost(min(block, k), n, rows, block < k)
    assert gas <= proof_cost.TARGET_GAS < GAS_BOUND and nbytes <= proof_cost.TARGET_BYTES < BYTES_BOUND
    assert proof_cost.blocks_bound(k, block) <= -(-k // 512) + 1


@settings(max_examples=12, deadline=None)
@given(k=st.sampled_from([1, 7, 300, 1024, 2049, 4100]), n=st.integers(1, 6), rows=st.integers(1, 3),
       seed=st.integers(0, 2**16))
def test_loweredDenseSteps_costAtMostTheShapeModel(k, n, rows, seed):
    """What `dense_block` decides on (the shape model) bounds what the lowered steps cost, so the
    property above holds for real programs."""
    program, x_q = _dense(k, n, rows, seed)
    for c in program_costs(program):
        if c.op in ("Gemm", "GemmBlock"):
            node = program.nodes[c.step - 1]
            kb = node.attrs["k1"] - node.attrs["k0"] if c.op == "GemmBlock" else k
            gas, nbytes = dense_cost(kb, n, rows, c.op == "GemmBlock")
            assert c.gas <= gas and c.tx_bytes <= nbytes, (c, gas, nbytes)


def _dense(k, n, rows, seed):
    rng = np.random.default_rng(seed)
    proto = graph([helper.make_node("MatMul", ["x", "W"], ["y"])], (rows, k), {"W": rng.standard_normal((k, n)).astype(np.float32)})
    m = Model(proto, "dense")
    samples = rng.standard_normal((8, rows, k)).astype(np.float32)
    m.calibrate(samples.reshape(-1, k))
    return m.program((rows, k)), m.quantize_input(samples[0])


@settings(max_examples=10, deadline=None)
@given(k=st.integers(2600, 5000), n=st.integers(1, 5), seed=st.integers(0, 2**16), wide=st.booleans())
def test_blockedReduction_bitIdenticalToOneGemmStep(k, n, seed, wide):
    program, x_q = _dense(k, n, 2, seed)
    assert {nd.op for nd in program.nodes} == {"GemmBlock", "Requantize"}
    if wide:
        x_q = np.random.default_rng(seed).integers(-32768, 32768, x_q.shape).astype(np.int16)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(proof_cost, "TARGET_GAS", 10**12)
        mp.setattr(proof_cost, "TARGET_BYTES", 10**12)
        whole, _ = _dense(k, n, 2, seed)
    assert [nd.op for nd in whole.nodes] == ["Gemm"]
    for backend in ("numpy", "torch"):
        assert np.array_equal(program.run(x_q, backend)[0], whole.run(x_q, "numpy")[0])


@given(st.lists(st.integers(-(2**63), 2**63 - 1), min_size=1, max_size=20))
def test_limbs_roundTrip_andKeepTheInt64sCanonicalBytes(values):
    a = np.array(values, dtype=np.int64)
    limbs = to_limbs(a)
    assert limbs.dtype == np.int16 and limbs.shape == a.shape + (4,)
    assert np.array_equal(from_limbs(limbs), a)
    assert tensor_bytes(limbs) == tensor_bytes(a)


# ---------------------------------------------------------------- row ops at real widths and contexts

SHAPES = {  # (width, heads, mlp, context): GPT-2 124M, LLaMA-1.1B (TinyLlama)
    "gpt2-124M": (768, 12, 3072, 1024),
    "llama-1.1B": (2048, 32, 5632, 2048),
}


def _rows_model(width, heads, mlp, seq):
    """The row-wise and attention steps of one transformer layer at these dimensions, no weights: scores
    of one head over the whole context (a head's rows are what a step reads), LayerNorm and RMSNorm over
    the width, the MLP's activations."""
    hd = width // heads
    nodes = [
        helper.make_node("Slice", ["x", "s0", "e0", "ax"], ["q"]),  # [1, 1, seq, hd]
        helper.make_node("Transpose", ["q"], ["kt"], perm=[0, 1, 3, 2]),
        helper.make_node("MatMul", ["q", "kt"], ["scores"]),
        helper.make_node("Softmax", ["scores"], ["attn"], axis=-1),
        helper.make_node("MatMul", ["attn", "q"], ["ctx"]),
    ]
    inits = {"s0": np.array([0]), "e0": np.array([hd]), "ax": np.array([3])}
    return graph(nodes, (1, 1, seq, width), inits, out="ctx")


def _norm_model(width, mlp, seq):
    nodes = [
        helper.make_node("LayerNormalization", ["x", "g", "b"], ["ln"], axis=-1),
        helper.make_node("Mul", ["x", "x"], ["sq"]),
        helper.make_node("ReduceMean", ["sq"], ["ms"], axes=[-1], keepdims=1),
        helper.make_node("Add", ["ms", "eps"], ["mse"]),
        helper.make_node("Sqrt", ["mse"], ["rms"]),
        helper.make_node("Div", ["ln", "rms"], ["y"]),
    ]
    rng = np.random.default_rng(0)
    inits = {"g": rng.standard_normal(width).astype(np.float32), "b": rng.standard_normal(width).astype(np.float32),
             "eps": np.array([1e-5], np.float32)}
    return graph(nodes, (1, seq, width), inits, opset=17)


def _act_model(mlp, seq):
    nodes = [helper.make_node("Sigmoid", ["x"], ["s"]), helper.make_node("Mul", ["x", "s"], ["y"])]
    return graph(nodes, (1, seq, mlp), {})


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_rowSteps_atRealWidthsAndContexts_fit(name):
    width, heads, mlp, seq = SHAPES[name]
    rng = np.random.default_rng(0)
    for proto, shape in ((_rows_model(width, heads, mlp, seq), (1, 1, seq, width)), (_norm_model(width, mlp, 64), (1, 64, width)),
                         (_act_model(mlp, 64), (1, 64, mlp))):
        m = Model(proto, name)
        m.calibrate(rng.standard_normal((2,) + shape[1:]).astype(np.float32))
        program = m.program(shape)
        for c in program_costs(program):
            assert c.tx_bytes <= proof_cost.TARGET_BYTES and c.gas <= GAS_BOUND, (name, c)


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_denseSteps_atRealShapes_fit(name):
    """Every dense layer of the model (attention projections, MLP, lm_head) by the shape model."""
    width, heads, mlp, seq = SHAPES[name]
    vocab = 50257 if name.startswith("gpt2") else 32000
    for k, n in ((width, 3 * width), (width, width), (width, mlp), (mlp, width), (width, vocab)):
        block = dense_block(k, n, seq)
        gas, nbytes = dense_cost(min(k, block), n, seq, block < k)
        assert gas <= GAS_BOUND and nbytes <= BYTES_BOUND, (name, k, n, gas, nbytes)


# ---------------------------------------------------------------- a dispute at every op type

def _gpt2_tiny_op_steps():
    program, _ = _case("gpt2-tiny")
    first = {}
    for nd in program.nodes:
        first.setdefault(nd.op, nd.index + 1)
    return sorted(first.items())


@pytest.mark.parametrize("op,step", _gpt2_tiny_op_steps())
def test_gpt2Tiny_lieAtEveryOpType_liarLoses(op, step):
    program, x_q = _case("gpt2-tiny")
    for side in ("defender", "challenger"):
        r = dispute.run(program, x_q, "wrong-output", step, side)
        assert r.winner == ("challenger" if side == "defender" else "defender"), (op, side, r.reason)
        assert r.disputed_step == step and r.moves <= r.max_moves


# ---------------------------------------------------------------- LayerNormalization rows of any width

def _layernorm(width, rows, seed):
    rng = np.random.default_rng(seed)
    inits = {"g": rng.standard_normal(width).astype(np.float32), "b": rng.standard_normal(width).astype(np.float32)}
    proto = graph([helper.make_node("LayerNormalization", ["x", "g", "b"], ["y"], axis=-1)], (1, rows, width), inits)
    m = Model(proto, "layernorm")
    samples = rng.standard_normal((4, rows, width)).astype(np.float32)
    m.calibrate(samples)
    return m.program((1, rows, width)), m.quantize_input(samples[:1])


@pytest.mark.parametrize("width", [4096, 8192])
def test_layerNorm_atGptJAndWiderWidths_everyStepFits(width):
    """GPT-J is 4096 wide: its LayerNormalization rows lower to LayerNormStats blocks and a
    LayerNormApply, each inside the bounds (one step over the row would cost about 1.3M gas)."""
    program, _ = _layernorm(width, 3, 0)
    ops = [nd.op for nd in program.nodes]
    assert ops[-1] == "LayerNormApply" and set(ops[:-1]) == {"LayerNormStats"}
    assert len(ops) == -(-width // proof_cost.norm_block(width, 3)) + 1
    for c in program_costs(program):
        assert c.tx_bytes <= proof_cost.TARGET_BYTES and c.gas <= proof_cost.TARGET_GAS, c
    assert proof_cost.norm_cost(width, 3, width)[0] > GAS_BOUND  # what the split avoids


@settings(max_examples=6, deadline=None)
@given(width=st.integers(2600, 9000), rows=st.integers(1, 3), seed=st.integers(0, 2**16), wide=st.booleans())
def test_blockedLayerNorm_bitIdenticalToOneStep(width, rows, seed, wide):
    program, x_q = _layernorm(width, rows, seed)
    assert program.nodes[-1].op == "LayerNormApply"
    if wide:
        x_q = np.random.default_rng(seed).integers(-32768, 32768, x_q.shape).astype(np.int16)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(proof_cost, "TARGET_GAS", 10**12)
        mp.setattr(proof_cost, "TARGET_BYTES", 10**12)
        whole, _ = _layernorm(width, rows, seed)
    assert [nd.op for nd in whole.nodes] == ["LayerNormalization"]
    want = whole.run(x_q, "numpy")[0]
    for backend in ("numpy", "torch"):
        assert np.array_equal(program.run(x_q, backend)[0], want)
