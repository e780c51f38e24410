"""Reshape: to the static shape computed at lowering (0 copies a dim unless allowzero, -1 infers)."""
from __future__ import annotations

import numpy as np

from .base import Reshaping


class Reshape(Reshaping):
    op_type = "Reshape"

    def out_shape(self, node, lw, shape):
        target = [int(d) for d in np.asarray(lw.const(node, node.input[1])).reshape(-1)]
        if not lw.attr(node, "allowzero", 0):
            target = [shape[i] if d == 0 else d for i, d in enumerate(target)]
        try:
            return tuple(np.empty(shape, dtype=np.int8).reshape(target).shape)
        except ValueError:
            raise lw.unsupported(node, f"cannot reshape {shape} to {target}") from None
