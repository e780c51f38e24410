"""Neg: -x, saturating (-(-32768) = 32767). Keeps the input's scale."""
from __future__ import annotations

import numpy as np

from ..quant import INT16_MAX
from .base import PassThrough


class Neg(PassThrough):
    op_type = "Neg"

    def numpy(self, ins, attrs):
        return np.minimum(-ins[0].astype(np.int32), INT16_MAX).astype(np.int16)

    def torch(self, ins, attrs):
        import torch

        return torch.clamp(-ins[0].to(torch.int32), max=INT16_MAX).to(torch.int16)
