"""The toy model: a dozen nodes written by hand with onnx.helper, small enough for game tests.

x[b, 4] -> MatMul(W1 4x6) -> Add(b1) -> Relu -> Reshape([b, 2, 3], the target computed by a
Shape/Gather/Concat subgraph that lowering folds) -> Transpose(0, 2, 1) -> Flatten -> Sub(c, a
Constant node) -> Mul(d) -> Identity -> Gemm(W2 3x6, transB) -> Softmax.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SEED = 7


def make_model() -> onnx.ModelProto:
    rng = np.random.default_rng(SEED)
    f = lambda *s: rng.standard_normal(s).astype(np.float32)  # noqa: E731
    inits = [numpy_helper.from_array(a, n) for n, a in [
        ("W1", f(4, 6)), ("b1", f(6) * 0.1), ("d", (np.abs(f(6)) + 0.5)), ("W2", f(3, 6)), ("b2", f(3) * 0.1),
        ("zero", np.array([0], dtype=np.int64)), ("tail", np.array([2, 3], dtype=np.int64))]]
    nodes = [
        helper.make_node("MatMul", ["x", "W1"], ["h1"], name="matmul"),
        helper.make_node("Add", ["h1", "b1"], ["h2"], name="add"),
        helper.make_node("Relu", ["h2"], ["h3"], name="relu"),
        helper.make_node("Shape", ["x"], ["xs"], name="shape"),
        helper.make_node("Gather", ["xs", "zero"], ["batch"], name="gather", axis=0),
        helper.make_node("Concat", ["batch", "tail"], ["target"], name="concat", axis=0),
        helper.make_node("Reshape", ["h3", "target"], ["h4"], name="reshape"),
        helper.make_node("Transpose", ["h4"], ["h5"], name="transpose", perm=[0, 2, 1]),
        helper.make_node("Flatten", ["h5"], ["h6"], name="flatten", axis=1),
        helper.make_node("Constant", [], ["c"], name="const", value=numpy_helper.from_array(f(6) * 0.2, "c")),
        helper.make_node("Sub", ["h6", "c"], ["h7"], name="sub"),
        helper.make_node("Mul", ["h7", "d"], ["h8"], name="mul"),
        helper.make_node("Identity", ["h8"], ["h9"], name="identity"),
        helper.make_node("Gemm", ["h9", "W2", "b2"], ["logits"], name="gemm", transB=1),
        helper.make_node("Softmax", ["logits"], ["output"], name="softmax", axis=-1),
    ]
    graph = helper.make_graph(nodes, "toy", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 3])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="tribunal-toy")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def build(out: Path) -> None:
    from .. import calibration

    model = make_model()
    onnx.save(model, out / "model.onnx")
    rng = np.random.default_rng(SEED + 1)
    calib = rng.standard_normal((256, 4)).astype(np.float32)
    calibration.save(out / "calibration.json", calibration.calibrate(model, "x", calib))
    np.savez(out / "data.npz", x_test=rng.standard_normal((64, 4)).astype(np.float32))
