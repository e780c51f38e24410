"""Sigmoid by table (see lookup.py): 1 / (1 + exp(-x)), written with tanh so no exp overflows."""
from __future__ import annotations

import numpy as np

from .lookup import Lookup


def sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class Sigmoid(Lookup):
    op_type = "Sigmoid"

    def function(self, node, lw):
        return sigmoid
