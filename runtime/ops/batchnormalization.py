"""BatchNormalization at inference: folded into the Conv or Gemm before it, else a per-channel affine.

`fold` (a rewrite before lowering) merges BN(Conv(x, W, B)) into Conv(x, W a, (B - mean) a + beta)
with a = scale / sqrt(var + eps) per output channel, and likewise for a Gemm (its columns), when the
Conv or Gemm output feeds the BN alone and every parameter is a constant: the folded weights are
then quantized once, as the float model computes them.

Exact form of a BN left standing: inputs (x int16 [N, C, ...], g int16 [C], b int64 [C]); attrs m,
shift. y = requantize(x * g[c] + b[c], m, shift), where g is a as int16 with one scale s_g, b is
beta - mean a in the accumulator's scale s_x s_g, and m / 2^shift = s_x s_g / s_y. |x g| <= 2^30.
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

from ..quant import requantize_np, requantize_torch
from .base import ExactOp
from .layernormalization import affine_constants


def _coefficients(node, lw_attr, params) -> tuple[np.ndarray, np.ndarray]:
    """(a, c) with BN(x) = a x + c per channel."""
    scale, beta, mean, var = (np.asarray(p, dtype=np.float64).reshape(-1) for p in params)
    a = scale / np.sqrt(var + float(lw_attr(node, "epsilon", 1e-5)))
    return a, beta - mean * a


def _attr(node, name, default=None):
    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return default


class BatchNormalization(ExactOp):
    op_type = "BatchNormalization"

    def lower(self, node, lw):
        if lw.attr(node, "training_mode", 0):
            raise lw.unsupported(node, "training_mode=1 (batch statistics) is not inference")
        x = lw.dyn(node, node.input[0])
        if len(x.shape) < 2:
            raise lw.unsupported(node, f"input must be [N, C, ...], got shape {x.shape}")
        a, c = _coefficients(node, lw.attr, [lw.const(node, i) for i in node.input[1:5]])
        if a.size != x.shape[1]:  # opsets 7-8 spatial=0: statistics per activation, [C, H, W]
            raise lw.unsupported(node, f"{a.size} statistics for {x.shape[1]} channels (spatial=0, per activation) are not supported")
        y_scale = lw.out_scale(node)
        g, b, m, k = affine_constants(a, c, lambda s_g: x.scale * s_g, y_scale, node, lw)
        ins = [x.index, lw.add_constant(f"{node.name}:g", g).index, lw.add_constant(f"{node.name}:b", b).index]
        lw.emit(node, ins, x.shape, y_scale, {"m": m, "shift": k})

    @staticmethod
    def _channel(v, x_ndim):
        return v.reshape((1, -1) + (1,) * (x_ndim - 2))

    def numpy(self, ins, attrs):
        x, g, b = ins
        acc = x.astype(np.int64) * self._channel(g.astype(np.int64), x.ndim) + self._channel(b, x.ndim)
        return requantize_np(acc, attrs["m"], attrs["shift"])

    def torch(self, ins, attrs):
        import torch

        x, g, b = ins
        acc = x.to(torch.int64) * self._channel(g.to(torch.int64), x.dim()) + self._channel(b, x.dim())
        m = torch.tensor(attrs["m"], dtype=torch.int64, device=x.device)
        k = torch.tensor(attrs["shift"], dtype=torch.int64, device=x.device)
        return requantize_torch(acc, m, k)

    def reads(self, node, ins, out_shape, index):
        c = np.unravel_index(index, out_shape)[1]
        return [np.array([index]), np.array([c]), np.array([c])]


# ---------------------------------------------------------------- folding into Conv and Gemm


def fold(graph: onnx.GraphProto, consts: dict) -> onnx.GraphProto:
    """The graph with each foldable BN merged into its Conv or Gemm (the same object when none is)."""
    producer = {o: n for n in graph.node for o in n.output}
    readers: dict[str, int] = {}
    for n in graph.node:
        for i in n.input:
            readers[i] = readers.get(i, 0) + 1
    outputs = {o.name for o in graph.output}
    merged: dict[int, onnx.NodeProto] = {}  # id(Conv/Gemm) -> folded node
    dropped: set[int] = set()
    inits = []
    for bn in graph.node:
        if bn.op_type != "BatchNormalization" or _attr(bn, "training_mode", 0) or len([o for o in bn.output if o]) != 1:
            continue
        prev = producer.get(bn.input[0])
        if prev is None or prev.op_type not in ("Conv", "Gemm") or readers.get(bn.input[0]) != 1 \
                or bn.input[0] in outputs or id(prev) in merged:
            continue
        if not all(i in consts for i in bn.input[1:5]) or not all(i in consts for i in prev.input[1:] if i):
            continue
        a, c = _coefficients(bn, _attr, [consts[i] for i in bn.input[1:5]])
        new = _folded(prev, a, c, consts, bn.output[0], inits)
        if new is not None:
            merged[id(prev)] = new
            dropped.add(id(bn))
    if not merged:
        return graph
    g = onnx.GraphProto()
    g.CopyFrom(graph)
    del g.node[:]
    g.node.extend(merged.get(id(n), n) for n in graph.node if id(n) not in dropped)
    g.initializer.extend(inits)
    return g


def _folded(prev, a, c, consts, out: str, inits: list):
    w = np.asarray(consts[prev.input[1]], dtype=np.float64)
    bias_in = prev.input[2] if len(prev.input) > 2 and prev.input[2] else None
    name = prev.name or prev.output[0]
    if prev.op_type == "Conv":
        if w.shape[0] != a.size:
            return None
        b = np.zeros(a.size) if bias_in is None else np.asarray(consts[bias_in], dtype=np.float64).reshape(-1)
        w2, b2 = w * a.reshape((-1,) + (1,) * (w.ndim - 1)), b * a + c
        attrs = {x.name: helper.get_attribute_value(x) for x in prev.attribute}
    else:
        if _attr(prev, "transA", 0) or w.ndim != 2:
            return None
        trans = _attr(prev, "transB", 0)
        n = w.shape[0] if trans else w.shape[1]
        if n != a.size:
            return None
        w2 = w * (a.reshape(-1, 1) if trans else a.reshape(1, -1))
        cc = np.zeros(n) if bias_in is None else np.asarray(consts[bias_in], dtype=np.float64)
        if cc.size not in (1, n):
            return None
        b2 = (np.broadcast_to(cc.reshape(-1), (n,)) * _attr(prev, "beta", 1.0)) * a + c
        attrs = {x.name: helper.get_attribute_value(x) for x in prev.attribute}
        attrs["beta"] = 1.0
    wn, bn = f"{name}:bnfold:w", f"{name}:bnfold:b"
    inits += [numpy_helper.from_array(w2.astype(np.float32), wn), numpy_helper.from_array(b2.astype(np.float32), bn)]
    return helper.make_node(prev.op_type, [prev.input[0], wn, bn], [out], name=name, **attrs)
