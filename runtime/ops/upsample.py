"""Upsample (opsets 7-9; deprecated at 10) and Resize, where they repeat each element a whole number
of times per axis (mode 'nearest' with whole factors): no kernel of their own. They lower to
existing exact nodes: Reshape x [d0, d1, ...] to [d0, 1, d1, 1, ...], Expand to [d0, f0, d1, f1, ...],
Reshape to [d0 f0, d1 f1, ...]; nothing rounds, and the three steps are disputed like any others.

Which element each output copies depends on the op's version and attributes (scales as an attribute
at opset 7, an input at 9; Resize's coordinate transformation and nearest rounding). Rather than
restate those rules, lowering runs the node itself (onnx's reference evaluator, else onnxruntime)
on the element indices 0..n-1 and lowers it only when the result is that whole-number repeat.
"""
from __future__ import annotations

import numpy as np

from .base import ExactOp

MAX_INDEXED = 2**24  # element indices stay exact in float32


class Upsample(ExactOp):
    op_type = "Upsample"

    def lower(self, node, lw):
        from ..lowering import _fold

        x = lw.dyn(node, node.input[0])
        n = int(np.prod(x.shape))
        if n > MAX_INDEXED:
            raise lw.unsupported(node, f"input of {n} elements is too large to check (at most 2^24)")
        idx = np.arange(n, dtype=np.float32).reshape(x.shape)
        args = [idx] + [lw.const(node, i) for i in node.input[1:] if i]
        got = np.asarray(_fold(node, args, lw.opset)[0])
        f = [o // i if i and o % i == 0 else 0 for o, i in zip(got.shape, x.shape)] if got.ndim == len(x.shape) else []
        want = idx
        for axis, k in enumerate(f):
            want = np.repeat(want, k, axis=axis) if k else want
        if 0 in f or len(f) != len(x.shape) or not np.array_equal(got, want):
            raise lw.unsupported(node, f"only a repeat of each element by whole factors (nearest) is exact; "
                                       f"this node maps {x.shape} to {got.shape} otherwise")
        out = node.output[0]
        split = tuple(d for s in x.shape for d in (s, 1))
        wide = tuple(d for s, k in zip(x.shape, f) for d in (s, k))
        final = tuple(s * k for s, k in zip(x.shape, f))
        a = lw.emit(node, [x.index], split, x.scale, {"shape": split}, op="Reshape", output=f"{out}:split")
        b = lw.emit(node, [a.index], wide, x.scale, {"shape": wide}, op="Expand", output=f"{out}:repeat")
        lw.emit(node, [b.index], final, x.scale, {"shape": final}, op="Reshape", output=out)


class Resize(Upsample):
    op_type = "Resize"
