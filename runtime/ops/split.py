"""Split: k outputs along `axis`, lowered to k Slice nodes (the exact program writes one output slot
per node, which is what the one-step check proves). No kernel of its own."""
from __future__ import annotations

import numpy as np

from .base import ExactOp


class Split(ExactOp):
    op_type = "Split"

    def lower(self, node, lw):
        x = lw.dyn(node, node.input[0])
        rank = len(x.shape)
        axis = lw.attr(node, "axis", 0)
        axis = axis + rank if axis < 0 else axis
        dim, k = x.shape[axis], len(node.output)
        if lw.opset >= 13 and len(node.input) > 1 and node.input[1]:
            sizes = [int(v) for v in np.asarray(lw.const(node, node.input[1])).reshape(-1)]
        elif lw.opset < 13 and lw.attr(node, "split", None) is not None:
            sizes = [int(v) for v in lw.attr(node, "split")]
        else:  # equal parts; opset 18's num_outputs allows a smaller last part
            part = -(-dim // k)
            sizes = [min(part, dim - i * part) for i in range(k)]
        if len(sizes) != k or sum(sizes) != dim or min(sizes) <= 0:
            raise lw.unsupported(node, f"split sizes {sizes} do not cut axis {axis} of length {dim} into {k} non-empty parts")
        start = 0
        for out, n in zip(node.output, sizes):
            if out:
                starts = tuple(start if a == axis else 0 for a in range(rank))
                shape = x.shape[:axis] + (n,) + x.shape[axis + 1:]
                lw.emit(node, [x.index], shape, x.scale, {"starts": starts, "steps": (1,) * rank, "shape": shape},
                        op="Slice", output=out)
            start += n
