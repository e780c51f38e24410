"""Dropout at inference: the identity (its optional mask output is not covered)."""
from __future__ import annotations

import numpy as np

from .base import PassThrough


class Dropout(PassThrough):
    op_type = "Dropout"

    def lower(self, node, lw):
        if len(node.input) > 2 and node.input[2] and bool(np.asarray(lw.const(node, node.input[2]))):
            raise lw.unsupported(node, "training_mode=True is not inference")
        super().lower(node, lw)

    def numpy(self, ins, attrs):
        return ins[0].copy()

    def torch(self, ins, attrs):
        return ins[0].clone()
