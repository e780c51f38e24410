"""Small random ONNX graphs, one op under test each, for property tests of the exact ops."""
from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def graph(nodes, x_shape, inits: dict, out="y", opset=17, out_shape=None) -> onnx.ModelProto:
    g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x_shape))],
                          [helper.make_tensor_value_info(out, TensorProto.FLOAT, out_shape)],
                          [numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def f32(rng, *shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def gemm(rng, d):
    m, k, n = d(1, 6), d(1, 40), d(1, 20)
    trans = d(0, 1)
    w = f32(rng, *((n, k) if trans else (k, n)))
    inits = {"W": w, "C": f32(rng, n)}
    node = helper.make_node("Gemm", ["x", "W", "C"], ["y"], transB=trans, alpha=float(d(1, 3)) / 2, beta=float(d(0, 2)) / 2)
    return graph([node], (m, k), inits)


def matmul_const(rng, d):
    shape = tuple(d(1, 4) for _ in range(d(0, 1))) + (d(1, 5), d(1, 30))
    return graph([helper.make_node("MatMul", ["x", "W"], ["y"])], shape, {"W": f32(rng, shape[-1], d(1, 12))})


def matmul_act(rng, d):
    shape = (d(1, 3), d(1, 6), d(1, 20))
    nodes = [helper.make_node("Transpose", ["x"], ["xt"], perm=[0, 2, 1]), helper.make_node("MatMul", ["x", "xt"], ["y"])]
    return graph(nodes, shape, {})


def conv(rng, d):
    c, h, w = d(1, 3), d(3, 9), d(3, 9)
    group = c if d(0, 1) else 1
    o = group * d(1, 3)
    k, s, dil, p = d(1, 3), d(1, 2), d(1, 2), d(0, 1)
    k = min(k, (min(h, w) + 2 * p - 1) // dil + 1)
    inits = {"W": f32(rng, o, c // group, k, k), "B": f32(rng, o, scale=0.1)}
    node = helper.make_node("Conv", ["x", "W", "B"], ["y"], kernel_shape=[k, k], strides=[s, s], dilations=[dil, dil],
                            pads=[p, p + d(0, 1) * (k > 1), p, p], group=group)
    return graph([node], (d(1, 3), c, h, w), inits)


def maxpool(rng, d):
    h, w = d(3, 9), d(3, 9)
    k = d(1, 3)
    p = d(0, k // 2)
    node = helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[k, k], strides=[d(1, 2)] * 2, pads=[p, 0, p, p])
    return graph([node], (d(1, 2), d(1, 3), h, w), {})


def binary(op):
    def make(rng, d):
        shape = tuple(d(1, 5) for _ in range(d(1, 3)))
        if d(0, 1):  # activation with a broadcast constant
            cshape = tuple(s if d(0, 1) else 1 for s in shape[d(0, len(shape) - 1):])
            return graph([helper.make_node(op, ["x", "c"], ["y"])], shape, {"c": f32(rng, *cshape, scale=d(1, 4))})
        nodes = [helper.make_node("Relu", ["x"], ["r"]), helper.make_node(op, ["x", "r"], ["y"])]
        return graph(nodes, shape, {})
    return make


def unary(op, **attrs):
    def make(rng, d):
        shape = tuple(d(1, 6) for _ in range(d(1, 4)))
        a = {k: v(shape, d) if callable(v) else v for k, v in attrs.items()}
        return graph([helper.make_node(op, ["x"], ["y"], **a)], shape, {})
    return make


def reshape(rng, d):
    shape = tuple(d(1, 4) for _ in range(d(1, 4)))
    n = int(np.prod(shape))
    target = [n] if d(0, 1) else [-1, shape[-1]]
    return graph([helper.make_node("Reshape", ["x", "t"], ["y"])], shape, {"t": np.array(target, dtype=np.int64)})


def _perm(shape, d):
    p = list(range(len(shape)))
    for i in range(len(p) - 1, 0, -1):
        j = d(0, i)
        p[i], p[j] = p[j], p[i]
    return p


OPS = {
    "Gemm": gemm, "MatMul": matmul_const, "MatMul-activations": matmul_act, "Conv": conv, "MaxPool": maxpool,
    "Add": binary("Add"), "Sub": binary("Sub"), "Mul": binary("Mul"), "Relu": unary("Relu"),
    "Identity": unary("Identity"), "Flatten": unary("Flatten", axis=lambda s, d: d(0, len(s))),
    "Reshape": reshape, "Transpose": unary("Transpose", perm=_perm),
    "Softmax": unary("Softmax", axis=lambda s, d: d(-len(s), len(s) - 1)),
}

from .graphs_numeric import NUMERIC_OPS  # noqa: E402 - it builds on graph() and f32() above

OPS.update(NUMERIC_OPS)
