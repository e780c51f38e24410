"""Gather: rows of `data` picked by integer indices along `axis` (embedding lookups, token 0 of a
sequence). Keeps data's scale.

Exact form: inputs (data int16, indices int64); attr axis. With n = data.shape[axis], inner =
prod(data.shape[axis + 1:]) and m = indices.size, output element (p * m + i) * inner + b is
data[p, v, b] (flat over data's leading axes, the axis, its trailing axes) where v = indices[i],
plus n when negative, then clamped to [0, n): the kernel is total, so every input the chain accepts has
one trace and any lie about it can be refuted (an out-of-range id that no step could run let a lie stand:
tests/attack/test_ill_formed_input.py). The user-facing run still refuses such ids by name
(`Model.run_exact`: InputDtypeError); the one-step kernel clamps the same way. Only the indices' flat order matters, so ids reshaped before the lookup
(runtime.ops.base.PassThrough) are read from the ids slot itself. The indices are the model's
token-id input (an int64 slot, see `runtime.lowering.is_token_ids`) or a constant int64 slot.
"""
from __future__ import annotations

import math

import numpy as np

from .base import ExactOp


def _normalized(idx, n: int, xp=np):
    """Negative ids count from the end; what is still outside [0, n) is clamped (see the module doc)."""
    return xp.clip(xp.where(idx < 0, idx + n, idx), 0, n - 1)


class Gather(ExactOp):
    op_type = "Gather"
    keeps_scale = True

    def lower(self, node, lw):
        offset = lw.token_slots.get(getattr(lw.values.get(node.input[1]), "index", -1), 0)
        if offset:  # ids an ArgMax stored offset (runtime/ops/argmax.py): the table rolled to match
            if not lw.is_const(node.input[0]):
                raise lw.unsupported(node, "offset token ids index only a constant table")
            lw.values[f"{node.input[0]}:rolled"] = np.roll(lw.const(node, node.input[0]), offset, lw.attr(node, "axis", 0))
            data = lw.act(node, f"{node.input[0]}:rolled")
        else:
            data = lw.act(node, node.input[0])
        if data.dtype != "int16":
            raise lw.unsupported(node, f"data '{node.input[0]}' must be an int16 activation or a constant table")
        idx = lw.ids(node, node.input[1])
        axis = lw.attr(node, "axis", 0)
        axis = axis + len(data.shape) if axis < 0 else axis
        if not 0 <= axis < len(data.shape):
            raise lw.unsupported(node, f"axis {axis} is outside the data's rank {len(data.shape)}")
        shape = data.shape[:axis] + idx.shape + data.shape[axis + 1:]
        lw.emit(node, [data.index, idx.index], shape, data.scale, {"axis": axis, "shape": shape})

    def numpy(self, ins, attrs):
        data, idx = ins
        axis = attrs["axis"]
        flat = _normalized(idx.astype(np.int64).reshape(-1), data.shape[axis])
        return np.take(data, flat, axis=axis).reshape(attrs["shape"])

    def torch(self, ins, attrs):
        import torch

        data, idx = ins
        axis = attrs["axis"]
        flat = _normalized(idx.to(torch.int64).reshape(-1), data.shape[axis], torch)
        return torch.index_select(data, axis, flat).reshape(attrs["shape"])

    def reads(self, node, ins, out_shape, index):
        """The element's index entry, and the data element that entry picks."""
        data, idx = ins
        axis = node.attrs["axis"]
        n, inner, m = data.shape[axis], math.prod(data.shape[axis + 1:]), idx.size
        p, rest = divmod(index, m * inner)
        i, b = divmod(rest, inner)
        v = int(idx.reshape(-1)[i])
        v = min(max(v + n if v < 0 else v, 0), n - 1)  # clamped, as the kernels do
        return [np.array([(p * n + v) * inner + b]), np.array([i])]
