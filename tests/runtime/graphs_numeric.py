"""Random single-op graphs for the numeric ops (normalization, tables, division, pools); joined into
`graphs.OPS`, so test_ops, test_reads and the one-step tests cover them like every other op."""
from __future__ import annotations

import math

import numpy as np
from onnx import helper

from .graphs import f32, graph


def _shape(d, lo=1, hi=4, dmax=6):
    return tuple(d(1, dmax) for _ in range(d(lo, hi)))


def layernorm(rng, d):
    shape = _shape(d, 1, 3, 8)
    axis = d(-len(shape), len(shape) - 1)
    row = shape[axis:]
    inits = {"g": f32(rng, *row, scale=d(1, 3)), "b": f32(rng, *row, scale=0.5)}
    ins = ["x", "g", "b"] if d(0, 1) else ["x", "g"]
    node = helper.make_node("LayerNormalization", ins, ["y"], axis=axis, epsilon=10.0 ** -d(2, 6))
    return graph([node], shape, inits)


def layernorm_long(rng, d):
    """A row too long for one one-step proof: LayerNormStats steps over blocks of it, a LayerNormApply."""
    shape = (d(1, 2), d(1500, 3200)) if d(0, 1) else (d(1, 2), d(2, 3), d(750, 1100))
    axis = len(shape) - 1 if len(shape) == 2 else 1
    row = shape[axis:]
    inits = {"g": f32(rng, *row, scale=d(1, 3)), "b": f32(rng, *row, scale=0.5)}
    node = helper.make_node("LayerNormalization", ["x", "g", "b"], ["y"], axis=axis, epsilon=10.0 ** -d(2, 6))
    return graph([node], shape, inits)


def softmax_long(rng, d):
    """A last-axis Softmax row too long for SoftmaxExp / SoftmaxNorm proofs (~4k positions): RowMaxBlock,
    SoftmaxExpAt, RowSumBlock and SoftmaxDivide steps; some rows start with saturated mask entries."""
    n = d(4200, 5200)
    shape = (d(1, 2), n) if d(0, 1) else (1, d(1, 2), n)
    if d(0, 1):  # a mask's fill saturates to -32768 (runtime/ops/softmax.py)
        nodes = [helper.make_node("Where", ["m", "x", "f"], ["w"]), helper.make_node("Softmax", ["w"], ["y"], axis=-1)]
        mask = np.ones(shape, dtype=bool)
        mask.reshape(-1, n)[0, :d(1, 9)] = False
        return graph(nodes, shape, {"m": mask, "f": np.array(-1e9, np.float32)})
    return graph([helper.make_node("Softmax", ["x"], ["y"], axis=-1)], shape, {})


def reducemean_long(rng, d):
    """A mean over trailing axes too long for one step's proof (LLaMA-7B's RMSNorm is 4096 wide):
    RowSumBlock steps and a MeanOfSum."""
    shape = (d(1, 3), d(4096, 6000)) if d(0, 1) else (d(1, 2), 2, d(2100, 2600))
    axes = [-1] if len(shape) == 2 else [-2, -1]
    return graph([helper.make_node("ReduceMean", ["x"], ["y"], axes=axes, keepdims=d(0, 1))], shape, {})


def conv_long(rng, d):
    """A Conv whose window covers too many input channels for one step's proof (ResNet-50's 3x3x512):
    ConvBlock steps over blocks of the channels, a Requantize, a Transpose."""
    group, cg, h, k = d(1, 2), d(40, 90), d(3, 6), 3
    o = group * d(1, 2)
    w = f32(rng, o, cg, k, k)
    node = helper.make_node("Conv", ["x", "w", "b"], ["y"], pads=[d(0, 1)] * 4, strides=[d(1, 2)] * 2, group=group)
    return graph([node], (d(1, 2), group * cg, h, h), {"w": w, "b": f32(rng, o)})


def after_relu(op, plus: float = 0.0):
    """op on a non-negative (Relu), optionally shifted, input: Sqrt and Reciprocal stay finite."""
    def make(rng, d):
        shape = _shape(d)
        nodes = [helper.make_node("Relu", ["x"], ["r"])]
        src = "r"
        if plus:
            nodes.append(helper.make_node("Add", ["r", "one"], ["s"]))
            src = "s"
        nodes.append(helper.make_node(op, [src], ["y"]))
        return graph(nodes, shape, {"one": np.array(plus, dtype=np.float32)} if plus else {})
    return make


def gelu_node(rng, d):
    form = "tanh" if d(0, 1) else "none"
    return graph([helper.make_node("Gelu", ["x"], ["y"], approximate=form)], _shape(d), {}, opset=20)


def gelu_erf_subgraph(rng, d):
    """x/2 (1 + erf(x / sqrt 2)) as torch's exporter writes it (operand order drawn)."""
    c = {"sqrt2": np.array(math.sqrt(2), dtype=np.float32), "one": np.array(1.0, dtype=np.float32),
         "half": np.array(0.5, dtype=np.float32)}
    nodes = [helper.make_node("Div", ["x", "sqrt2"], ["u"]), helper.make_node("Erf", ["u"], ["e"]),
             helper.make_node("Add", ["e", "one"] if d(0, 1) else ["one", "e"], ["a"])]
    if d(0, 1):
        nodes += [helper.make_node("Mul", ["x", "a"], ["p"]), helper.make_node("Mul", ["p", "half"], ["y"])]
    else:
        nodes += [helper.make_node("Mul", ["x", "half"], ["h"]), helper.make_node("Mul", ["h", "a"], ["y"])]
    return graph(nodes, _shape(d), c)


