"""Mul: y = requantize(a * b, M, k) with M / 2^k = sa * sb / sy (numpy broadcasting).

Exact form: inputs (a int16, b int16); attrs m, shift. |a * b| <= 2^30.
"""
from __future__ import annotations

import numpy as np

from ..quant import multiplier, requantize_np, requantize_torch
from .base import ExactOp, broadcast_source


class Mul(ExactOp):
    op_type = "Mul"

    def lower(self, node, lw):
        a, b = lw.act(node, node.input[0]), lw.act(node, node.input[1])
        y_scale = lw.out_scale(node)
        try:
            m, k = multiplier(a.scale * b.scale / y_scale)
            shape = np.broadcast_shapes(a.shape, b.shape)
        except ValueError as e:
            raise lw.unsupported(node, str(e)) from None
        lw.emit(node, [a.index, b.index], shape, y_scale, {"m": m, "shift": k})

    def numpy(self, ins, attrs):
        return requantize_np(ins[0].astype(np.int64) * ins[1].astype(np.int64), attrs["m"], attrs["shift"])

    def torch(self, ins, attrs):
        import torch

        acc = ins[0].to(torch.int64) * ins[1].to(torch.int64)
        m = torch.tensor(attrs["m"], dtype=torch.int64, device=acc.device)
        k = torch.tensor(attrs["shift"], dtype=torch.int64, device=acc.device)
        return requantize_torch(acc, m, k)

    def reads(self, node, ins, out_shape, index):
        return [np.array([broadcast_source(out_shape, a.shape, index)]) for a in ins]
