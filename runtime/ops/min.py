"""Min of k inputs: Max's form (max.py) with the smallest term instead of the largest."""
from __future__ import annotations

import numpy as np

from .max import Max


class Min(Max):
    op_type = "Min"
    pick = staticmethod(np.minimum)
