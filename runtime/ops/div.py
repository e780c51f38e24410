"""Div: y = a / b on two int16 operands (numpy broadcasting), one rounding (quant.py: divide).

Exact form: inputs (a int16, b int16); attrs m, shift with m / 2^shift = s_a / (s_b s_y):

    y = saturate(divide(sign(b) a m, |b| 2^shift))     for b != 0
    y = 32767, -32768 or 0 (the sign of a)             for b == 0

|a m| < 2^46 and |b| 2^shift < 2^63 (shift <= 47): int64 throughout. A constant operand is quantized
to int16 with its own scale, so a constant divisor (x / sqrt(d) in attention) is exact to 1/65534.
"""
from __future__ import annotations

import numpy as np

from ..quant import INT16_MAX, INT16_MIN, divide_np, divide_torch, multiplier
from .base import ExactOp, broadcast_source


class Div(ExactOp):
    op_type = "Div"

    def lower(self, node, lw):
        a, b = lw.act(node, node.input[0]), lw.act(node, node.input[1])
        y_scale = lw.out_scale(node)
        try:
            m, k = multiplier(a.scale / (b.scale * y_scale))
            shape = np.broadcast_shapes(a.shape, b.shape)
        except ValueError as e:
            raise lw.unsupported(node, str(e)) from None
        lw.emit(node, [a.index, b.index], shape, y_scale, {"m": m, "shift": k})

    def numpy(self, ins, attrs):
        a, b = (np.asarray(v, dtype=np.int64) for v in ins)
        a, b = np.broadcast_arrays(a, b)
        n = np.where(b < 0, -a, a) * attrs["m"]
        q = divide_np(n, np.maximum(np.abs(b), 1) << attrs["shift"])
        q = np.where(b == 0, np.sign(a) * (INT16_MAX + 1), q)
        return np.clip(q, INT16_MIN, INT16_MAX).astype(np.int16)

    def torch(self, ins, attrs):
        import torch

        a, b = torch.broadcast_tensors(ins[0].to(torch.int64), ins[1].to(torch.int64))
        n = torch.where(b < 0, -a, a) * attrs["m"]
        q = divide_torch(n, torch.clamp(torch.abs(b), min=1) << attrs["shift"])
        q = torch.where(b == 0, torch.sign(a) * (INT16_MAX + 1), q)
        return torch.clamp(q, INT16_MIN, INT16_MAX).to(torch.int16)

    def reads(self, node, ins, out_shape, index):
        return [np.array([broadcast_source(out_shape, a.shape, index)]) for a in ins]
