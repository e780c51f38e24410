"""Where: cond ? x : y (numpy broadcasting), each branch requantized to the output's scale.

Exact form: inputs (cond int8 0/1, x int16, y int16); attrs mx, kx, my, ky. out = requantize(x, mx,
kx) where cond else requantize(y, my, ky). The condition is a constant (a causal mask); a constant
branch is quantized straight at the output's scale (ratio 1: M = 2^30, k = 30), so an attention
mask's fill (finfo.min, -inf) saturates to -32768 and Softmax gives it weight 0.
"""
from __future__ import annotations

import numpy as np

from ..quant import multiplier, quantize, requantize_np, requantize_torch
from .base import ExactOp, broadcast_source


class Where(ExactOp):
    op_type = "Where"

    def lower(self, node, lw):
        if not lw.is_const(node.input[0]):
            raise lw.unsupported(node, "the condition must be a constant (computed boolean masks are not covered)")
        cond = lw.add_constant(f"{node.input[0]}:cond", np.asarray(lw.const(node, node.input[0])).astype(bool).astype(np.int8))
        y_scale = lw.out_scale(node)
        branches, params = [], {}
        for key, name in (("x", node.input[1]), ("y", node.input[2])):
            if lw.is_const(name):
                arr = np.asarray(lw.const(node, name), dtype=np.float64)
                branches.append(lw.add_constant(f"{name}:q:{node.output[0]}", quantize(arr, y_scale), y_scale))
            else:
                branches.append(lw.dyn(node, name))
            try:
                params[f"m{key}"], params[f"k{key}"] = multiplier(branches[-1].scale / y_scale)
            except ValueError as e:
                raise lw.unsupported(node, str(e)) from None
        shape = np.broadcast_shapes(cond.shape, branches[0].shape, branches[1].shape)
        lw.emit(node, [cond.index, branches[0].index, branches[1].index], shape, y_scale, params)

    def numpy(self, ins, attrs):
        c, x, y = ins
        return np.where(c != 0, requantize_np(x, attrs["mx"], attrs["kx"]), requantize_np(y, attrs["my"], attrs["ky"]))

    def torch(self, ins, attrs):
        import torch

        c, x, y = ins
        t = lambda v: torch.tensor(v, dtype=torch.int64, device=x.device)  # noqa: E731
        return torch.where(c != 0, requantize_torch(x, t(attrs["mx"]), t(attrs["kx"])),
                           requantize_torch(y, t(attrs["my"]), t(attrs["ky"])))

    def reads(self, node, ins, out_shape, index):
        """The condition, and only the branch it picks."""
        c, x, y = ins
        ci = broadcast_source(out_shape, c.shape, index)
        pick = 1 if c.reshape(-1)[ci] != 0 else 2
        reads = [np.array([ci]), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)]
        reads[pick] = np.array([broadcast_source(out_shape, ins[pick].shape, index)])
        return reads
