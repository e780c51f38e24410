"""DequantizeLinear: real = (q - zp) * s. No program step: its input's values already are q - zp.

- Of an activation: the QuantizeLinear before it (quantizelinear.py) wrote q - zp as int16 of scale
  s, so the output is that slot itself (the same scale and zero point are required).
- Of a constant (a QDQ model's weights): folded at lowering like any constant node; `lowering`
  keeps the int8 values and scales of such weights (`Lowerer.int8_weights`) so MatMul, Gemm and
  Conv use the model's own int8 weights and scales (`own_int8`) instead of re-quantizing the floats.
"""
from __future__ import annotations

import numpy as np

from ..quant import INT8_MAX
from .base import ExactOp
from .quantizelinear import scale_and_zero


class DequantizeLinear(ExactOp):
    op_type = "DequantizeLinear"

    def lower(self, node, lw):
        x = lw.dyn(node, node.input[0])
        s, zp, _ = scale_and_zero(node, lw, "DequantizeLinear of an activation")
        if lw.quantized.get(node.input[0]) != (s, zp):
            raise lw.unsupported(node, "dequantizes an activation that no QuantizeLinear of the same scale and zero "
                                       "point produced")
        lw.values[node.output[0]] = x


def record(node, args, lw) -> None:
    """After folding a DequantizeLinear of constants: remember the weights q - zp when they are int8
    (values in [-127, 127]: int8 weights, or uint8 ones whose zero point centres them)."""
    q = np.asarray(args[0])
    zp = np.asarray(args[2]) if len(args) > 2 and args[2] is not None else np.zeros((), q.dtype)
    s = np.asarray(args[1], dtype=np.float64)
    axis = lw.attr(node, "axis", 1)
    axis = axis + q.ndim if axis < 0 else axis
    if q.dtype not in (np.int8, np.uint8) or q.size == 0 or zp.size not in (1, s.size):
        return
    if q.dtype == np.int8 and not np.any(zp):  # the common case, no copy of a large weight
        if int(q.min()) < -INT8_MAX:
            return
        q = q if q.flags.writeable else q.copy()  # torch takes only writable arrays without a warning
    else:
        q = q.astype(np.int16) - zp.astype(np.int16).reshape([-1 if i == axis and zp.size > 1 else 1 for i in range(q.ndim)])
        if int(np.abs(q).max()) > INT8_MAX:
            return
        q = q.astype(np.int8)
    lw.int8_weights[node.output[0]] = (q, s, axis)


def own_int8(lw, name: str, channel_axis: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(q int8, per-channel scales [n]) of a constant the model dequantized from its own int8 values,
    when its scale is per tensor or per `channel_axis`; else None."""
    got = lw.int8_weights.get(name)
    if got is None:
        return None
    q, s, axis = got
    n = q.shape[channel_axis]
    if s.size == 1:
        return q, np.full(n, float(s.reshape(())))
    if axis == channel_axis and s.size == n and np.all(s > 0):
        return q, s.reshape(-1).copy()
    return None
