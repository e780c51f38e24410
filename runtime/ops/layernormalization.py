"""LayerNormalization in integers (I-BERT's integer mean, variance and square root).

Exact form: inputs (x int16, g int16 [n], b int64 [n]); attrs axis, eps, m, shift. Each row is the
n = prod(shape[axis:]) elements from `axis` on, in int units of x (quant.py's divide and isqrt):

    mu = divide(sum x, n)                       integer mean
    c  = x - mu                                 |c| < 2^16
    V  = sum c^2                                n times the variance, exact
    W  = divide(V * 2^28, n)                    the variance with 28 fractional bits
    sd = max(isqrt(W + eps), 1)                 the deviation with 14 (NORM_BITS) fractional bits
    z  = divide(c * 2^28, sd)                   c / deviation, with 14 fractional bits
    y  = requantize(z * g + b, m, shift)

g is the scale (gamma) as int16 with one scale s_g, b the bias (beta) in the accumulator's scale
s_g * 2^-14, eps = round(epsilon / s_x^2 * 2^28) (capped at 2^61), and m / 2^shift = s_g 2^-14 / s_y.
W is computed as (V // n) * 2^28 + divide((V % n) * 2^28, n), the same integer, so nothing
overflows int64 (V < n 2^32; W + eps < 2^62; |z| < 2^14 sqrt(n) 2^14).

A row too long for one step's proof (runtime/proof_cost.py: norm_block) lowers to LayerNormStats steps
(sum x and sum x^2 over blocks of the row, carried as int64 limbs) and one LayerNormApply (each element
from the two sums: V = sum x^2 - 2 mu sum x + n mu^2 exactly), bit-identical to the one step.
"""
from __future__ import annotations

import numpy as np

from ..proof_cost import norm_block
from ..quant import INT16_MAX, NORM_BITS, divide_np, divide_torch, isqrt_np, isqrt_torch, multiplier, quantize, \
    requantize_np, requantize_torch
from .base import ExactOp

VAR_BITS = 2 * NORM_BITS
EPS_CAP = 2**61


def affine_constants(gamma, beta, acc_scale_of_g, y_scale, node, lw):
    """(g int16, b int64, m, shift): gamma quantized with one scale, beta in the accumulator's
    scale acc_scale_of_g(s_g), and the multiplier from that scale to y's."""
    gamma = np.asarray(gamma, dtype=np.float64).reshape(-1)
    s_g = float(np.max(np.abs(gamma))) / INT16_MAX if gamma.size and np.any(gamma) else 1.0
    acc_scale = acc_scale_of_g(s_g)
    b = np.rint(np.asarray(beta, dtype=np.float64).reshape(-1) / acc_scale).astype(np.int64)
    try:
        m, k = multiplier(acc_scale / y_scale)
    except ValueError as e:
        raise lw.unsupported(node, str(e)) from None
    return quantize(gamma, s_g), b, m, k


def normalize_np(c, v, n: int, g, b, attrs) -> np.ndarray:
    """y from c = x - mu (int64 [rows, n] or any shape broadcasting with v) and V = sum c^2 per row."""
    w = ((v // n) << VAR_BITS) + divide_np((v % n) << VAR_BITS, n)
    sd = np.maximum(isqrt_np(w + attrs["eps"]), 1)
    z = divide_np(c << VAR_BITS, sd)
    return requantize_np(z * g.astype(np.int64) + b, attrs["m"], attrs["shift"])


def normalize_torch(c, v, n: int, g, b, attrs):
    import torch

    nt = torch.tensor(n, dtype=torch.int64, device=c.device)
    w = (torch.div(v, n, rounding_mode="floor") << VAR_BITS) + divide_torch(torch.remainder(v, n) << VAR_BITS, nt)
    sd = torch.clamp(isqrt_torch(w + attrs["eps"]), min=1)
    z = divide_torch(c << VAR_BITS, sd)
    acc = z * g.to(torch.int64) + b
    m = torch.tensor(attrs["m"], dtype=torch.int64, device=c.device)
    k = torch.tensor(attrs["shift"], dtype=torch.int64, device=c.device)
    return requantize_torch(acc, m, k)


class LayerNormalization(ExactOp):
    op_type = "LayerNormalization"

    def lower(self, node, lw):
        x = lw.dyn(node, node.input[0])
        axis = lw.attr(node, "axis", -1)
        axis = axis + len(x.shape) if axis < 0 else axis
        row = x.shape[axis:]
        n = int(np.prod(row))
        gamma = np.broadcast_to(np.asarray(lw.const(node, node.input[1]), dtype=np.float64), row)
        beta = np.zeros(row) if len(node.input) < 3 or not node.input[2] else \
            np.broadcast_to(np.asarray(lw.const(node, node.input[2]), dtype=np.float64), row)
        if n >= 2**20:
            raise lw.unsupported(node, f"rows of {n} elements are too long (at most 2^20)")
        y_scale = lw.out_scale(node)
        g, b, m, k = affine_constants(gamma, beta, lambda s_g: s_g * 2.0**-NORM_BITS, y_scale, node, lw)
        eps = min(int(round(float(lw.attr(node, "epsilon", 1e-5)) / x.scale**2 * 2.0**VAR_BITS)), EPS_CAP)
        g, b = lw.add_constant(f"{node.name}:g", g).index, lw.add_constant(f"{node.name}:b", b).index
        rows = int(np.prod(x.shape[:axis], dtype=np.int64))
        block = norm_block(n, rows)
        if block >= n:
            lw.emit(node, [x.index, g, b], x.shape, y_scale, {"axis": axis, "eps": eps, "m": m, "shift": k})
            return
        # a row too long for one step's proof: its sums in blocks, then each element from them
        stats = lw.add_constant(f"{node.name}:stats", np.zeros(tuple(x.shape[:axis]) + (2, 4), dtype=np.int16))
        out = node.output[0]
        for k0 in range(0, n, block):
            k1 = min(n, k0 + block)
            stats = lw.emit(node, [x.index, stats.index], tuple(x.shape[:axis]) + (2, 4), 1.0, {"k0": k0, "k1": k1},
                            op="LayerNormStats", output=f"{out}:stats{k0}")
        lw.emit(node, [x.index, stats.index, g, b], x.shape, y_scale, {"eps": eps, "m": m, "shift": k}, op="LayerNormApply",
                output=out)

    def numpy(self, ins, attrs):
        x, g, b = ins
        n = g.size
        c = x.reshape(-1, n).astype(np.int64)
        c -= divide_np(c.sum(axis=1, keepdims=True), n)
        return normalize_np(c, (c * c).sum(axis=1, keepdims=True), n, g, b, attrs).reshape(x.shape)

    def torch(self, ins, attrs):
        import torch

        x, g, b = ins
        n = g.numel()
        c = x.reshape(-1, n).to(torch.int64)
        c = c - divide_torch(c.sum(dim=1, keepdim=True), torch.tensor(n, dtype=torch.int64, device=c.device))
        return normalize_torch(c, (c * c).sum(dim=1, keepdim=True), n, g, b, attrs).reshape(x.shape)

    def reads(self, node, ins, out_shape, index):
        """The element's row, and its position's g and b."""
        n = ins[1].size
        r, j = divmod(index, n)
        return [r * n + np.arange(n), np.array([j]), np.array([j])]
