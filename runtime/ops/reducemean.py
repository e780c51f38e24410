"""ReduceMean: the mean over some axes, by quant.py's mean rule (one division, one rounding).

Exact form: input (x int16); attrs axes (sorted, non-negative, never empty), keepdims, m, shift with
m / 2^shift = s_x / s_y: y = mean(sum of x over the axes, count, m, shift) = saturate(divide(S m,
count 2^shift)), count = the number of elements summed. GlobalAveragePool is this op over the axes
after the channel (globalaveragepool.py). A mean over trailing axes too long for one step's proof
(`proof_cost.row_block`: LLaMA-7B's RMSNorm over 4096) lowers to RowSumBlock steps over blocks of the
row and one MeanOfSum step, bit-identical.
"""
from __future__ import annotations

import numpy as np

from ..quant import check_mean, mean_multiplier, mean_np, mean_torch
from .base import ExactOp


def lower_mean(node, lw, x, axes: tuple[int, ...], keepdims: bool) -> None:
    count = int(np.prod([x.shape[a] for a in axes]))
    shape = tuple(1 if i in axes else d for i, d in enumerate(x.shape) if keepdims or i not in axes)
    y_scale = lw.out_scale(node)
    try:
        m, k = mean_multiplier(x.scale / y_scale, count)
        check_mean(count, m, k, node.name)
    except ValueError as e:
        raise lw.unsupported(node, str(e)) from None
    lead = tuple(x.shape[:len(x.shape) - len(axes)])
    if axes == tuple(range(len(lead), len(x.shape))) and count > 1:  # trailing axes: rows of `count`
        from ..proof_cost import row_block, row_cost

        rows = int(np.prod(lead, dtype=np.int64))
        block = row_block(count, rows, row_cost("ReduceMean", count, rows, count))
        if block < count:  # too long for one step's proof: the sum in blocks, then the mean
            s = lw.add_constant(f"{node.output[0]}:sum0", np.zeros(lead + (4,), dtype=np.int16))
            for k0 in range(0, count, block):
                s = lw.emit(node, [x.index, s.index], lead + (4,), 1.0, {"k0": k0, "k1": min(count, k0 + block)},
                            op="RowSumBlock", output=f"{node.output[0]}:sum{k0}")
            lw.emit(node, [s.index], shape, y_scale, {"count": count, "m": m, "shift": k,
                                                      "ones": len(axes) if keepdims else 0}, op="MeanOfSum")
            return
    lw.emit(node, [x.index], shape, y_scale, {"axes": axes, "keepdims": int(keepdims), "m": m, "shift": k})


class ReduceMean(ExactOp):
    op_type = "ReduceMean"

    def lower(self, node, lw):
        x = lw.dyn(node, node.input[0])
        rank = len(x.shape)
        if lw.opset >= 18:
            axes = lw.const(node, node.input[1]) if len(node.input) > 1 and node.input[1] else None
        else:
            axes = lw.attr(node, "axes", None)
        if axes is None or len(axes) == 0:
            if lw.attr(node, "noop_with_empty_axes", 0):
                raise lw.unsupported(node, "noop_with_empty_axes=1 with no axes (an identity) is not supported")
            axes = range(rank)
        axes = tuple(sorted({int(a) + rank if int(a) < 0 else int(a) for a in np.asarray(axes).reshape(-1)}))
        if any(not 0 <= a < rank for a in axes):
            raise lw.unsupported(node, f"axes {axes} out of range for rank {rank}")
        lower_mean(node, lw, x, axes, bool(lw.attr(node, "keepdims", 1)))

    def numpy(self, ins, attrs):
        axes = tuple(attrs["axes"])
        s = ins[0].astype(np.int64).sum(axis=axes, keepdims=bool(attrs["keepdims"]))
        count = int(np.prod([ins[0].shape[a] for a in axes]))
        return mean_np(s, count, attrs["m"], attrs["shift"]).reshape(np.shape(s))

    def torch(self, ins, attrs):
        import torch

        axes = tuple(attrs["axes"])
        s = ins[0].to(torch.int64).sum(dim=axes, keepdim=bool(attrs["keepdims"]))
        count = int(np.prod([ins[0].shape[a] for a in axes]))
        return mean_torch(s, torch.tensor(count, dtype=torch.int64, device=s.device), attrs["m"], attrs["shift"])

    def reads(self, node, ins, out_shape, index):
        """Every input element that folds into output element `index`."""
        shape, axes = ins[0].shape, tuple(node.attrs["axes"])
        kept = [a for a in range(len(shape)) if a not in axes]
        c = np.unravel_index(index, out_shape) if out_shape else ()
        if node.attrs["keepdims"]:
            c = [c[a] for a in kept]
        red = np.unravel_index(np.arange(int(np.prod([shape[a] for a in axes]))), [shape[a] for a in axes])
        coords = [None] * len(shape)
        for a, v in zip(kept, c):
            coords[a] = np.full(red[0].shape, v)
        for a, v in zip(axes, red):
            coords[a] = v
        return [np.ravel_multi_index(coords, shape)]
