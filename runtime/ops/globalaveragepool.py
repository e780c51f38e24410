"""GlobalAveragePool: ReduceMean over every axis after the channel, keeping them (reducemean.py)."""
from __future__ import annotations

from .reducemean import ReduceMean, lower_mean


class GlobalAveragePool(ReduceMean):
    op_type = "GlobalAveragePool"

    def lower(self, node, lw):
        x = lw.dyn(node, node.input[0])
        if len(x.shape) < 3:
            raise lw.unsupported(node, f"input must be [N, C, ...] with spatial axes, got shape {x.shape}")
        lower_mean(node, lw, x, tuple(range(2, len(x.shape))), True)
