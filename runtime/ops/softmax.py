"""Softmax along one axis, in integers, with an exp lookup table.

Exact form: inputs (x int16, t int16 [65536]); attr axis. d = x - max(x, axis) lies in [-65535, 0],
twice the int16 range, so it is halved with the one rounding rule: j = (d + 1) >> 1 in [-32767, 0];
e = t[j + 32768] where t[q + 32768] = saturate(rint(exp(2 * q * s_x) * 32767)) over the whole int16
domain (entries for q > 0 saturate; they are never read); then
y = floor((e * 32767 + floor(sum / 2)) / sum) with sum = sum(e, axis) >= 32767 (the maximum's
entry). Output scale 1/32767.
"""
from __future__ import annotations

import numpy as np

from ..quant import INT16_MAX, INT16_MIN
from .base import ExactOp


def exp_table(scale: float) -> np.ndarray:
    q = np.arange(INT16_MIN, INT16_MAX + 1, dtype=np.float64)
    with np.errstate(over="ignore"):
        return np.clip(np.rint(np.exp(2 * q * scale) * INT16_MAX), 0, INT16_MAX).astype(np.int16)


class Softmax(ExactOp):
    op_type = "Softmax"

    def lower(self, node, lw):
        x = lw.dyn(node, node.input[0])
        rank = len(x.shape)
        axis = lw.attr(node, "axis", -1 if lw.opset >= 13 else 1)
        axis = axis + rank if axis < 0 else axis
        if lw.opset < 13 and axis != rank - 1:
            raise lw.unsupported(node, "opset < 13 Softmax over more than the last axis is not supported")
        t = lw.add_constant(f"{node.name}:exp", exp_table(x.scale), x.scale)
        lw.emit(node, [x.index, t.index], x.shape, 1.0 / INT16_MAX, {"axis": axis})

    def numpy(self, ins, attrs):
        x, t = ins
        x = x.astype(np.int64)
        j = (x - x.max(axis=attrs["axis"], keepdims=True) + 1) >> 1
        e = t.astype(np.int64)[j - INT16_MIN]
        s = e.sum(axis=attrs["axis"], keepdims=True)
        return ((e * INT16_MAX + s // 2) // s).astype(np.int16)

    def torch(self, ins, attrs):
        import torch

        x, t = ins
        x = x.to(torch.int64)
        j = (x - x.amax(dim=attrs["axis"], keepdim=True) + 1) >> 1
        e = t.to(torch.int64)[j - INT16_MIN]
        s = e.sum(dim=attrs["axis"], keepdim=True)
        return torch.div(e * INT16_MAX + torch.div(s, 2, rounding_mode="floor"), s, rounding_mode="floor").to(torch.int16)

    def reads(self, node, ins, out_shape, index):
        """The element's row along the axis, and the table entries that row's values look up."""
        x, _ = ins
        axis = node.attrs["axis"]
        coords = list(np.unravel_index(index, out_shape))
        strides = np.cumprod((x.shape[1:] + (1,))[::-1])[::-1]
        coords[axis] = 0
        row = int(np.dot(coords, strides)) + np.arange(x.shape[axis]) * int(strides[axis])
        vals = x.reshape(-1)[row].astype(np.int64)
        return [row, np.unique(((vals - vals.max() + 1) >> 1) - INT16_MIN)]
