"""ArgMax: the index of the largest element along one axis (the first, on ties): the next token.

Exact form: input x int16; attrs axis, offset, shape (the output's). The output is int16, scale 1:
index + offset, token ids, which a later `Gather` reads as indices (lowering marks the slot and its
offset: `Lowerer.token_slots`), and which the program may output (a Concat of token slots keeps
them). offset is 0 when the axis has at most 32767 entries; with up to 65536 (GPT-2's 50257-token
vocabulary) it is -32768, so every index fits int16, and the Gather that reads the ids looks them up
in its table rolled by the same offset (`token_id` maps an output back to the id).
Output element i reads every element of x along the axis at i's other coordinates.

An axis too long for one step's proof (`block_plan`: one element reading all 50257 logits costs
about 22.8M gas) lowers to two stages instead, bit-identical: `ArgMaxBlock` (each block's largest
value and the index of its first occurrence) and `ArgMaxMerge` (the first block holding the largest
of those values, whose index is then the first overall), each step reading one block or the
blocks' maxima (runtime/ops/argmaxblock.py, argmaxmerge.py).
"""
from __future__ import annotations

import math

import numpy as np

from ..quant import INT16_MAX
from .base import ExactOp


def offset_for(n: int) -> int:
    return 0 if n <= INT16_MAX else -(INT16_MAX + 1)


def token_id(value, n: int):
    """The index an ArgMax output `value` stands for, over an axis of n entries."""
    return value - offset_for(n)


def chooses_token(node) -> bool:
    """True for the program node that writes the chosen index: an ArgMax or the last ArgMaxMerge."""
    return node.op == "ArgMax" or (node.op == "ArgMaxMerge" and bool(node.attrs.get("last")))


def _plan(shape, axis: int):
    inner = int(np.prod(shape[axis + 1:], dtype=np.int64))
    return shape[axis], inner


def read_cost(op: str, count: int, stride: int, size: int) -> tuple[int, int]:
    """(modeled gas, transaction bytes) of one step of `op` whose element reads `count` int16 elements
    `stride` apart in an input of `size` elements (runtime/proof_cost.py's model)."""
    from ..proof_cost import DEPTH_GUESS, STEP_ARGS, bundle, gas, tree_depth
    from ..tensor_root import CHUNK_BYTES

    span = 2 * ((count - 1) * stride + 1)
    chunks = count if 2 * stride >= CHUNK_BYTES else -(-span // CHUNK_BYTES) + 1
    b = bundle([(chunks, tree_depth(2 * size))], DEPTH_GUESS, DEPTH_GUESS, 64, 256)
    return gas(op, b, chunks, count), (b + STEP_ARGS).size


def largest_count(n: int, cost) -> int:
    """The largest count in [1, n] whose step fits TARGET_GAS and TARGET_BYTES (`cost(count)`), the
    count balanced over the ceil(n / count) steps it implies."""
    from .. import proof_cost

    def fits(c: int) -> bool:
        g, b = cost(c)
        return g <= proof_cost.TARGET_GAS and b <= proof_cost.TARGET_BYTES

    if fits(n):
        return n
    lo, hi = 1, n  # fits(lo) is assumed (one element), fits(hi) is false
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid)
    return math.ceil(n / math.ceil(n / lo))


def block_plan(n: int, inner: int, size: int) -> tuple[int, list[int]]:
    """(block, groups): the ArgMaxBlock's block length (n when one ArgMax step fits) and each
    ArgMaxMerge level's group (how many block maxima one merge element reads), until one block is left."""
    block = largest_count(n, lambda c: read_cost("ArgMax" if c >= n else "ArgMaxBlock", c, inner, size))
    groups, nb = [], math.ceil(n / block)
    while block < n and nb > 1:
        rows = size // n * nb  # the blocks tensor: (outer, nb, 2, inner)
        group = largest_count(nb, lambda c: read_cost("ArgMaxMerge", 2 * c, inner, 2 * rows))
        groups.append(group)
        nb = math.ceil(nb / group)
    return block, groups


class ArgMax(ExactOp):
    op_type = "ArgMax"

    def lower(self, node, lw):
        x = lw.dyn(node, node.input[0])
        if x.dtype != "int16":
            raise lw.unsupported(node, "the input must be an int16 activation")
        if lw.attr(node, "select_last_index", 0):
            raise lw.unsupported(node, "select_last_index=1 is not covered")
        axis = lw.attr(node, "axis", 0)
        axis = axis + len(x.shape) if axis < 0 else axis
        n, inner = _plan(x.shape, axis)
        if n > 2 * (INT16_MAX + 1):
            raise lw.unsupported(node, f"{n} candidates: the exact ArgMax takes at most 65536")
        keep = lw.attr(node, "keepdims", 1)
        shape = x.shape[:axis] + ((1,) if keep else ()) + x.shape[axis + 1:]
        block, groups = block_plan(n, inner, int(np.prod(x.shape, dtype=np.int64)))
        if block >= n:
            out = lw.emit(node, [x.index], shape, 1.0, {"axis": axis, "offset": offset_for(n), "shape": shape})
        else:  # too long for one step: block maxima, then merges of them (bit-identical)
            outer, nb = int(np.prod(x.shape[:axis], dtype=np.int64)), math.ceil(n / block)
            name = node.output[0]
            out = lw.emit(node, [x.index], (outer, nb, 2, inner), 1.0, {"axis": axis, "block": block,
                          "offset": offset_for(n)}, op="ArgMaxBlock", output=f"{name}:blocks")
            for level, group in enumerate(groups):
                last = level == len(groups) - 1
                nb = math.ceil(nb / group)
                out = lw.emit(node, [out.index], shape if last else (outer, nb, 2, inner), 1.0,
                              {"group": group, "last": int(last), "shape": shape if last else (outer, nb, 2, inner)},
                              op="ArgMaxMerge", output=name if last else f"{name}:merge{level}")
        lw.token_slots[out.index] = offset_for(n)

    def numpy(self, ins, attrs):
        return (np.argmax(ins[0], axis=attrs["axis"]) + attrs["offset"]).astype(np.int16).reshape(attrs["shape"])

    def torch(self, ins, attrs):
        first = first_max_torch(ins[0], attrs["axis"])[1]
        return (first + attrs["offset"]).to(torch_int16()).reshape(attrs["shape"])

    def reads(self, node, ins, out_shape, index):
        x = np.asarray(ins[0])
        n, inner = _plan(x.shape, node.attrs["axis"])
        outer, b = divmod(index, inner)
        return [outer * n * inner + np.arange(n) * inner + b]


def torch_int16():
    import torch

    return torch.int16


def first_max_torch(x, dim: int):
    """(the maxima along dim, the first position of each): torch.argmax does not promise the first on ties."""
    import torch

    m = torch.amax(x, dim=dim, keepdim=True)
    n = x.shape[dim]
    pos = torch.arange(n, device=x.device).reshape((n,) + (1,) * (x.dim() - dim - 1))
    first = torch.where(x == m, pos, torch.full_like(pos, n)).amin(dim=dim)
    return m.squeeze(dim), first
