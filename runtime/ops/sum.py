"""Sum of k inputs (numpy broadcasting): Add's rule with one multiplier per input.

Exact form: inputs k int16; attrs ms, shift (k multipliers sharing one shift, chosen from the
largest ratio so every |x * M| < 2^46). y = saturate((sum_i x_i * M_i + 2^(shift-1)) >> shift).
"""
from __future__ import annotations

import numpy as np

from ..quant import INT16_MAX, INT16_MIN, multiplier
from .base import ExactOp, broadcast_source


class Sum(ExactOp):
    op_type = "Sum"

    def lower(self, node, lw):
        xs = [lw.act(node, i) for i in node.input if i]
        y_scale = lw.out_scale(node)
        ratios = [x.scale / y_scale for x in xs]
        try:
            params = [multiplier(r, max(ratios)) for r in ratios]
            shape = np.broadcast_shapes(*(x.shape for x in xs))
        except ValueError as e:
            raise lw.unsupported(node, str(e)) from None
        lw.emit(node, [x.index for x in xs], shape, y_scale,
                {"ms": tuple(m for m, _ in params), "shift": params[ratios.index(max(ratios))][1]})

    def numpy(self, ins, attrs):
        k = attrs["shift"]
        acc = sum(x.astype(np.int64) * m for x, m in zip(ins, attrs["ms"])) + ((1 << k) >> 1)
        return np.clip(acc >> k, INT16_MIN, INT16_MAX).astype(np.int16)

    def torch(self, ins, attrs):
        import torch

        k = attrs["shift"]
        acc = sum(x.to(torch.int64) * m for x, m in zip(ins, attrs["ms"])) + ((1 << k) >> 1)
        return torch.clamp(acc >> k, INT16_MIN, INT16_MAX).to(torch.int16)

    def reads(self, node, ins, out_shape, index):
        return [np.array([broadcast_source(out_shape, a.shape, index)]) for a in ins]
