"""SoftmaxDivide: SoftmaxNorm (runtime/ops/softmaxnorm.py) with the row's sum given, for a Softmax row too
long for one step's proof (runtime/ops/softmax.py).

Exact form: inputs (e int16 [..., n]: SoftmaxExpAt's output, s int16 [..., 4]: the row's sum of e as
int64 limbs, RowSumBlock's last output). y = floor((e * 32767 + floor(s / 2)) / s), with s taken as at
least 1 (the honest s is >= 32767, the row maximum's entry; the floor keeps the op total). Reads e's
element and its row's four limbs.
"""
from __future__ import annotations

import numpy as np

from ..quant import INT16_MAX
from .base import ExactOp
from .gemmblock import from_limbs, from_limbs_torch


class SoftmaxDivide(ExactOp):
    op_type = "SoftmaxDivide"

    def lower(self, node, lw):
        raise lw.unsupported(node, "SoftmaxDivide is made by the lowering of a long Softmax row, not read from ONNX")

    def numpy(self, ins, attrs):
        e, s = ins
        rows = s.size // 4
        s = np.maximum(from_limbs(s.reshape(rows, 4)), 1)[:, None]
        y = (e.reshape(rows, -1).astype(np.int64) * INT16_MAX + s // 2) // s
        return np.clip(y, -32768, INT16_MAX).astype(np.int16).reshape(e.shape)

    def torch(self, ins, attrs):
        import torch

        e, s = ins
        rows = s.numel() // 4
        s = torch.clamp(from_limbs_torch(s.reshape(rows, 4)), min=1)[:, None]
        y = torch.div(e.reshape(rows, -1).to(torch.int64) * INT16_MAX + torch.div(s, 2, rounding_mode="floor"), s,
                      rounding_mode="floor")
        return torch.clamp(y, -32768, INT16_MAX).to(torch.int16).reshape(e.shape)

    def reads(self, node, ins, out_shape, index):
        e, s = ins
        r = index // (e.size // (s.size // 4))
        return [np.array([index]), 4 * r + np.arange(4)]
