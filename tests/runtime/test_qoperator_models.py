"""QOperator models (onnxruntime's quantize_static with QuantFormat.QOperator: QLinearConv,
QLinearMatMul, com.microsoft's QLinearAdd, QLinearLeakyRelu, QLinearSigmoid, QLinearConcat,
QLinearAveragePool, QLinearGlobalAveragePool) and quantize_dynamic's ConvInteger run exact with the
model's own int8 weights, int32 biases and scales: the QOperator outputs are onnxruntime's own
codes, and a dispute at any of their steps is lost by the liar."""
from __future__ import annotations

import logging

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from bisection import Side, dispute
from runtime.errors import UnsupportedOpError
from runtime.model import Model

quantization = pytest.importorskip("onnxruntime.quantization")
RNG = np.random.default_rng(7)
N = helper.make_node


def save(nodes, x_shape, y_shape, inits, path):
    g = helper.make_graph(nodes, "f", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x_shape))],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(y_shape))],
                          [numpy_helper.from_array(np.asarray(v, np.float32) if k != "shape" else v, k) for k, v in inits.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.save(m, path)


def convnet(path):
    r = lambda *s: RNG.standard_normal(s) * 0.3  # noqa: E731
    nodes = [N("Conv", ["x", "W1", "B1"], ["c1"], pads=[1, 1, 1, 1]), N("Relu", ["c1"], ["r1"]),
             N("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
             N("Conv", ["p1", "W2", "B2"], ["c2"], pads=[1, 1, 1, 1]), N("Relu", ["c2"], ["r2"]),
             N("Reshape", ["r2", "shape"], ["f"]), N("MatMul", ["f", "Wf"], ["m"]), N("Add", ["m", "bf"], ["y"])]
    save(nodes, (1, 1, 8, 8), (1, 5), {"W1": r(4, 1, 3, 3), "B1": r(4), "W2": r(6, 4, 3, 3), "B2": r(6),
                                       "shape": np.array([1, -1], np.int64), "Wf": r(96, 5), "bf": r(5)}, path)


def mlp(path):
    r = lambda *s: RNG.standard_normal(s) * 0.3  # noqa: E731
    nodes = [N("MatMul", ["x", "W1"], ["h"]), N("Add", ["h", "b1"], ["hb"]), N("Relu", ["hb"], ["a"]),
             N("MatMul", ["a", "W2"], ["m"]), N("Add", ["m", "b2"], ["y"])]
    save(nodes, (4, 16), (4, 8), {"W1": r(16, 32), "b1": r(32), "W2": r(32, 8), "b2": r(8)}, path)


def activations(path):
    """What onnxruntime's QOperator quantizer writes com.microsoft ops for: LeakyRelu, Sigmoid, Concat,
    AveragePool, GlobalAveragePool."""
    r = lambda *s: RNG.standard_normal(s) * 0.3  # noqa: E731
    nodes = [N("Conv", ["x", "W1", "B1"], ["c1"], pads=[1, 1, 1, 1]), N("LeakyRelu", ["c1"], ["l1"], alpha=0.1),
             N("Conv", ["l1", "W2", "B2"], ["c2"], pads=[1, 1, 1, 1]), N("Sigmoid", ["c2"], ["s2"]),
             N("Concat", ["l1", "s2"], ["cat"], axis=1), N("AveragePool", ["cat"], ["ap"], kernel_shape=[2, 2], strides=[2, 2]),
             N("GlobalAveragePool", ["ap"], ["g"]), N("Flatten", ["g"], ["f"]), N("MatMul", ["f", "Wf"], ["y"])]
    save(nodes, (1, 1, 8, 8), (1, 5), {"W1": r(4, 1, 3, 3), "B1": r(4), "W2": r(4, 4, 3, 3), "B2": r(4), "Wf": r(8, 5)}, path)


class Reader(quantization.CalibrationDataReader):
    def __init__(self, samples):
        self.it = iter([{"x": s} for s in samples])

    def get_next(self):
        return next(self.it, None)


SHAPES = {"cnn": (1, 1, 8, 8), "mlp": (4, 16), "acts": (1, 1, 8, 8)}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("qoperator")
    convnet(d / "cnn.onnx")
    mlp(d / "mlp.onnx")
    activations(d / "acts.onnx")
    logging.getLogger().setLevel(logging.ERROR)  # the quantizer's advice to pre-process
    q = quantization
    for net, shape in SHAPES.items():
        calib = RNG.standard_normal((16,) + shape).astype(np.float32)
        q.quantize_static(str(d / f"{net}.onnx"), str(d / f"{net}_qop.onnx"), Reader(calib), quant_format=q.QuantFormat.QOperator)
        q.quantize_static(str(d / f"{net}.onnx"), str(d / f"{net}_qop_pc.onnx"), Reader(calib), quant_format=q.QuantFormat.QOperator,
                          per_channel=True, activation_type=q.QuantType.QUInt8)
    q.quantize_dynamic(str(d / "cnn.onnx"), str(d / "cnn_dyn.onnx"))
    return d


def load(d, name):
    net = name.split("_")[0]
    return Model.load(d / f"{name}.onnx", calibration=RNG.standard_normal((16,) + SHAPES[net][1:]).astype(np.float32))


@pytest.mark.parametrize("name", ["cnn_qop", "cnn_qop_pc", "mlp_qop", "mlp_qop_pc", "acts_qop", "acts_qop_pc"])
def test_qoperatorModel_outputsAreOnnxruntimesOwnCodes(models, name):
    """Exact, numpy and torch alike, gives the codes onnxruntime's QLinear kernels give, on 20 inputs:
    the only possible differences (an exact tie, float32 arithmetic of the ratio) did not occur."""
    m = load(models, name)
    proto = onnx.load(models / f"{name}.onnx")
    made = {n.op_type for n in proto.graph.node}
    assert {"QLinearMatMul", "QLinearAdd"} <= made or {"QLinearConv", "QLinearLeakyRelu", "QLinearSigmoid", "QLinearConcat",
                                                        "QLinearAveragePool", "QLinearGlobalAveragePool"} <= made
    sess = ort.InferenceSession(str(models / f"{name}.onnx"), providers=["CPUExecutionProvider"])
    inits = {i.name: numpy_helper.to_array(i) for i in proto.graph.initializer}
    for _ in range(20):
        x = RNG.standard_normal(SHAPES[name.split("_")[0]]).astype(np.float32)
        a, b = m.run_exact(x, "numpy"), m.run_exact(x, "torch")
        assert (a.outputs[0] == b.outputs[0]).all()
        assert a.scales[0] == float(inits["y_scale"])
        codes = a.outputs[0].astype(np.int64) + int(inits["y_zero_point"])
        ort_codes = np.rint(sess.run(None, {"x": x})[0].astype(np.float64) / float(inits["y_scale"])) + int(inits["y_zero_point"])
        assert np.array_equal(codes, ort_codes)


@pytest.mark.parametrize("name", ["cnn_qop", "cnn_qop_pc"])
def test_qoperatorModel_programHoldsItsOwnWeightsAndBiases(models, name):
    m = load(models, name)
    prog = m.program(SHAPES["cnn"])
    proto = onnx.load(models / f"{name}.onnx")
    inits = {i.name: numpy_helper.to_array(i) for i in proto.graph.initializer}
    convs = [n for n in prog.nodes if n.op == "Conv"]
    assert len(convs) == 2
    for node, w, b in zip(convs, ("W1", "W2"), ("B1", "B2")):
        assert np.array_equal(prog.constants[node.inputs[1]], inits[f"{w}_quantized"].astype(np.int8))
        assert np.array_equal(prog.constants[node.inputs[2]], inits[f"{b}_quantized"])


def test_dynamicConvInteger_runsExact_withItsOwnInt8Weights(models):
    m = load(models, "cnn_dyn")
    prog = m.program(SHAPES["cnn"])
    own = {i.name: numpy_helper.to_array(i) for i in onnx.load(models / "cnn_dyn.onnx").graph.initializer}
    convs = [n for n in prog.nodes if n.op == "Conv"]
    assert [prog.constants[n.inputs[1]].tolist() for n in convs] == [own["W1_quantized"].tolist(), own["W2_quantized"].tolist()]
    x = RNG.standard_normal(SHAPES["cnn"]).astype(np.float32)
    a, b = m.run_exact(x, "numpy"), m.run_exact(x, "torch")
    assert (a.outputs[0] == b.outputs[0]).all()
    fast = m.run_fast(x)[0]  # onnxruntime quantizes activations to 8 bits per call, the program to 16 bits once
    assert np.abs(a.floats()[0] - fast).max() <= 0.05 * np.abs(fast).max()


@pytest.mark.parametrize("name", ["cnn_qop", "mlp_qop", "acts_qop"])
def test_qoperatorModel_disputeAtEveryStep_liarLoses(models, name):
    m = load(models, name)
    x_q = m.quantize_input(RNG.standard_normal(SHAPES[name.split("_")[0]]).astype(np.float32))
    prog = m.program(x_q.shape)
    assert {"Conv", "Gemm", "QuantizeLinear", "Add"} & {n.op for n in prog.nodes}
    for k in range(1, prog.steps + 1):
        for side in (Side.DEFENDER, Side.CHALLENGER):
            r = dispute.run(prog, x_q, "wrong-output", k, side, seed=k)
            honest = Side.CHALLENGER if side is Side.DEFENDER else Side.DEFENDER
            assert r.winner is honest, (name, k, side, r.reason)
            assert r.moves <= r.max_moves


def test_quantizedTensor_readByAComputingOp_isRefusedByName(tmp_path):
    """A QOperator graph whose int8 tensor feeds something other than QLinear ops, DequantizeLinear or
    data movement has no meaning on q - zp: refused, naming the node."""
    s, z = numpy_helper.from_array(np.array(0.1, np.float32), "s"), numpy_helper.from_array(np.array(0, np.int8), "z")
    w = numpy_helper.from_array(np.ones((4, 4), np.int8), "w")
    nodes = [N("QuantizeLinear", ["x", "s", "z"], ["q"]),
             N("QLinearMatMul", ["q", "s", "z", "w", "s", "z", "s", "z"], ["m"]),
             N("Cast", ["m"], ["c"], to=TensorProto.FLOAT, name="cast_of_codes"), N("Relu", ["c"], ["y"])]
    g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4])], [s, z, w])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.save(m, tmp_path / "bad.onnx")
    with pytest.raises(UnsupportedOpError, match="cast_of_codes.*Cast.*quantized"):
        Model.load(tmp_path / "bad.onnx", profile="exact", calibration=np.ones((2, 4), np.float32))
