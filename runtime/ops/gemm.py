"""Gemm: Y = alpha * A @ B' + beta * C, with B a constant weight matrix.

Exact form: inputs (x int16 [..., K], w int8 [N, K], b int64 [N], p int64 [N, 2]) where p[n] = (M_n, k_n)
requantizes channel n. acc[..., n] = sum_k x[..., k] * w[n, k] + b[n] (exact: `runtime.intgemm`), then
y = requantize(acc, p[:, 0], p[:, 1]). alpha folds into the weight scales, beta into the bias. An ONNX
Gemm has a 2-D x; a MatMul with a constant B lowers here too (x of any rank >= 2), so every weight is
stored [N, K] and one output element reads one contiguous row of x and one of w (runtime/proof_cost).
A K too long for one one-step proof is split into `GemmBlock` steps and a `Requantize` (`lower_dense`).
"""
from __future__ import annotations

import numpy as np

from ..intgemm import gemm_np, gemm_torch
from ..quant import INT8_MAX, INT16_MAX, acc_bound, check_exact_gemm, multiplier, quantize, requantize_np, requantize_torch
from .base import ExactOp
from .dequantizelinear import own_int8


def quantize_weights(w: np.ndarray | None, in_scale: float, out_scale: float, bias: np.ndarray | None, node, lw,
                     own=None):
    """Per-output-channel int8 weights (channel = first axis), int64 bias and (M, k) parameters.
    `own`: (int8 weights, per-channel scales) already made (a QDQ model's own, dequantizelinear.own_int8,
    or quant.quantize_columns'); `w` is then not read (None is fine)."""
    if own is not None:
        wq, ws = own
    else:
        flat = w.reshape(w.shape[0], -1)
        ws = np.max(np.abs(flat), axis=1) / INT8_MAX
        ws[ws == 0] = 1.0
        wq = quantize(w / ws.reshape((-1,) + (1,) * (w.ndim - 1)), 1.0, bits=8)
    acc_scale = in_scale * ws
    bq = np.zeros(wq.shape[0], dtype=np.int64) if bias is None else np.rint(bias / acc_scale).astype(np.int64)
    try:
        params = np.array([multiplier(float(s / out_scale)) for s in acc_scale], dtype=np.int64)
        check_exact_gemm(int(np.prod(wq.shape[1:])), INT16_MAX + 1, INT8_MAX, node.name)
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
        own = None
        if lw.attr(node, "alpha", 1.0) == 1.0:  # a QDQ model's own int8 weights, as [N, K]
            trans = lw.attr(node, "transB", 0)
            own = own_int8(lw, node.input[1], 0 if trans else 1)
            own = own if own is None or trans else (np.ascontiguousarray(own[0].T), own[1])
        wq, bq, params = quantize_weights(w, x.scale, lw.out_scale(node), bias, node, lw, own)
        lower_dense(node, lw, x, wq, bq, params)

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
        """x row m, w row n, b[n], p[n, 0..1] for element (m, n) (m: the flat index of x's leading axes)."""
        m, n = divmod(index, out_shape[-1])
        k = np.arange(ins[0].shape[-1])
        return [m * len(k) + k, n * len(k) + k, np.array([n]), np.array([2 * n, 2 * n + 1])]


def lower_dense(node, lw, x, wq: np.ndarray, bq: np.ndarray, params: np.ndarray) -> None:
    """Emits y = requantize(x @ wq.T + bq, params) for x [..., K], wq int8 [N, K]: one Gemm step, or,
    when that step's one-step proof would pass the lowering's budget (`proof_cost.dense_block`), K in
    blocks: GemmBlock steps carrying the partial sums (int64 as int16 limbs) and one Requantize step."""
    from ..proof_cost import dense_block
    from .gemmblock import to_limbs

    k, n, y_scale = wq.shape[1], wq.shape[0], lw.out_scale(node)
    shape = tuple(x.shape[:-1]) + (n,)
    w = lw.add_constant(f"{node.input[1]}:w", wq)
    block = dense_block(k, n, int(np.prod(x.shape[:-1], dtype=np.int64)))
    if block >= k:
        ins = [x.index, w.index, lw.add_constant(f"{node.name}:b", bq).index,
               lw.add_constant(f"{node.name}:requant", params).index]
        lw.emit(node, ins, shape, y_scale, op="Gemm", output=node.output[0])
        return
    acc = lw.add_constant(f"{node.name}:b", to_limbs(bq))
    out = node.output[0]
    for k0 in range(0, k, block):
        k1 = min(k, k0 + block)
        acc = lw.emit(node, [x.index, w.index, acc.index], shape + (4,), 1.0, {"k0": k0, "k1": k1}, op="GemmBlock",
                      output=f"{out}:acc{k0}")
    lw.emit(node, [acc.index, lw.add_constant(f"{node.name}:requant", params).index], shape, y_scale, op="Requantize",
            output=out)
