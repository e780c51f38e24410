"""Identity: the input unchanged."""
from __future__ import annotations

from .base import PassThrough


class Identity(PassThrough):
    op_type = "Identity"

    def numpy(self, ins, attrs):
        return ins[0].copy()

    def torch(self, ins, attrs):
        return ins[0].clone()
