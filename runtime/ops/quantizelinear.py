"""QuantizeLinear on an activation (QDQ models: onnxruntime's quantize_static, QuantFormat.QDQ).

ONNX: q = saturate(round_half_even(x / s) + zp) into the output type's range [lo, hi] (uint8 by
default, int8, or int16), with the model's own scale s and zero point zp. The exact program keeps
q - zp as an int16 activation of scale s, so the DequantizeLinear that follows is no step at all
(runtime/ops/dequantizelinear.py) and the next op reads the model's own quantized values.

Exact form: a table op (lookup.py), t[v + 32768] = clip(rint(v * s_x / s) + zp, lo, hi) - zp for
every int16 v of the input's scale s_x: one rounding, the model's scale, its saturation.
Only a scalar scale and zero point (per-tensor), as onnxruntime writes for activations.
"""
from __future__ import annotations

import numpy as np
import onnx

from ..quant import INT16_MAX, INT16_MIN
from .lookup import Lookup

RANGES = {onnx.TensorProto.UINT8: (0, 255), onnx.TensorProto.INT8: (-128, 127),
          onnx.TensorProto.INT16: (INT16_MIN, INT16_MAX), onnx.TensorProto.UINT16: (0, 65535)}


def scale_and_zero(node, lw, what: str) -> tuple[float, int, tuple[int, int]]:
    """(s, zp, (lo, hi)) of a Quantize/DequantizeLinear node: scalar constants, zp's type giving the range."""
    s = np.asarray(lw.const(node, node.input[1]), dtype=np.float64)
    zp_name = node.input[2] if len(node.input) > 2 and node.input[2] else None
    zp = np.asarray(lw.const(node, zp_name)) if zp_name else np.zeros((), np.uint8)
    if s.size != 1 or zp.size != 1:
        raise lw.unsupported(node, f"{what} takes a per-tensor (scalar) scale and zero point, got shapes {s.shape}, {zp.shape}")
    if not (np.isfinite(s) and s > 0):
        raise lw.unsupported(node, f"scale {float(s)} must be finite and positive")
    kind = onnx.helper.np_dtype_to_tensor_dtype(zp.dtype)
    out_type = lw.attr(node, "output_dtype", 0) or kind
    if out_type not in RANGES:
        raise lw.unsupported(node, f"quantized type {onnx.TensorProto.DataType.Name(out_type)} is not supported")
    lo, hi = RANGES[out_type]
    z = int(zp.reshape(()))
    if not (lo <= z <= hi) or hi - lo > 65535 or not (INT16_MIN <= lo - z and hi - z <= INT16_MAX):
        raise lw.unsupported(node, f"zero point {z} does not leave q - zp inside int16")
    return float(s.reshape(())), z, (lo, hi)


class QuantizeLinear(Lookup):
    op_type = "QuantizeLinear"

    def lower(self, node, lw):
        from ..quant import table

        x = lw.dyn(node, node.input[0])
        s, zp, (lo, hi) = scale_and_zero(node, lw, "QuantizeLinear")

        def f(v):
            return (np.clip(np.rint(v / s) + zp, lo, hi) - zp) * s

        name = node.name or node.output[0]
        t = lw.add_constant(f"{name}:table", table(f, x.scale, s), s)
        out = lw.emit(node, [x.index, t.index], x.shape, s)
        lw.quantized[node.output[0]] = (s, zp)
        return out


# A tensor that only QuantizeLinear nodes read gets the scale s of that QuantizeLinear itself rather
# than a calibrated one: the step that makes it (a Conv, MatMul, Add, a table) then rounds the exact
# value once, on the model's own grid, and the QuantizeLinear table only saturates it to the quantized
# type. That is ONNX's single rounding (and onnxruntime's fused QLinear kernels'), but that an exact
# tie rounds up (quant.py's rule) where ONNX rounds to even. (A finer grid, s / 128, would round twice
# and move about one value in a hundred by one step: measured on onnxruntime's QOperator conv net.)


def fixed_scales(graph: onnx.GraphProto) -> dict[str, float]:
    """{tensor: s} for the tensors read only by QuantizeLinear nodes of one constant scalar scale s."""
    from .rewrite import constants

    consts = constants(graph)
    readers: dict[str, list] = {}
    for n in graph.node:
        for i in n.input:
            readers.setdefault(i, []).append(n)
    outputs = {o.name for o in graph.output}
    found = {}
    for name, rs in readers.items():
        if name in outputs or name in consts or any(r.op_type != "QuantizeLinear" or r.input[0] != name for r in rs):
            continue
        scales = {float(np.asarray(consts[r.input[1]]).reshape(-1)[0]) for r in rs
                  if r.input[1] in consts and np.size(consts[r.input[1]]) == 1}
        if len(scales) == 1 and len(rs) == sum(r.input[1] in consts for r in rs):
            s = scales.pop()
            if np.isfinite(s) and s > 0:
                found[name] = s
    return found
