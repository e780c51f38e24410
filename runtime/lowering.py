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

from .errors import CalibrationError, ConstantFoldError, UnsupportedOpError, first_line
from .ops import dequantizelinear, get_op, quantizelinear
from .ops.rewrite import rewrite
from .program import Node, Program, Slot
from .quant import activation_scale, calibrated_max_abs, calibrated_scale, quantize
from .weights import Values


class Lowerer:
    def __init__(self, graph: onnx.GraphProto, opset: int, max_abs: dict[str, float], share_constants: bool = False):
        self.graph, self.opset, self.max_abs = graph, opset, max_abs
        self.token_slots: dict[int, int] = {}  # int16 slots of token ids an ArgMax chose -> their offset (ops/argmax.py)
        self._shared: dict | None = {} if share_constants else None
        self.values: dict[str, np.ndarray | Slot] = Values({}, None)
        self.slots: list[Slot] = []
        self.nodes: list[Node] = []
        self.constants: dict[int, np.ndarray] = {}
        self.quantized: dict[str, tuple[float, int]] = {}  # QuantizeLinear outputs: (scale, zero point)
        self.int8_weights: dict[str, tuple] = {}  # folded DequantizeLinear of int8 constants (ops/dequantizelinear.py)
        self.fixed_scales = quantizelinear.fixed_scales(graph)  # tensors only a QuantizeLinear reads

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
        own = self.int8_weights.get(name)
        if own is not None and own[1].size == 1:  # a quantized model's own constant: its integers and scale
            return self.add_constant(f"{name}:q", own[0].astype(np.int16), float(own[1].reshape(())))
        arr = np.asarray(v)  # quantize and calibrated_max_abs convert to float64 block by block
        scale = activation_scale(calibrated_max_abs(arr))  # mask sentinels saturate, set no scale
        return self.add_constant(f"{name}:q", quantize(arr, scale), scale)

    def ids(self, node, name: str) -> Slot:
        """An int64 index tensor: the token-id input slot, or a constant stored as an int64 slot."""
        v = self.values[name]
        if isinstance(v, Slot):
            if v.dtype != "int64" and v.index not in self.token_slots:
                raise self.unsupported(node, f"indices '{name}' must be integer token ids or a constant, not an activation")
            return v
        arr = np.asarray(v)
        if arr.dtype.kind not in "iu":
            raise self.unsupported(node, f"indices '{name}' must be integers, got {arr.dtype}")
        return self.add_constant(f"{name}:ids", arr.astype(np.int64))

    def attr(self, node, name: str, default=None):
        for a in node.attribute:
            if a.name == name:
                return onnx.helper.get_attribute_value(a)
        return default

    def out_scale(self, node, name: str | None = None) -> float:
        name = name or node.output[0]
        if name in self.fixed_scales:
            return self.fixed_scales[name]
        if name not in self.max_abs:
            raise CalibrationError(f"no calibrated range for tensor '{name}' (output of node '{node.name}')")
        return calibrated_scale(self.max_abs[name])

    def unsupported(self, node, why: str) -> UnsupportedOpError:
        return UnsupportedOpError(node.name or node.output[0], node.op_type, why)

    # ---- building the program
    def add_constant(self, name: str, value: np.ndarray, scale: float = 1.0) -> Slot:
        value = np.ascontiguousarray(value) if np.ndim(value) else np.array(value)  # a 0-d value stays 0-d
        if self._shared is not None:  # an unrolled program: each step's copy of a weight is one slot
            import hashlib

            key = (value.dtype.name, value.shape, float(scale), hashlib.blake2b(value.tobytes(), digest_size=20).digest())
            if key in self._shared:
                return self._shared[key]
        slot = Slot(len(self.slots), name, tuple(value.shape), value.dtype.name, "constant", scale)
        self.slots.append(slot)
        self.constants[slot.index] = value
        if self._shared is not None:
            self._shared[key] = slot
        return slot

    def add_value(self, name: str, shape, scale: float, kind: str = "value", dtype: str = "int16") -> Slot:
        slot = Slot(len(self.slots), name, tuple(int(d) for d in shape), dtype, kind, float(scale))
        self.slots.append(slot)
        self.values[name] = slot
        return slot

    def emit(self, node, inputs: list[int], shape, scale: float, attrs: dict | None = None, *,
             op: str | None = None, output: str | None = None) -> Slot:
        """One program node for `node`. `op` and `output` let one ONNX node lower to several program
        nodes (a k-output Split to k Slices): each writes one slot, as the one-step check expects."""
        if output is None:
            extra = [o for o in node.output[1:] if o]
            if extra:
                raise self.unsupported(node, f"extra outputs {extra} are not supported")
        out_name = output or node.output[0]
        out = self.add_value(out_name, shape, scale)
        name = node.name or node.output[0]
        if output is not None and output != node.output[0]:
            name = f"{name}:{out_name}"
        self.nodes.append(Node(len(self.nodes), op or node.op_type, name, tuple(inputs), (out.index,), attrs or {}))
        return out


