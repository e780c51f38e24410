"""Flatten: to 2-D at `axis` (default 1): (prod(shape[:axis]), prod(shape[axis:]))."""
from __future__ import annotations

import math

from .base import Reshaping


class Flatten(Reshaping):
    op_type = "Flatten"

    def out_shape(self, node, lw, shape):
        axis = lw.attr(node, "axis", 1)
        axis = axis + len(shape) if axis < 0 else axis
        return (math.prod(shape[:axis]), math.prod(shape[axis:]))
