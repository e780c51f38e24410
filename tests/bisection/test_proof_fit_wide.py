"""Every one-step proof fits at any width (issue 17): the row and window steps modeled from shapes.

Programs are lowered from shapes only (every tensor's calibrated range set to 1: no calibration run, no
activation ever materialized; `step_cost` reads placeholders), so a softmax over 65536 positions, a
LLaMA-7B RMSNorm or a ResNet-50 window costs milliseconds. Properties: every step of a Softmax row, a
ReduceMean, a LayerNormalization and a Conv of any size stays under the bounds, and takes at most
the stated number of steps; the transformer layers of GPT-2 124M, LLaMA-1.1B and LLaMA-7B (rows, norms,
dense layers by the shape model) fit; a program with a step no one could prove is refused by name at
registration, before anything goes on chain.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import helper

from bisection import MemoryArbiter
from bisection.errors import StepProofTooLarge
from bisection.step_cost import check_fits, program_costs
from runtime.lowering import lower
from runtime.proof_cost import BYTES_BOUND, GAS_BOUND, TARGET_BYTES, TARGET_GAS, dense_block, dense_cost
from tests.runtime.graphs import graph

SHAPES = {  # (width, heads, mlp, context, vocab)
    "gpt2-124M": (768, 12, 3072, 1024, 50257),
    "llama-1.1B": (2048, 32, 5632, 2048, 32000),
    "llama-7B": (4096, 32, 11008, 4096, 32000),
}


def lowered(proto, shape):
    """The exact program of `proto` for input `shape`, every range 1.0 (shapes decide the steps)."""
    names = {"x"} | {o for n in proto.graph.node for o in n.output}
    return lower(proto, "x", tuple(shape), {n: 1.0 for n in names})


def assert_fits(program, target: bool = True):
    for c in program_costs(program):
        assert c.tx_bytes <= (TARGET_BYTES if target else BYTES_BOUND) and c.gas <= (TARGET_GAS if target else GAS_BOUND), c
    return program


def softmax(shape):
    return lowered(graph([helper.make_node("Softmax", ["x"], ["y"], axis=-1)], shape, {}), shape)


def rmsnorm(shape):
    """LLaMA's RMSNorm as exported: x * 1/sqrt(mean(x^2) + eps) * g."""
    w = shape[-1]
    nodes = [helper.make_node("Pow", ["x", "two"], ["sq"]),
             helper.make_node("ReduceMean", ["sq"], ["ms"], axes=[-1], keepdims=1),
             helper.make_node("Add", ["ms", "eps"], ["mse"]), helper.make_node("Sqrt", ["mse"], ["rms"]),
             helper.make_node("Div", ["one", "rms"], ["inv"]), helper.make_node("Mul", ["x", "inv"], ["xn"]),
             helper.make_node("Mul", ["xn", "g"], ["y"])]
    inits = {"two": np.array(2.0, np.float32), "eps": np.array(1e-6, np.float32), "one": np.array(1.0, np.float32),
             "g": np.ones(w, np.float32)}
    return lowered(graph(nodes, shape, inits), shape)


def layernorm(shape):
    w = shape[-1]
    inits = {"g": np.ones(w, np.float32), "b": np.zeros(w, np.float32)}
    return lowered(graph([helper.make_node("LayerNormalization", ["x", "g", "b"], ["y"], axis=-1)], shape, inits), shape)


def conv(c, hw, o, k, stride=1):
    w = np.ones((o, c, k, k), np.float32)  # values do not change a step's reads
    node = helper.make_node("Conv", ["x", "w"], ["y"], pads=[k // 2] * 4, strides=[stride] * 2)
    return lowered(graph([node], (1, c, hw, hw), {"w": w}), (1, c, hw, hw))


def softmax_axis(shape, axis):
    return lowered(graph([helper.make_node("Softmax", ["x"], ["y"], axis=axis)], shape, {}), shape)


def ops(program):
    return [n.op for n in program.nodes]


# ---------------------------------------------------------------- any length, by property

@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 1 << 16), rows=st.sampled_from([1, 3, 64, 32 * 2048]))
def test_softmaxRow_ofAnyLength_everyStepFits(n, rows):
    """A last-axis Softmax over n positions (rows of attention scores: heads x queries): two row steps
    while they fit, else ceil(n / B) RowMaxBlock, one SoftmaxExpAt, ceil(n / B) RowSumBlock and one
    SoftmaxDivide, B >= 512: at most 2 ceil(n / 512) + 2 steps."""
    program = assert_fits(softmax((rows, n)))
    assert len(ops(program)) <= 2 * math.ceil(n / 512) + 2
    if ops(program)[0] == "RowMaxBlock":
        blocks = ops(program).count("RowMaxBlock")
        assert ops(program) == ["RowMaxBlock"] * blocks + ["SoftmaxExpAt"] + ["RowSumBlock"] * blocks + ["SoftmaxDivide"]


