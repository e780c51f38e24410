"""What held (helper attack2): the one-step kernels of the newer ops recompute, on chain, exactly what their
numpy kernels compute at the edges an attacker picks the input for: saturated activations (all 32767, all
-32768, alternating signs: the largest GemmBlock limbs and LayerNorm sums), masked softmax rows (all
-32768), ArgMax ties; at the elements around chunk boundaries (511/512 of an int16 tensor, the last limb
of a sum) and the output's last element and its zero padding. A mismatch anywhere would let a liar win
the one-step check against an honest party."""
from __future__ import annotations

import numpy as np
import pytest
from onnx import helper

from contracts.chain import connect
from contracts.onestep import OneStep, deploy_onestep, prestates, step_proof
from runtime.model import Model
from tests.contracts.onestep_cases import expected, roots
from tests.runtime.graphs import graph

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def onestep():
    chain = connect("embedded")
    yield OneStep(chain, deploy_onestep(chain))
    chain.close()


def _model(nodes, shape, inits, name):
    rng = np.random.default_rng(1)
    m = Model(graph(nodes, shape, inits), name)
    m.calibrate(rng.standard_normal((4 * shape[0],) + shape[1:]).astype(np.float32))
    return m


def blocked():
    rng = np.random.default_rng(3)
    w = np.sign(rng.standard_normal((2900, 3))).astype(np.float32)  # +-1: int8 weights at +-127
    return _model([helper.make_node("MatMul", ["x", "W"], ["y"])], (2, 2900), {"W": w}, "blocked")


def layernorm():
    rng = np.random.default_rng(5)
    inits = {"g": rng.standard_normal(4096).astype(np.float32), "b": rng.standard_normal(4096).astype(np.float32)}
    return _model([helper.make_node("LayerNormalization", ["x", "g", "b"], ["y"], axis=-1)], (1, 2, 4096), inits, "ln")


def softmax_argmax():
    from onnx import TensorProto

    g = helper.make_graph([helper.make_node("Softmax", ["x"], ["s"], axis=-1),
                           helper.make_node("ArgMax", ["s"], ["y"], axis=-1, keepdims=0)], "sm",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 700])],
                          [helper.make_tensor_value_info("y", TensorProto.INT64, [3])])
    m = Model(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), "sm")
    m.calibrate(np.random.default_rng(1).standard_normal((12, 700)).astype(np.float32) * 4)
    return m


def extremes(shape):
    n = int(np.prod(shape))
    alt = np.where(np.arange(n) % 2 == 0, 32767, -32768).reshape(shape)
    return {"max": np.full(shape, 32767), "min": np.full(shape, -32768), "alternating": alt,
            "random": np.random.default_rng(0).integers(-32768, 32768, shape)}


def elements(size: int) -> list[int]:
    padded = -(-size * 2 // 1024) * 512
    picks = {0, 1, 3, 4, 511, 512, 513, size // 2, size - 4, size - 1}
    if padded > size:
        picks.add(size)  # zero padding
    return sorted(i for i in picks if 0 <= i < max(padded, size))


@pytest.mark.parametrize("build", [blocked, layernorm, softmax_argmax])
def test_newOpKernels_atExtremeInputs_chainEqualsNumpy(onestep, build):
    m = build()
    shape = m.default_shape()
    program = m.program(shape)
    assert {"GemmBlock", "Requantize", "LayerNormStats", "LayerNormApply", "SoftmaxExp", "SoftmaxNorm",
            "ArgMax"} & {n.op for n in program.nodes}
    for label, x in extremes(shape).items():
        x_q = x.astype(np.int16)
        if label == "min" and build is softmax_argmax:
            x_q[1, 5] = 0  # a row with one live entry among masked ones
        for step, state in enumerate(prestates(program, x_q), start=1):
            want = expected(program, state, step)
            node = program.nodes[step - 1]
            for e in elements(want.size):
                value, _ = onestep.element(*roots(program, state), step, e, step_proof(program, state, step, e))
                assert value == (int(want[e]) if e < want.size else 0), (label, step, node.op, e)
