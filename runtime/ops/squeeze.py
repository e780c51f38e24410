"""Squeeze: drop axes of length 1 (all of them when no `axes` are given)."""
from __future__ import annotations

from .base import Reshaping
from .unsqueeze import axes_of


class Squeeze(Reshaping):
    op_type = "Squeeze"

    def out_shape(self, node, lw, shape):
        axes = axes_of(node, lw)
        axes = [i for i, d in enumerate(shape) if d == 1] if axes is None else [a + len(shape) if a < 0 else a for a in axes]
        if any(not 0 <= a < len(shape) or shape[a] != 1 for a in axes):
            raise lw.unsupported(node, f"axes {axes} of shape {shape} are not all of length 1")
        return tuple(d for i, d in enumerate(shape) if i not in axes)
