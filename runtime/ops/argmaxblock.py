"""ArgMaxBlock: the first stage of an ArgMax too long for one step (runtime/ops/argmax.py).

Exact form: input x int16; attrs axis, block, offset. With n = x.shape[axis], inner = the product of
x's axes after it, outer = the product before it and nb = ceil(n / block), the output is int16
[outer, nb, 2, inner]: out[q, j, 0, b] = the largest of x[q, k, b] over the block j*block <= k <
min(n, (j+1)*block), and out[q, j, 1, b] = offset + the first such k holding it (the global index,
offset as ArgMax's). Element (q, j, t, b) reads that block of x. `ArgMaxMerge` ends the chain.
"""
from __future__ import annotations

import math

import numpy as np

from .argmax import first_max_torch
from .base import ExactOp


def _view(shape, axis: int) -> tuple[int, int, int]:
    outer = int(np.prod(shape[:axis], dtype=np.int64))
    return outer, shape[axis], int(np.prod(shape[axis + 1:], dtype=np.int64))


class ArgMaxBlock(ExactOp):
    op_type = "ArgMaxBlock"
    partial = True

    def lower(self, node, lw):
        raise lw.unsupported(node, "ArgMaxBlock is made by the lowering of a long ArgMax, not read from ONNX")

    def numpy(self, ins, attrs):
        outer, n, inner = _view(ins[0].shape, attrs["axis"])
        block = attrs["block"]
        nb = math.ceil(n / block)
        x = np.full((outer, nb * block, inner), np.iinfo(np.int32).min, dtype=np.int32)  # padding never wins
        x[:, :n] = ins[0].reshape(outer, n, inner)
        x = x.reshape(outer, nb, block, inner)
        arg = np.argmax(x, axis=2)  # numpy's argmax is the first on ties
        value = np.take_along_axis(x, arg[:, :, None], axis=2)[:, :, 0]
        index = arg + np.arange(nb)[None, :, None] * block + attrs["offset"]
        return np.stack([value, index], axis=2).astype(np.int16)

    def torch(self, ins, attrs):
        import torch

        outer, n, inner = _view(tuple(ins[0].shape), attrs["axis"])
        block = attrs["block"]
        nb = math.ceil(n / block)
        x = torch.full((outer, nb * block, inner), torch.iinfo(torch.int32).min, dtype=torch.int32, device=ins[0].device)
        x[:, :n] = ins[0].reshape(outer, n, inner).to(torch.int32)
        value, arg = first_max_torch(x.reshape(outer, nb, block, inner), 2)
        index = arg + torch.arange(nb, device=x.device).reshape(1, nb, 1) * block + attrs["offset"]
        return torch.stack([value, index.to(torch.int32)], dim=2).to(torch.int16)

    def reads(self, node, ins, out_shape, index):
        outer, n, inner = _view(np.shape(ins[0]), node.attrs["axis"])
        block = node.attrs["block"]
        nb = out_shape[1]
        b = index % inner
        j = index // (2 * inner) % nb
        q = index // (2 * inner * nb)
        return [(q * n + np.arange(j * block, min(n, (j + 1) * block))) * inner + b]
