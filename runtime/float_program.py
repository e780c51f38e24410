"""A float program: an ONNX model run node by node in float, for disputes settled by a jury.

    prog = Model.load("gpt2-tiny").float_program((1, 1))   # or FloatProgram.build(model, shape)
    out = prog.run(x)                                       # the reference float execution
    run_node(node_bytes, domain, opset, inputs, output_index)  # one node (bisection.jury.recompute_node: from its descriptor)

Built like the exact program (`runtime.program.Program`) for one static input shape: slots hold the
input, constants and intermediates; nodes run in `lowering.topological_order`; Constant nodes, Shape
and Size of a tensor of known shape, and nodes whose inputs are all constant are folded into
constants, so the shape-only subgraphs of exported models disappear. Every other node stays as it
is in the graph (any op onnxruntime runs, custom domains included). A node with m used outputs
becomes m consecutive steps, step j writing output j only: a state differs from the one before in
exactly one slot, as the on-chain game's output check requires.

Reference execution, which defines the trace: each node is a one-node ONNX model (`node_model`)
built from what its descriptor holds (op, domain, opset, attributes, input dtypes and shapes), run by
onnxruntime on the CPU with graph optimizations off and one thread. `run_node` builds the same model
from what a descriptor's bytes hold (`bisection.jury.recompute_node` parses them), so a juror's recomputation on the same onnxruntime build equals
the trace bit for bit (another build or device may differ within the request's tolerance).

Slot dtypes are numpy dtype names ("float32", "int64", "bool", ...), scales are 1.0.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

import numpy as np
import onnx
from onnx import helper

from .errors import ConstantFoldError, FastRunError, TribunalError, UnsupportedOpError, first_line
from .program import Slot, SlotProgram

FLOAT_OP = "ONNX_NODE"  # every float node's op in the commitment (op code 1000, bisection.commitments)
DTYPES = ("int8", "int16", "int64", "float32", "bool", "int32", "uint8", "float16", "float64")
SESSION_CACHE = 4096  # one-node sessions kept (a model's distinct nodes; repeated layers share one)


class FloatNodeError(TribunalError):
    """Raised when a float node cannot be built or run (a subgraph attribute, an output whose shape
    depends on the data, an input that does not match its slot)."""


@dataclass(frozen=True)
class FloatNode:
    """One step of a float program: an ONNX node, writing its output `output_index` only."""

    index: int  # 0-based position in the order; the step that runs it is index + 1
    name: str  # the ONNX node's name (or its first output), ":<output>" added for steps past the first
    onnx_op: str  # the ONNX op type (informational: node_bytes holds it)
    inputs: tuple[int, ...]  # slots of the node's present inputs ("" optional inputs are not listed)
    outputs: tuple[int, ...]  # ONE slot: the one this step writes
    output_index: int  # which of the ONNX node's outputs this step writes
    domain: str  # "" for the default domain
    opset: int  # the model's opset for that domain
    node_bytes: bytes  # canonical NodeProto: name "", inputs i0.., outputs o0.., attributes by name
    attrs: Mapping[str, Any] = field(default_factory=dict)  # none: attributes live in node_bytes

    @property
    def op(self) -> str:
        return FLOAT_OP


@dataclass
class FloatProgram(SlotProgram):
    input_kind = "input"
    slots: list[Slot]
    nodes: list[FloatNode]
    constants: dict[int, np.ndarray]
    input_slot: int
    output_slots: tuple[int, ...]
    _prepared: dict = field(default_factory=dict, repr=False)  # backends' constant cache (unused here)

    @classmethod
    def build(cls, model, shape: tuple[int, ...]) -> "FloatProgram":
        """The float program of a `runtime.model.Model` for one static input shape."""
        return _Builder(model.proto, model.spec.name, tuple(int(d) for d in shape), model.name, model.base_dir).build()


    def step(self, state: list, k: int, backend: Any = None) -> dict[int, np.ndarray]:
        """Execute step k (1-based) on `state` with the reference execution; returns {slot: value}.
        `backend` is accepted for the trace's sake and ignored: float steps run on onnxruntime."""
        node = self.nodes[k - 1]
        ins = [np.asarray(state[i]) for i in node.inputs]
        out = run_node(node.node_bytes, node.domain, node.opset, ins, node.output_index)
        s = self.slots[node.outputs[0]]
        if out.dtype != np.dtype(s.dtype) or out.shape != s.shape:
            raise FloatNodeError(f"step {k}, node '{node.name}': output is {out.dtype} {out.shape}, its slot is "
                                 f"{s.dtype} {s.shape} (an output shape that depends on the data?)")
        return {node.outputs[0]: out}

    def states(self, x: np.ndarray, backend: Any = None) -> Iterator[tuple[int, dict, list]]:
        state = self.initial_state(x)
        for k in range(1, self.steps + 1):
            written = self.step(state, k)
            for i, v in written.items():
                state[i] = v
            yield k, written, state

    def run(self, x: np.ndarray, backend: Any = None) -> list[np.ndarray]:
        """The output slots' values after the last step (the reference float execution)."""
        state = self.initial_state(x)
        for _, _, state in self.states(x):
            pass
        return [state[i] for i in self.output_slots]

    def describe(self) -> list[dict]:
        return [{"step": n.index + 1, "op": n.onnx_op, "name": n.name, "inputs": list(n.inputs),
                 "outputs": list(n.outputs)} for n in self.nodes]


