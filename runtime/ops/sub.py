"""Sub: Add's rule with b's multiplier negated (attrs ma, mb < 0, shift)."""
from __future__ import annotations

from .add import linear2_np, linear2_torch, lower_linear2
from .base import ExactOp


class Sub(ExactOp):
    op_type = "Sub"

    def lower(self, node, lw):
        lower_linear2(node, lw, -1)

    def numpy(self, ins, attrs):
        return linear2_np(ins[0], ins[1], attrs)

    def torch(self, ins, attrs):
        return linear2_torch(ins[0], ins[1], attrs)
