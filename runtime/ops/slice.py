"""Slice: a strided box of the input (steps may be negative). Keeps the input's scale.

Exact form: input x int16; attrs starts, steps, shape (one per axis of x, normalized at lowering:
every start inside the axis; shape is the output's); output element c reads x at starts + c * steps.
A k-output Split lowers to k Slice nodes (runtime/ops/split.py): a program node writes one slot.
"""
from __future__ import annotations

import numpy as np

from .base import PassThrough


def _const_ints(node, lw, pos: int, attr: str, default=None):
    if lw.opset < 10:
        v = lw.attr(node, attr, default)
        return None if v is None else [int(a) for a in v]
    if len(node.input) > pos and node.input[pos]:
        return [int(a) for a in np.asarray(lw.const(node, node.input[pos])).reshape(-1)]
    return default


def box(shape, starts, ends, axes, steps):
    """(starts, steps, out shape) for every axis, by Python's slice rules (ONNX's clamping)."""
    s0, st, out = [0] * len(shape), [1] * len(shape), list(shape)
    for b, e, a, step in zip(starts, ends, axes, steps):
        a = a + len(shape) if a < 0 else a
        r = range(shape[a])[slice(b, e, step)]
        s0[a], st[a], out[a] = (r.start if len(r) else 0), step, len(r)
    return tuple(s0), tuple(st), tuple(out)


def strided(x, starts, steps, shape, xp=np):
    """x at starts + c * steps for every c in shape (numpy basic slicing; torch index_select)."""
    if xp is np:
        idx = tuple(slice(b, (b + n * s) if b + n * s >= 0 else None, s) for b, s, n in zip(starts, steps, shape))
        return x[idx].copy()
    import torch

    for a, (b, s, n) in enumerate(zip(starts, steps, shape)):
        if (b, s, n) != (0, 1, x.shape[a]):
            x = torch.index_select(x, a, torch.arange(n, device=x.device, dtype=torch.int64) * s + b)
    return x.contiguous()


class Slice(PassThrough):
    op_type = "Slice"

    def lower(self, node, lw):
        x = lw.dyn(node, node.input[0])
        starts = _const_ints(node, lw, 1, "starts")
        ends = _const_ints(node, lw, 2, "ends")
        if starts is None or ends is None or len(starts) != len(ends):
            raise lw.unsupported(node, "starts and ends must be constants of one length")
        axes = _const_ints(node, lw, 3, "axes", list(range(len(starts))))
        steps = _const_ints(node, lw, 4, "steps", [1] * len(starts))
        if 0 in steps:
            raise lw.unsupported(node, "a step of 0")
        s0, st, shape = box(x.shape, starts, ends, axes, steps)
        if 0 in shape:
            raise lw.unsupported(node, f"the slice of {x.shape} is empty (shape {shape}): empty tensors are not covered")
        lw.emit(node, [x.index], shape, x.scale, {"starts": s0, "steps": st, "shape": shape})

    def numpy(self, ins, attrs):
        return strided(ins[0], attrs["starts"], attrs["steps"], attrs["shape"])

    def torch(self, ins, attrs):
        import torch

        return strided(ins[0], attrs["starts"], attrs["steps"], attrs["shape"], torch)

    def reads(self, node, ins, out_shape, index):
        c = np.unravel_index(index, out_shape)
        src = [b + i * s for b, i, s in zip(node.attrs["starts"], c, node.attrs["steps"])]
        return [np.array([np.ravel_multi_index(src, ins[0].shape)])]
