"""LRN: y = x / (bias + alpha / size * sum of x^2 over neighbouring channels)^beta, by one table.

Exact form: inputs (x int16 [N, C, ...], t int16 [65536]); attrs size, m, shift. Per element, with
Q = sum of x[n, i, ...]^2 over channels i in [c - (size-1)//2, c + ceil((size-1)/2)] inside [0, C)
(exact, int units, Q < size 2^30):

    y = requantize(x * t[bucket(Q)], m, shift)

t[b] = rint(f(Q_b) / s_t) with f(Q) = (bias + alpha / size * s_x^2 Q)^-beta at the middle Q_b of
bucket b (quant.py: bucket, 11 leading bits of Q), s_t = f(0) / 32767, and m / 2^shift = s_x s_t / s_y.
A bucket spans 2^-10 of its Q, so f moves by at most beta 2^-10 inside it: below int16 rounding of y
for beta <= 1 and small x, about 0.1% at worst.
"""
from __future__ import annotations

import numpy as np

from ..quant import BUCKET_MAX_VALUE, INT16_MAX, bucket_np, bucket_range, bucket_torch, multiplier, \
    requantize_np, requantize_torch
from .base import ExactOp


def lrn_table(bias: float, alpha: float, beta: float, size: int, s_x: float) -> tuple[np.ndarray, float]:
    lo, hi = bucket_range(np.arange(2**16, dtype=np.int64))
    mid = (lo.astype(np.float64) + hi) / 2
    f = (bias + alpha / size * s_x * s_x * mid) ** -beta
    s_t = bias**-beta / INT16_MAX
    t = np.where(lo <= hi, np.clip(np.rint(f / s_t), 0, INT16_MAX), 0)
    return t.astype(np.int16), s_t


def _window(c: int, size: int, channels: int) -> range:
    return range(max(0, c - (size - 1) // 2), min(channels, c + -(-(size - 1) // 2) + 1))


class LRN(ExactOp):
    op_type = "LRN"

    def lower(self, node, lw):
        x = lw.dyn(node, node.input[0])
        size = int(lw.attr(node, "size"))
        alpha, beta, bias = (float(lw.attr(node, k, v)) for k, v in (("alpha", 1e-4), ("beta", 0.75), ("bias", 1.0)))
        if len(x.shape) < 3 or size < 1:
            raise lw.unsupported(node, f"input must be [N, C, ...] and size >= 1 (shape {x.shape}, size {size})")
        if bias <= 0 or alpha < 0 or beta < 0:
            raise lw.unsupported(node, f"bias must be > 0 and alpha, beta >= 0 (bias {bias}, alpha {alpha}, beta {beta})")
        if size * 2**30 >= BUCKET_MAX_VALUE:
            raise lw.unsupported(node, f"size {size} is too large for the table's domain")
        t, s_t = lrn_table(bias, alpha, beta, size, x.scale)
        y_scale = lw.out_scale(node)
        try:
            m, k = multiplier(x.scale * s_t / y_scale)
        except ValueError as e:
            raise lw.unsupported(node, str(e)) from None
        table = lw.add_constant(f"{node.name or node.output[0]}:table", t, s_t)
        lw.emit(node, [x.index, table.index], x.shape, y_scale, {"size": size, "m": m, "shift": k})

    def numpy(self, ins, attrs):
        x, t = ins
        x = x.astype(np.int64)
        size = attrs["size"]
        lo, hi = (size - 1) // 2, -(-(size - 1) // 2)
        x2 = np.pad(x * x, [(0, 0), (lo, hi)] + [(0, 0)] * (x.ndim - 2))
        q = sum(x2[:, i:i + x.shape[1]] for i in range(size))
        return requantize_np(x * t.astype(np.int64)[bucket_np(q)], attrs["m"], attrs["shift"])

    def torch(self, ins, attrs):
        import torch
        import torch.nn.functional as F

        x, t = ins
        x = x.to(torch.int64)
        size = attrs["size"]
        lo, hi = (size - 1) // 2, -(-(size - 1) // 2)
        x2 = F.pad(x * x, (0, 0) * (x.dim() - 2) + (lo, hi))
        q = sum(x2[:, i:i + x.shape[1]] for i in range(size))
        m = torch.tensor(attrs["m"], dtype=torch.int64, device=x.device)
        k = torch.tensor(attrs["shift"], dtype=torch.int64, device=x.device)
        return requantize_torch(x * t.to(torch.int64)[bucket_torch(q)], m, k)

    def reads(self, node, ins, out_shape, index):
        """The element's channel window (itself included) and the table entry its Q indexes."""
        x = ins[0]
        inner = int(np.prod(x.shape[2:]))
        n, c, r = index // (x.shape[1] * inner), (index // inner) % x.shape[1], index % inner
        idx = np.array([(n * x.shape[1] + i) * inner + r for i in _window(c, node.attrs["size"], x.shape[1])])
        vals = x.reshape(-1)[idx].astype(np.int64)
        return [idx, np.array([int(bucket_np(int((vals * vals).sum())))])]
