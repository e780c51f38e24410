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
    if ir < 4:  # IR 3 files (the zoo's oldest) list every initializer as a graph input too
        g.input.extend(helper.make_tensor_value_info(k, helper.np_dtype_to_tensor_dtype(np.asarray(v).dtype), np.shape(v))
                       for k, v in inits.items())
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
    # opsets 1-6, converted to opset 7 at load (runtime/legacy.py)
    "gemm6_broadcast": lambda: model([node("Gemm", ["x", "W", "c"], ["y"], transB=1, broadcast=1)], (2, 6), (2, 4),
                                     {"W": f32(4, 6), "c": f32(4)}, 6, ir=3),
    "batchnorm6_istest": lambda: model([node("BatchNormalization", ["x", "g", "b", "m", "v"], ["y"], is_test=1, epsilon=1e-5)],
                                       (1, 3, 4, 4), (1, 3, 4, 4), {"g": f32(3) + 2, "b": f32(3), "m": f32(3), "v": f32(3) ** 2 + 0.5}, 6, ir=3),
    "reshape1_attr": lambda: model([node("Reshape", ["x"], ["y"], shape=[3, 4])], (2, 6), (3, 4), {}, 1, ir=3),
    "concat1_default_axis": lambda: model([node("Concat", ["x", "a"], ["y"])], (1, 2, 3), (1, 4, 3), {"a": f32(1, 2, 3)}, 1, ir=3),
    "avgpool1": lambda: model([node("AveragePool", ["x"], ["y"], kernel_shape=[2, 2], strides=[2, 2])], (1, 2, 4, 4), (1, 2, 2, 2),
                              {}, 1, ir=3),
    "dropout6_istest": lambda: model([node("Dropout", ["x"], ["y"], is_test=1, ratio=0.5)], (2, 6), (2, 6), {}, 6, ir=3),
    "sum6_three": lambda: model([node("Sum", ["x", "a", "b"], ["y"])], (2, 6), (2, 6), {"a": f32(2, 6), "b": f32(2, 6)}, 6, ir=3),
    "pad2_attr": lambda: model([node("Pad", ["x"], ["y"], pads=[0, 0, 1, 1, 0, 0, 1, 2], mode="constant", value=0.0)],
                               (1, 2, 3, 3), (1, 2, 5, 6), {}, 2, ir=3),
    "clip6_attr": lambda: model([node("Clip", ["x"], ["y"], min=-0.5, max=0.7)], (2, 6), (2, 6), {}, 6, ir=3),
    # opsets 7-12 as they are
    "pad11_input": lambda: model([node("Pad", ["x", "p"], ["y"], mode="constant")], (1, 2, 3, 3), (1, 2, 5, 6),
                                 {"p": np.array([0, 0, 1, 1, 0, 0, 1, 2], np.int64)}, 11),
    "clip11_input": lambda: model([node("Clip", ["x", "lo", "hi"], ["y"])], (2, 6), (2, 6),
                                  {"lo": np.array(-0.2, np.float32), "hi": np.array(0.5, np.float32)}, 11),
    "clip11_relu6": lambda: model([node("Clip", ["x", "lo", "hi"], ["y"])], (2, 6), (2, 6),
                                  {"lo": np.array(0, np.float32), "hi": np.array(6, np.float32)}, 11),
    "softmax9_flattens": lambda: model([node("Softmax", ["x"], ["y"], axis=1)], (2, 3, 4), (2, 3, 4), {}, 9),
    "max8_three": lambda: model([node("Max", ["x", "a", "b"], ["y"])], (2, 6), (2, 6), {"a": f32(2, 6), "b": f32(6)}, 8),
    "min6_three": lambda: model([node("Min", ["x", "a", "b"], ["y"])], (2, 6), (2, 6), {"a": f32(2, 6), "b": f32(2, 6)}, 6, ir=3),
    "leakyrelu6": lambda: model([node("LeakyRelu", ["x"], ["y"], alpha=0.1)], (2, 6), (2, 6), {}, 6, ir=3),
    "imagescaler6": lambda: model([node("ImageScaler", ["x"], ["y"], bias=[0.1, -0.2], scale=2.0)], (1, 2, 3, 3), (1, 2, 3, 3), {}, 6, ir=3),
    "imagescaler8": lambda: model([node("ImageScaler", ["x"], ["y"], bias=[0.1, -0.2], scale=2.0)], (1, 2, 3, 3), (1, 2, 3, 3), {}, 8, ir=3),
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


