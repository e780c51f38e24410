"""Reciprocal by table (see lookup.py); the entry for 0 saturates to 32767."""
from __future__ import annotations

import numpy as np

from .lookup import Lookup


def reciprocal(x):
    with np.errstate(divide="ignore"):
        return np.where(x == 0, np.inf, 1.0 / np.where(x == 0, 1.0, x))


class Reciprocal(Lookup):
    op_type = "Reciprocal"

    def function(self, node, lw):
        return reciprocal
