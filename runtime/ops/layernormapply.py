"""LayerNormApply: the end of a long LayerNormalization row (runtime/ops/layernormalization.py).

Exact form: inputs (x int16 [..., row], s int16 [..., 2, 4]: the row's sum x and sum x^2 as int64
limbs, LayerNormStats' output; g int16 [n], b int64 [n]); attrs eps, m, shift. For element j of row r:
mu = divide(S, n), V = Q - 2 mu S + n mu^2 (= sum (x - mu)^2 exactly), then as LayerNormalization:
y = requantize(divide((x_j - mu) 2^28, sd) * g[j] + b[j], m, shift). Reads one x, the row's 8 limbs,
g[j] and b[j].
"""
from __future__ import annotations

import numpy as np

from ..quant import divide_np, divide_torch
from .base import ExactOp
from .gemmblock import from_limbs, from_limbs_torch
from .layernormalization import normalize_np, normalize_torch


class LayerNormApply(ExactOp):
    op_type = "LayerNormApply"

    def lower(self, node, lw):
        raise lw.unsupported(node, "LayerNormApply is made by the lowering of a long LayerNormalization, not read from ONNX")

    def numpy(self, ins, attrs):
        x, s, g, b = ins
        n = g.size
        sums = from_limbs(s.reshape(-1, 2, 4))
        s1, s2 = sums[:, :1], sums[:, 1:]
        mu = divide_np(s1, n)
        v = s2 - 2 * mu * s1 + n * mu * mu
        c = x.reshape(-1, n).astype(np.int64) - mu
        return normalize_np(c, v, n, g, b, attrs).reshape(x.shape)

    def torch(self, ins, attrs):
        import torch

        x, s, g, b = ins
        n = g.numel()
        sums = from_limbs_torch(s.reshape(-1, 2, 4))
        s1, s2 = sums[:, :1], sums[:, 1:]
        mu = divide_torch(s1, torch.tensor(n, dtype=torch.int64, device=s1.device))
        v = s2 - 2 * mu * s1 + n * mu * mu
        c = x.reshape(-1, n).to(torch.int64) - mu
        return normalize_torch(c, v, n, g, b, attrs).reshape(x.shape)

    def reads(self, node, ins, out_shape, index):
        """x's element, its row's two sums (8 limbs), g[j] and b[j]."""
        n = ins[2].size
        r, j = divmod(index, n)
        return [np.array([index]), 8 * r + np.arange(8), np.array([j]), np.array([j])]
