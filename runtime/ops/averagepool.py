"""AveragePool (2-D): the window's mean by quant.py's mean rule, padding counted or not.

Exact form: input x int16 [N, C, H, W]; attrs kernel, strides, pads, dilations (as MaxPool's),
count_include_pad, m, shift with m / 2^shift = s_x / s_y. Per output element: S = the sum of the
window's elements inside x (padding adds 0), count = kh * kw when count_include_pad, else the
number of window positions inside x; y = mean(S, count, m, shift) = saturate(divide(S m, count 2^shift)).
"""
from __future__ import annotations

import numpy as np

from ..quant import check_mean, mean_np, mean_torch, multiplier
from .base import ExactOp
from .conv import conv_attrs, out_size, window_reads, window_slices


def window_counts(shape, attrs) -> np.ndarray:
    """[OH, OW] int64: how many positions of each window lie inside an [H, W] input (or all of them)."""
    kernel = attrs["kernel"]
    if attrs["count_include_pad"]:
        ones = np.ones((1, 1, shape[2], shape[3]), dtype=np.int64)
        first = next(window_slices(ones, kernel, attrs, 0))[2]
        return np.full(first.shape[2:], kernel[0] * kernel[1], dtype=np.int64)
    ones = np.ones((1, 1, shape[2], shape[3]), dtype=np.int64)
    return sum(v for _, _, v in window_slices(ones, kernel, attrs, 0))[0, 0]


class AveragePool(ExactOp):
    op_type = "AveragePool"

    def lower(self, node, lw):
        x = lw.dyn(node, node.input[0])
        kernel = tuple(lw.attr(node, "kernel_shape", []))
        if len(x.shape) != 4 or len(kernel) != 2:
            raise lw.unsupported(node, f"only 2-D pooling is supported (input shape {x.shape})")
        if lw.attr(node, "ceil_mode", 0):
            raise lw.unsupported(node, "ceil_mode=1 is not supported")
        attrs = conv_attrs(node, lw, x.shape[2:], kernel)
        (sh, sw), (pt, pl, pb, pr), (dh, dw) = attrs["strides"], attrs["pads"], attrs["dilations"]
        shape = x.shape[:2] + (out_size(x.shape[2], kernel[0], sh, dh, pt, pb), out_size(x.shape[3], kernel[1], sw, dw, pl, pr))
        if min(shape) < 1:
            raise lw.unsupported(node, f"the window does not fit the input (output shape {shape})")
        attrs = dict(attrs, kernel=kernel, count_include_pad=int(lw.attr(node, "count_include_pad", 0)))
        counts = window_counts(x.shape, attrs)
        if counts.min() < 1:
            raise lw.unsupported(node, "a window lies wholly in the padding (it averages nothing)")
        y_scale = lw.out_scale(node)
        try:
            m, k = multiplier(x.scale / y_scale)
            check_mean(int(counts.max()), m, k, node.name)
        except ValueError as e:
            raise lw.unsupported(node, str(e)) from None
        lw.emit(node, [x.index], shape, y_scale, dict(attrs, m=m, shift=k))

    def numpy(self, ins, attrs):
        s = None
        for _, _, view in window_slices(ins[0].astype(np.int64), attrs["kernel"], attrs, 0):
            s = view.copy() if s is None else np.add(s, view, out=s)
        return mean_np(s, window_counts(ins[0].shape, attrs), attrs["m"], attrs["shift"])

    def torch(self, ins, attrs):
        import torch
        import torch.nn.functional as F

        (sh, sw), (pt, pl, pb, pr), (dh, dw) = attrs["strides"], attrs["pads"], attrs["dilations"]
        kh, kw = attrs["kernel"]
        x = F.pad(ins[0].to(torch.int64), (pl, pr, pt, pb))
        oh = (x.shape[2] - (kh - 1) * dh - 1) // sh + 1
        ow = (x.shape[3] - (kw - 1) * dw - 1) // sw + 1
        s = torch.zeros(x.shape[:2] + (oh, ow), dtype=torch.int64, device=x.device)
        for i in range(kh):
            for j in range(kw):
                s += x[:, :, i * dh: i * dh + sh * (oh - 1) + 1: sh, j * dw: j * dw + sw * (ow - 1) + 1: sw]
        counts = torch.from_numpy(window_counts(tuple(ins[0].shape), attrs)).to(x.device)
        return mean_torch(s, counts, attrs["m"], attrs["shift"])

    def reads(self, node, ins, out_shape, index):
        """The window in the element's own channel (padding reads nothing)."""
        n, c, oh, ow = np.unravel_index(index, out_shape)
        return [window_reads(ins[0].shape, (n, c, 1), (oh, ow), node.attrs["kernel"], node.attrs)]
