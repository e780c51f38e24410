"""ArgMaxMerge: the block maxima of a long ArgMax merged (runtime/ops/argmax.py, argmaxblock.py).

Exact form: input m int16 [outer, nb, 2, inner] (per block: its largest value, then the global index
of its first occurrence); attrs group, last, shape (the output's). For group g (blocks g*group <= j <
min(nb, (g+1)*group)) the winner is the first block j with the largest m[q, j, 0, b]: since blocks
are in index order, its index is the first index of the largest value over the whole group, as one
ArgMax would choose. last = 0: the output is [outer, ceil(nb / group), 2, inner], the winner's value
and index (a further level); last = 1 (group = nb): the output, of ArgMax's shape, is the winner's
index, the chosen token. Element (q, g, t, b) (or (q, b) when last) reads the group's value and index pairs.
"""
from __future__ import annotations

import math

import numpy as np

from .argmax import first_max_torch
from .base import ExactOp


class ArgMaxMerge(ExactOp):
    op_type = "ArgMaxMerge"

    def lower(self, node, lw):
        raise lw.unsupported(node, "ArgMaxMerge is made by the lowering of a long ArgMax, not read from ONNX")

    def numpy(self, ins, attrs):
        outer, nb, _, inner = ins[0].shape
        group = attrs["group"]
        ng = math.ceil(nb / group)
        m = np.full((outer, ng * group, 2, inner), np.iinfo(np.int32).min, dtype=np.int32)  # padding never wins
        m[:, :nb] = ins[0]
        m = m.reshape(outer, ng, group, 2, inner)
        arg = np.argmax(m[:, :, :, 0], axis=2)  # the first on ties
        won = np.take_along_axis(m, arg[:, :, None, None, :].repeat(2, axis=3), axis=2)[:, :, 0]
        if attrs["last"]:
            return won[:, 0, 1].astype(np.int16).reshape(attrs["shape"])
        return won.astype(np.int16)

    def torch(self, ins, attrs):
        import torch

        outer, nb, _, inner = ins[0].shape
        group = attrs["group"]
        ng = math.ceil(nb / group)
        m = torch.full((outer, ng * group, 2, inner), torch.iinfo(torch.int32).min, dtype=torch.int32, device=ins[0].device)
        m[:, :nb] = ins[0].to(torch.int32)
        m = m.reshape(outer, ng, group, 2, inner)
        _, arg = first_max_torch(m[:, :, :, 0], 2)
        won = torch.gather(m, 2, arg[:, :, None, None, :].expand(outer, ng, 1, 2, inner))[:, :, 0]
        if attrs["last"]:
            return won[:, 0, 1].to(torch.int16).reshape(attrs["shape"])
        return won.to(torch.int16)

    def reads(self, node, ins, out_shape, index):
        _, nb, _, inner = np.shape(ins[0])
        group = node.attrs["group"]
        b = index % inner
        if node.attrs["last"]:
            q, g = index // inner, 0
        else:
            ng = out_shape[1]
            g, q = index // (2 * inner) % ng, index // (2 * inner * ng)
        j = np.arange(g * group, min(nb, (g + 1) * group))
        return [(((q * nb + j)[:, None]) * 2 + np.arange(2)[None, :]).reshape(-1) * inner + b]
