"""Which elements a sliding window reads: shared by the window ops (Conv, ConvBlock, the pools) and by
proof_cost, which prices those reads without importing an op."""
from __future__ import annotations

import numpy as np


def window_reads(x_shape, channels, pos, kernel, attrs) -> np.ndarray:
    """Flat indices of x that the window at output position pos = (oh, ow) covers, over channels
    (n, first, count); positions in the padding are left out (they read no element)."""
    (sh, sw), (pt, pl, _, _), (dh, dw) = attrs["strides"], attrs["pads"], attrs["dilations"]
    n, first, count = channels
    rows = pos[0] * sh - pt + np.arange(kernel[0]) * dh
    cols = pos[1] * sw - pl + np.arange(kernel[1]) * dw
    rows, cols = rows[(rows >= 0) & (rows < x_shape[2])], cols[(cols >= 0) & (cols < x_shape[3])]
    c = np.arange(first, first + count)
    idx = ((n * x_shape[1] + c[:, None, None]) * x_shape[2] + rows[None, :, None]) * x_shape[3] + cols[None, None, :]
    return idx.reshape(-1)
