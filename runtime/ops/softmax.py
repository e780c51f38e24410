"""Softmax along one axis, in integers, with an exp lookup table.

Exact form: inputs (x int16, t int16 [65536]); attr axis. d = x - max(x, axis) lies in [-65535, 0],
twice the int16 range, so it is halved with the one rounding rule: j = (d + 1) >> 1 in [-32767, 0];
e = t[j + 32768] where t[q + 32768] = saturate(rint(exp(2 * q * s_x) * 32767)) over the whole int16
domain (entries for q > 0 saturate; they are never read); then
y = floor((e * 32767 + floor(sum / 2)) / sum) with sum = sum(e, axis) >= 32767 (the maximum's
entry). Output scale 1/32767. Before opset 13, Softmax(axis) normalizes the input coerced to 2-D at
`axis`: it lowers to Reshape, a last-axis Softmax and a Reshape back (three nodes). 
Masks: an attention mask's fill (finfo.min, -inf; runtime.quant.MASK_SENTINEL) saturates to -32768
upstream, and -32768 alone only means "the calibrated range's floor", whose exp need not be small.
So an input of exactly -32768 is masked: e = 0, unless the row's maximum is -32768 too (a fully
masked row then keeps the table's entries, uniform weights, and sum >= 32767 still holds).

The lowering emits two steps, `SoftmaxExp` (e, per element: its row's maximum and one table entry) and
`SoftmaxNorm` (y from e and its row's sum), so that no one-step proof reads a row's worth of table
chunks (runtime/proof_cost.py); the one-step Softmax kernel stays for programs made before. A last-axis
row too long for those two steps' proofs (~4k positions) lowers to RowMaxBlock steps over blocks of the
row, SoftmaxExpAt, RowSumBlock steps and SoftmaxDivide (`_emit_blocked`), bit-identical; a row along
an inner axis too long for its strided reads is moved last by a Transpose step first (and back after).
"""
from __future__ import annotations

import math

import numpy as np

from ..quant import INT16_MAX, INT16_MIN
from .base import ExactOp


def exp_table(scale: float) -> np.ndarray:
    q = np.arange(INT16_MIN, INT16_MAX + 1, dtype=np.float64)
    with np.errstate(over="ignore"):
        return np.clip(np.rint(np.exp(2 * q * scale) * INT16_MAX), 0, INT16_MAX).astype(np.int16)


def _emit(node, lw, x, t, axis: int, out: str):
    """SoftmaxExp then SoftmaxNorm along `axis`, the second writing `out`; a last-axis row too long for
    one step's proof (`proof_cost.row_block`) in blocks instead (`_emit_blocked`)."""
    from ..proof_cost import row_block, row_cost

    n, rows = x.shape[axis], int(np.prod(x.shape, dtype=np.int64)) // max(x.shape[axis], 1)
    if axis == len(x.shape) - 1 and n > 1:
        whole = max(row_cost("SoftmaxExp", n, rows, n, (2 * 65536,)), row_cost("SoftmaxNorm", n, rows, n))
        block = row_block(n, rows, whole)
        if block < n:
            return _emit_blocked(node, lw, x, t, block, out)
    e = lw.emit(node, [x.index, t.index], x.shape, 1.0 / INT16_MAX, {"axis": axis}, op="SoftmaxExp", output=f"{out}:exp")
    return lw.emit(node, [e.index], x.shape, 1.0 / INT16_MAX, {"axis": axis}, op="SoftmaxNorm", output=out)


def _strided_fits(shape, axis: int) -> bool:
    """True when SoftmaxExp and SoftmaxNorm along an inner `axis` (elements strided apart) fit the target."""
    from ..proof_cost import TARGET_BYTES, TARGET_GAS, row_cost

    n, stride = shape[axis], int(np.prod(shape[axis + 1:], dtype=np.int64))
    rows = int(np.prod(shape, dtype=np.int64)) // max(n, 1)
    costs = [row_cost("SoftmaxExp", n, rows, n, (2 * 65536,), stride), row_cost("SoftmaxNorm", n, rows, n, (), stride)]
    return all(g <= TARGET_GAS and b <= TARGET_BYTES for g, b in costs)


