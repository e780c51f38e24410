"""Erf by table (see lookup.py)."""
from __future__ import annotations

from scipy.special import erf

from .lookup import Lookup


class Erf(Lookup):
    op_type = "Erf"

    def function(self, node, lw):
        return erf
