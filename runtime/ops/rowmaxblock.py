"""RowMaxBlock: one block of a long row's running maximum (a Softmax row too long for one step's proof,
runtime/ops/softmax.py).

Exact form: inputs (x int16 [..., n], acc int16 [..., 1]); attrs k0, k1. With x as [rows, n] (rows =
acc.size): out[r] = max(acc[r], max x[r, k0:k1]); the first block's acc is -32768 (every int16 is at
least that, so the chain ends at the row's maximum). Reads x row r over k0..k1 and acc[r].
"""
from __future__ import annotations

import numpy as np

from .base import ExactOp


class RowMaxBlock(ExactOp):
    op_type = "RowMaxBlock"
    partial = True
    keeps_scale = True

    def lower(self, node, lw):
        raise lw.unsupported(node, "RowMaxBlock is made by the lowering of a long Softmax row, not read from ONNX")

    def numpy(self, ins, attrs):
        x, acc = ins
        xb = x.reshape(acc.size, -1)[:, attrs["k0"]:attrs["k1"]]
        return np.maximum(acc.reshape(-1), xb.max(axis=1)).reshape(acc.shape).astype(np.int16)

    def torch(self, ins, attrs):
        import torch

        x, acc = ins
        xb = x.reshape(acc.numel(), -1)[:, attrs["k0"]:attrs["k1"]]
        return torch.maximum(acc.reshape(-1), xb.amax(dim=1)).reshape(acc.shape).to(torch.int16)

    def reads(self, node, ins, out_shape, index):
        x, acc = ins
        n = x.size // acc.size
        return [index * n + np.arange(node.attrs["k0"], node.attrs["k1"]), np.array([index])]
