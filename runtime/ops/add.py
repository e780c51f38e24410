"""Add: y = requantize of a*Ma + b*Mb with one shared shift (numpy broadcasting).

Exact form: inputs (a int16, b int16); attrs ma, mb, shift. With ra = sa/sy and rb = sb/sy, the
shift comes from the larger ratio, so |a*Ma| and |b*Mb| stay below 2^46 and their sum below 2^47.
A constant operand is quantized to int16 with its own scale.
"""
from __future__ import annotations

import numpy as np

from ..quant import INT16_MAX, INT16_MIN, multiplier
from .base import ExactOp, broadcast_source


def lower_linear2(node, lw, sign: int) -> None:
    a, b = lw.act(node, node.input[0]), lw.act(node, node.input[1])
    y_scale = lw.out_scale(node)
    ra, rb = a.scale / y_scale, b.scale / y_scale
    try:
        ma, shift = multiplier(ra, max(ra, rb))
        mb, _ = multiplier(rb, max(ra, rb))
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError as e:
        raise lw.unsupported(node, str(e)) from None
    lw.emit(node, [a.index, b.index], shape, y_scale, {"ma": ma, "mb": sign * mb, "shift": shift})


def linear2_np(a, b, attrs):
    k = attrs["shift"]
    acc = a.astype(np.int64) * attrs["ma"] + b.astype(np.int64) * attrs["mb"] + ((1 << k) >> 1)
    return np.clip(acc >> k, INT16_MIN, INT16_MAX).astype(np.int16)


def linear2_torch(a, b, attrs):
    import torch

    k = attrs["shift"]
    acc = a.to(torch.int64) * attrs["ma"] + b.to(torch.int64) * attrs["mb"] + ((1 << k) >> 1)
    return torch.clamp(acc >> k, INT16_MIN, INT16_MAX).to(torch.int16)


class Add(ExactOp):
    op_type = "Add"
    sign = +1  # Sub is this op with b's multiplier negated

    def lower(self, node, lw):
        lower_linear2(node, lw, self.sign)

    def numpy(self, ins, attrs):
        return linear2_np(ins[0], ins[1], attrs)

    def torch(self, ins, attrs):
        return linear2_torch(ins[0], ins[1], attrs)

    def reads(self, node, ins, out_shape, index):
        return [np.array([broadcast_source(out_shape, a.shape, index)]) for a in ins]
