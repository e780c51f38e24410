"""LayerNormStats: one block of a long LayerNormalization row's sums (runtime/ops/layernormalization.py).

Exact form: inputs (x int16 [..., row], acc int16 [..., 2, 4]); attrs k0, k1. With x as [rows, n]
(rows = acc.size / 8, n = x.size / rows): out[r, 0] = acc[r, 0] + sum x[r, k0:k1] and out[r, 1] =
acc[r, 1] + sum x[r, k0:k1]^2, int64 sums as four int16 limbs each (runtime/ops/gemmblock.py: to_limbs);
the first block's acc is zeros. `LayerNormApply` ends the chain. The sums stay far inside int64
(n < 2^20, x^2 <= 2^30).
"""
from __future__ import annotations

import numpy as np

from .base import ExactOp
from .gemmblock import from_limbs, from_limbs_torch, to_limbs, to_limbs_torch


class LayerNormStats(ExactOp):
    op_type = "LayerNormStats"

    def lower(self, node, lw):
        raise lw.unsupported(node, "LayerNormStats is made by the lowering of a long LayerNormalization, not read from ONNX")

    def numpy(self, ins, attrs):
        x, acc = ins
        rows = acc.size // 8
        xb = x.reshape(rows, -1)[:, attrs["k0"]:attrs["k1"]].astype(np.int64)
        sums = np.stack([xb.sum(axis=1), (xb * xb).sum(axis=1)], axis=1)
        return to_limbs(sums + from_limbs(acc.reshape(rows, 2, 4))).reshape(acc.shape)

    def torch(self, ins, attrs):
        import torch

        x, acc = ins
        rows = acc.numel() // 8
        xb = x.reshape(rows, -1)[:, attrs["k0"]:attrs["k1"]].to(torch.int64)
        sums = torch.stack([xb.sum(dim=1), (xb * xb).sum(dim=1)], dim=1)
        return to_limbs_torch(sums + from_limbs_torch(acc.reshape(rows, 2, 4))).reshape(acc.shape)

    def reads(self, node, ins, out_shape, index):
        """x row r over k0..k1, and the four limbs of acc's sum (r, j) for element (r, j, limb)."""
        x, acc = ins
        n = x.size // (acc.size // 8)
        e = index // 4
        return [(e // 2) * n + np.arange(node.attrs["k0"], node.attrs["k1"]), 4 * e + np.arange(4)]
