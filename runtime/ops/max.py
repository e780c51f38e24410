"""Max of k inputs (numpy broadcasting; opset 8 on, and opsets 6-7 with equal shapes), each brought
to the output's scale by Sum's rule (one multiplier per input, one shared shift), then the largest.
Rounding half up is monotone, so the largest rounded term is the rounded largest value: one rounding.

Exact form: inputs k int16; attrs ms, shift. y = saturate(max_i (x_i * M_i + 2^(shift-1)) >> shift).
"""
from __future__ import annotations

import numpy as np

from ..quant import INT16_MAX, INT16_MIN
from .sum import Sum


class Max(Sum):  # Sum's lowering (multipliers, shared shift) and reads; its own kernels
    op_type = "Max"
    pick = staticmethod(np.maximum)

    def numpy(self, ins, attrs):
        k = attrs["shift"]
        terms = [(x.astype(np.int64) * m + ((1 << k) >> 1)) >> k for x, m in zip(ins, attrs["ms"])]
        out = terms[0]
        for t in terms[1:]:
            out = self.pick(out, t)
        return np.clip(np.broadcast_to(out, np.broadcast_shapes(*(x.shape for x in ins))), INT16_MIN, INT16_MAX).astype(np.int16)

    def torch(self, ins, attrs):
        import torch

        k = attrs["shift"]
        pick = torch.maximum if self.pick is np.maximum else torch.minimum
        terms = [(x.to(torch.int64) * m + ((1 << k) >> 1)) >> k for x, m in zip(ins, attrs["ms"])]
        out = terms[0]
        for t in terms[1:]:
            out = pick(out, t)
        shape = torch.broadcast_shapes(*(x.shape for x in ins))
        return torch.clamp(out.expand(shape), INT16_MIN, INT16_MAX).to(torch.int16)