def save(proto, tmp_path, name="m") -> str:
    path = tmp_path / f"{name}.onnx"
    onnx.save(proto, path)
    return str(path)


def test_opset6AxisBroadcast_meansBAlignedAtTheAxis(tmp_path):
    """Add/Mul with broadcast=1, axis=1 lay B [C] on A [N, C, H, W] as [C, 1, 1] (onnx's converter
    alone would make it [C, 1, 1, 1]): the result is x + b[c] / x * b[c] per channel."""
    b = f32(3)
    for op, f in (("Add", np.add), ("Mul", np.multiply)):
        m = Model.load(save(model([node(op, ["x", "b"], ["y"], broadcast=1, axis=1)], (1, 3, 4, 4), (1, 3, 4, 4), {"b": b}, 6, ir=3),
                            tmp_path, op), profile="exact")
        x = f32(1, 3, 4, 4)
        want = f(x, b.reshape(3, 1, 1))
        assert m.run_fast(x)[0].shape == want.shape and np.allclose(m.run_fast(x)[0], want, atol=1e-6)
        assert np.abs(m.run_exact(x).floats()[0] - want).max() <= 0.01 * np.abs(want).max()


def test_softmaxBeforeOpset13_isOverTheFlattenedTrailingAxes(tmp_path):
    m = Model.load(save(CASES["softmax9_flattens"](), tmp_path), profile="exact")
    x = f32(2, 3, 4)
    e = np.exp(x.reshape(2, 12) - x.reshape(2, 12).max(axis=1, keepdims=True))
    want = (e / e.sum(axis=1, keepdims=True)).reshape(2, 3, 4)
    assert np.abs(m.run_exact(x).floats()[0] - want).max() <= 2e-3


@pytest.mark.parametrize("name", ["clip6_attr", "clip11_input", "clip11_relu6", "pad2_attr", "pad11_input"])
def test_clipAndPad_areExact_onTheInputsGrid(name, tmp_path):
    """Clip and Pad round nothing: the output is the quantized input clipped to the rounded bounds,
    or surrounded by zeros, in the input's own scale."""
    m = Model.load(save(CASES[name](), tmp_path), profile="exact")
    x = f32(*m.default_shape()) * 3
    q, r = m.quantize_input(x), m.run_exact(x)
    prog = m.program(x.shape)
    assert r.scales[0] == prog.slots[prog.input_slot].scale
    if name.startswith("pad"):
        want = np.pad(q, [(0, 0), (0, 0), (1, 1), (1, 2)])
    else:
        lo, hi = {"clip6_attr": (-0.5, 0.7), "clip11_input": (-0.2, 0.5), "clip11_relu6": (0, 6)}[name]
        s = np.float64(r.scales[0])
        want = np.minimum(np.maximum(q, np.rint(np.float32(lo) / s)), np.rint(np.float32(hi) / s))
    assert np.array_equal(r.outputs[0], want)


def mnist1_like() -> onnx.ModelProto:
    """The shape of the zoo's mnist-1 (opset 1, IR 3): Conv without bias, Add of the bias with
    broadcast on axis 1, Relu, MaxPool, twice; Reshape by attribute; MatMul; Add."""
    nodes = [node("Conv", ["x", "W1"], ["c1"], kernel_shape=[5, 5], pads=[2, 2, 2, 2]), node("Add", ["c1", "B1"], ["a1"], broadcast=1, axis=1),
             node("Relu", ["a1"], ["r1"]), node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
             node("Conv", ["p1", "W2"], ["c2"], kernel_shape=[5, 5], pads=[2, 2, 2, 2]), node("Add", ["c2", "B2"], ["a2"], broadcast=1, axis=1),
             node("Relu", ["a2"], ["r2"]), node("MaxPool", ["r2"], ["p2"], kernel_shape=[3, 3], strides=[3, 3]),
             node("Reshape", ["p2"], ["f"], shape=[1, 16]), node("MatMul", ["f", "W3"], ["m"]), node("Add", ["m", "B3"], ["y"], broadcast=1)]
    inits = {"W1": f32(4, 1, 5, 5) * 0.3, "B1": f32(4) * 0.1, "W2": f32(4, 4, 5, 5) * 0.2, "B2": f32(4) * 0.1,
             "W3": f32(16, 10) * 0.2, "B3": f32(1, 10)}
    return model(nodes, (1, 1, 12, 12), (1, 10), inits, 1, ir=3)


