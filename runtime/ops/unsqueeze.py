"""Unsqueeze: insert axes of length 1 (`axes` an attribute before opset 13, an input since)."""
from __future__ import annotations

import numpy as np

from .base import Reshaping


def axes_of(node, lw) -> list[int] | None:
    if lw.opset >= 13:
        return [int(a) for a in np.asarray(lw.const(node, node.input[1])).reshape(-1)] \
            if len(node.input) > 1 and node.input[1] else None
    axes = lw.attr(node, "axes", None)
    return None if axes is None else [int(a) for a in axes]


class Unsqueeze(Reshaping):
    op_type = "Unsqueeze"

    def out_shape(self, node, lw, shape):
        axes = axes_of(node, lw)
        if not axes:
            raise lw.unsupported(node, "axes are required")
        rank = len(shape) + len(axes)
        axes = sorted(a + rank if a < 0 else a for a in axes)
        if len(set(axes)) != len(axes) or not all(0 <= a < rank for a in axes):
            raise lw.unsupported(node, f"axes {axes} are not distinct axes of a rank-{rank} output")
        out, rest = [], iter(shape)
        for i in range(rank):
            out.append(1 if i in axes else next(rest))
        return tuple(out)
