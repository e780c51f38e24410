"""ConvBlock: one block of input channels of a Conv whose window is too long for one step's proof
(runtime/ops/conv.py), with the partial sums carried in the state, as GemmBlock splits K.

Exact form: inputs (x int16 [N, C, H, W], w int8 [O, C/g, kh, kw], acc int16 [N, OH, OW, O, 4] or
[O, 4]); attrs strides, pads, dilations, group, c0, c1. out[n, oh, ow, o] = acc[n, oh, ow, o] (or
acc[o]: the bias, for the first block) + the sum over the group's input channels c0 <= c < c1 and the
window of x * w, int64 as four int16 limbs (runtime/ops/gemmblock.py). The output is channel-last so
that `Requantize` ends the chain; a Transpose then gives Conv's [N, O, OH, OW].
"""
from __future__ import annotations

import numpy as np

from .base import ExactOp
from .conv import window_reads, window_sums
from .gemmblock import from_limbs, from_limbs_torch, to_limbs, to_limbs_torch


def _part(x, w, attrs):
    """(x restricted to the block's channels of every group, w to the block's channels, attrs of the
    Conv over them)."""
    g, c0, c1 = attrs["group"], attrs["c0"], attrs["c1"]
    cg = w.shape[1]
    chans = np.concatenate([np.arange(i * cg + c0, i * cg + c1) for i in range(g)])
    return chans, w[:, c0:c1]


class ConvBlock(ExactOp):
    op_type = "ConvBlock"
    partial = True

    def lower(self, node, lw):
        raise lw.unsupported(node, "ConvBlock is made by the lowering of a Conv with a long window, not read from ONNX")

    def numpy(self, ins, attrs):
        x, w, acc = ins
        chans, wb = _part(x, w, attrs)
        sums = np.ascontiguousarray(window_sums(x[:, chans], wb, attrs).transpose(1, 2, 3, 0))  # [N, OH, OW, O]
        return to_limbs(sums + from_limbs(acc))

    def torch(self, ins, attrs):
        import torch
        import torch.nn.functional as F

        x, w, acc = ins
        chans, wb = _part(x, w, attrs)
        pt, pl, pb, pr = attrs["pads"]
        xf = F.pad(x[:, torch.as_tensor(chans, device=x.device)].to(torch.float64), (pl, pr, pt, pb))
        s = F.conv2d(xf, wb.to(torch.float64), stride=attrs["strides"], dilation=attrs["dilations"], groups=attrs["group"])
        return to_limbs_torch(s.to(torch.int64).permute(0, 2, 3, 1) + from_limbs_torch(acc))

    def reads(self, node, ins, out_shape, index):
        """The window over the block's channels of o's group, w[o] over those channels, acc's limbs."""
        x, w, acc = ins
        n, oh, ow, o, _ = np.unravel_index(index, out_shape)
        c0, c1, cg = node.attrs["c0"], node.attrs["c1"], w.shape[1]
        first = o // (w.shape[0] // node.attrs["group"]) * cg
        per = w.shape[2] * w.shape[3]
        a = o if len(acc.shape) == 2 else index // 4
        return [window_reads(x.shape, (n, first + c0, c1 - c0), (oh, ow), w.shape[2:], node.attrs),
                o * w[0].size + np.arange(c0 * per, c1 * per), 4 * a + np.arange(4)]

