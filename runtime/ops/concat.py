"""Concat along `axis`; each input is requantized to the output's scale first.

Exact form: inputs k int16 tensors; attrs axis, ms, shifts (one (M, k) per input, the rule of
`runtime.quant`: a ratio of 1 is M = 2^30, k = 30, the identity). A constant input is quantized
with its own scale like any other constant operand.
"""
from __future__ import annotations

import numpy as np

from ..quant import multiplier, requantize_np, requantize_torch
from .base import ExactOp


class Concat(ExactOp):
    op_type = "Concat"

    def lower(self, node, lw):
        xs = [lw.act(node, i) for i in node.input if i]
        rank = len(xs[0].shape)
        axis = lw.attr(node, "axis", 0)
        axis = axis + rank if axis < 0 else axis
        if any(len(x.shape) != rank or x.shape[:axis] + x.shape[axis + 1:] != xs[0].shape[:axis] + xs[0].shape[axis + 1:]
               for x in xs):
            raise lw.unsupported(node, f"inputs of shapes {[x.shape for x in xs]} do not concatenate on axis {axis}")
        tokens = all(x.index in lw.token_slots for x in xs)  # chosen token ids: kept as they are, scale 1
        y_scale = 1.0 if tokens else lw.out_scale(node)
        try:
            params = [multiplier(x.scale / y_scale) for x in xs]
        except ValueError as e:
            raise lw.unsupported(node, str(e)) from None
        shape = xs[0].shape[:axis] + (sum(x.shape[axis] for x in xs),) + xs[0].shape[axis + 1:]
        out = lw.emit(node, [x.index for x in xs], shape, y_scale,
                {"axis": axis, "ms": tuple(m for m, _ in params), "shifts": tuple(k for _, k in params)})
        if tokens:
            lw.token_slots[out.index] = lw.token_slots[xs[0].index]

    def numpy(self, ins, attrs):
        return np.concatenate([requantize_np(x, m, k) for x, m, k in zip(ins, attrs["ms"], attrs["shifts"])],
                              axis=attrs["axis"])

    def torch(self, ins, attrs):
        import torch

        parts = [requantize_torch(x, torch.tensor(m, device=x.device), torch.tensor(k, device=x.device))
                 for x, m, k in zip(ins, attrs["ms"], attrs["shifts"])]
        return torch.cat(parts, dim=attrs["axis"])

    def reads(self, node, ins, out_shape, index):
        """One element of the one input whose band along the axis holds the output element."""
        axis = node.attrs["axis"]
        c = list(np.unravel_index(index, out_shape))
        reads = [np.zeros(0, dtype=np.int64) for _ in ins]
        for i, x in enumerate(ins):
            if c[axis] < x.shape[axis]:
                reads[i] = np.array([np.ravel_multi_index(c, x.shape)])
                break
            c[axis] -= x.shape[axis]
        return reads
