"""Pow with a constant exponent: squares exactly, every other exponent by table.

Exact forms, told apart by their inputs:
- exponent 2: input (x int16); attrs m, shift with m / 2^shift = s_x^2 / s_y;
  y = requantize(x * x, m, shift) (|x * x| <= 2^30);
- any other exponent e: inputs (x int16, t int16 [65536]), t = quant.table(x^e, s_x, s_y),
  y = t[x + 32768] (see lookup.py; a NaN entry, a negative base to a fractional power, is 0).
"""
from __future__ import annotations

import numpy as np

from ..quant import multiplier, requantize_np, requantize_torch
from .lookup import Lookup


class Pow(Lookup):
    op_type = "Pow"

    def exponent(self, node, lw) -> float:
        e = np.asarray(lw.const(node, node.input[1]), dtype=np.float64)
        if e.size == 0 or not np.all(e == e.reshape(-1)[0]):
            raise lw.unsupported(node, "the exponent must be one constant value")
        return float(e.reshape(-1)[0])

    def function(self, node, lw):
        e = self.exponent(node, lw)
        return lambda x: np.power(x, e)

    def lower(self, node, lw):
        e = self.exponent(node, lw)
        x = lw.dyn(node, node.input[0])
        if e != 2.0:
            return super().lower(node, lw)
        y_scale = lw.out_scale(node)
        try:
            m, k = multiplier(x.scale * x.scale / y_scale)
        except ValueError as err:
            raise lw.unsupported(node, str(err)) from None
        lw.emit(node, [x.index], x.shape, y_scale, {"m": m, "shift": k})

    def numpy(self, ins, attrs):
        if len(ins) == 2:
            return super().numpy(ins, attrs)
        x = ins[0].astype(np.int64)
        return requantize_np(x * x, attrs["m"], attrs["shift"])

    def torch(self, ins, attrs):
        import torch

        if len(ins) == 2:
            return super().torch(ins, attrs)
        x = ins[0].to(torch.int64)
        m = torch.tensor(attrs["m"], dtype=torch.int64, device=x.device)
        k = torch.tensor(attrs["shift"], dtype=torch.int64, device=x.device)
        return requantize_torch(x * x, m, k)

    def reads(self, node, ins, out_shape, index):
        return super().reads(node, ins, out_shape, index) if len(ins) == 2 else [np.array([index])]
