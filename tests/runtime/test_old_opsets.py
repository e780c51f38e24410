"""ONNX model-zoo forms of opsets 7-12, built here with onnx.helper: they load and run exact,
numpy and torch bit-identical, within quantization error of onnxruntime."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from runtime.errors import UnsupportedOpError
from runtime.model import Model

RNG = np.random.default_rng(0)


def model(nodes, x_shape, y_shape, inits: dict, opset: int, ir: int = 7) -> onnx.ModelProto:
    g = helper.make_graph(nodes, "old", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x_shape))],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(y_shape))],
                          [numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = ir
    return m


def f32(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def node(op, ins, outs, **attrs):
    return helper.make_node(op, ins, outs, **attrs)


CASES = {
    "dropout7_mask": lambda: model([node("Dropout", ["x"], ["d", "mask"], ratio=0.3), node("Relu", ["d"], ["y"])],
                                   (2, 6), (2, 6), {}, 7, ir=3),
    "dropout10_mask": lambda: model([node("Dropout", ["x"], ["d", "mask"]), node("Relu", ["d"], ["y"])], (2, 6), (2, 6), {}, 10),
    "dropout12_mask": lambda: model([node("Dropout", ["x", "r"], ["d", "mask"]), node("Relu", ["d"], ["y"])], (2, 6),
                                    (2, 6), {"r": np.array(0.5, np.float32)}, 12),
    "upsample7_nearest": lambda: model([node("Upsample", ["x"], ["y"], scales=[1.0, 1.0, 2.0, 2.0], mode="nearest")],
                                       (1, 2, 3, 3), (1, 2, 6, 6), {}, 7, ir=3),
    "upsample9_input": lambda: model([node("Upsample", ["x", "s"], ["y"], mode="nearest")], (1, 2, 3, 3), (1, 2, 6, 9),
                                     {"s": np.array([1, 1, 2, 3], np.float32)}, 9),
    "resize11_nearest": lambda: model([node("Resize", ["x", "roi", "s"], ["y"], mode="nearest")], (1, 2, 3, 3),
                                      (1, 2, 6, 6), {"roi": np.array([], np.float32), "s": np.array([1, 1, 2, 2], np.float32)}, 11),
    "batchnorm7_spatial": lambda: model([node("BatchNormalization", ["x", "g", "b", "m", "v"], ["y"], spatial=1)],
                                        (1, 3, 4, 4), (1, 3, 4, 4), {"g": f32(3) + 2, "b": f32(3), "m": f32(3), "v": f32(3) ** 2 + 0.5}, 7),
    "reshape_slice_old": lambda: model([node("Slice", ["x"], ["s"], starts=[1], ends=[5], axes=[1]),
                                        node("Reshape", ["s", "shape"], ["y"])], (2, 6), (4, 2),
                                       {"shape": np.array([4, 2], np.int64)}, 9),
    "gemm7": lambda: model([node("Gemm", ["x", "W", "c"], ["y"], transB=1)], (2, 6), (2, 4), {"W": f32(4, 6), "c": f32(4)}, 7),
    "unsqueeze_squeeze11": lambda: model([node("Unsqueeze", ["x"], ["u"], axes=[0]), node("Squeeze", ["u"], ["y"], axes=[0])],
                                         (2, 6), (2, 6), {}, 11),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_oldOpsetForm_runsExact_backendsIdentical(name, tmp_path):
    path = tmp_path / f"{name}.onnx"
    onnx.save(CASES[name](), path)
    m = Model.load(path, profile="exact")
    x = f32(*m.default_shape())
    fast = m.run_fast(x)[0]
    a, b = m.run_exact(x, "numpy"), m.run_exact(x, "torch")
    assert (a.outputs[0] == b.outputs[0]).all()
    assert np.abs(a.floats()[0] - fast).max() <= 0.02 * np.abs(fast).max() + 1e-3


def test_upsample_isDataMovement_noRounding(tmp_path):
    """A nearest upsample of the quantized input is the input repeated: exact, three program steps."""
    path = tmp_path / "up.onnx"
    onnx.save(CASES["upsample9_input"](), path)
    m = Model.load(path, profile="exact")
    x = f32(1, 2, 3, 3)
    q = m.quantize_input(x)
    out = m.run_exact(x).outputs[0]
    assert (out == np.repeat(np.repeat(q, 2, axis=2), 3, axis=3)).all()
    assert [n.op for n in m.program(x.shape).nodes] == ["Reshape", "Expand", "Reshape"]


@pytest.mark.parametrize("form", ["linear", "fractional"])
def test_upsample_notARepeat_isRefusedByName(form, tmp_path):
    scales = np.array([1, 1, 2, 2] if form == "linear" else [1, 1, 1.5, 1.5], np.float32)
    nodes = [node("Resize", ["x", "", "s"], ["y"], mode="linear" if form == "linear" else "nearest")]
    path = tmp_path / "r.onnx"
    onnx.save(model(nodes, (1, 1, 4, 4), (1, 1, None, None), {"s": scales}, 13), path)
    with pytest.raises(UnsupportedOpError, match="Resize.*whole factors"):
        Model.load(path, profile="exact")


def test_dropout_maskRead_isRefused(tmp_path):
    nodes = [node("Dropout", ["x"], ["y", "mask"]), node("Not", ["mask"], ["z"])]
    m = model(nodes, (2, 6), (2, 6), {}, 12)
    m.graph.output.append(helper.make_tensor_value_info("z", TensorProto.BOOL, [2, 6]))
    path = tmp_path / "d.onnx"
    onnx.save(m, path)
    with pytest.raises(UnsupportedOpError, match="mask 'mask' is read"):
        Model.load(path, profile="exact")
