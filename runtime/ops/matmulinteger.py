"""Dynamic quantization (onnxruntime's quantize_dynamic): DynamicQuantizeLinear + MatMulInteger / ConvInteger.

quantize_dynamic writes each MatMul as
    (xq, xs, xz) = DynamicQuantizeLinear(x)          uint8, with a scale and zero point per call
    acc = MatMulInteger(xq, Wq, xz, Wz)              Wq: the model's own int8 (or uint8) weights
    y   = Mul(Cast(acc, float), Mul(xs, Ws))
`fuse` rewrites that subgraph to y = MatMul(x, DequantizeLinear(Wq, Ws, Wz)) before lowering: the
weights stay the model's own integers and scales (the folded DequantizeLinear is recorded, see
dequantizelinear.py), while the activation, which the model quantizes on the fly to 8 bits, is the
exact profile's calibrated int16 (a finer grid, fixed at registration, so the program has no
data-dependent scale). A ConvInteger (quantize_dynamic of a Conv, per-output-channel scales on
axis 0) becomes Conv(x, DequantizeLinear(Wq, Ws, Wz)) the same way. Nodes the rewrite leaves unread (a DynamicQuantizeLinear all of whose
readers were rewritten, the scale products) are dropped.
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper


def fuse(graph: onnx.GraphProto, consts: dict, opset: int) -> onnx.GraphProto:
    nodes = list(graph.node)
    if not any(n.op_type in ("MatMulInteger", "ConvInteger") for n in nodes):
        return graph
    by_out = {o: n for n in nodes for o in n.output}
    readers: dict[str, list] = {}
    for n in nodes:
        for i in n.input:
            readers.setdefault(i, []).append(n)

    def only_reader(name):
        rs = readers.get(name, [])
        return rs[0] if len(rs) == 1 else None

    replaced, dropped, extra = {}, set(), []
    for mi in nodes:
        if mi.op_type not in ("MatMulInteger", "ConvInteger") or len(mi.input) < 2:
            continue
        d = by_out.get(mi.input[0])
        w_zp = mi.input[3] if len(mi.input) > 3 and mi.input[3] else None
        if d is None or d.op_type != "DynamicQuantizeLinear" or mi.input[0] != d.output[0] \
                or (len(mi.input) > 2 and mi.input[2] and mi.input[2] != d.output[2]) \
                or mi.input[1] not in consts or (w_zp and w_zp not in consts):
            continue
        cast = only_reader(mi.output[0])
        mul = only_reader(cast.output[0]) if cast is not None and cast.op_type == "Cast" else None
        if mul is None or mul.op_type != "Mul":
            continue
        sc = by_out.get(mul.input[1] if mul.input[0] == cast.output[0] else mul.input[0])
        if sc is None or sc.op_type != "Mul" or d.output[1] not in sc.input:
            continue
        ws_name = sc.input[1] if sc.input[0] == d.output[1] else sc.input[0]
        if ws_name not in consts:
            continue
        ws = np.asarray(consts[ws_name])
        wq = np.asarray(consts[mi.input[1]])
        conv = mi.op_type == "ConvInteger"
        axis = 0 if conv else wq.ndim - 1  # the output channels' axis
        if ws.size not in (1, wq.shape[axis]):
            continue
        w_name = f"{mi.output[0]}:dequantized"
        if ws.size == 1 or opset >= 13:
            zp = [w_zp] if w_zp else []
            extra.append(helper.make_node("DequantizeLinear", [mi.input[1], ws_name] + zp, [w_name],
                                          name=w_name, **({"axis": axis} if ws.size > 1 else {})))
        else:  # per-column scales before opset 13: no axis attribute, so the float weights themselves
            z = np.asarray(consts[w_zp]).astype(np.float64) if w_zp else 0.0
            w = ((wq.astype(np.float64) - z) * ws.reshape((-1,) + (1,) * (wq.ndim - 1) if conv else -1)).astype(np.float32)
            extra.append(helper.make_node("Constant", [], [w_name], name=w_name, value=numpy_helper.from_array(w)))
        attrs = {a.name: helper.get_attribute_value(a) for a in mi.attribute} if conv else {}
        replaced[id(mul)] = helper.make_node("Conv" if conv else "MatMul", [d.input[0], w_name], [mul.output[0]],
                                             name=mul.name or mul.output[0], **attrs)
        dropped |= {id(mi), id(cast), id(mul)}
    if not replaced:
        return graph
    kept = [replaced.get(id(n), n) for n in nodes if id(n) not in dropped or id(n) in replaced]
    kept = extra + kept
    outputs = {o.name for o in graph.output}
    while True:  # drop what only the rewritten nodes read (DynamicQuantizeLinear, the scale products)
        read = {i for n in kept for i in n.input} | outputs
        dead = [n for n in kept if n.op_type in ("DynamicQuantizeLinear", "Mul") and not any(o in read for o in n.output)]
        if not dead:
            break
        kept = [n for n in kept if all(n is not d for d in dead)]
    g = onnx.GraphProto()
    g.CopyFrom(graph)
    del g.node[:]
    g.node.extend(kept)
    return g
