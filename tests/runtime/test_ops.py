"""Every exact op: numpy and torch kernels agree bit for bit, and the result tracks the float op.

Hypothesis draws the op's shapes, attributes and weights (a single-op ONNX graph, lowered through the
real calibration and lowering), then random int16 inputs over the whole range, saturation included.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.model import Model
from runtime.ops import supported_ops

from .graphs import OPS, program_op


def build(op, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    draw = lambda lo, hi: data.draw(st.integers(lo, hi))  # noqa: E731
    proto = OPS[op](rng, draw)
    m = Model(proto, op)
    shape = tuple(d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim)
    if np.issubdtype(m.spec.dtype, np.integer):  # token ids, within the table
        samples = rng.integers(0, m.id_limit(), (8,) + shape).astype(np.int64)
    else:
        samples = rng.standard_normal((8,) + shape).astype(np.float32)
    m.calibrate(samples.reshape((-1,) + shape[1:]))
    return m, shape, rng, samples


def random_input(m, prog, shape, rng, wide: bool) -> np.ndarray:
    """A random request input as the input slot holds it: int16 over the whole range (`wide`) or a
    narrow one, or token ids over the table."""
    if prog.slots[prog.input_slot].dtype == "int64":
        return rng.integers(0, m.id_limit(), shape).astype(np.int64)
    return (rng.integers(-32768, 32768, shape) if wide else rng.integers(-300, 300, shape)).astype(np.int16)


def test_everyRegisteredOp_hasAPropertyTest():
    """Every op, ONNX ones and the steps lowerings make (GemmBlock, SoftmaxExp, ...), is some case's."""
    made_by_sharding = {"QuantizeBlock", "DequantizeBlock"}  # their property tests: tests/shard/test_boundary_ops.py
    assert {k.split("-")[0] for k in OPS} | {program_op(k) for k in OPS} | made_by_sharding >= set(supported_ops())


def test_split_lowersToOneSliceNodePerOutput():
    from onnx import helper

    from .graphs import graph
    proto = graph([helper.make_node("Split", ["x"], ["a", "y", "b"], axis=1)], (2, 9), {}, opset=11)
    m = Model(proto, "split")
    m.calibrate(np.random.default_rng(0).random((8, 9)).astype(np.float32))
    prog = m.program((2, 9))
    assert [n.op for n in prog.nodes] == ["Slice"] * 3
    assert [prog.slots[n.outputs[0]].shape for n in prog.nodes] == [(2, 3)] * 3
    x = np.arange(18, dtype=np.float32).reshape(2, 9) / 18
    assert np.allclose(m.run_exact(x).floats()[0], x[:, 3:6], atol=1e-3)


@pytest.mark.parametrize("op", sorted(OPS))
@settings(max_examples=15)
@given(data=st.data())
def test_op_numpyEqualsTorch_onRandomInt16(op, data):
    m, shape, rng, _ = build(op, data)
    prog = m.program(shape)
    for x_q in (random_input(m, prog, shape, rng, True), random_input(m, prog, shape, rng, False)):
        a, b = prog.run(x_q, "numpy"), prog.run(x_q, "torch")
        assert all(u.dtype == v.dtype == np.int16 and u.shape == v.shape and (u == v).all() for u, v in zip(a, b))


@pytest.mark.parametrize("op", sorted(OPS))
@settings(max_examples=10)
@given(data=st.data())
def test_op_exactTracksFloat(op, data):
    m, shape, rng, samples = build(op, data)
    x = samples[data.draw(st.integers(0, len(samples) - 1))]  # inside the calibrated range
    want = m.run_fast(x)[0]
    r = m.run_exact(x)
    got = r.floats()[0]
    assert got.shape == want.shape
    # Errors measured against the output's calibrated range (scale * 32767), the quantization's own
    # yardstick: int8 weights put ~0.4% of each product's size into a dot product, which
    # cancellation can make large next to the result itself.
    tol = 0.03 * r.scales[0] * 32767 + 4 * r.scales[0]
    assert float(np.max(np.abs(got - want))) <= tol
