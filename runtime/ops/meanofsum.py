"""MeanOfSum: the end of a ReduceMean too long for one step's proof (runtime/ops/reducemean.py): the mean
from the row's sum, which RowSumBlock steps carried as int64 limbs.

Exact form: input (s int16 [..., 4]: each output element's sum as limbs); attrs count, m, shift, ones.
y = mean(s, count, m, shift) (quant.py's mean rule, as ReduceMean), of shape s.shape[:-1] followed by
`ones` axes of 1 (ReduceMean's keepdims). Reads its element's four limbs.
"""
from __future__ import annotations

import numpy as np

from ..quant import mean_np, mean_torch
from .base import ExactOp
from .gemmblock import from_limbs, from_limbs_torch


class MeanOfSum(ExactOp):
    op_type = "MeanOfSum"

    def lower(self, node, lw):
        raise lw.unsupported(node, "MeanOfSum is made by the lowering of a long ReduceMean, not read from ONNX")

    def numpy(self, ins, attrs):
        s = from_limbs(ins[0])
        return mean_np(s, attrs["count"], attrs["m"], attrs["shift"]).reshape(s.shape + (1,) * attrs["ones"])

    def torch(self, ins, attrs):
        s = from_limbs_torch(ins[0])
        return mean_torch(s, attrs["count"], attrs["m"], attrs["shift"]).reshape(tuple(s.shape) + (1,) * attrs["ones"])

    def reads(self, node, ins, out_shape, index):
        return [4 * index + np.arange(4)]