@settings(max_examples=15, deadline=None)
@given(n=st.integers(2, 1 << 15), inner=st.integers(2, 64), outer=st.integers(1, 3))
def test_softmaxAlongAnInnerAxis_ofAnyLength_everyStepFits(n, inner, outer):
    """Along an inner axis a row's elements lie `inner` apart: when that does not fit, a Transpose makes
    the axis last (split there when long) and another puts it back."""
    program = assert_fits(softmax_axis((outer, n, inner), 1))
    assert ops(program)[0] != "Transpose" or ops(program)[-1] == "Transpose"


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 1 << 17), rows=st.sampled_from([1, 4, 2048]))
def test_reduceMean_rmsNorm_ofAnyWidth_everyStepFits(n, rows):
    """RMSNorm's ReduceMean over n: one step while it fits, else ceil(n / B) RowSumBlock steps and a
    MeanOfSum, B >= 512."""
    program = assert_fits(rmsnorm((rows, n)))
    assert ops(program).count("RowSumBlock") <= math.ceil(n / 512)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(2, (1 << 20) - 1), rows=st.sampled_from([1, 4, 2048]))
def test_layerNorm_ofAnyWidth_everyStepFits(n, rows):
    program = assert_fits(layernorm((rows, n)))
    assert len(ops(program)) <= math.ceil(n / 512) + 1


@settings(max_examples=20, deadline=None)
@given(c=st.integers(1, 2048), hw=st.integers(1, 56), o=st.integers(1, 4), k=st.sampled_from([1, 3, 5, 7]),
       stride=st.integers(1, 2))
def test_conv_ofAnyChannelCount_everyStepFits(c, hw, o, k, stride):
    """A Conv's window over c input channels: one step while it fits, else ConvBlock steps over blocks
    of the channels, a Requantize and a Transpose: at most c + 2 steps (one channel's k x k window, up
    to 7 x 7, always fits)."""
    program = assert_fits(conv(c, hw, o, k, stride))
    assert len(ops(program)) in (1, ops(program).count("ConvBlock") + 2) and len(ops(program)) <= c + 2


# ---------------------------------------------------------------- real model shapes

@pytest.mark.parametrize("name", sorted(SHAPES))
def test_transformerLayer_atRealShapes_everyStepFits(name):
    """GPT-2 124M, LLaMA-1.1B and LLaMA-7B: attention weights of every head over the whole context, the
    norms over the width (and over 16384, past every model here), every dense layer by the shape model
    (the lowering decides with the same model; test_proof_fit checks the model bounds lowered steps)."""
    width, heads, mlp, ctx, vocab = SHAPES[name]
    assert_fits(softmax((1, heads, ctx, ctx)))
    for w in (width, 16384):
        assert_fits(rmsnorm((1, ctx, w)))
        assert_fits(layernorm((1, ctx, w)))
    for k, n in ((width, 3 * width), (width, width), (width, mlp), (mlp, width), (width, vocab)):
        block = dense_block(k, n, ctx)
        gas, nbytes = dense_cost(min(k, block), n, ctx, block < k)
        assert gas <= TARGET_GAS and nbytes <= TARGET_BYTES, (name, k, n, gas, nbytes)


def test_resnet50Windows_everyStepFits():
    """ResNet-50's widest windows (3x3 over 512 channels at 7x7, 1x1 over 2048) exceeded the bound as
    one Conv step; blocked, every step fits."""
    for c, hw, k in ((512, 7, 3), (2048, 7, 1), (256, 14, 3), (64, 56, 3)):
        program = assert_fits(conv(c, hw, 2, k))
        assert ops(program)[-2:] == ["Requantize", "Transpose"], (c, hw, k)


# ---------------------------------------------------------------- refused before it goes on chain

def unprovable():
    """A Conv over one input channel with a 48x48 window: one channel is not split further, and its step
    reads 2304 weights and 48 window rows (about 2M gas by the model)."""
    return conv(1, 64, 1, 48)


def test_registerModel_stepOverTheBound_refusedByName_beforeAnythingIsRegistered():
    program = unprovable()
    arbiter = MemoryArbiter()
    with pytest.raises(StepProofTooLarge, match=r"step 1 \(Conv.*over the 65536 bytes / 1000000 gas"):
        arbiter.register_model(program)
    assert not arbiter.models
    with pytest.raises(StepProofTooLarge):
        check_fits(program)
    check_fits(conv(1, 64, 1, 7))  # a 7x7 window fits


@pytest.mark.parametrize("hw", [7, 80, 224])
def test_globalAveragePool_ofAnyPlane_everyStepFits(hw):
    """GlobalAveragePool is a mean over the trailing axes: a plane too large for one step is RowSumBlock
    steps and a MeanOfSum."""
    shape = (1, 3, hw, hw)
    program = assert_fits(lowered(graph([helper.make_node("GlobalAveragePool", ["x"], ["y"])], shape, {}), shape))
    assert ops(program) == (["GlobalAveragePool"] if hw == 7 else ["RowSumBlock"] * (len(ops(program)) - 1) + ["MeanOfSum"])