# ---- one node as a model, and running it ----------------------------------------------------------

def canonical_node(node: onnx.NodeProto) -> bytes:
    """The node's canonical bytes: name "", inputs i0.. and outputs o0.. ("" kept for absent
    optional ones), domain "" for the default, attributes sorted by name, no doc strings."""
    for a in node.attribute:
        if a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS) or a.ref_attr_name:
            raise FloatNodeError(f"node '{node.name or node.output[0]}' ({node.op_type}): attribute '{a.name}' "
                                 "is a subgraph or a reference; float nodes take plain attributes only")
    out = onnx.NodeProto()
    out.op_type = node.op_type
    out.domain = _domain(node.domain)
    present = iter(range(len(node.input)))
    out.input.extend(f"i{next(present)}" if n else "" for n in node.input)
    out.output.extend(f"o{j}" if n else "" for j, n in enumerate(node.output))
    for a in sorted(node.attribute, key=lambda a: a.name):
        b = out.attribute.add()
        b.CopyFrom(a)
        b.ClearField("doc_string")
    return out.SerializeToString(deterministic=True)


def _domain(d: str) -> str:
    return "" if d in ("", "ai.onnx") else d


def node_model(node_bytes: bytes, domain: str, opset: int, dtypes: list[str], shapes: list[tuple]) -> bytes:
    """A one-node ONNX model: inputs i0.. of the given dtypes and shapes, every output of the node as
    a graph output. Deterministic: the same node and input types give the same bytes."""
    node = onnx.NodeProto()
    node.ParseFromString(node_bytes)
    k = sum(1 for n in node.input if n)  # present inputs, named i0, i1, .. in order by canonical_node
    if k != len(dtypes):
        raise FloatNodeError(f"{node.op_type} node takes {k} present inputs, {len(dtypes)} given")
    ins = [helper.make_tensor_value_info(f"i{j}", helper.np_dtype_to_tensor_dtype(np.dtype(d)), list(s))
           for j, (d, s) in enumerate(zip(dtypes, shapes))]
    outs = [helper.make_empty_tensor_value_info(o) for o in node.output if o]
    opsets = [helper.make_opsetid("", opset if not domain else 17)]
    if domain:
        opsets.append(helper.make_opsetid(domain, opset))
    g = helper.make_graph([node], "node", ins, outs)
    m = helper.make_model(g, opset_imports=opsets, producer_name="tribunal")
    m.ir_version = max(8, helper.find_min_ir_version_for(opsets, ignore_unknown=True))
    return m.SerializeToString(deterministic=True)


