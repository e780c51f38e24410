"""Clip(x, min, max) on the input's own grid: rint(clip(v s, min, max) / s) = clip(v, rint(min / s),
rint(max / s)) for every int16 v of scale s (rounding is monotone), so the output keeps the input's
scale and the result is exact, with no rounding of its own.

No op code of its own: Clip(0, +inf) is a `Relu` step; any other is a table step, t[v + 32768] =
clip(v, lo, hi), run and checked on chain by QuantizeLinear's table kernel (op code 54): a
saturation to [lo, hi] on the same scale is what that kernel's table holds. Opsets 6-10 give min
and max as attributes, 11 and later as optional constant inputs; a computed bound is refused by name.
"""
from __future__ import annotations

import numpy as np

from ..quant import INT16_MAX, INT16_MIN
from .base import ExactOp


def bounds(node, lw) -> tuple[float, float]:
    if lw.opset < 11:
        return float(lw.attr(node, "min", -np.inf)), float(lw.attr(node, "max", np.inf))
    got = [float(np.asarray(lw.const(node, node.input[i])).reshape(-1)[0]) if len(node.input) > i and node.input[i] else None
           for i in (1, 2)]
    return (-np.inf if got[0] is None else got[0]), (np.inf if got[1] is None else got[1])


class Clip(ExactOp):
    op_type = "Clip"
    keeps_scale = True

    def lower(self, node, lw):
        x = lw.dyn(node, node.input[0])
        lo, hi = bounds(node, lw)
        if np.isnan(lo) or np.isnan(hi):
            raise lw.unsupported(node, "a NaN bound has no meaning")
        if lo == 0 and hi == np.inf:
            lw.emit(node, [x.index], x.shape, x.scale, op="Relu")
            return
        with np.errstate(over="ignore"):
            qlo, qhi = (int(np.clip(np.rint(b / x.scale), INT16_MIN, INT16_MAX)) for b in (lo, hi))
        t = np.minimum(np.maximum(np.arange(INT16_MIN, INT16_MAX + 1), qlo), qhi).astype(np.int16)  # min > max: all max, as ONNX
        table = lw.add_constant(f"{node.name or node.output[0]}:table", t, x.scale)
        lw.emit(node, [x.index, table.index], x.shape, x.scale, op="QuantizeLinear")
