"""RowSumBlock: one block of a long row's sum, carried as int64 limbs (a Softmax row or a ReduceMean too
long for one step's proof: runtime/ops/softmax.py, runtime/ops/reducemean.py).

Exact form: inputs (x int16 [..., n], acc int16 [..., 4]); attrs k0, k1. With x as [rows, n] (rows =
acc.size / 4): out[r] = acc[r] + sum x[r, k0:k1], int64 as four int16 limbs (runtime/ops/gemmblock.py:
to_limbs); the first block's acc is zeros. Reads x row r over k0..k1 and acc[r]'s four limbs.
"""
from __future__ import annotations

import numpy as np

from .base import ExactOp
from .gemmblock import from_limbs, from_limbs_torch, to_limbs, to_limbs_torch


class RowSumBlock(ExactOp):
    op_type = "RowSumBlock"
    partial = True

    def lower(self, node, lw):
        raise lw.unsupported(node, "RowSumBlock is made by the lowering of a long row reduction, not read from ONNX")

    def numpy(self, ins, attrs):
        x, acc = ins
        rows = acc.size // 4
        s = x.reshape(rows, -1)[:, attrs["k0"]:attrs["k1"]].astype(np.int64).sum(axis=1)
        return to_limbs(s + from_limbs(acc.reshape(rows, 4))).reshape(acc.shape)

    def torch(self, ins, attrs):
        import torch

        x, acc = ins
        rows = acc.numel() // 4
        s = x.reshape(rows, -1)[:, attrs["k0"]:attrs["k1"]].to(torch.int64).sum(dim=1)
        return to_limbs_torch(s + from_limbs_torch(acc.reshape(rows, 4))).reshape(acc.shape)

    def reads(self, node, ins, out_shape, index):
        x, acc = ins
        r = index // 4
        n = x.size // (acc.size // 4)
        return [r * n + np.arange(node.attrs["k0"], node.attrs["k1"]), 4 * r + np.arange(4)]
