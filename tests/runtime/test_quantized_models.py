"""Quantized ONNX models users already have: onnxruntime's quantize_static (QDQ format) and
quantize_dynamic (MatMulInteger) outputs run exact with the model's own int8 weights and scales."""
from __future__ import annotations

import logging

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from runtime.errors import UnsupportedOpError
from runtime.model import Model

quantization = pytest.importorskip("onnxruntime.quantization")
RNG = np.random.default_rng(0)


def mlp(path):
    w1, w2 = (RNG.standard_normal((16, 32)) * 0.3).astype(np.float32), (RNG.standard_normal((32, 8)) * 0.3).astype(np.float32)
    nodes = [helper.make_node("MatMul", ["x", "W1"], ["h"]), helper.make_node("Add", ["h", "b1"], ["hb"]),
             helper.make_node("Relu", ["hb"], ["r"]), helper.make_node("MatMul", ["r", "W2"], ["y"])]
    g = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 16])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 8])],
                          [numpy_helper.from_array(w1, "W1"), numpy_helper.from_array(w2, "W2"),
                           numpy_helper.from_array(RNG.standard_normal(32).astype(np.float32), "b1")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.save(m, path)


class Reader(quantization.CalibrationDataReader):
    def __init__(self, samples):
        self.it = iter([{"x": s} for s in samples])

    def get_next(self):
        return next(self.it, None)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("quantized")
    mlp(d / "f.onnx")
    calib = RNG.standard_normal((64, 16)).astype(np.float32)
    logging.getLogger().setLevel(logging.ERROR)  # the quantizer's advice to pre-process
    quantization.quantize_static(str(d / "f.onnx"), str(d / "qdq.onnx"), Reader(calib.reshape(8, 8, 16)),
                                 quant_format=quantization.QuantFormat.QDQ)
    quantization.quantize_static(str(d / "f.onnx"), str(d / "qdq_pc.onnx"), Reader(calib.reshape(8, 8, 16)),
                                 quant_format=quantization.QuantFormat.QDQ, per_channel=True,
                                 activation_type=quantization.QuantType.QUInt8)
    quantization.quantize_dynamic(str(d / "f.onnx"), str(d / "dynamic.onnx"))
    return d, calib


def own_weights(path) -> list[np.ndarray]:
    return [numpy_helper.to_array(i) for i in onnx.load(path).graph.initializer
            if i.name.startswith("W") and i.name.endswith("_quantized")]


@pytest.mark.parametrize("name", ["qdq", "qdq_pc", "dynamic"])
def test_quantizedModel_runsExact_withItsOwnInt8Weights(models, name):
    d, calib = models
    m = Model.load(d / f"{name}.onnx", calibration=calib)
    x = RNG.standard_normal((32, 16)).astype(np.float32)
    prog = m.program(x.shape)
    weights = [prog.constants[s.index] for s in prog.slots if s.dtype == "int8"]
    own = own_weights(d / f"{name}.onnx")
    assert len(weights) == len(own) == 2
    # the program keeps a constant MatMul weight as [N, K] (one-step reads contiguous), ONNX as [K, N]
    assert all(np.array_equal(w, o.T) for w, o in zip(weights, own))
    a, b = m.run_exact(x, "numpy"), m.run_exact(x, "torch")
    assert (a.outputs[0] == b.outputs[0]).all()
    fast = m.run_fast(x)[0]
    assert np.abs(a.floats()[0] - fast).max() <= 0.03 * np.abs(fast).max()


@pytest.mark.parametrize("name", ["qdq", "qdq_pc"])
def test_qdqModel_outputIsOnItsOwnGrid_andAgreesWithOnnxruntime(models, name):
    """The output is the model's last QuantizeLinear, in its own scale: the codes onnxruntime
    computes, but where one rounding on the way fell the other side of a tie (one step; 1.2% and
    0.4% of these outputs)."""
    d, calib = models
    m = Model.load(d / f"{name}.onnx", calibration=calib)
    x = RNG.standard_normal((32, 16)).astype(np.float32)
    r = m.run_exact(x)
    inits = {i.name: numpy_helper.to_array(i) for i in m.proto.graph.initializer}
    assert r.scales[0] == pytest.approx(float(inits["y_scale"]), rel=1e-7)
    steps = np.rint(m.run_fast(x)[0] / r.scales[0]) - r.outputs[0]
    assert np.abs(steps).max() <= 1 and (steps == 0).mean() >= 0.98
    program_ops = {n.op for n in m.program(x.shape).nodes}
    assert "QuantizeLinear" in program_ops and "DequantizeLinear" not in program_ops


def test_dequantizeOfAnotherScale_isRefusedByName(tmp_path):
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"]), helper.make_node("DequantizeLinear", ["q", "t", "z"], ["y"])]
    g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4])],
                          [numpy_helper.from_array(np.array(0.1, np.float32), "s"), numpy_helper.from_array(np.array(0.2, np.float32), "t"),
                           numpy_helper.from_array(np.array(3, np.uint8), "z")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.save(m, tmp_path / "bad.onnx")
    with pytest.raises(UnsupportedOpError, match="DequantizeLinear.*same scale and zero point"):
        Model.load(tmp_path / "bad.onnx", profile="exact")
