"""SoftmaxExpAt: SoftmaxExp (runtime/ops/softmaxexp.py) with the row's maximum given, for a Softmax row too
long for one step's proof (runtime/ops/softmax.py).

Exact form: inputs (x int16 [..., n], mx int16 [..., 1]: the row's maximum, RowMaxBlock's last output,
t int16 [65536]). e = t[((x - mx + 1) >> 1) + 32768], 0 for a masked entry (x = -32768 below a larger
mx). The index is capped at 65535, so the op is total on any state (x above mx reads the last entry).
Reads x's element, its row's mx and one table entry (none when masked).
"""
from __future__ import annotations

import numpy as np

from ..quant import INT16_MIN
from .base import ExactOp


class SoftmaxExpAt(ExactOp):
    op_type = "SoftmaxExpAt"

    def lower(self, node, lw):
        raise lw.unsupported(node, "SoftmaxExpAt is made by the lowering of a long Softmax row, not read from ONNX")

    def numpy(self, ins, attrs):
        x, mx, t = ins
        x, mx = x.astype(np.int64), mx.astype(np.int64)
        e = t.astype(np.int64)[np.minimum(((x - mx + 1) >> 1) - INT16_MIN, 65535)]
        e[(x == INT16_MIN) & (mx != INT16_MIN)] = 0  # masked: see runtime/ops/softmax.py
        return e.astype(np.int16)

    def torch(self, ins, attrs):
        import torch

        x, mx, t = ins
        x, mx = x.to(torch.int64), mx.to(torch.int64)
        e = t.to(torch.int64)[torch.clamp(((x - mx + 1) >> 1) - INT16_MIN, max=65535)]
        return torch.where((x == INT16_MIN) & (mx != INT16_MIN), torch.zeros_like(e), e).to(torch.int16)

    def reads(self, node, ins, out_shape, index):
        x, mx, _ = ins
        r = index // (x.size // mx.size)
        v, m = int(x.reshape(-1)[index]), int(mx.reshape(-1)[r])
        if v == INT16_MIN and m != INT16_MIN:
            return [np.array([index]), np.array([r]), np.zeros(0, dtype=np.int64)]
        return [np.array([index]), np.array([r]), np.array([min(((v - m + 1) >> 1) - INT16_MIN, 65535)])]
