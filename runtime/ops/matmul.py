"""MatMul: A @ B with numpy broadcasting over leading axes.

Exact form: inputs (a int16 [..., M, K], b int16, p int64 [1, 2]); attr transB; acc = a @ b exactly (float64 GEMM of
integers), then requantize. With transB = 1 (what the lowering emits) b is stored [..., N, K], B's
transpose: the B of an ONNX Transpose of the last two axes is read from that Transpose's input, any
other B gets a Transpose step first, so an output element reads a row of b, not a column spread over
chunks (runtime/proof_cost.py; attention's scores @ V reads S contiguous values). A constant B (a weight matrix) lowers to a `Gemm` node instead, with the weight stored
[N, K] (per-output-channel int8 scales): an output element then reads one contiguous weight row, not
a column spread over K chunks. (Older programs with an int8 [K, N] B and p [N, 2] still run, on `runtime.intgemm`'s kernels.)
"""
from __future__ import annotations

import numpy as np

from ..intgemm import gemm_np, gemm_torch
from ..quant import INT16_MAX, check_exact_gemm, multiplier, quantize_columns, requantize_np, requantize_torch
from .base import ExactOp, broadcast_source
from .dequantizelinear import own_int8
from .gemm import lower_dense, quantize_weights


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
            if a.shape[-1] != w.shape[0]:
                raise lw.unsupported(node, f"inner dimensions differ: {a.shape} @ {w.shape}")
            own = own_int8(lw, node.input[1], 1)  # a QDQ model's own int8 weights and scales
            if own is None:  # per-column int8, in blocks: no float64 copy of the whole weight
                own = quantize_columns(w)
            wq, bq, params = quantize_weights(None, a.scale, y_scale, None, node, lw, (np.ascontiguousarray(own[0].T), own[1]))
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
        lw.emit(node, [a.index, _transposed(node, lw, b).index, p.index], shape, y_scale, {"transB": 1})

    def numpy(self, ins, attrs):
        a, b, p = ins
        if b.dtype == np.int8 and b.ndim == 2:  # an older program's int8 [K, N] weight
            acc = gemm_np(a, b)
        else:
            if attrs.get("transB"):
                b = np.swapaxes(b, -1, -2)
            acc = np.matmul(a.astype(np.float64), b.astype(np.float64)).astype(np.int64)
        return requantize_np(acc, p[:, 0], p[:, 1])

    def torch(self, ins, attrs):
        import torch

        a, b, p = ins
        if b.dtype == torch.int8 and b.ndim == 2:
            acc = gemm_torch(a, b)
        else:
            if attrs.get("transB"):
                b = b.transpose(-1, -2)
            acc = torch.matmul(a.to(torch.float64), b.to(torch.float64)).to(torch.int64)
        return requantize_torch(acc, p[:, 0], p[:, 1])

    def reads(self, node, ins, out_shape, index):
        """Row m of a's broadcast batch, column n of b's (row n of a transB b), and the requantization row
        of column n."""
        a, b, p = ins
        *batch, m, n = np.unravel_index(index, out_shape)
        trans = node.attrs.get("transB", 0)
        kk, nn = (b.shape[-1], b.shape[-2]) if trans else (b.shape[-2], b.shape[-1])
        ab = broadcast_source(tuple(out_shape[:-2]), a.shape[:-2], int(np.ravel_multi_index(batch, out_shape[:-2]))) if batch else 0
        bb = broadcast_source(tuple(out_shape[:-2]), b.shape[:-2], int(np.ravel_multi_index(batch, out_shape[:-2]))) if batch else 0
        k = np.arange(kk)
        c = n if p.shape[0] > 1 else 0
        col = (bb * nn + n) * kk + k if trans else (bb * kk + k) * nn + n
        return [(ab * a.shape[-2] + m) * kk + k, col, np.array([2 * c, 2 * c + 1])]


def _transposed(node, lw, b):
    """B's last two axes swapped: the input of the Transpose step that made b when it did just that,
    else a new Transpose step."""
    r = len(b.shape)
    swap = tuple(range(r - 2)) + (r - 1, r - 2)
    made = next((n for n in reversed(lw.nodes) if n.outputs[0] == b.index), None)
    if made is not None and made.op == "Transpose" and tuple(made.attrs["perm"]) == swap:
        return lw.slots[made.inputs[0]]
    return lw.emit(node, [b.index], b.shape[:-2] + (b.shape[-1], b.shape[-2]), b.scale, {"perm": swap}, op="Transpose",
                   output=f"{node.input[1]}:T:{node.name}")
