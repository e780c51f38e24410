"""Pad, constant mode: the input with `pads` elements of `value` before and after each axis.

No step of its own: a padded axis is a `Concat` step (op code 15) of a constant block of the fill,
the input, and another block, all in the input's scale (identity requantization), one step per
padded axis. The fill is `value` quantized in that scale (0 stays 0 exactly). Opsets 2-10 give
`pads` and `value` as attributes, 11 and later as constant inputs (18: with `axes`). Modes `edge`,
`reflect` and `wrap` and negative pads (cropping) are refused by name.
"""
from __future__ import annotations

import numpy as np

from ..quant import multiplier, quantize
from .base import ExactOp


def pads_and_fill(node, lw, rank: int) -> tuple[list[int], float]:
    if lw.opset < 11:
        pads, value = list(lw.attr(node, "pads", lw.attr(node, "paddings", []))), float(lw.attr(node, "value", 0.0))
    else:
        pads = [int(p) for p in np.asarray(lw.const(node, node.input[1])).reshape(-1)]
        given = len(node.input) > 2 and node.input[2]
        value = float(np.asarray(lw.const(node, node.input[2])).reshape(-1)[0]) if given else 0.0
        if len(node.input) > 3 and node.input[3]:  # opset 18: pads of the listed axes only
            axes = [int(a) % rank for a in np.asarray(lw.const(node, node.input[3])).reshape(-1)]
            full = [0] * (2 * rank)
            for i, a in enumerate(axes):
                full[a], full[a + rank] = pads[i], pads[i + len(axes)]
            pads = full
    if len(pads) != 2 * rank:
        raise lw.unsupported(node, f"pads {pads} do not give a start and an end for each of {rank} axes")
    if min(pads) < 0:
        raise lw.unsupported(node, f"negative pads {pads} (cropping) are not supported")
    return pads, value


class Pad(ExactOp):
    op_type = "Pad"

    def lower(self, node, lw):
        x = lw.dyn(node, node.input[0])
        mode = lw.attr(node, "mode", b"constant")
        mode = mode.decode() if isinstance(mode, bytes) else mode
        if mode != "constant":
            raise lw.unsupported(node, f"mode '{mode}' is not supported (only constant padding)")
        rank = len(x.shape)
        pads, value = pads_and_fill(node, lw, rank)
        fill = quantize(np.array(value), x.scale).reshape(())
        axes = [a for a in range(rank) if pads[a] or pads[a + rank]]
        if not axes:
            lw.emit(node, [x.index], x.shape, x.scale, op="Identity")
            return
        one = multiplier(1.0)
        name, cur = node.name or node.output[0], x
        for a in axes:
            parts = []
            for side, width in (("before", pads[a]), (None, 0), ("after", pads[a + rank])):
                if side is None:
                    parts.append(cur)
                elif width:
                    block = cur.shape[:a] + (width,) + cur.shape[a + 1:]
                    parts.append(lw.add_constant(f"{name}:pad{a}{side}", np.full(block, fill, np.int16), x.scale))
            shape = cur.shape[:a] + (sum(p.shape[a] for p in parts),) + cur.shape[a + 1:]
            out = node.output[0] if a == axes[-1] else f"{node.output[0]}:pad{a}"
            cur = lw.emit(node, [p.index for p in parts], shape, x.scale,
                          {"axis": a, "ms": (one[0],) * len(parts), "shifts": (one[1],) * len(parts)}, op="Concat", output=out)
