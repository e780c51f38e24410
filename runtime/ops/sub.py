"""Sub: Add's rule with b's multiplier negated (attrs ma, mb < 0, shift)."""
from __future__ import annotations

import numpy as np

from .add import linear2_np, linear2_torch, lower_linear2
from .base import ExactOp, broadcast_source


class Sub(ExactOp):
    op_type = "Sub"

    def lower(self, node, lw):
        lower_linear2(node, lw, -1)

    def numpy(self, ins, attrs):
        return linear2_np(ins[0], ins[1], attrs)

    def torch(self, ins, attrs):
        return linear2_torch(ins[0], ins[1], attrs)

    def reads(self, node, ins, out_shape, index):
        return [np.array([broadcast_source(out_shape, a.shape, index)]) for a in ins]
