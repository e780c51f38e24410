"""QOperator models (onnxruntime's quantize_static with QuantFormat.QOperator): QLinearConv,
QLinearMatMul and com.microsoft's QLinearAdd, QLinearMul, QLinearGlobalAveragePool,
QLinearAveragePool, QLinearSigmoid, QLinearLeakyRelu and QLinearConcat, rewritten before lowering to
the QDQ form the exact profile already runs with the model's own integers and scales:

    QLinearConv(x, xs, xz, w, ws, wz, ys, yz, B)  ->  Conv(view(x), DQ(w, ws, wz), B * xs * ws)
                                                      -> QuantizeLinear(ys, yz) -> view
    QLinearMatMul, QLinearAdd, ...                   the same around MatMul, Add, ...

A quantized tensor q (int8 or uint8 in the file) is read through its "view", DequantizeLinear(q),
which costs no step (dequantizelinear.py): the slot holds q - zp, int16 of scale s. So the step
that computes a QLinear op's output is the float op's exact integer step with the model's own int8
weights and int32 bias, requantized once at the output scale ys (the tensor a QuantizeLinear alone
reads keeps that scale, quantizelinear.fixed_scales), and the QuantizeLinear table step is the output's
saturation to [lo - yz, hi - yz]. That is ONNX's definition, saturate(round(acc * xs * ws / ys) + yz),
with two differences: the ratio is an integer multiplier of 31 bits (not float32 arithmetic, as
onnxruntime's kernels use), and an exact tie rounds up (the exact profile's one rounding rule),
where ONNX rounds to even. Both move a result by one step, on values a float32 ulp from a tie.

Data movement on a quantized tensor (MaxPool, Reshape, Transpose, ...) acts on q - zp as on q
(order-keeping, zero points shared), so it runs on the view; any other op reading a quantized
tensor is refused by name.
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

from ..errors import UnsupportedOpError

# ONNX op -> (float op, (activation inputs: (value, scale, zero point) positions), output (scale, zp) positions)
QLINEAR = {
    "QLinearConv": ("Conv", ((0, 1, 2), (3, 4, 5)), (6, 7)),
    "QLinearMatMul": ("MatMul", ((0, 1, 2), (3, 4, 5)), (6, 7)),
    "QLinearAdd": ("Add", ((0, 1, 2), (3, 4, 5)), (6, 7)),
    "QLinearMul": ("Mul", ((0, 1, 2), (3, 4, 5)), (6, 7)),
    "QLinearGlobalAveragePool": ("GlobalAveragePool", ((0, 1, 2),), (3, 4)),
    "QLinearAveragePool": ("AveragePool", ((0, 1, 2),), (3, 4)),
    "QLinearSigmoid": ("Sigmoid", ((0, 1, 2),), (3, 4)),
    "QLinearLeakyRelu": ("LeakyRelu", ((0, 1, 2),), (3, 4)),
    "QLinearConcat": ("Concat", None, (0, 1)),  # (Y_scale, Y_zp, then (x, scale, zp) per input)
}
# ops that only move or select elements: they commute with q -> q - zp
MOVES = {"MaxPool", "Reshape", "Transpose", "Flatten", "Squeeze", "Unsqueeze", "Slice", "Split", "Identity",
         "Gather", "Concat", "Expand", "Upsample", "Resize", "DepthToSpace", "SpaceToDepth", "Tile", "Dropout"}


def to_qdq(graph: onnx.GraphProto, consts: dict) -> onnx.GraphProto:
    if not any(n.op_type in QLINEAR for n in graph.node):
        return graph
    views: dict[str, tuple[str, tuple]] = {}  # quantized tensor -> (its view, (scale, zero point) values)
    nodes: list[onnx.NodeProto] = []

    def params(node, i, j) -> tuple:
        if node.input[i] not in consts or (len(node.input) > j and node.input[j] and node.input[j] not in consts):
            raise UnsupportedOpError(node.name or node.output[0], node.op_type, "scales and zero points must be constants")
        zp = consts[node.input[j]] if len(node.input) > j and node.input[j] else np.zeros((), np.uint8)
        return np.asarray(consts[node.input[i]]), np.asarray(zp)

    def key(p) -> tuple:
        return tuple(np.asarray(p[0], np.float64).reshape(-1)), tuple(np.asarray(p[1], np.int64).reshape(-1)), p[1].dtype.name

    def view_of(node, name, i, j) -> str:
        """The float value of quantized input `name`: its view, or a constant dequantized (folded at lowering)."""
        if name in views:
            if views[name][1] != key(params(node, i, j)):
                raise UnsupportedOpError(node.name or node.output[0], node.op_type,
                                         f"reads '{name}' with another scale or zero point than it was made with")
            return views[name][0]
        if name not in consts:
            raise UnsupportedOpError(node.name or node.output[0], node.op_type, f"input '{name}' is no quantized tensor")
        s = np.asarray(consts[node.input[i]])
        axis = {"axis": 0 if node.op_type == "QLinearConv" else 1} if s.size > 1 else {}
        nodes.append(helper.make_node("DequantizeLinear", [name, node.input[i]] + ([node.input[j]] if node.input[j:j + 1] and
                                      node.input[j] else []), [f"{name}:f"], name=f"{name}:f", **axis))
        return f"{name}:f"

    def add_view(q: str, p: tuple, s_name: str, zp_name: str | None) -> None:
        nodes.append(helper.make_node("DequantizeLinear", [q, s_name] + ([zp_name] if zp_name else []), [f"{q}:f"], name=f"{q}:f"))
        views[q] = (f"{q}:f", key(p))

    for n in graph.node:
        name = n.name or n.output[0]
        if n.op_type == "QuantizeLinear" and n.domain in ("", "ai.onnx"):
            nodes.append(n)
            add_view(n.output[0], params(n, 1, 2), n.input[1], n.input[2] if len(n.input) > 2 and n.input[2] else None)
        elif n.op_type in QLINEAR:
            op, ins, (si, zi) = QLINEAR[n.op_type]
            ins = ins or [(v, v + 1, v + 2) for v in range(2, len(n.input), 3)]
            args = [view_of(n, n.input[v], s, z) for v, s, z in ins]
            if n.op_type == "QLinearConv" and len(n.input) > 8 and n.input[8]:
                args.append(_bias(n, consts, nodes))
            attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
            if attrs.pop("channels_last", 0):
                raise UnsupportedOpError(name, n.op_type, "channels_last=1 (NHWC) is not supported")
            nodes.append(helper.make_node(op, args, [f"{n.output[0]}:acc"], name=name, **attrs))
            nodes.append(helper.make_node("QuantizeLinear", [f"{n.output[0]}:acc", n.input[si], n.input[zi]], [n.output[0]],
                                          name=f"{name}:quantize"))
            add_view(n.output[0], params(n, si, zi), n.input[si], n.input[zi])
        elif n.op_type == "DequantizeLinear" and n.input[0] in views:
            view_of(n, n.input[0], 1, 2)  # the same scale and zero point, or refused
            nodes.append(helper.make_node("Identity", [views[n.input[0]][0]], [n.output[0]], name=name))
        elif any(i in views for i in n.input):
            read = [i for i in n.input if i in views]
            if n.op_type not in MOVES or n.input[0] not in views or len({views[i][1] for i in read}) > 1 \
                    or (n.op_type == "Concat" and len(read) != len([i for i in n.input if i])):
                raise UnsupportedOpError(name, n.op_type, f"reads quantized tensor(s) {read}: only QLinear ops, "
                                         "DequantizeLinear and data movement may")
            m = onnx.NodeProto()
            m.CopyFrom(n)
            m.input[:] = [views[i][0] if i in views else i for i in n.input]
            m.output[:] = [f"{o}:f" if o else o for o in n.output]
            nodes.append(m)
            for o in n.output:
                if o:
                    views[o] = (f"{o}:f", views[read[0]][1])
        else:
            nodes.append(n)
    for o in graph.output:  # a quantized graph output: its view, q - zp
        if o.name in views and not any(o.name in n.output for n in nodes):
            nodes.append(helper.make_node("Identity", [views[o.name][0]], [o.name], name=o.name))
    g = onnx.GraphProto()
    g.CopyFrom(graph)
    del g.node[:]
    g.node.extend(nodes)
    return g


def _bias(n, consts, nodes) -> str:
    """QLinearConv's int32 bias of scale xs * ws as a float64 constant: the Conv lowering divides it
    by the same product again, so rounding gives back the model's own integers."""
    b = np.asarray(consts[n.input[8]], dtype=np.float64)
    xs = float(np.asarray(consts[n.input[1]]).reshape(-1)[0])
    ws = np.asarray(consts[n.input[4]], dtype=np.float64).reshape(-1)
    out = f"{n.input[8]}:f"
    nodes.append(helper.make_node("Constant", [], [out], name=out, value=numpy_helper.from_array(b * xs * ws, out)))
    return out