def squeezenet3_like() -> onnx.ModelProto:
    """A fire module in the form of the zoo's squeezenet1.0-3 (opset 3): squeeze Conv, two expand
    Convs concatenated (Concat's opset-1..3 default axis 1), Dropout, GlobalAveragePool, Softmax."""
    nodes = [node("Conv", ["x", "Ws", "Bs"], ["s"], kernel_shape=[1, 1]), node("Relu", ["s"], ["sr"]),
             node("Conv", ["sr", "We1", "Be1"], ["e1"], kernel_shape=[1, 1]), node("Relu", ["e1"], ["e1r"]),
             node("Conv", ["sr", "We3", "Be3"], ["e3"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]), node("Relu", ["e3"], ["e3r"]),
             node("Concat", ["e1r", "e3r"], ["cat"]), node("Dropout", ["cat"], ["d"], is_test=1, ratio=0.5),
             node("GlobalAveragePool", ["d"], ["g"]), node("Reshape", ["g"], ["gf"], shape=[1, 8]),
             node("Softmax", ["gf"], ["y"])]
    inits = {"Ws": f32(2, 3, 1, 1), "Bs": f32(2) * 0.1, "We1": f32(4, 2, 1, 1), "Be1": f32(4) * 0.1,
             "We3": f32(4, 2, 3, 3) * 0.3, "Be3": f32(4) * 0.1}
    return model(nodes, (1, 3, 6, 6), (1, 8), inits, 3, ir=3)


@pytest.mark.parametrize("make", [mnist1_like, squeezenet3_like])
def test_zooShapedOldFile_runsExact_andItsDisputeIsWonByTheHonest(make, tmp_path):
    from bisection import Side, dispute

    proto = make()
    shape = tuple(d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim)
    m = Model.load(save(proto, tmp_path), profile="exact", calibration=f32(16, *shape[1:]))
    assert m.proto.opset_import[0].version == 7  # converted at load: onnxruntime runs opset 7 and later
    x = f32(*m.default_shape())
    fast = m.run_fast(x)[0]
    a, b = m.run_exact(x, "numpy"), m.run_exact(x, "torch")
    assert (a.outputs[0] == b.outputs[0]).all()
    assert np.abs(a.floats()[0] - fast).max() <= 0.03 * np.abs(fast).max()
    x_q = m.quantize_input(x)
    prog = m.program(x.shape)
    for k in (1, prog.steps // 2, prog.steps):
        assert dispute.run(prog, x_q, "wrong-output", k, "defender").winner is Side.CHALLENGER


@pytest.mark.parametrize("form, why", [
    ("bn_spatial0", "spatial=0, per activation"), ("pad_edge", "mode 'edge'"), ("pad_negative", "negative pads"),
    ("clip_computed_bound", "'lom' must be a constant"), ("crop6", "no longer defines \\(Crop\\)")])
def test_oldFormWithoutAnExactMeaning_isRefusedByName(form, why, tmp_path):
    from runtime.errors import ModelFormatError, TribunalError

    protos = {
        "bn_spatial0": lambda: model([node("BatchNormalization", ["x", "g", "b", "m", "v"], ["y"], spatial=0)], (1, 3, 2, 2), (1, 3, 2, 2),
                                     {k: f32(3, 2, 2) ** 2 + 0.5 for k in "gbmv"}, 7),
        "pad_edge": lambda: model([node("Pad", ["x"], ["y"], pads=[0, 1, 0, 1], mode="edge")], (2, 3), (2, 5), {}, 10),
        "pad_negative": lambda: model([node("Pad", ["x", "p"], ["y"])], (2, 3), (2, 2), {"p": np.array([0, 0, 0, -1], np.int64)}, 11),
        "clip_computed_bound": lambda: model([node("Reshape", ["x", "flat"], ["r"]), node("Gather", ["r", "i"], ["lom"]),
                                              node("Clip", ["x", "lom"], ["y"])], (2, 3), (2, 3),
                                             {"flat": np.array([-1], np.int64), "i": np.array(0, np.int64)}, 11),
        "crop6": lambda: model([node("Crop", ["x"], ["y"], border=[1, 1, 1, 1])], (1, 2, 4, 4), (1, 2, 2, 2), {}, 6, ir=3),
    }
    with pytest.raises(TribunalError, match=why) as e:
        Model.load(save(protos[form](), tmp_path), profile="exact", calibration=f32(4, *{"bn_spatial0": (3, 2, 2), "pad_edge": (3,),
                   "pad_negative": (3,), "clip_computed_bound": (3,), "crop6": (2, 4, 4)}[form]))
    assert isinstance(e.value, (UnsupportedOpError, ModelFormatError))
