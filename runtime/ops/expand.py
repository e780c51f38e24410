"""Expand: broadcast to a constant shape (numpy's rules, both ways). Keeps the input's scale."""
from __future__ import annotations

import numpy as np

from .base import PassThrough, broadcast_source


class Expand(PassThrough):
    op_type = "Expand"

    def lower(self, node, lw):
        x = lw.dyn(node, node.input[0])
        target = tuple(int(d) for d in np.asarray(lw.const(node, node.input[1])).reshape(-1))
        try:
            shape = np.broadcast_shapes(x.shape, target)
        except ValueError:
            raise lw.unsupported(node, f"cannot expand {x.shape} to {target}") from None
        lw.emit(node, [x.index], shape, x.scale, {"shape": shape})

    def numpy(self, ins, attrs):
        return np.broadcast_to(ins[0], attrs["shape"]).copy()

    def torch(self, ins, attrs):
        x = ins[0]
        return x.reshape((1,) * (len(attrs["shape"]) - x.dim()) + tuple(x.shape)).expand(attrs["shape"]).contiguous()

    def reads(self, node, ins, out_shape, index):
        return [np.array([broadcast_source(out_shape, ins[0].shape, index)])]
