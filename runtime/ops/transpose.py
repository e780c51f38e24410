"""Transpose: permute axes by `perm` (default: reversed)."""
from __future__ import annotations

import numpy as np

from .base import PassThrough


class Transpose(PassThrough):
    op_type = "Transpose"

    def _perm(self, node, lw, shape):
        perm = lw.attr(node, "perm", None)
        return tuple(perm) if perm is not None else tuple(reversed(range(len(shape))))

    def out_shape(self, node, lw, shape):
        return tuple(shape[p] for p in self._perm(node, lw, shape))

    def attrs(self, node, lw, shape):
        return {"perm": self._perm(node, lw, shape)}

    def numpy(self, ins, attrs):
        return ins[0].transpose(attrs["perm"]).copy()

    def torch(self, ins, attrs):
        return ins[0].permute(attrs["perm"]).contiguous()

    def reads(self, node, ins, out_shape, index):
        """Output coordinates c read input coordinates d with d[perm[i]] = c[i]."""
        coords = np.unravel_index(index, out_shape)
        src = [0] * len(coords)
        for i, p in enumerate(node.attrs["perm"]):
            src[p] = coords[i]
        return [np.array([np.ravel_multi_index(src, ins[0].shape)])]