def _emit_blocked(node, lw, x, t, block: int, out: str):
    """A long last-axis row: its maximum in RowMaxBlock steps, each element's exp entry (SoftmaxExpAt),
    the entries' sum in RowSumBlock steps (int64 limbs), then each element divided (SoftmaxDivide).
    Bit-identical to SoftmaxExp and SoftmaxNorm."""
    n, lead = x.shape[-1], tuple(x.shape[:-1])
    mx = lw.add_constant(f"{out}:max0", np.full(lead + (1,), INT16_MIN, dtype=np.int16), x.scale)
    for k0 in range(0, n, block):
        mx = lw.emit(node, [x.index, mx.index], lead + (1,), x.scale, {"k0": k0, "k1": min(n, k0 + block)},
                     op="RowMaxBlock", output=f"{out}:max{k0}")
    e = lw.emit(node, [x.index, mx.index, t.index], x.shape, 1.0 / INT16_MAX, op="SoftmaxExpAt", output=f"{out}:exp")
    s = lw.add_constant(f"{out}:sum0", np.zeros(lead + (4,), dtype=np.int16))
    for k0 in range(0, n, block):
        s = lw.emit(node, [e.index, s.index], lead + (4,), 1.0, {"k0": k0, "k1": min(n, k0 + block)}, op="RowSumBlock",
                    output=f"{out}:sum{k0}")
    return lw.emit(node, [e.index, s.index], x.shape, 1.0 / INT16_MAX, op="SoftmaxDivide", output=out)


def row(shape, axis: int, index: int) -> np.ndarray:
    """The flat indices of output element `index`'s row along `axis`."""
    coords = list(np.unravel_index(index, shape))
    strides = np.cumprod((tuple(shape[1:]) + (1,))[::-1])[::-1]
    coords[axis] = 0
    return int(np.dot(coords, strides)) + np.arange(shape[axis]) * int(strides[axis])


def exp_entries(x, t, axis: int):
    """e (int64) per element of int64 x: the table entry of its halved distance below its row's maximum
    along `axis` (masked: 0)."""
    mx = x.max(axis=axis, keepdims=True)
    e = t.astype(np.int64)[((x - mx + 1) >> 1) - INT16_MIN]
    e[(x == INT16_MIN) & (mx != INT16_MIN)] = 0  # masked: see the module docstring
    return e


class Softmax(ExactOp):
    op_type = "Softmax"

    def lower(self, node, lw):
        x = lw.dyn(node, node.input[0])
        rank = len(x.shape)
        axis = lw.attr(node, "axis", -1 if lw.opset >= 13 else 1)
        axis = axis + rank if axis < 0 else axis
        t = lw.add_constant(f"{node.name}:exp", exp_table(x.scale), x.scale)
        if lw.opset < 13 and axis != rank - 1:
            # before opset 13 the input is coerced to 2-D [prod(shape[:axis]), prod(shape[axis:])] and
            # normalized over its second axis: a Reshape, a last-axis Softmax, a Reshape back
            flat = (math.prod(x.shape[:axis]), math.prod(x.shape[axis:]))
            out = node.output[0]
            x2 = lw.emit(node, [x.index], flat, x.scale, {"shape": flat}, op="Reshape", output=f"{out}:2d")
            y2 = _emit(node, lw, x2, t, 1, f"{out}:softmax2d")
            lw.emit(node, [y2.index], x.shape, 1.0 / INT16_MAX, {"shape": x.shape}, op="Reshape", output=out)
            return
        if axis != rank - 1 and not _strided_fits(x.shape, axis):
            # a long row along an inner axis reads a chunk per element: make the axis the last one, whose
            # rows are contiguous (and split when long), then put it back: two Transpose steps
            perm = tuple(a for a in range(rank) if a != axis) + (axis,)
            out = node.output[0]
            xt = lw.emit(node, [x.index], tuple(x.shape[p] for p in perm), x.scale, {"perm": perm}, op="Transpose",
                         output=f"{out}:last")
            yt = _emit(node, lw, xt, t, rank - 1, f"{out}:softmaxlast")
            lw.emit(node, [yt.index], x.shape, 1.0 / INT16_MAX, {"perm": tuple(int(a) for a in np.argsort(perm))},
                    op="Transpose", output=out)
            return
        _emit(node, lw, x, t, axis, node.output[0])

    def numpy(self, ins, attrs):
        x, t = ins
        e = exp_entries(x.astype(np.int64), t, attrs["axis"])
        s = e.sum(axis=attrs["axis"], keepdims=True)
        return ((e * INT16_MAX + s // 2) // s).astype(np.int16)

    def torch(self, ins, attrs):
        import torch

        x, t = ins
        x = x.to(torch.int64)
        mx = x.amax(dim=attrs["axis"], keepdim=True)
        e = t.to(torch.int64)[((x - mx + 1) >> 1) - INT16_MIN]
        e = torch.where((x == INT16_MIN) & (mx != INT16_MIN), torch.zeros_like(e), e)
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
        mx = vals.max()
        vals = vals[(vals != INT16_MIN) | (mx == INT16_MIN)]  # masked entries read no table entry
        return [row, np.unique(((vals - mx + 1) >> 1) - INT16_MIN)]
