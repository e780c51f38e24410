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


def matmul_long(rng, d):
    """A reduction too long for one one-step proof: lowered to GemmBlock steps and a Requantize."""
    shape = (d(1, 3), d(2600, 3300))
    return graph([helper.make_node("MatMul", ["x", "W"], ["y"])], shape, {"W": f32(rng, shape[-1], d(1, 4))})


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
    "Softmax-exp": unary("Softmax", axis=lambda s, d: d(-len(s), len(s) - 1)),
}

from .graphs_numeric import NUMERIC_OPS  # noqa: E402 - it builds on graph() and f32() above

OPS.update(NUMERIC_OPS)

# ---------------------------------------------------------------- data movement, masks, token ids


def ids_graph(nodes, ids_shape, inits: dict, opset=17) -> onnx.ModelProto:
    """A graph whose input is int64 token ids."""
    m = graph(nodes, ids_shape, inits, opset=opset)
    m.graph.input[0].type.tensor_type.elem_type = TensorProto.INT64
    return m


def gather_ids(rng, d):
    vocab, width = d(2, 60), d(1, 24)
    table = f32(rng, vocab, width)
    return ids_graph([helper.make_node("Gather", ["E", "x"], ["y"], axis=0)], (d(1, 2), d(1, 6)), {"E": table})


def gather_axis(rng, d):
    shape = tuple(d(1, 5) for _ in range(d(1, 3)))
    axis = d(0, len(shape) - 1)
    n = shape[axis]
    idx = np.array(rng.integers(-n, n, size=tuple(d(1, 3) for _ in range(d(0, 2)))), dtype=np.int64)
    return graph([helper.make_node("Gather", ["x", "i"], ["y"], axis=axis)], shape, {"i": idx})


