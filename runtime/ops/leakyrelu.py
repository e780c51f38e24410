"""LeakyRelu by table (see lookup.py): x for x >= 0, alpha * x below (alpha 0.01 unless given).
The zoo's YOLO detectors (tiny-yolov2, opset 7-8) use it after every convolution."""
from __future__ import annotations

import numpy as np

from .lookup import Lookup


class LeakyRelu(Lookup):
    op_type = "LeakyRelu"

    def function(self, node, lw):
        alpha = float(lw.attr(node, "alpha", 0.01))
        return lambda x: np.where(x >= 0, x, alpha * x)
