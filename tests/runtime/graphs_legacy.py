"""Single-op graphs of the old-opset and QOperator forms (issue 17), for the property tests of
tests/runtime/test_ops.py and the on-chain checks of tests/contracts/test_onestep.py."""
from __future__ import annotations

import numpy as np
from onnx import helper

from .graphs import graph, unary


def pad(rng, d):
    """Constant Pad of an activation: opset 10 (attributes) or 11 (inputs), zero or another fill."""
    shape = tuple(d(1, 4) for _ in range(d(1, 4)))
    pads = [d(0, 2) for _ in range(2 * len(shape))]
    pads[d(0, len(pads) - 1)] = d(1, 2)  # some padding: no pads at all is an Identity step
    value = 0.0 if d(0, 1) else float(d(-20, 20)) / 10
    nodes = [helper.make_node("Relu", ["x"], ["r"])]
    if d(0, 1):
        nodes.append(helper.make_node("Pad", ["r"], ["y"], mode="constant", pads=pads, value=value))
        return graph(nodes, shape, {}, opset=10)
    nodes.append(helper.make_node("Pad", ["r", "p", "v"], ["y"], mode="constant"))
    return graph(nodes, shape, {"p": np.array(pads, np.int64), "v": np.array(value, np.float32)}, opset=13)


def clip(rng, d):
    """Clip with bounds as attributes (opset 6-10) or inputs (11+); either bound may be missing."""
    shape = tuple(d(1, 6) for _ in range(d(1, 3)))
    lo, hi = sorted([d(-30, 30) / 10, d(-30, 30) / 10])
    lo, hi = (lo if d(0, 3) else None), (hi if d(0, 3) else None)
    hi = 1.0 if lo == 0 and hi is None else hi  # Clip(0, inf) is a Relu step
    if d(0, 1):
        attrs = {k: v for k, v in (("min", lo), ("max", hi)) if v is not None}
        return graph([helper.make_node("Clip", ["x"], ["y"], **attrs)], shape, {}, opset=10)
    inits = {k: np.array(v, np.float32) for k, v in (("lo", lo), ("hi", hi)) if v is not None}
    return graph([helper.make_node("Clip", ["x", "lo" if lo is not None else "", "hi" if hi is not None else ""], ["y"])],
                 shape, inits, opset=13)


def qlinear_matmul(rng, d):
    """A QOperator MatMul: QuantizeLinear, QLinearMatMul of int8 weights (per-tensor or per-column
    scales), DequantizeLinear."""
    k, n = d(1, 24), d(1, 10)
    ws = (rng.random(n if d(0, 1) else 1) * 0.02 + 0.001).astype(np.float32)
    inits = {"s": np.array(0.03, np.float32), "z": np.array(d(-5, 5), np.int8), "wq": rng.integers(-127, 128, (k, n)).astype(np.int8),
             "ws": ws if ws.size > 1 else ws.reshape(()), "wz": np.zeros(ws.shape if ws.size > 1 else (), np.int8),
             "ys": np.array(d(5, 60) / 100, np.float32), "yz": np.array(d(-9, 9), np.int8)}
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"]),
             helper.make_node("QLinearMatMul", ["q", "s", "z", "wq", "ws", "wz", "ys", "yz"], ["m"]),
             helper.make_node("DequantizeLinear", ["m", "ys", "yz"], ["y"])]
    return graph(nodes, (d(1, 4), k), inits)


def qlinear_conv(rng, d):
    """A QOperator Conv: int8 weights per output channel, an int32 bias, a uint8 output."""
    c, o, kk = d(1, 3), d(1, 4), d(1, 3)
    inits = {"s": np.array(0.02, np.float32), "z": np.array(d(0, 255), np.uint8),
             "wq": rng.integers(-127, 128, (o, c, kk, kk)).astype(np.int8), "ws": (rng.random(o) * 0.01 + 0.001).astype(np.float32),
             "wz": np.zeros(o, np.int8), "ys": np.array(d(5, 60) / 100, np.float32), "yz": np.array(d(0, 255), np.uint8),
             "b": rng.integers(-5000, 5000, o).astype(np.int32)}
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"]),
             helper.make_node("QLinearConv", ["q", "s", "z", "wq", "ws", "wz", "ys", "yz", "b"], ["m"], pads=[1, 1, 1, 1]),
             helper.make_node("DequantizeLinear", ["m", "ys", "yz"], ["y"])]
    return graph(nodes, (1, c, d(kk, 6), d(kk, 6)), inits)


def image_scaler(rng, d):
    """ImageScaler (opsets 1-9, experimental): a scale for the image, a bias per channel."""
    shape = (d(1, 2), d(1, 3), d(1, 4), d(1, 4))
    bias = [float(v) for v in rng.standard_normal(shape[1]).round(2)]
    return graph([helper.make_node("ImageScaler", ["x"], ["y"], scale=d(1, 40) / 10, bias=bias)], shape, {}, opset=9)


def extremum(op):
    def make(rng, d):
        """Max or Min of 1-3 inputs of different scales, broadcasting (opset 8 on)."""
        shape = tuple(d(1, 5) for _ in range(d(1, 3)))
        nodes = [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Neg", ["x"], ["n"]),
                 helper.make_node(op, ["x", "r", "c", "n"][:d(1, 4)], ["y"])]
        return graph(nodes, shape, {"c": (rng.standard_normal(shape[-1:]) * 2).astype(np.float32)}, opset=13)
    return make


LEGACY_OPS = {"Pad": pad, "Clip": clip, "MatMul-qoperator": qlinear_matmul, "Conv-qoperator": qlinear_conv,
              "ImageScaler": image_scaler, "LeakyRelu": unary("LeakyRelu", alpha=0.1),
              "Max": extremum("Max"), "Min": extremum("Min")}
LEGACY_FEW = ("Pad", "Clip", "MatMul-qoperator", "Conv-qoperator", "ImageScaler")  # kernels checked with the full count
LEGACY_LOWERS_TO = {"Pad": "Concat", "Clip": "QuantizeLinear", "ImageScaler": "BatchNormalization"}
LEGACY_KEY_LOWERS_TO = {"MatMul-qoperator": "Gemm", "Conv-qoperator": "Conv"}
