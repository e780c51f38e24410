"""SoftmaxExp: the first half of Softmax (runtime/ops/softmax.py), one exp-table entry per element.

Exact form: inputs (x int16, t int16 [65536]); attr axis. e = t[((x - max(x, axis) + 1) >> 1) + 32768],
0 for a masked entry (x = -32768 below a larger row maximum). Output int16 (entries lie in [0, 32767]).
An element reads its row (for the maximum) and one table entry.
"""
from __future__ import annotations

import numpy as np

from ..quant import INT16_MIN
from .base import ExactOp
from .softmax import exp_entries, row


class SoftmaxExp(ExactOp):
    op_type = "SoftmaxExp"

    def lower(self, node, lw):
        raise lw.unsupported(node, "SoftmaxExp is made by the lowering of Softmax, not read from ONNX")

    def numpy(self, ins, attrs):
        x, t = ins
        return exp_entries(x.astype(np.int64), t, attrs["axis"]).astype(np.int16)

    def torch(self, ins, attrs):
        import torch

        x, t = ins
        axis = attrs["axis"]
        x = x.to(torch.int64)
        mx = x.amax(dim=axis, keepdim=True)
        e = t.to(torch.int64)[((x - mx + 1) >> 1) - INT16_MIN]
        return torch.where((x == INT16_MIN) & (mx != INT16_MIN), torch.zeros_like(e), e).to(torch.int16)

    def reads(self, node, ins, out_shape, index):
        x, _ = ins
        r = row(out_shape, node.attrs["axis"], index)
        flat = x.reshape(-1)
        mx, v = int(flat[r].max()), int(flat[index])
        if v == INT16_MIN and mx != INT16_MIN:
            return [r, np.zeros(0, dtype=np.int64)]
        return [r, np.array([((v - mx + 1) >> 1) - INT16_MIN])]
