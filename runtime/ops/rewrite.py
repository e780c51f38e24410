"""Graph rewrites applied before lowering: each keeps the graph's outputs and calibrated tensor
names, and makes the exact program smaller or more exact (fused Gelu, BatchNormalization folded
into the Conv or Gemm before it)."""
from __future__ import annotations

import numpy as np
import onnx
from onnx import numpy_helper

from . import batchnormalization, gelu


def constants(graph: onnx.GraphProto) -> dict[str, np.ndarray]:
    """Initializers and Constant nodes' values, by tensor name."""
    consts = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    for n in graph.node:
        if n.op_type == "Constant" and n.attribute and n.attribute[0].name == "value":
            consts[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
    return consts


def rewrite(graph: onnx.GraphProto) -> onnx.GraphProto:
    if not any(n.op_type in ("Erf", "Tanh", "BatchNormalization") for n in graph.node):
        return graph
    consts = constants(graph)
    graph = batchnormalization.fold(graph, consts)
    return gelu.fuse(graph, consts)
