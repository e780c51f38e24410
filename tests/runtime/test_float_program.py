"""Float programs (runtime.float_program): the reference float execution, folding, descriptors, recompute.

The reference is onnxruntime's CPU provider node by node, optimizations off, one thread. A full-model
session with the same options and weight prepacking off computes the same bits; with prepacking on
(onnxruntime's default) MatMul/Gemm/Conv weights are repacked and sums accumulate in another order,
so outputs then differ in the last bits (checked to be close, not equal).
"""
from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

from bisection import commitments, trace
from bisection.errors import InvalidDescriptor
from bisection.jury import recompute_node
from runtime.float_program import FloatNodeError, FloatProgram
from runtime.model import Model
from runtime.tensor_root import tensor_bytes

ZOO = ["digits-cnn", "digits-mlp", "gpt2-tiny"]


def _input(m: Model, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape = m.default_shape()
    if m.spec.dtype.kind == "f":
        return rng.standard_normal(shape).astype(np.float32)
    return rng.integers(0, m.id_limit(), shape).astype(np.int64)


def _full_session(m: Model, prepack: bool) -> ort.InferenceSession:
    o = ort.SessionOptions()
    o.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    o.intra_op_num_threads = 1
    if not prepack:
        o.add_session_config_entry("session.disable_prepacking", "1")
    return ort.InferenceSession(m.proto.SerializeToString(), o, providers=["CPUExecutionProvider"])


def _bits(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a).tobytes()


@pytest.fixture(scope="module", params=ZOO)
def zoo_float(request):
    m = Model.load(request.param)
    return m, m.float_program(m.default_shape())


def test_float_program_equals_onnxruntime_full_model_bit_for_bit(zoo_float):
    m, prog = zoo_float
    for seed in (1, 2):
        x = _input(m, seed)
        got, want = prog.run(x), _full_session(m, prepack=False).run(None, {m.spec.name: x})
        assert [(g.dtype, g.shape) for g in got] == [(w.dtype, w.shape) for w in want]
        assert all(_bits(g) == _bits(w) for g, w in zip(got, want))
        # onnxruntime's default prepacks weights: other summation order, same values to float rounding
        prepacked = _full_session(m, prepack=True).run(None, {m.spec.name: x})
        assert all(np.allclose(g, w, rtol=1e-4, atol=1e-4) for g, w in zip(got, prepacked))


def test_float_program_every_step_recomputed_from_descriptor_bit_for_bit(zoo_float):
    m, prog = zoo_float
    t = trace.compute(prog, _input(m))
    for k in range(1, prog.steps + 1):
        node = prog.nodes[k - 1]
        out = recompute_node(commitments.node_descriptor(prog, k), [t.value(k - 1, i) for i in node.inputs])
        assert out.dtype == t.value(k, node.outputs[0]).dtype
        assert _bits(out) == _bits(t.value(k, node.outputs[0])), f"step {k} ({node.onnx_op})"


def test_float_trace_roots_deterministic_across_fresh_builds(zoo_float):
    m, prog = zoo_float
    x = _input(m)
    fresh = Model.load(m.name).float_program(m.default_shape())
    assert fresh is not prog and commitments.commit(fresh).model_id == commitments.commit(prog).model_id
    a, b = trace.compute(prog, x), trace.compute(fresh, x)
    assert a.roots == b.roots and len(set(a.roots)) == prog.steps + 1  # every step changes the state
    out = prog.output_slots[0]
    assert a.output_root() == a.leaf(prog.steps, out) != commitments.ZERO


def test_gpt2_shape_subgraph_folds_and_split_becomes_one_step_per_output():
    m = Model.load("gpt2-tiny")
    prog = m.float_program(m.default_shape())
    ops = {n.onnx_op for n in prog.nodes}
    assert not ops & {"Shape", "Concat", "Range", "Equal", "Where", "Cast", "Unsqueeze", "CumSum"}, ops
    assert all(n.op == "ONNX_NODE" and len(n.outputs) == 1 for n in prog.nodes)
    splits = [n for n in prog.nodes if n.onnx_op == "Split"]
    assert splits and [n.output_index for n in splits[:3]] == [0, 1, 2]
    assert len({n.node_bytes for n in splits[:3]}) == 1 and len({n.outputs for n in splits[:3]}) == 3
    writers = [o for n in prog.nodes for o in n.outputs]
    assert len(writers) == len(set(writers))  # single assignment


def test_gpt2_longer_batched_sequences_fold_the_causal_mask_and_match_onnxruntime():
    m = Model.load("gpt2-tiny")
    prog = m.float_program((2, 5))
    x = np.random.default_rng(3).integers(0, m.id_limit(), (2, 5)).astype(np.int64)
    want = _full_session(m, prepack=False).run(None, {m.spec.name: x})
    assert [_bits(a) for a in prog.run(x)] == [_bits(b) for b in want]
    assert prog.steps == m.float_program((1, 1)).steps  # shape-only nodes folded at both shapes


def test_model_float_program_is_cached_per_shape():
    m = Model.load("digits-mlp")
    assert m.float_program((1, 64)) is m.float_program((1, 64))
    assert m.float_program((2, 64)).slots[0].shape == (2, 64)


def _tiny_model() -> Model:
    """x[2,4] -> Split into two [2,2] (both used) -> Clip(a, "", 0.5) with min absent -> Add -> y,
    and a bool Greater output: multi-output steps, an absent optional input, a bool slot."""
    nodes = [
        helper.make_node("Split", ["x"], ["a", "b"], axis=1, num_outputs=2, name="split"),
        helper.make_node("Clip", ["a", "", "hi"], ["c"], name="clip"),
        helper.make_node("Add", ["c", "b"], ["y"], name="add"),
        helper.make_node("Greater", ["y", "zero"], ["pos"], name="gt"),
    ]
    g = helper.make_graph(nodes, "tiny", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 2]),
                           helper.make_tensor_value_info("pos", TensorProto.BOOL, [2, 2])],
                          [helper.make_tensor("hi", TensorProto.FLOAT, [], [0.5]),
                           helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0])])
    proto = helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)])
    onnx.checker.check_model(proto)
    return Model(proto, "tiny")


