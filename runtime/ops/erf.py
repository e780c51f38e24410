"""Erf by table (see lookup.py)."""
from __future__ import annotations

import math

import numpy as np

from .lookup import Lookup

# math.erf over an array (no scipy in the core dependencies; 65536 entries take ~20 ms at lowering)
erf = np.vectorize(math.erf, otypes=[np.float64])


class Erf(Lookup):
    op_type = "Erf"

    def function(self, node, lw):
        return erf