def concat(rng, d):
    shape = tuple(d(1, 4) for _ in range(d(1, 3)))
    axis = d(-len(shape), len(shape) - 1)
    cshape = list(shape)
    cshape[axis] = d(1, 3)
    nodes = [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Concat", ["x", "c", "r"], ["y"], axis=axis)]
    return graph(nodes, shape, {"c": f32(rng, *cshape, scale=d(1, 3))})


def slice_(rng, d):
    shape = tuple(d(1, 6) for _ in range(d(1, 3)))
    axes = [a for a in range(len(shape)) if d(0, 1)] or [0]
    starts, ends, steps = [], [], []
    for a in axes:
        step = d(1, 2) * (1 if d(0, 2) else -1)
        starts.append(d(-shape[a] - 1, shape[a] + 1))
        ends.append(d(-shape[a] - 1, shape[a] + 1) if d(0, 2) else (2**62 if step > 0 else -2**62))
        steps.append(step)
    if not all(len(range(shape[a])[slice(b, e, s)]) for a, b, e, s in zip(axes, starts, ends, steps)):
        # an empty slice is no tensor: take the whole axes instead
        starts, ends, steps = [0] * len(axes), [2**62] * len(axes), [1] * len(axes)
    inits = {"s": np.array(starts, np.int64), "e": np.array(ends, np.int64), "a": np.array(axes, np.int64),
             "t": np.array(steps, np.int64)}
    return graph([helper.make_node("Slice", ["x", "s", "e", "a", "t"], ["y"])], shape, inits)


def split(rng, d):
    shape = tuple(d(2, 6) for _ in range(d(1, 3)))
    axis = d(0, len(shape) - 1)
    first = d(1, shape[axis] - 1)
    node = helper.make_node("Split", ["x", "s"], ["z", "y"], axis=axis)
    return graph([node], shape, {"s": np.array([first, shape[axis] - first], np.int64)})


def expand(rng, d):
    shape = tuple(d(1, 3) if d(0, 1) else 1 for _ in range(d(1, 3)))
    target = [d(1, 4) if s == 1 else s for s in shape]
    target = [d(1, 3) for _ in range(d(0, 1))] + [1 if d(0, 3) == 0 else t for t in target]
    return graph([helper.make_node("Expand", ["x", "s"], ["y"])], shape, {"s": np.array(target, np.int64)})


def unsqueeze(rng, d):
    shape = tuple(d(1, 4) for _ in range(d(1, 3)))
    axes = sorted({d(-len(shape) - 1, len(shape)) % (len(shape) + 1) for _ in range(d(1, 2))})
    if d(0, 1):  # opset 11: axes as an attribute
        return graph([helper.make_node("Unsqueeze", ["x"], ["y"], axes=axes)], shape, {}, opset=11)
    return graph([helper.make_node("Unsqueeze", ["x", "a"], ["y"])], shape, {"a": np.array(axes, np.int64)})


def squeeze(rng, d):
    shape = tuple(1 if d(0, 1) else d(2, 4) for _ in range(d(1, 4)))
    ones = [i for i, s in enumerate(shape) if s == 1]
    if not ones or d(0, 1):
        return graph([helper.make_node("Squeeze", ["x"], ["y"])], shape, {})
    return graph([helper.make_node("Squeeze", ["x", "a"], ["y"])], shape, {"a": np.array(ones[:d(1, len(ones))], np.int64)})


def where(rng, d):
    shape = tuple(d(1, 5) for _ in range(d(1, 3)))
    cond = rng.integers(0, 2, size=shape[d(0, len(shape) - 1):]).astype(bool)
    nodes = [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Where", ["m", "x", "r"] if d(0, 1) else ["m", "c", "x"], ["y"])]
    return graph(nodes, shape, {"m": cond, "c": f32(rng, *shape[-1:], scale=d(1, 3))})


def sum_(rng, d):
    shape = tuple(d(1, 5) for _ in range(d(1, 3)))
    nodes = [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Sum", ["x", "r", "c"][:d(1, 3)], ["y"])]
    return graph(nodes, shape, {"c": f32(rng, *shape[-1:], scale=d(1, 3))})


def attention_scores(rng, d):
    """QK^T of a 4-D [batch, heads, seq, dim] activation with itself: MatMul of two activations."""
    shape = (d(1, 2), d(1, 3), d(1, 6), d(1, 16))
    nodes = [helper.make_node("Transpose", ["x"], ["xt"], perm=[0, 1, 3, 2]), helper.make_node("MatMul", ["x", "xt"], ["y"])]
    return graph(nodes, shape, {})


def masked_softmax(rng, d):
    """Causal attention weights as torch exports them: Where(mask, scores, finfo.min), Softmax."""
    s = d(1, 6)
    shape = (d(1, 2), d(1, 2), s, s)
    causal = np.tril(np.ones((s, s), dtype=bool)).reshape(1, 1, s, s)
    fill = np.array(np.finfo(np.float32).min, dtype=np.float32)
    nodes = [helper.make_node("Where", ["m", "x", "f"], ["w"]), helper.make_node("Softmax", ["w"], ["y"], axis=-1)]
    return graph(nodes, shape, {"m": causal, "f": fill})


def softmax_opset11(rng, d):
    """Before opset 13 Softmax normalizes over the input coerced to 2-D at `axis`."""
    shape = tuple(d(1, 4) for _ in range(d(1, 4)))
    return graph([helper.make_node("Softmax", ["x"], ["y"], axis=d(0, len(shape) - 1))], shape, {}, opset=11)


def argmax(rng, d):
    """ArgMax along an axis (keepdims either way), its ids looked up in a table: a next-token choice."""
    shape = tuple(d(1, 5) for _ in range(d(1, 3)))
    axis = d(-len(shape), len(shape) - 1)
    nodes = [helper.make_node("ArgMax", ["x"], ["t"], axis=axis, keepdims=d(0, 1)),
             helper.make_node("Gather", ["E", "t"], ["y"], axis=0)]
    return graph(nodes, shape, {"E": f32(rng, shape[axis], d(1, 4))})


def argmax_long(rng, d):
    """An ArgMax too long for one step: ArgMaxBlock then ArgMaxMerge, along the last axis or strided (a
    middle axis: several merge levels). Its input is x * 0.01 + a permutation of 0..n-1 per column, so
    the float and exact choices agree (each step's own property tests take any int16 input)."""
    shape = (d(1, 2), d(1000, 3000)) if d(0, 1) else (1, d(100, 200), d(520, 600))
    cols = int(np.prod(shape[2:], dtype=np.int64))
    c = np.stack([rng.permutation(shape[1]) for _ in range(cols)], axis=1).reshape(shape[1:]).astype(np.float32)
    nodes = [helper.make_node("Mul", ["x", "s"], ["xs"]), helper.make_node("Add", ["xs", "c"], ["z"]),
             helper.make_node("ArgMax", ["z"], ["t"], axis=1, keepdims=d(0, 1)),
             helper.make_node("Gather", ["E", "t"], ["y"], axis=0)]
    return graph(nodes, shape, {"s": np.array(0.01, np.float32), "c": c, "E": f32(rng, shape[1], 2)})


def isnan_guard(rng, d):
    """The guard transformers' default (sdpa) attention export puts after Softmax: Where(IsNaN(p), 0, p)."""
    shape = tuple(d(1, 5) for _ in range(d(1, 3)))
    nodes = [helper.make_node("Softmax", ["x"], ["p"], axis=-1), helper.make_node("IsNaN", ["p"], ["n"]),
             helper.make_node("Where", ["n", "z", "p"], ["y"])]
    return graph(nodes, shape, {"z": np.array(0.0, np.float32)})


OPS.update({
    "ArgMax": argmax, "ArgMax-block": argmax_long, "ArgMax-merge": argmax_long, "IsNaN": isnan_guard,
    "Gather": gather_ids, "Gather-axis": gather_axis, "Concat": concat, "Slice": slice_, "Split": split,
    "Expand": expand, "Unsqueeze": unsqueeze, "Squeeze": squeeze, "Cast": unary("Cast", to=TensorProto.FLOAT),
    "Where": where, "Neg": unary("Neg"), "Sum": sum_, "Dropout": unary("Dropout"),
    "MatMul-attention": attention_scores, "Softmax-masked": masked_softmax, "Softmax-opset11": softmax_opset11,
    "MatMul-blocked": matmul_long, "MatMul-requantize": matmul_long,
})
def upsample(rng, d):
    """Opset 9 Upsample (scales an input), nearest, whole factors."""
    shape = (d(1, 2), d(1, 3), d(1, 4), d(1, 4))
    scales = np.array([1, 1, d(1, 3), d(1, 3)], np.float32)
    return graph([helper.make_node("Upsample", ["x", "s"], ["y"], mode="nearest")], shape, {"s": scales}, opset=9)


def resize(rng, d):
    shape = (d(1, 2), d(1, 3), d(1, 4), d(1, 4))
    scales = np.array([1, 1, d(1, 3), d(1, 3)], np.float32)
    return graph([helper.make_node("Resize", ["x", "", "s"], ["y"], mode="nearest")], shape, {"s": scales}, opset=13)


def qdq(rng, d):
    """QuantizeLinear then DequantizeLinear (a QDQ model's activation pair), uint8 or int8, any zero point."""
    shape = tuple(d(1, 6) for _ in range(d(1, 3)))
    signed = d(0, 1)
    zp = np.array(d(-20, 20) if signed else d(0, 255), np.int8 if signed else np.uint8)
    s = np.array(d(1, 60) / 1000.0, np.float32)
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"]), helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"])]
    return graph(nodes, shape, {"s": s, "z": zp})


