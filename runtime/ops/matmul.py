"""MatMul: A @ B with numpy broadcasting over leading axes.

Exact form: inputs (a int16, b int8 or int16, p int64 [C, 2]); acc = a @ b exactly (an int8 weight by
`runtime.intgemm`'s kernels, two activations by a float64 GEMM of integers), then
requantize along the last axis: C = N per-output-column parameters when B is a constant weight
matrix (int8, per-column scales), C = 1 when both operands are activations.
"""
from __future__ import annotations

import numpy as np

from ..intgemm import gemm_np, gemm_torch
from ..quant import INT8_MAX, INT16_MAX, check_exact_gemm, multiplier, quantize_columns, requantize_np, requantize_torch
from .base import ExactOp, broadcast_source


class MatMul(ExactOp):
    op_type = "MatMul"

    def lower(self, node, lw):
        a = lw.act(node, node.input[0])
        if len(a.shape) < 2:
            raise lw.unsupported(node, f"input A must have rank >= 2, got shape {a.shape}")
        y_scale = lw.out_scale(node)
        if lw.is_const(node.input[1]):
            w = lw.const(node, node.input[1])
            if w.ndim != 2:
                raise lw.unsupported(node, f"constant B must be 2-D, got shape {w.shape}")
            wq, ws = quantize_columns(w)  # per-column int8, in blocks: no float64 copy of the whole weight
            b = lw.add_constant(f"{node.input[1]}:w", wq)
            ratios, b_max = a.scale * ws / y_scale, INT8_MAX
        else:
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
        if b.dtype == np.int8 and b.ndim == 2:
            acc = gemm_np(a, b)
        else:
            acc = np.matmul(a.astype(np.float64), b.astype(np.float64)).astype(np.int64)
        return requantize_np(acc, p[:, 0], p[:, 1])

    def torch(self, ins, attrs):
        import torch

        a, b, p = ins
        if b.dtype == torch.int8 and b.ndim == 2:
            acc = gemm_torch(a, b)
        else:
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
