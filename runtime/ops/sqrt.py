"""Sqrt by table (see lookup.py); a negative input's entry is 0 (NaN in float)."""
from __future__ import annotations

import numpy as np

from .lookup import Lookup


class Sqrt(Lookup):
    op_type = "Sqrt"

    def function(self, node, lw):
        return np.sqrt
