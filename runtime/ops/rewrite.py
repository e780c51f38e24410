"""Graph rewrites applied before lowering: each keeps the graph's outputs and calibrated tensor
names, and makes the exact program smaller or more exact (fused Gelu, BatchNormalization folded
into the Conv or Gemm before it, dynamic quantization's MatMulInteger back to a MatMul of the
model's own int8 weights, QOperator models' QLinear ops to their QDQ form)."""
from __future__ import annotations

import numpy as np
import onnx
from onnx import numpy_helper

from ..weights import Values
from . import batchnormalization, gelu, matmulinteger, qlinear


def constants(graph: onnx.GraphProto, base_dir=None) -> dict[str, np.ndarray]:
    """Initializers, Constant nodes' values and Identity copies of either, by tensor name (the
    TorchScript exporter without constant folding passes a shared weight through an Identity)."""
    consts = Values({i.name: i for i in graph.initializer}, base_dir)  # read when a pattern asks
    for n in graph.node:  # topological order: an Identity's input is named before it
        if n.op_type == "Constant" and n.attribute and n.attribute[0].name == "value":
            consts[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
        elif n.op_type == "Identity" and n.input and n.input[0] in consts:
            if not dict.__contains__(consts, n.input[0]):  # an initializer not read yet: alias it, unread
                consts.initializers[n.output[0]] = consts.initializers[n.input[0]]
            else:
                consts[n.output[0]] = consts[n.input[0]]
    return consts


def rewrite(graph: onnx.GraphProto, opset: int = 13, base_dir=None) -> onnx.GraphProto:
    if not any(n.op_type in ("Erf", "Tanh", "BatchNormalization", "MatMulInteger", "ConvInteger") or n.op_type in qlinear.QLINEAR
               for n in graph.node):
        return graph
    consts = constants(graph, base_dir)
    graph = qlinear.to_qdq(graph, consts)
    graph = matmulinteger.fuse(graph, consts, opset)
    graph = batchnormalization.fold(graph, consts)
    return gelu.fuse(graph, consts)
