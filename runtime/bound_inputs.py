"""Inputs a user does not pass, bound as constants at load: the usual transformers export takes
`input_ids` plus an `attention_mask` (and, for BERT-family models, `token_type_ids`). For one unpadded
sequence, which is what a request is, the mask is all ones and the token types all zeros, so each becomes
a constant of the ids' shape (Shape + ConstantOfShape, which the exact profile folds at lowering). The
model then takes one input and is served like any other; its program, and so its id, commits to the
bound values."""
from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

# an input's name -> the value every position holds for one unpadded sequence
DEFAULTS = {"attention_mask": 1, "token_type_ids": 0}


def bind_constant_inputs(proto: onnx.ModelProto) -> tuple[onnx.ModelProto, dict[str, tuple[np.dtype, int]]]:
    """(the model with its DEFAULTS inputs bound to constants shaped like its first other input,
    {bound name: (dtype, value)}); the model itself when it has one input or none of DEFAULTS."""
    inits = {i.name for i in proto.graph.initializer}
    inputs = [vi for vi in proto.graph.input if vi.name not in inits]
    bound = [vi for vi in inputs if vi.name in DEFAULTS]
    kept = [vi for vi in inputs if vi.name not in DEFAULTS]
    if len(inputs) < 2 or not bound or len(kept) != 1:
        return proto, {}
    primary = kept[0]
    rank = len(primary.type.tensor_type.shape.dim)
    if any(len(vi.type.tensor_type.shape.dim) != rank for vi in bound):  # not one value per token: leave it
        return proto, {}
    out = onnx.ModelProto()
    out.CopyFrom(proto)
    g = out.graph
    names = {vi.name for vi in bound}
    keep = [vi for vi in g.input if vi.name not in names]
    del g.input[:]
    g.input.extend(keep)
    shape = primary.name + "__bound_shape"
    nodes = [helper.make_node("Shape", [primary.name], [shape], name=shape)]
    info = {}
    for vi in bound:
        dtype = np.dtype(helper.tensor_dtype_to_np_dtype(vi.type.tensor_type.elem_type))
        value = numpy_helper.from_array(np.array([DEFAULTS[vi.name]], dtype=dtype))
        nodes.append(helper.make_node("ConstantOfShape", [shape], [vi.name], name=vi.name + "__bound", value=value))
        info[vi.name] = (dtype, DEFAULTS[vi.name])
    for n in reversed(nodes):  # before every reader (graphs are kept in topological order)
        g.node.insert(0, n)
    return out, info


def feeds(bound: dict[str, tuple[np.dtype, int]], x: np.ndarray) -> dict[str, np.ndarray]:
    """The bound inputs' values for input `x`: for a session over the original file (external data)."""
    return {name: np.full(x.shape, value, dtype=dtype) for name, (dtype, value) in bound.items()}
