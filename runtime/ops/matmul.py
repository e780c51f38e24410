"""MatMul: A @ B with numpy broadcasting over leading axes.

Exact form: inputs (a int16, b int16, p int64 [1, 2]); acc = a @ b in float64 (exact), then
requantize. A constant B (a weight matrix) lowers to a `Gemm` node instead, with the weight stored
[N, K] (per-output-channel int8 scales): an output element then reads one contiguous weight row, not
a column spread over K chunks. (Older programs with an int8 [K, N] B and p [N, 2] still run.)
"""
from __future__ import annotations

import numpy as np

from ..quant import INT16_MAX, check_exact_gemm, multiplier, requantize_np, requantize_torch
from .base import ExactOp, broadcast_source
from .gemm import lower_dense, quantize_weights


class MatMul(ExactOp):
    op_type = "MatMul"

    def lower(self, node, lw):
        a = lw.act(node, node.input[0])
        if len(a.shape) < 2:
            raise lw.unsupported(node, f"input A must have rank >= 2, got shape {a.shape}")
        y_scale = lw.out_scale(node)
        if lw.is_const(node.input[1]):
            w = np.asarray(lw.const(node, node.input[1]), dtype=np.float64)
            if w.ndim != 2:
                raise lw.unsupported(node, f"constant B must be 2-D, got shape {w.shape}")
            if a.shape[-1] != w.shape[0]:
                raise lw.unsupported(node, f"inner dimensions differ: {a.shape} @ {w.shape}")
            wq, bq, params = quantize_weights(w.T, a.scale, y_scale, None, node, lw)
            lower_dense(node, lw, a, wq, bq, params)
            return
        b = lw.act(node, node.input[1])
        if len(b.shape) < 2:
            raise lw.unsupported(node, f"input B must have rank >= 2, got shape {b.shape}")
        ratios, b_max = np.array([a.scale * b.scale / y_scale]), INT16_MAX + 1
        try:
            params = np.array([multiplier(float(r)) for r in ratios], dtype=np.int64)
            check_exact_gemm(a.shape[-1], INT16_MAX + 1, b_max, node.name)
            shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1])
        except ValueError as e:
            raise lw.unsupported(node, str(e)) from None
        if a.shape[-1] != b.shape[-2]:
            raise lw.unsupported(node, f"inner dimensions differ: {a.shape} @ {b.shape}")
        p = lw.add_constant(f"{node.name}:requant", params)
        lw.emit(node, [a.index, b.index, p.index], shape, y_scale)

    def numpy(self, ins, attrs):
        a, b, p = ins
        acc = np.matmul(a.astype(np.float64), b.astype(np.float64)).astype(np.int64)
        return requantize_np(acc, p[:, 0], p[:, 1])

    def torch(self, ins, attrs):
        import torch

        a, b, p = ins
        acc = torch.matmul(a.to(torch.float64), b.to(torch.float64)).to(torch.int64)
        return requantize_torch(acc, p[:, 0], p[:, 1])

    def reads(self, node, ins, out_shape, index):
        """Row m of a's broadcast batch, column n of b's, and the requantization row of column n."""
        a, b, p = ins
        *batch, m, n = np.unravel_index(index, out_shape)
        kk, nn = b.shape[-2], b.shape[-1]
        ab = broadcast_source(tuple(out_shape[:-2]), a.shape[:-2], int(np.ravel_multi_index(batch, out_shape[:-2]))) if batch else 0
        bb = broadcast_source(tuple(out_shape[:-2]), b.shape[:-2], int(np.ravel_multi_index(batch, out_shape[:-2]))) if batch else 0
        k = np.arange(kk)
        c = n if p.shape[0] > 1 else 0
        return [(ab * a.shape[-2] + m) * kk + k, (bb * kk + k) * nn + n, np.array([2 * c, 2 * c + 1])]
