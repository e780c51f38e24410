"""ArgMax: the index of the largest element along one axis (the first, on ties): the next token.

Exact form: input x int16; attrs axis, offset, shape (the output's). The output is int16, scale 1:
index + offset, token ids, which a later `Gather` reads as indices (lowering marks the slot and its
offset: `Lowerer.token_slots`), and which the program may output (a Concat of token slots keeps
them). offset is 0 when the axis has at most 32767 entries; with up to 65536 (GPT-2's 50257-token
vocabulary) it is -32768, so every index fits int16, and the Gather that reads the ids looks them up
in its table rolled by the same offset (`token_id` maps an output back to the id).
Output element i reads every element of x along the axis at i's other coordinates.
"""
from __future__ import annotations

import numpy as np

from ..quant import INT16_MAX
from .base import ExactOp


def offset_for(n: int) -> int:
    return 0 if n <= INT16_MAX else -(INT16_MAX + 1)


def token_id(value, n: int):
    """The index an ArgMax output `value` stands for, over an axis of n entries."""
    return value - offset_for(n)


def _plan(shape, axis: int):
    inner = int(np.prod(shape[axis + 1:], dtype=np.int64))
    return shape[axis], inner


class ArgMax(ExactOp):
    op_type = "ArgMax"

    def lower(self, node, lw):
        x = lw.dyn(node, node.input[0])
        if x.dtype != "int16":
            raise lw.unsupported(node, "the input must be an int16 activation")
        if lw.attr(node, "select_last_index", 0):
            raise lw.unsupported(node, "select_last_index=1 is not covered")
        axis = lw.attr(node, "axis", 0)
        axis = axis + len(x.shape) if axis < 0 else axis
        n = x.shape[axis]
        if n > 2 * (INT16_MAX + 1):
            raise lw.unsupported(node, f"{n} candidates: the exact ArgMax takes at most 65536")
        keep = lw.attr(node, "keepdims", 1)
        shape = x.shape[:axis] + ((1,) if keep else ()) + x.shape[axis + 1:]
        out = lw.emit(node, [x.index], shape, 1.0, {"axis": axis, "offset": offset_for(n), "shape": shape})
        lw.token_slots[out.index] = offset_for(n)

    def numpy(self, ins, attrs):
        return (np.argmax(ins[0], axis=attrs["axis"]) + attrs["offset"]).astype(np.int16).reshape(attrs["shape"])

    def torch(self, ins, attrs):
        import torch

        x = ins[0]
        # torch.argmax does not promise the first index on ties: max, then the first position equal to it
        m = torch.amax(x, dim=attrs["axis"], keepdim=True)
        n = x.shape[attrs["axis"]]
        pos = torch.arange(n, device=x.device).reshape((n,) + (1,) * (x.dim() - attrs["axis"] - 1))
        first = torch.where(x == m, pos, torch.full_like(pos, n)).amin(dim=attrs["axis"])
        return (first + attrs["offset"]).to(torch.int16).reshape(attrs["shape"])

    def reads(self, node, ins, out_shape, index):
        x = np.asarray(ins[0])
        n, inner = _plan(x.shape, node.attrs["axis"])
        outer, b = divmod(index, inner)
        return [outer * n * inner + np.arange(n) * inner + b]
