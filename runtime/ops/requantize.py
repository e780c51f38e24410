"""Requantize: the end of a blocked Gemm (runtime/ops/gemmblock.py).

Exact form: inputs (acc int16 [..., N, 4]: int64 sums as limbs, p int64 [N, 2]); y[..., n] =
requantize(acc[..., n], p[n, 0], p[n, 1]): what the unblocked Gemm step returns for the same sum.
"""
from __future__ import annotations

import numpy as np

from ..quant import requantize_np, requantize_torch
from .base import ExactOp
from .gemmblock import from_limbs, from_limbs_torch


class Requantize(ExactOp):
    op_type = "Requantize"

    def lower(self, node, lw):
        raise lw.unsupported(node, "Requantize is made by the lowering of a long Gemm or MatMul, not read from ONNX")

    def numpy(self, ins, attrs):
        acc, p = ins
        return requantize_np(from_limbs(acc), p[:, 0], p[:, 1], inplace=True)

    def torch(self, ins, attrs):
        acc, p = ins
        return requantize_torch(from_limbs_torch(acc), p[:, 0], p[:, 1])

    def reads(self, node, ins, out_shape, index):
        n = index % out_shape[-1]
        return [4 * index + np.arange(4), np.array([2 * n, 2 * n + 1])]
