"""The shape every table op shares: y = t[x + 32768], one int16 entry per int16 input.

Exact form: inputs (x int16, t int16 [65536]); no attributes. The table is `quant.table(f, s_x, s_y)`,
built at lowering from the op's float function, the input's scale and the calibrated output scale,
and committed with the model as a constant slot: so any function of one activation is exact to one
rounding of its output, and the chain reads two elements to check it (the input and its entry).
A subclass names its ONNX op and gives `function(node, lw)`, a float64 numpy function.
"""
from __future__ import annotations

import numpy as np

from ..quant import INT16_MIN, table
from .base import ExactOp


class Lookup(ExactOp):
    def function(self, node, lw):
        raise NotImplementedError

    def lower(self, node, lw):
        x = lw.dyn(node, node.input[0])
        y_scale = lw.out_scale(node)
        t = lw.add_constant(f"{node.name or node.output[0]}:table", table(self.function(node, lw), x.scale, y_scale), y_scale)
        lw.emit(node, [x.index, t.index], x.shape, y_scale)

    def numpy(self, ins, attrs):
        x, t = ins
        return t[x.astype(np.int64) - INT16_MIN]

    def torch(self, ins, attrs):
        import torch

        x, t = ins
        return t[x.to(torch.int64) - INT16_MIN]

    def reads(self, node, ins, out_shape, index):
        """Input element i and the table entry it indexes."""
        return [np.array([index]), np.array([int(ins[0].reshape(-1)[index]) - INT16_MIN])]