_SESSIONS: OrderedDict = OrderedDict()


def _session(model_bytes: bytes):
    import onnxruntime as ort

    sess = _SESSIONS.get(model_bytes)
    if sess is None:
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        # weights are graph inputs here, so nothing is prepacked; say so, so a full-model session with
        # the same options computes the same bits (prepacked weights sum in another order)
        opts.add_session_config_entry("session.disable_prepacking", "1")
        sess = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
        _SESSIONS[model_bytes] = sess
        if len(_SESSIONS) > SESSION_CACHE:
            _SESSIONS.popitem(last=False)
    else:
        _SESSIONS.move_to_end(model_bytes)
    return sess


def run_node_all(node_bytes: bytes, domain: str, opset: int, inputs: list[np.ndarray]) -> list[np.ndarray | None]:
    """Every output of the node (None for absent optional ones), by the reference execution."""
    inputs = [np.asarray(a) for a in inputs]
    model = node_model(node_bytes, domain, opset, [a.dtype.name for a in inputs], [a.shape for a in inputs])
    node = onnx.NodeProto()
    node.ParseFromString(node_bytes)
    names = [o for o in node.output if o]
    try:
        got = _session(model).run(names, {f"i{j}": a for j, a in enumerate(inputs)})
    except Exception as e:  # noqa: BLE001 - onnxruntime's errors, in one line naming the op
        raise FastRunError(f"{node.op_type} node: onnxruntime failed: {first_line(e)}") from None
    by_name = dict(zip(names, got))
    return [by_name.get(o) if o else None for o in node.output]


def run_node(node_bytes: bytes, domain: str, opset: int, inputs: list[np.ndarray], output_index: int) -> np.ndarray:
    """Output `output_index` of the node, by the reference execution."""
    out = run_node_all(node_bytes, domain, opset, inputs)[output_index]
    if out is None:
        raise FloatNodeError(f"output {output_index} of the node is absent")
    return np.asarray(out)


# ---- building ---------------------------------------------------------------------------------