def test_float_program_optional_input_multi_output_and_bool_slot():
    m = _tiny_model()
    prog = FloatProgram.build(m, (2, 4))
    assert [(n.onnx_op, n.output_index) for n in prog.nodes] == [("Split", 0), ("Split", 1), ("Clip", 0),
                                                                  ("Add", 0), ("Greater", 0)]
    clip = prog.nodes[2]
    assert [prog.slots[i].name for i in clip.inputs] == ["a", "hi"]  # "" not listed
    parsed = onnx.NodeProto.FromString(clip.node_bytes)
    assert list(parsed.input) == ["i0", "", "i1"] and parsed.name == ""
    x = np.array([[1, -2, 3, -4], [0.25, 0.75, -1, 1]], np.float32)
    y, pos = prog.run(x)
    want = np.minimum(x[:, :2], 0.5) + x[:, 2:]
    assert _bits(y) == _bits(want) and pos.dtype == np.bool_ and (pos == (want > 0)).all()
    t = trace.compute(prog, x)
    d = commitments.parse_float_descriptor(commitments.node_descriptor(prog, 5))
    assert (d.step, d.output.dtype, d.output.shape, d.inputs[1].kind) == (5, "bool", (2, 2), "constant")
    assert tensor_bytes(t.value(5, prog.output_slots[1])) == bytes(pos.astype(np.uint8).reshape(-1))


def test_float_descriptor_layout_prefix_reads_like_an_exact_node():
    m = _tiny_model()
    prog = FloatProgram.build(m, (2, 4))
    d = commitments.node_descriptor(prog, 3)  # Clip: inputs a (value) and hi (constant, 0-d)
    assert d[:12] == (1000).to_bytes(4, "big") + (3).to_bytes(4, "big") + (2).to_bytes(4, "big")
    a, hi = prog.nodes[2].inputs
    assert d[12:27] == a.to_bytes(4, "big") + bytes([3, 4, 2]) + (2).to_bytes(4, "big") + (2).to_bytes(4, "big")
    assert d[27:34] == hi.to_bytes(4, "big") + bytes([2, 4, 0])
    p = commitments.parse_float_descriptor(d)
    assert (p.output_index, p.opset, p.domain, p.node_bytes) == (0, 18, "", prog.nodes[2].node_bytes)


def test_recompute_node_bad_inputs_raise_named_errors():
    m = _tiny_model()
    prog = FloatProgram.build(m, (2, 4))
    d = commitments.node_descriptor(prog, 4)
    ok = [np.zeros((2, 2), np.float32)] * 2
    assert recompute_node(d, ok).shape == (2, 2)
    with pytest.raises(FloatNodeError, match="input 1"):
        recompute_node(d, [ok[0], np.zeros((2, 2), np.float64)])
    with pytest.raises(FloatNodeError, match="reads 2 inputs"):
        recompute_node(d, ok[:1])
    with pytest.raises(InvalidDescriptor, match="ends at byte"):
        recompute_node(d[:-3], ok)
    with pytest.raises(InvalidDescriptor, match="op code"):
        recompute_node((1).to_bytes(4, "big") + d[4:], ok)
    with pytest.raises(InvalidDescriptor, match="after the node"):
        recompute_node(d + b"\0", ok)
