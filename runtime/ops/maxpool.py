"""MaxPool (2-D): the maximum over each window; padding counts as -32768. Keeps the input's scale."""
from __future__ import annotations

import numpy as np

from ..quant import INT16_MIN
from .base import ExactOp
from .conv import conv_attrs, out_size, window_reads, window_slices


class MaxPool(ExactOp):
    op_type = "MaxPool"
    keeps_scale = True

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
