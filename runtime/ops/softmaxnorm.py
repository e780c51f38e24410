"""SoftmaxNorm: the second half of Softmax (runtime/ops/softmax.py): normalize the exp entries.

Exact form: input e int16 (SoftmaxExp's output, entries in [0, 32767]); attr axis. With s = sum(e, axis)
(>= 32767: the row maximum's entry), y = floor((e * 32767 + floor(s / 2)) / s). Reads the element's row.
"""
from __future__ import annotations

import numpy as np

from ..quant import INT16_MAX
from .base import ExactOp
from .softmax import row


class SoftmaxNorm(ExactOp):
    op_type = "SoftmaxNorm"

    def lower(self, node, lw):
        raise lw.unsupported(node, "SoftmaxNorm is made by the lowering of Softmax, not read from ONNX")

    def numpy(self, ins, attrs):
        e = ins[0].astype(np.int64)
        s = e.sum(axis=attrs["axis"], keepdims=True)
        return ((e * INT16_MAX + s // 2) // s).astype(np.int16)

    def torch(self, ins, attrs):
        import torch

        e = ins[0].to(torch.int64)
        s = e.sum(dim=attrs["axis"], keepdim=True)
        return torch.div(e * INT16_MAX + torch.div(s, 2, rounding_mode="floor"), s, rounding_mode="floor").to(torch.int16)

    def reads(self, node, ins, out_shape, index):
        return [row(out_shape, node.attrs["axis"], index)]
