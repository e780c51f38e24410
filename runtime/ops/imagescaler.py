"""ImageScaler (opsets 1-9, an experimental op the zoo's tiny-yolov2 and others begin with):
y[n, c] = scale * x[n, c] + bias[c].

No step of its own: a per-channel affine is what a standing BatchNormalization step computes
(batchnormalization.py, op code 51: y = requantize(x * g[c] + b[c])), so it lowers to one with
g = scale for every channel and b = bias.
"""
from __future__ import annotations

import numpy as np

from .base import ExactOp
from .layernormalization import affine_constants


class ImageScaler(ExactOp):
    op_type = "ImageScaler"

    def lower(self, node, lw):
        x = lw.dyn(node, node.input[0])
        if len(x.shape) != 4:
            raise lw.unsupported(node, f"input must be an image batch [N, C, H, W], got shape {x.shape}")
        c = x.shape[1]
        bias = np.asarray(lw.attr(node, "bias", [0.0] * c), dtype=np.float64)
        if bias.size != c:
            raise lw.unsupported(node, f"{bias.size} biases for {c} channels")
        y_scale = lw.out_scale(node)
        g, b, m, k = affine_constants(np.full(c, float(lw.attr(node, "scale", 1.0))), bias, lambda s_g: x.scale * s_g,
                                      y_scale, node, lw)
        name = node.name or node.output[0]
        ins = [x.index, lw.add_constant(f"{name}:g", g).index, lw.add_constant(f"{name}:b", b).index]
        lw.emit(node, ins, x.shape, y_scale, {"m": m, "shift": k}, op="BatchNormalization")