def is_token_ids(graph: onnx.GraphProto, input_name: str) -> bool:
    """True when the graph input is integer-typed: token ids, stored as an int64 slot."""
    for vi in graph.input:
        if vi.name == input_name:
            t = vi.type.tensor_type.elem_type
            return t != 0 and np.dtype(onnx.helper.tensor_dtype_to_np_dtype(t)).kind in "iu"
    return False


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
    """A node of constant inputs, evaluated: onnx's reference evaluator, else onnxruntime (which
    takes what the evaluator trips on: opset-9 Unsqueeze's `axes` attribute, say), else an error
    naming the node."""
    from onnx.reference import ReferenceEvaluator

    names = [i for i in node.input if i]
    feeds = dict(zip(names, args))
    try:
        return ReferenceEvaluator(node, opsets={"": opset}).run(None, feeds)
    except Exception as first:  # noqa: BLE001 - any failure of the evaluator: try onnxruntime
        try:
            return _fold_ort(node, feeds, opset)
        except Exception as second:  # noqa: BLE001
            raise ConstantFoldError(node.name or node.output[0], node.op_type,
                                    f"cannot fold constant inputs: {type(first).__name__}: {first_line(first, 100)}; "
                                    f"onnxruntime: {first_line(second, 100)}") from None


def _fold_ort(node: onnx.NodeProto, feeds: dict, opset: int) -> list[np.ndarray]:
    from onnx import helper

    from .fast import session

    ins = [helper.make_tensor_value_info(k, helper.np_dtype_to_tensor_dtype(np.asarray(v).dtype), np.shape(v))
           for k, v in feeds.items()]
    outs = [helper.make_empty_tensor_value_info(o) for o in node.output if o]
    g = helper.make_graph([node], "fold", ins, outs)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    sess = session(m.SerializeToString(), device="cpu")
    return sess.run(None, {k: np.asarray(v) for k, v in feeds.items()})


def last_reads(order: list[onnx.NodeProto], keep) -> dict[int, list[str]]:
    """{position in order: the tensor names whose last reader is that node}, names in `keep` never."""
    last: dict[str, int] = {}
    for i, node in enumerate(order):
        for name in node.input:
            if name:
                last[name] = i
    out: dict[int, list[str]] = {}
    for name, i in last.items():
        if name not in keep:
            out.setdefault(i, []).append(name)
    return out


def lower(model: onnx.ModelProto, input_name: str, input_shape: tuple[int, ...], max_abs: dict[str, float],
          base_dir=None, share_constants: bool = False, constants: dict | None = None) -> Program:
    """The exact program; `base_dir` is the model's folder, where its external data lies.
    share_constants: equal constants (value, scale) become one slot (generation programs, whose
    unrolled steps would otherwise store each weight once per token). `constants`: the (empty) dict
    the program's constants go into (runtime.program_cache's writes big ones straight to disk)."""
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 13)
    graph = rewrite(model.graph, opset, base_dir)
    lw = Lowerer(graph, opset, max_abs, share_constants)
    if constants is not None:
        lw.constants = constants
    lw.values = Values({init.name: init for init in graph.initializer}, base_dir)
    if input_name not in max_abs:
        raise CalibrationError(f"no calibrated range for the input '{input_name}'")
    if is_token_ids(graph, input_name):  # integer ids (embedding lookups) travel as int64, scale 1
        inp = lw.add_value(input_name, input_shape, 1.0, kind="input", dtype="int64")
    else:
        scale = lw.fixed_scales.get(input_name) or calibrated_scale(max_abs[input_name])
        inp = lw.add_value(input_name, input_shape, scale, kind="input")
    order = topological_order(graph)
    done_with = last_reads(order, {o.name for o in graph.output})
    for position, node in enumerate(order):
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
            if node.op_type == "DequantizeLinear":  # a QDQ model's weights: keep its own int8 values
                dequantizelinear.record(node, args, lw)
        else:
            op = get_op(node.op_type)
            if op is None:
                raise lw.unsupported(node, "no exact kernel for this op")
            op.lower(node, lw)
        for name in done_with.get(position, ()):
            lw.values.pop(name, None)
            lw.int8_weights.pop(name, None)  # a QDQ weight's int8 copy too (a 7B model's would be 6.3 GiB)
    outputs = []
    for o in graph.output:
        v = lw.values.get(o.name)
        if not isinstance(v, Slot):
            raise UnsupportedOpError(o.name, "output", "graph output does not depend on the input")
        outputs.append(v.index)
    return Program(lw.slots, lw.nodes, lw.constants, inp.index, tuple(outputs))