class _Builder:
    def __init__(self, proto: onnx.ModelProto, input_name: str, shape: tuple[int, ...], model_name: str, base_dir=None):
        from .onnx_io import input_specs

        self.base_dir = base_dir  # the model's folder: external data is read beside the model
        if len(input_specs(proto)) != 1:
            raise UnsupportedOpError(model_name, "model", "float programs take models with one input")
        self.graph, self.input_name, self.shape, self.model_name = proto.graph, input_name, shape, model_name
        self.opsets = {_domain(o.domain): o.version for o in proto.opset_import}
        self.values: dict[str, np.ndarray | Slot] = {}  # ONNX tensor name -> constant or slot
        self.slots: list[Slot] = []
        self.nodes: list[FloatNode] = []
        self.constants: dict[int, np.ndarray] = {}
        self.const_slot: dict[str, Slot] = {}
        self.sample: dict[int, np.ndarray] = {}  # slot -> value on a zero input (fixes each output's type)

    def slot(self, name: str, value: np.ndarray, kind: str) -> Slot:
        if value.dtype.name not in DTYPES:
            raise UnsupportedOpError(name, "tensor", f"dtype {value.dtype} has no canonical encoding "
                                     f"(float programs take {', '.join(DTYPES)})")
        s = Slot(len(self.slots), name, tuple(int(d) for d in value.shape), value.dtype.name, kind, 1.0)
        self.slots.append(s)
        return s

    def operand(self, name: str) -> Slot:
        v = self.values[name]
        if isinstance(v, Slot):
            return v
        if name not in self.const_slot:  # a constant becomes a slot where a computed node first reads it
            v = np.ascontiguousarray(v) if v.ndim else np.array(v)
            s = self.slot(name, v, "constant")
            self.constants[s.index], self.sample[s.index] = v, v
            self.const_slot[name] = s
        return self.const_slot[name]

    def build(self) -> FloatProgram:
        from .lowering import _fold, topological_order

        from .weights import tensor_array

        for init in self.graph.initializer:
            self.values[init.name] = tensor_array(init, self.base_dir)
        vi = next(i for i in self.graph.input if i.name == self.input_name)
        dtype = np.dtype(helper.tensor_dtype_to_np_dtype(vi.type.tensor_type.elem_type or onnx.TensorProto.FLOAT))
        x = np.zeros(self.shape, dtype)
        inp = self.slot(self.input_name, x, "input")
        self.values[self.input_name], self.sample[inp.index] = inp, x
        used = {i for n in self.graph.node for i in n.input} | {o.name for o in self.graph.output}
        for node in topological_order(self.graph):
            args = [self.values[i] if i else None for i in node.input]
            opset = self.opsets.get(_domain(node.domain))
            if node.op_type == "Constant" and not node.domain:
                (self.values[node.output[0]],) = [np.asarray(v) for v in _fold(node, [], opset)]
            elif node.op_type in ("Shape", "Size") and not node.domain and isinstance(args[0], Slot):
                dims = np.array(args[0].shape, dtype=np.int64)
                if node.op_type == "Size":
                    self.values[node.output[0]] = np.array(dims.prod(), dtype=np.int64)
                else:
                    start, end = _attr(node, "start", 0), _attr(node, "end", None)
                    self.values[node.output[0]] = dims[start:end]
            elif all(not isinstance(a, Slot) for a in args if a is not None):
                for name, v in zip(node.output, self.fold(node, [a for a in args if a is not None], opset)):
                    if name:
                        self.values[name] = np.asarray(v)
            else:
                self.emit(node, opset, used)
        outputs = []
        for o in self.graph.output:
            v = self.values.get(o.name)
            if not isinstance(v, Slot):
                raise UnsupportedOpError(o.name, "output", "graph output does not depend on the input")
            outputs.append(v.index)
        return FloatProgram(self.slots, self.nodes, self.constants, inp.index, tuple(outputs))

    def fold(self, node: onnx.NodeProto, args: list, opset: int) -> list:
        """A node of constant inputs, evaluated by the reference execution itself (so folding gives the
        values the node would have computed), else by `lowering._fold`."""
        from .lowering import _fold

        try:
            outs = run_node_all(canonical_node(node), _domain(node.domain), opset, args)
            return [np.asarray(o) if o is not None else None for o in outs]
        except TribunalError:
            try:
                return _fold(node, args, opset)
            except ConstantFoldError:
                raise
            except Exception as e:  # noqa: BLE001
                raise ConstantFoldError(node.name or node.output[0], node.op_type, first_line(e)) from None

    def emit(self, node: onnx.NodeProto, opset: int | None, used: set) -> None:
        label = node.name or node.output[0]
        if opset is None:
            raise UnsupportedOpError(label, node.op_type, f"the model imports no opset for domain '{node.domain}'")
        ins = [self.operand(i) for i in node.input if i]
        node_bytes = canonical_node(node)
        domain = _domain(node.domain)
        # run once on the zero input's values: fixes every output's dtype and (static) shape
        outs = run_node_all(node_bytes, domain, opset, [self.sample[s.index] for s in ins])
        first = True
        for j, (name, value) in enumerate(zip(node.output, outs)):
            if not name or name not in used or value is None:
                continue  # an absent or unread output gets no step
            s = self.slot(name, np.asarray(value), "value")
            self.values[name], self.sample[s.index] = s, np.asarray(value)
            step_name = label if first else f"{label}:{name}"
            first = False
            self.nodes.append(FloatNode(len(self.nodes), step_name, node.op_type, tuple(i.index for i in ins),
                                        (s.index,), j, domain, opset, node_bytes))


def _attr(node, name: str, default=None):
    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return default
