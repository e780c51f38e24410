"""Relu: max(x, 0) on int16; keeps the input's scale."""
from __future__ import annotations

import numpy as np

from .base import PassThrough


class Relu(PassThrough):
    op_type = "Relu"

    def numpy(self, ins, attrs):
        return np.maximum(ins[0], 0).astype(np.int16)

    def torch(self, ins, attrs):
        return ins[0].clamp(min=0)