def matmul_qdq(rng, d):
    """A QDQ MatMul: activation pair, int8 weights with their own per-tensor or per-column scales."""
    k, n = d(1, 24), d(1, 10)
    wq = rng.integers(-127, 128, (k, n)).astype(np.int8)
    ws = (rng.random(n if d(0, 1) else 1) * 0.02 + 0.001).astype(np.float32)
    s = np.array(0.03, np.float32)
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"]), helper.make_node("DequantizeLinear", ["q", "s", "z"], ["a"]),
             helper.make_node("DequantizeLinear", ["wq", "ws"], ["w"], axis=1), helper.make_node("MatMul", ["a", "w"], ["y"])]
    return graph(nodes, (d(1, 4), k), {"s": s, "z": np.array(0, np.int8), "wq": wq, "ws": ws.reshape(-1) if ws.size > 1 else ws.reshape(())})


def matmul_dynamic(rng, d):
    """onnxruntime's quantize_dynamic form: DynamicQuantizeLinear, MatMulInteger, Cast, two Muls."""
    k, n = d(1, 24), d(1, 10)
    wq = rng.integers(-127, 128, (k, n)).astype(np.int8)
    nodes = [helper.make_node("DynamicQuantizeLinear", ["x"], ["xq", "xs", "xz"]),
             helper.make_node("Mul", ["xs", "ws"], ["sc"]),
             helper.make_node("MatMulInteger", ["xq", "wq", "xz", "wz"], ["acc"]),
             helper.make_node("Cast", ["acc"], ["accf"], to=TensorProto.FLOAT), helper.make_node("Mul", ["accf", "sc"], ["y"])]
    return graph(nodes, (d(1, 4), k), {"wq": wq, "ws": np.array(0.01, np.float32), "wz": np.array(0, np.int8)})


