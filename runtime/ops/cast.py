"""Cast between float types: the int16 activation and its scale unchanged (a float16 or bfloat16
rounding is below the int16 quantization step only for values it can hold; casts to integer or
boolean types are not covered)."""
from __future__ import annotations

from onnx import TensorProto

from .base import PassThrough

FLOATS = (TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.FLOAT16, TensorProto.BFLOAT16)


class Cast(PassThrough):
    op_type = "Cast"

    def lower(self, node, lw):
        to = lw.attr(node, "to", None)
        if to not in FLOATS:
            raise lw.unsupported(node, f"only casts between float types are covered (to={to})")
        super().lower(node, lw)

    def numpy(self, ins, attrs):
        return ins[0].copy()

    def torch(self, ins, attrs):
        return ins[0].clone()
