"""Lowering an ONNX graph to an exact `Program` for one static input shape.

Walks the nodes in topological order keeping, per ONNX tensor name, either a known constant (numpy)
or a program slot. Constant nodes, nodes whose inputs are all constant, and Shape/Size of a tensor of
known shape are evaluated here (onnx's reference evaluator), which folds shape-only subgraphs away.
Every other node goes to its exact op's `lower`, which quantizes constants and emits one node.
A node without an exact op is an `UnsupportedOpError` naming it.
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import numpy_helper

from .errors import CalibrationError, UnsupportedOpError
from .ops import get_op
from .ops.rewrite import rewrite
from .program import Node, Program, Slot
from .quant import activation_scale, quantize


class Lowerer:
    def __init__(self, graph: onnx.GraphProto, opset: int, max_abs: dict[str, float]):
        self.graph, self.opset, self.max_abs = graph, opset, max_abs
        self.values: dict[str, np.ndarray | Slot] = {}
        self.slots: list[Slot] = []
        self.nodes: list[Node] = []
        self.constants: dict[int, np.ndarray] = {}

    # ---- queries the ops use
    def is_const(self, name: str) -> bool:
        return not isinstance(self.values[name], Slot)

    def const(self, node, name: str) -> np.ndarray:
        v = self.values[name]
        if isinstance(v, Slot):
            raise self.unsupported(node, f"input '{name}' must be a constant")
        return v

    def dyn(self, node, name: str) -> Slot:
        v = self.values[name]
        if not isinstance(v, Slot):
            raise self.unsupported(node, f"input '{name}' must be a computed value, not a constant")
        return v

    def act(self, node, name: str) -> Slot:
        """An int16 activation: the slot itself, or a constant quantized into a constant slot."""
        v = self.values[name]
        if isinstance(v, Slot):
            return v
        arr = np.asarray(v, dtype=np.float64)
        scale = activation_scale(float(np.max(np.abs(arr))) if arr.size else 0.0)
        return self.add_constant(f"{name}:q", quantize(arr, scale), scale)

    def attr(self, node, name: str, default=None):
        for a in node.attribute:
            if a.name == name:
                return onnx.helper.get_attribute_value(a)
        return default

    def out_scale(self, node, name: str | None = None) -> float:
        name = name or node.output[0]
        if name not in self.max_abs:
            raise CalibrationError(f"no calibrated range for tensor '{name}' (output of node '{node.name}')")
        return activation_scale(self.max_abs[name])

    def unsupported(self, node, why: str) -> UnsupportedOpError:
        return UnsupportedOpError(node.name or node.output[0], node.op_type, why)

    # ---- building the program
    def add_constant(self, name: str, value: np.ndarray, scale: float = 1.0) -> Slot:
        value = np.ascontiguousarray(value)
        slot = Slot(len(self.slots), name, tuple(value.shape), value.dtype.name, "constant", scale)
        self.slots.append(slot)
        self.constants[slot.index] = value
        return slot

    def add_value(self, name: str, shape, scale: float, kind: str = "value", dtype: str = "int16") -> Slot:
        slot = Slot(len(self.slots), name, tuple(int(d) for d in shape), dtype, kind, float(scale))
        self.slots.append(slot)
        self.values[name] = slot
        return slot

    def emit(self, node, inputs: list[int], shape, scale: float, attrs: dict | None = None) -> Slot:
        extra = [o for o in node.output[1:] if o]
        if extra:
            raise self.unsupported(node, f"extra outputs {extra} are not supported")
        out = self.add_value(node.output[0], shape, scale)
        self.nodes.append(Node(len(self.nodes), node.op_type, node.name or node.output[0], tuple(inputs), (out.index,), attrs or {}))
        return out


def topological_order(graph: onnx.GraphProto) -> list[onnx.NodeProto]:
    """Kahn's order, ties broken by position in the file, so the order is one and reproducible."""
    known = {i.name for i in graph.input} | {i.name for i in graph.initializer} | {""}
    pending = list(graph.node)
    order = []
    while pending:
        rest = []
        for n in pending:
            if all(i in known for i in n.input):
                order.append(n)
                known.update(n.output)
            else:
                rest.append(n)
        if len(rest) == len(pending):
            missing = sorted({i for n in rest for i in n.input if i not in known})
            raise onnx.checker.ValidationError(f"graph has a cycle or undefined inputs: {missing[:5]}")
        pending = rest
    return order


def _fold(node: onnx.NodeProto, args: list, opset: int) -> list[np.ndarray]:
    from onnx.reference import ReferenceEvaluator

    ev = ReferenceEvaluator(node, opsets={"": opset})
    names = [i for i in node.input if i]
    return ev.run(None, dict(zip(names, args)))


def lower(model: onnx.ModelProto, input_name: str, input_shape: tuple[int, ...], max_abs: dict[str, float]) -> Program:
    graph = rewrite(model.graph)
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 13)
    lw = Lowerer(graph, opset, max_abs)
    for init in graph.initializer:
        lw.values[init.name] = numpy_helper.to_array(init)
    if input_name not in max_abs:
        raise CalibrationError(f"no calibrated range for the input '{input_name}'")
    inp = lw.add_value(input_name, input_shape, activation_scale(max_abs[input_name]), kind="input")
    for node in topological_order(graph):
        if node.domain not in ("", "ai.onnx"):
            raise UnsupportedOpError(node.name or node.output[0], f"{node.domain}.{node.op_type}", "custom-domain op")
        args = [lw.values[i] if i else None for i in node.input]
        if node.op_type == "Constant":
            (lw.values[node.output[0]],) = _fold(node, [], opset)
        elif node.op_type in ("Shape", "Size") and isinstance(args[0], Slot):
            shape = np.array(args[0].shape, dtype=np.int64)
            if node.op_type == "Size":
                lw.values[node.output[0]] = np.array(shape.prod(), dtype=np.int64)
            else:
                start, end = lw.attr(node, "start", 0), lw.attr(node, "end", None)
                lw.values[node.output[0]] = shape[start:end]
        elif all(not isinstance(a, Slot) for a in args if a is not None):
            for name, v in zip(node.output, _fold(node, [a for a in args if a is not None], opset)):
                lw.values[name] = np.asarray(v)
        else:
            op = get_op(node.op_type)
            if op is None:
                raise lw.unsupported(node, "no exact kernel for this op")
            op.lower(node, lw)
    outputs = []
    for o in graph.output:
        v = lw.values.get(o.name)
        if not isinstance(v, Slot):
            raise UnsupportedOpError(o.name, "output", "graph output does not depend on the input")
        outputs.append(v.index)
    return Program(lw.slots, lw.nodes, lw.constants, inp.index, tuple(outputs))