def gelu_tanh_subgraph(rng, d):
    """GPT-2's gelu_new: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    c = {"three": np.array(3.0, dtype=np.float32), "k": np.array(0.044715, dtype=np.float32),
         "s": np.array(math.sqrt(2 / math.pi), dtype=np.float32), "one": np.array(1.0, dtype=np.float32),
         "half": np.array(0.5, dtype=np.float32)}
    nodes = [helper.make_node("Pow", ["x", "three"], ["p3"]), helper.make_node("Mul", ["k", "p3"], ["kp"]),
             helper.make_node("Add", ["x", "kp"], ["inner"]), helper.make_node("Mul", ["s", "inner"], ["u"]),
             helper.make_node("Tanh", ["u"], ["t"]), helper.make_node("Add", ["one", "t"], ["a"]),
             helper.make_node("Mul", ["half", "x"], ["h"]), helper.make_node("Mul", ["h", "a"], ["y"])]
    return graph(nodes, _shape(d), c)


def unary(op):
    def make(rng, d):
        return graph([helper.make_node(op, ["x"], ["y"])], _shape(d), {})
    return make


def div(rng, d):
    shape = _shape(d)
    if d(0, 1):  # by a broadcast constant, kept away from zero
        cshape = tuple(s if d(0, 1) else 1 for s in shape[d(0, len(shape) - 1):])
        c = f32(rng, *cshape)
        c = np.where(np.abs(c) < 0.2, 0.2, c).astype(np.float32) * d(1, 8)
        return graph([helper.make_node("Div", ["x", "c"], ["y"])], shape, {"c": c})
    nodes = [helper.make_node("Sigmoid", ["x"], ["s"]), helper.make_node("Div", ["x", "s"], ["y"])]
    return graph(nodes, shape, {})


def pow_(rng, d):
    e = [2.0, 3.0, 0.5, 1.5][d(0, 3)]
    shape = _shape(d)
    nodes = [helper.make_node("Pow", ["r" if e % 1 else "x", "e"], ["y"])]
    if e % 1:  # fractional powers of a non-negative base
        nodes.insert(0, helper.make_node("Relu", ["x"], ["r"]))
    return graph(nodes, shape, {"e": np.array(e, dtype=np.float32)})


def reducemean(rng, d):
    shape = _shape(d)
    rank = len(shape)
    axes = sorted({d(-rank, rank - 1) for _ in range(d(1, rank))})
    keep = d(0, 1)
    if d(0, 1):  # opset 18: axes as an input
        return graph([helper.make_node("ReduceMean", ["x", "axes"], ["y"], keepdims=keep)], shape,
                     {"axes": np.array(axes, dtype=np.int64)}, opset=18)
    return graph([helper.make_node("ReduceMean", ["x"], ["y"], axes=axes, keepdims=keep)], shape, {}, opset=17)


def global_average_pool(rng, d):
    shape = (d(1, 2), d(1, 4)) + tuple(d(1, 7) for _ in range(d(1, 2)))
    return graph([helper.make_node("GlobalAveragePool", ["x"], ["y"])], shape, {})


def bn_params(rng, c):
    return {"s": f32(rng, c), "bb": f32(rng, c, scale=0.5), "mu": f32(rng, c, scale=0.3),
            "var": (np.abs(f32(rng, c)) + 0.1).astype(np.float32)}


def batchnorm(rng, d):
    """A BN with nothing to fold into: a per-channel affine of the input."""
    shape = (d(1, 2), d(1, 5)) + tuple(d(1, 5) for _ in range(d(0, 2)))
    node = helper.make_node("BatchNormalization", ["x", "s", "bb", "mu", "var"], ["y"], epsilon=10.0 ** -d(2, 5))
    return graph([node], shape, bn_params(rng, shape[1]))


def averagepool(rng, d):
    h, w = d(3, 9), d(3, 9)
    k = d(1, 3)
    p = d(0, k // 2)
    node = helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[k, k], strides=[d(1, 2)] * 2,
                            pads=[p, 0, p, p], count_include_pad=d(0, 1))
    return graph([node], (d(1, 2), d(1, 3), h, w), {})


def lrn(rng, d):
    shape = (d(1, 2), d(1, 7), d(1, 4), d(1, 4))  # onnxruntime's LRN: 4-D, odd size
    node = helper.make_node("LRN", ["x"], ["y"], size=2 * d(0, 2) + 1, alpha=[1e-4, 0.01, 0.5][d(0, 2)],
                            beta=[0.75, 0.5, 1.0][d(0, 2)], bias=[1.0, 2.0][d(0, 1)])
    return graph([node], shape, {})


NUMERIC_OPS = {
    "LayerNormalization": layernorm,
    "LayerNormalization-stats": layernorm_long, "LayerNormalization-apply": layernorm_long,
    "Tanh": unary("Tanh"), "Erf": unary("Erf"), "Sigmoid": unary("Sigmoid"), "Gelu": gelu_node,
    "Gelu-erfSubgraph": gelu_erf_subgraph, "Gelu-tanhSubgraph": gelu_tanh_subgraph,
    "Sqrt": after_relu("Sqrt"), "Reciprocal": after_relu("Reciprocal", plus=1.0),
    "Div": div, "Pow": pow_, "ReduceMean": reducemean, "GlobalAveragePool": global_average_pool,
    "BatchNormalization": batchnorm, "AveragePool": averagepool, "LRN": lrn,
    "Softmax-rowmax": softmax_long, "Softmax-expat": softmax_long, "Softmax-rowsum": softmax_long,
    "Softmax-divide": softmax_long, "ReduceMean-rowsum": reducemean_long, "ReduceMean-mean": reducemean_long,
    "Conv-block": conv_long,
}
