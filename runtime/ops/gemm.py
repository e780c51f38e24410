"""Gemm: Y = alpha * A @ B' + beta * C, with B a constant weight matrix.

Exact form: inputs (x int16 [M, K], w int8 [N, K], b int64 [N], p int64 [N, 2]) where p[n] = (M_n, k_n)
requantizes channel n. acc[m, n] = sum_k x[m, k] * w[n, k] + b[n] (exact: `runtime.intgemm`), then
y = requantize(acc, p[:, 0], p[:, 1]). alpha folds into the weight scales, beta into the bias.
"""
from __future__ import annotations

import numpy as np

from ..intgemm import gemm_np, gemm_torch
from ..quant import INT8_MAX, INT16_MAX, acc_bound, check_exact_gemm, multiplier, quantize, requantize_np, requantize_torch
from .base import ExactOp


def quantize_weights(w: np.ndarray, in_scale: float, out_scale: float, bias: np.ndarray | None, node, lw):
    """Per-output-channel int8 weights (channel = first axis), int64 bias and (M, k) parameters."""
    flat = w.reshape(w.shape[0], -1)
    ws = np.max(np.abs(flat), axis=1) / INT8_MAX
    ws[ws == 0] = 1.0
    wq = quantize(w / ws.reshape((-1,) + (1,) * (w.ndim - 1)), 1.0, bits=8)
    acc_scale = in_scale * ws
    bq = np.zeros(w.shape[0], dtype=np.int64) if bias is None else np.rint(bias / acc_scale).astype(np.int64)
    try:
        params = np.array([multiplier(float(s / out_scale)) for s in acc_scale], dtype=np.int64)
        check_exact_gemm(flat.shape[1], INT16_MAX + 1, INT8_MAX, node.name)
    except ValueError as e:
        raise lw.unsupported(node, str(e)) from None
    return wq, bq, params


class Gemm(ExactOp):
    op_type = "Gemm"

    def lower(self, node, lw):
        if lw.attr(node, "transA", 0):
            raise lw.unsupported(node, "transA=1 is not supported")
        x = lw.dyn(node, node.input[0])
        if len(x.shape) != 2:
            raise lw.unsupported(node, f"input A must be 2-D, got shape {x.shape}")
        w = np.asarray(lw.const(node, node.input[1]), dtype=np.float64)
        if not lw.attr(node, "transB", 0):
            w = w.T
        w = w * lw.attr(node, "alpha", 1.0)
        n = w.shape[0]
        bias = None
        if len(node.input) > 2 and node.input[2]:
            c = np.asarray(lw.const(node, node.input[2]), dtype=np.float64) * lw.attr(node, "beta", 1.0)
            if c.size not in (1, n) or (c.ndim == 2 and c.shape[0] != 1):
                raise lw.unsupported(node, f"bias C of shape {c.shape} must broadcast along the output channels")
            bias = np.broadcast_to(c.reshape(-1), (n,)).copy()
        wq, bq, params = quantize_weights(w, x.scale, lw.out_scale(node), bias, node, lw)
        ins = [x.index, lw.add_constant(f"{node.input[1]}:w", wq).index, lw.add_constant(f"{node.name}:b", bq).index,
               lw.add_constant(f"{node.name}:requant", params).index]
        lw.emit(node, ins, (x.shape[0], n), lw.out_scale(node))

    def numpy(self, ins, attrs):
        x, w, b, p = ins
        acc = gemm_np(x, w, w_nk=True)
        acc += b
        return requantize_np(acc, p[:, 0], p[:, 1], bound=acc_bound(w.shape[1], b), inplace=True)

    def torch(self, ins, attrs):
        x, w, b, p = ins
        acc = gemm_torch(x, w, w_nk=True) + b
        return requantize_torch(acc, p[:, 0], p[:, 1])

    def reads(self, node, ins, out_shape, index):
        """x row m, w row n, b[n], p[n, 0..1] for element (m, n)."""
        m, n = divmod(index, out_shape[1])
        k = np.arange(ins[0].shape[1])
        return [m * len(k) + k, n * len(k) + k, np.array([n]), np.array([2 * n, 2 * n + 1])]