OPS.update({
    "Upsample": upsample, "Resize": resize, "QuantizeLinear": qdq, "DequantizeLinear": qdq,
    "MatMul-qdq": matmul_qdq, "MatMul-dynamic": matmul_dynamic,
})
# keys whose chain checks take fewer examples: data movement (one element read, no arithmetic) and
# variants of ops checked with the full count
FEW_EXAMPLES = ("Cast", "Dropout", "Expand", "Gather-axis", "MatMul-attention", "MatMul-requantize", "Neg",
                "Softmax-opset11", "Split", "Squeeze", "Unsqueeze", "Upsample", "Resize", "DequantizeLinear",
                "MatMul-qdq", "MatMul-dynamic", "LayerNormalization-stats", "LayerNormalization-apply",
                "Softmax-rowmax", "Softmax-expat", "Softmax-rowsum", "Softmax-divide", "ReduceMean-rowsum",
                "ReduceMean-mean", "Conv-block",
                "ArgMax-block", "ArgMax-merge")
# ops whose nodes lower to program nodes of another op (the op the tests look for in the program):
# by op, and by case key where the case decides (a constant-weight MatMul is a Gemm step, a long one
# GemmBlock steps and a Requantize; Softmax is SoftmaxExp then SoftmaxNorm).
LOWERS_TO = {"IsNaN": "Where", "Split": "Slice", "Softmax": "SoftmaxNorm", "Upsample": "Reshape", "Resize": "Reshape",
             "DequantizeLinear": "QuantizeLinear"}
KEY_LOWERS_TO = {"MatMul": "Gemm", "Softmax-exp": "SoftmaxExp", "MatMul-blocked": "GemmBlock",
                 "MatMul-requantize": "Requantize", "MatMul-qdq": "Gemm", "MatMul-dynamic": "Gemm",
                 "LayerNormalization-stats": "LayerNormStats", "LayerNormalization-apply": "LayerNormApply",
                 "Softmax-rowmax": "RowMaxBlock", "Softmax-expat": "SoftmaxExpAt", "Softmax-rowsum": "RowSumBlock",
                 "Softmax-divide": "SoftmaxDivide", "ReduceMean-rowsum": "RowSumBlock", "ReduceMean-mean": "MeanOfSum",
                 "Conv-block": "ConvBlock",
                 "ArgMax-block": "ArgMaxBlock", "ArgMax-merge": "ArgMaxMerge"}


def program_op(key: str) -> str:
    op = key.split("-")[0]
    return KEY_LOWERS_TO.get(key, LOWERS_TO.get(op, op))

from .graphs_legacy import LEGACY_FEW, LEGACY_KEY_LOWERS_TO, LEGACY_LOWERS_TO, LEGACY_OPS  # noqa: E402 - builds on graph()

OPS.update(LEGACY_OPS)
FEW_EXAMPLES += LEGACY_FEW
LOWERS_TO.update(LEGACY_LOWERS_TO)
KEY_LOWERS_TO.update(LEGACY_KEY_LOWERS_TO)
