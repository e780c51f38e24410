"""MaxPool (2-D): the maximum over each window; padding counts as -32768. Keeps the input's scale."""
from __future__ import annotations

import numpy as np

from ..quant import INT16_MIN
from .base import ExactOp
from .conv import conv_attrs, out_size, window_reads, window_slices


def _ceil_extra(n: int, k: int, s: int, d: int, p0: int, p1: int) -> int:
    """End padding that makes floor-mode pooling produce ceil_mode's output size: ceil((n + p0 + p1 -
    d(k-1) - 1) / s) + 1 windows, less the last when it would start past the input and the begin
    padding (the rule torch and onnxruntime apply); 0 where floor mode already gives that size.
    Padding is -32768, so the extra reads change no max."""
    span = n + p0 + p1 - d * (k - 1) - 1
    out = -(-span // s) + 1
    if (out - 1) * s >= n + p0:
        out -= 1
    return max(0, (out - 1) * s - span)


class MaxPool(ExactOp):
    op_type = "MaxPool"
    keeps_scale = True

    def lower(self, node, lw):
        x = lw.dyn(node, node.input[0])
        kernel = tuple(lw.attr(node, "kernel_shape", []))
        if len(x.shape) != 4 or len(kernel) != 2:
            raise lw.unsupported(node, f"only 2-D pooling is supported (input shape {x.shape})")
        attrs = conv_attrs(node, lw, x.shape[2:], kernel)
        (sh, sw), (pt, pl, pb, pr), (dh, dw) = attrs["strides"], attrs["pads"], attrs["dilations"]
        if lw.attr(node, "ceil_mode", 0):  # as extra end padding, so the kernels (and the chain's) stay as they are
            pb += _ceil_extra(x.shape[2], kernel[0], sh, dh, pt, pb)
            pr += _ceil_extra(x.shape[3], kernel[1], sw, dw, pl, pr)
            attrs = dict(attrs, pads=(pt, pl, pb, pr))
        shape = x.shape[:2] + (out_size(x.shape[2], kernel[0], sh, dh, pt, pb), out_size(x.shape[3], kernel[1], sw, dw, pl, pr))
        lw.emit(node, [x.index], shape, x.scale, dict(attrs, kernel=kernel))

    def numpy(self, ins, attrs):
        y = None
        for _, _, view in window_slices(ins[0], attrs["kernel"], attrs, INT16_MIN):
            y = view.copy() if y is None else np.maximum(y, view, out=y)
        return y

    def torch(self, ins, attrs):
        import torch
        import torch.nn.functional as F

        pt, pl, pb, pr = attrs["pads"]
        x = F.pad(ins[0].to(torch.float64), (pl, pr, pt, pb), value=float(INT16_MIN))
        y = F.max_pool2d(x, attrs["kernel"], stride=attrs["strides"], dilation=attrs["dilations"])
        return y.to(torch.int16)

    def reads(self, node, ins, out_shape, index):
        """The window in the element's own channel (padding reads nothing)."""
        n, c, oh, ow = np.unravel_index(index, out_shape)
        return [window_reads(ins[0].shape, (n, c, 1), (oh, ow), node.attrs["kernel"], node.attrs)]
