"""IsNaN of an activation: all false, a constant. No program step.

An exact activation is an int16 integer, never NaN, so `IsNaN(x)` is false everywhere, known at
lowering; the `Where(IsNaN(p), 0, p)` guard that transformers' default (sdpa) attention export puts
after its Softmax then lowers with a constant condition (runtime/ops/where.py). In float a NaN there
comes only from a row whose every score is masked; the exact Softmax gives such a row finite weights
(its saturated scores tie), which a one-sequence request (the attention mask bound to ones,
runtime/bound_inputs.py) never has. IsNaN of a constant folds as any constant node does.
"""
from __future__ import annotations

import numpy as np

from .base import ExactOp


class IsNaN(ExactOp):
    op_type = "IsNaN"

    def lower(self, node, lw):
        x = lw.dyn(node, node.input[0])
        lw.values[node.output[0]] = np.zeros(x.shape, dtype=bool)
