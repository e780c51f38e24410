"""What a model and a request commit to: program root, weights root, model id, S_0.

Program root. Merkle root (sha256 inner nodes, ZERO padding to a power of two, see `merkle`) over
leaves sha256(descriptor): leaf 0 is the header, leaf K (1..N) describes the node that step K runs.
All integers are big-endian; u8/u32/u64 unsigned, i64 two's complement.

    header = b"TRIBUNAL/PROGRAM/1"
             || u32 num_slots || u32 steps || u32 input_slot || u64 float64 bits of the input scale
             || u32 num_outputs || u32 output_slot...
    node   = u32 op_code || u32 step
             || u32 num_inputs  || slot_desc(input)...
             || u32 num_outputs || slot_desc(output)...
             || u32 num_attrs   || attr...          (attributes sorted by name)
    slot_desc = u32 slot || u8 kind (1 input, 2 constant, 3 value) || u8 dtype (1 int8, 2 int16,
                3 int64, 4 float32, 5 bool, 6 int32, 7 uint8, 8 float16, 9 float64) || u8 rank || u32 dim...
    attr   = u8 len(name) || name (ASCII) || u8 tag (0: one int, 1: a tuple of ints)
             || u32 count || i64 value...

A float program's node (runtime.float_program: any ONNX node, settled by a jury, not a kernel) has
op code ONNX_NODE = 1000 and one written output:

    float  = u32 1000 || u32 step || u32 num_inputs || slot_desc(input)... || u32 1 || slot_desc(output)
             || u32 0 (no int attrs) || u32 output_index || u32 opset || u32 len(domain) || domain
             || u32 len(node_bytes) || node_bytes      (the canonical NodeProto, float_program.canonical_node)

Its prefix up to the output slot reads like an exact node's, so the contracts parse both alike.

Op codes are fixed numbers (`OP_CODES`), never positions in a sorted list, so adding an op keeps
every existing program root.

State leaves and roots: see `merkle.StateTree` (leaf = slot tensor root, ZERO when unwritten).
S_0 holds every constant slot and the input slot; intermediates are ZERO.

Weights root = the state root of S_0 with the input slot's leaf set to ZERO: it depends on the model
alone. Model id = sha256(program_root || weights_root), which is how the contracts define it
(`modelId = sha256(programRoot || weightsRoot)`). From the weights root, S_0 for a request is
`merkle.fold(tensor_root(x_q), input_slot, input_path)` where `input_path` is the input slot's
sibling path in the weights tree (fixed by the model: an arbiter stores it at registration).

Programs must be single-assignment: every node writes fresh "value" slots that nothing else writes.
"""
from __future__ import annotations

import hashlib
import struct
import weakref
from dataclasses import dataclass

import numpy as np

from runtime.program import Program
from runtime.tensor_root import CHUNK_BYTES, num_chunks, tensor_bytes

from .errors import InvalidDescriptor, InvalidInput, UnsupportedProgram
from .merkle import ZERO, StateTree, TensorTree, fast_tensor_root, fold

HEADER_TAG = b"TRIBUNAL/PROGRAM/1"
FLOAT_HEADER_TAG = b"TRIBUNAL/PROGRAM/F"  # a float program: every step is a float node, settled by a jury
OP_CODES = {
    "Add": 1, "Conv": 2, "Flatten": 3, "Gemm": 4, "Identity": 5, "MatMul": 6, "MaxPool": 7, "Mul": 8,
    "Relu": 9, "Reshape": 10, "Softmax": 11, "Sub": 12, "Transpose": 13,
    "Gather": 14, "Concat": 15, "Slice": 17, "Expand": 18, "Unsqueeze": 19, "Squeeze": 20, "Cast": 21,
    "Where": 22, "Neg": 23, "Sum": 24, "Dropout": 25,  # Split (16) lowers to one Slice per output
}
OP_CODES.update({  # numeric ops (issue 10): normalization, tables, division, pools
    "LayerNormalization": 40, "Tanh": 41, "Erf": 42, "Gelu": 43, "Sigmoid": 44, "Sqrt": 45, "Reciprocal": 46,
    "Div": 47, "Pow": 48, "ReduceMean": 49, "GlobalAveragePool": 50,
    "BatchNormalization": 51, "AveragePool": 52, "LRN": 53,
    "QuantizeLinear": 54,  # QDQ models (issue 17): a table op with the model's own scale
})
OP_CODES.update({  # steps sized to fit a transaction (issue 17, runtime/proof_cost.py)
    "GemmBlock": 60, "Requantize": 61, "SoftmaxExp": 62, "SoftmaxNorm": 63,
})
OP_CODES["ArgMax"] = 64  # generation (issue 18): the next token's choice
OP_CODES.update({"LayerNormStats": 65, "LayerNormApply": 66})  # a LayerNormalization row too long for one proof
OP_CODES.update({"ArgMaxBlock": 67, "ArgMaxMerge": 68})  # an ArgMax too long for one proof (a large vocabulary)
OP_CODES.update({  # a Softmax row, a ReduceMean or a Conv window too long for one proof (issue 17)
    "RowMaxBlock": 80, "SoftmaxExpAt": 81, "RowSumBlock": 82, "SoftmaxDivide": 83, "MeanOfSum": 84, "ConvBlock": 85,
})
OP_CODES.update({"LeakyRelu": 90, "Max": 91, "Min": 92})  # old model-zoo files (issue 17): a table op, k-input extrema
OP_CODES.update({"QuantizeBlock": 100, "DequantizeBlock": 101})  # shard boundaries (issue 22, runtime/shards.py)
ONNX_NODE = 1000  # a float program's node: not in OP_CODES, which names the on-chain kernels
KIND_CODES = {"input": 1, "constant": 2, "value": 3}
DTYPE_CODES = {"int8": 1, "int16": 2, "int64": 3,
               "float32": 4, "bool": 5, "int32": 6, "uint8": 7, "float16": 8, "float64": 9}  # float programs
DTYPE_WIDTH = {"int8": 1, "int16": 2, "int64": 8,
               "float32": 4, "bool": 1, "int32": 4, "uint8": 1, "float16": 2, "float64": 8}


def _u32(n: int) -> bytes:
    return struct.pack(">I", n)


def slot_descriptor(program: Program, index: int) -> bytes:
    """The canonical bytes describing slot `index` of `program` (index, kind, dtype, shape)."""
    s = program.slots[index]
    return (_u32(index) + bytes([KIND_CODES[s.kind], DTYPE_CODES[s.dtype], len(s.shape)])
            + b"".join(_u32(d) for d in s.shape))


def _attr(name: str, value) -> bytes:
    if isinstance(value, (bool, int, np.integer)):
        tag, vals = 0, [int(value)]
    elif isinstance(value, (tuple, list)) and all(isinstance(v, (int, np.integer)) for v in value):
        tag, vals = 1, [int(v) for v in value]
    else:
        raise UnsupportedProgram(f"attribute '{name}' = {value!r} is not an int or a tuple of ints")
    raw = name.encode("ascii")
    return bytes([len(raw)]) + raw + bytes([tag]) + _u32(len(vals)) + b"".join(struct.pack(">q", v) for v in vals)


def is_float_program(program) -> bool:
    """A float program (every step a float node); a program mixing float and kernel steps is refused."""
    kinds = {is_float_step(program, k) for k in range(1, program.steps + 1)}
    if len(kinds) > 1:
        raise UnsupportedProgram("a program mixes float nodes and kernel steps: the game cannot tell whose "
                                 "move a disputed step is")
    return kinds == {True}


def header_descriptor(program: Program) -> bytes:
    """The header (leaf 0). Its tag says whether steps are float nodes (the game then has the defender
    post each disputed step for a jury) or kernel steps (the claimant reveals, a kernel recomputes)."""
    scale = struct.pack(">d", float(program.slots[program.input_slot].scale))
    tag = FLOAT_HEADER_TAG if is_float_program(program) else HEADER_TAG
    return (tag + _u32(len(program.slots)) + _u32(program.steps) + _u32(program.input_slot) + scale
            + _u32(len(program.output_slots)) + b"".join(_u32(o) for o in program.output_slots))


def node_descriptor(program: Program, step: int) -> bytes:
    """The canonical bytes of the node that step `step` (1-based) runs."""
    node = program.nodes[step - 1]
    if is_float_step(program, step):
        return float_node_descriptor(program, step)
    if node.op not in OP_CODES:
        raise UnsupportedProgram(f"step {step}, node '{node.name}': op {node.op} has no op code")
    attrs = sorted(node.attrs.items())
    return (_u32(OP_CODES[node.op]) + _u32(step)
            + _u32(len(node.inputs)) + b"".join(slot_descriptor(program, i) for i in node.inputs)
            + _u32(len(node.outputs)) + b"".join(slot_descriptor(program, o) for o in node.outputs)
            + _u32(len(attrs)) + b"".join(_attr(k, v) for k, v in attrs))


def is_float_step(program, step: int) -> bool:
    """True when step `step` runs a float program's node (op ONNX_NODE: settled by a jury)."""
    return getattr(program.nodes[step - 1], "node_bytes", None) is not None


def float_node_descriptor(program, step: int) -> bytes:
    """The canonical bytes of a float program's step (format in the module docstring)."""
    node = program.nodes[step - 1]
    domain = node.domain.encode("ascii")
    return (_u32(ONNX_NODE) + _u32(step)
            + _u32(len(node.inputs)) + b"".join(slot_descriptor(program, i) for i in node.inputs)
            + _u32(1) + slot_descriptor(program, node.outputs[0])
            + _u32(0) + _u32(node.output_index) + _u32(node.opset) + _u32(len(domain)) + domain
            + _u32(len(node.node_bytes)) + node.node_bytes)


@dataclass(frozen=True)
class SlotDesc:
    """A slot's descriptor, parsed: index, kind (input/constant/intermediate), dtype and shape."""
    slot: int
    kind: str
    dtype: str
    shape: tuple[int, ...]

    @property
    def nbytes(self) -> int:
        """Bytes of the slot's tensor in canonical encoding."""
        return DTYPE_WIDTH[self.dtype] * int(np.prod(self.shape, dtype=np.int64))


@dataclass(frozen=True)
class FloatNodeDesc:
    """A float node descriptor, parsed: what a juror needs to recompute the step."""

    step: int
    inputs: tuple[SlotDesc, ...]
    output: SlotDesc
    output_index: int
    opset: int
    domain: str
    node_bytes: bytes


def parse_float_descriptor(data: bytes) -> FloatNodeDesc:
    """The fields of a float node descriptor; raises InvalidDescriptor when the bytes are not one."""
    r = _Reader(bytes(data))
    if r.u32() != ONNX_NODE:
        raise InvalidDescriptor(f"not a float node descriptor: op code {int.from_bytes(data[:4], 'big')}, "
                                f"want {ONNX_NODE}")
    step = r.u32()
    inputs = tuple(r.slot() for _ in range(r.u32()))
    if r.u32() != 1:
        raise InvalidDescriptor(f"step {step}: a float node descriptor lists exactly one output")
    output = r.slot()
    if r.u32() != 0:
        raise InvalidDescriptor(f"step {step}: a float node descriptor has no int attributes")
    output_index, opset = r.u32(), r.u32()
    domain = r.take(r.u32()).decode("ascii", "replace")
    node_bytes = r.take(r.u32())
    if r.at != len(r.data):
        raise InvalidDescriptor(f"step {step}: {len(r.data) - r.at} bytes after the node")
    return FloatNodeDesc(step, inputs, output, output_index, opset, domain, node_bytes)


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def take(self, n: int) -> bytes:
        if self.at + n > len(self.data):
            raise InvalidDescriptor(f"descriptor ends at byte {len(self.data)}, {self.at + n} needed")
        out = self.data[self.at:self.at + n]
        self.at += n
        return out

    def u32(self) -> int:
        return struct.unpack(">I", self.take(4))[0]

    def slot(self) -> SlotDesc:
        index = self.u32()
        kind, dtype, rank = self.take(3)
        kinds = {v: k for k, v in KIND_CODES.items()}
        dtypes = {v: k for k, v in DTYPE_CODES.items()}
        if kind not in kinds or dtype not in dtypes:
            raise InvalidDescriptor(f"slot {index}: unknown kind {kind} or dtype code {dtype}")
        return SlotDesc(index, kinds[kind], dtypes[dtype], tuple(self.u32() for _ in range(rank)))


def program_leaves(program: Program) -> list[bytes]:
    """The program tree's leaves: the header's hash, then each step's node descriptor hash."""
    return [hashlib.sha256(header_descriptor(program)).digest()] + [
        hashlib.sha256(node_descriptor(program, k)).digest() for k in range(1, program.steps + 1)]


def check_single_assignment(program: Program) -> dict[int, int]:
    """{slot: the step that writes it}; raises when a node writes a non-value slot or a slot twice."""
    writer: dict[int, int] = {}
    for node in program.nodes:
        for o in node.outputs:
            if program.slots[o].kind != "value" or o in writer:
                raise UnsupportedProgram(f"step {node.index + 1}, node '{node.name}': slot {o} is not a fresh value slot")
            writer[o] = node.index + 1
    return writer


@dataclass(frozen=True)
class ModelCommitment:
    """Everything fixed at registration: roots, per-slot leaves of S_0 less the input, who writes what."""

    program_root: bytes
    weights_root: bytes
    model_id: bytes
    base_leaves: tuple[bytes, ...]  # S_0's leaves with the input slot ZERO
    input_slot: int
    input_path: tuple[bytes, ...]  # the input slot's sibling path in the weights tree
    writer: dict  # slot -> step that writes it
    bytes_hashed: int  # hashing done to build it (constants' chunks and inner nodes)
    weights_tree: StateTree  # the weights tree itself; a trace copies it and sets the input leaf

    def initial_root(self, x_q: np.ndarray) -> bytes:
        """S_0's root for a request input (already quantized, int16)."""
        return fold(fast_tensor_root(np.asarray(x_q))[0], self.input_slot, list(self.input_path))


def check_input(program: Program, x_q) -> np.ndarray:
    """`x_q` as the program's input slot holds it (shape and dtype checked; InvalidInput otherwise)."""
    x_q = np.asarray(x_q)
    want = program.slots[program.input_slot].shape
    dtype = program.slots[program.input_slot].dtype  # int16, or int64 for token ids
    if x_q.dtype != np.dtype(dtype) or tuple(x_q.shape) != tuple(want):
        raise InvalidInput(f"request input must be {dtype} of shape {tuple(want)}, got {x_q.dtype} {tuple(x_q.shape)}")
    return x_q


_CACHE: dict[int, tuple[weakref.ref, ModelCommitment]] = {}


def commit(program: Program) -> ModelCommitment:
    """The model commitment of a program (computed once per program object, then cached)."""
    hit = _CACHE.get(id(program))
    if hit is not None and hit[0]() is program:
        return hit[1]
    writer = check_single_assignment(program)
    pt = StateTree(program_leaves(program))
    leaves, nbytes = [ZERO] * len(program.slots), 0
    for i, v in program.constants.items():
        leaves[i] = fast_tensor_root(v)[0]
        nbytes += hashed_bytes(v.nbytes)
    st = StateTree(leaves)
    nbytes += 64 * st.hashes
    c = ModelCommitment(pt.root, st.root, hashlib.sha256(pt.root + st.root).digest(), tuple(leaves),
                        program.input_slot, tuple(st.proof(program.input_slot)), writer, nbytes, st)
    _CACHE[id(program)] = (weakref.ref(program), c)
    return c


def hashed_bytes(nbytes: int) -> int:
    """Bytes sha256 reads to build a tensor root over nbytes of data (chunks, then 64-byte nodes)."""
    data_chunks = max(1, -(-nbytes // CHUNK_BYTES))
    return data_chunks * CHUNK_BYTES + 64 * (num_chunks(nbytes) - 1)


def model_id(program: Program) -> bytes:
    """The model id of `program` (see `commit`)."""
    return commit(program).model_id


# ---------------------------------------------------------------- output proofs (contracts/src/lib/OutputProof.sol)


@dataclass(frozen=True)
class ElementProof:
    """What `OutputProof.int16At(root, count, index, chunk, path)` checks on chain: element `index`
    (row-major) of an int16 output of `count` elements lies in `chunk` (the tree's chunk `chunk_index`,
    1024 bytes, zero-padded), whose sibling path bottom first is `path`, under the tensor root `root`."""

    root: bytes
    count: int
    index: int
    value: int  # the int16 element
    chunk_index: int
    chunk: bytes
    path: tuple[bytes, ...]


def element_proof(output: np.ndarray, index: int) -> ElementProof:
    """The proof of element `index` of an exact output tensor (int16) against its tensor root."""
    out = np.asarray(output)
    if out.dtype != np.int16:
        raise InvalidInput(f"output proofs read the exact profile's int16 outputs, got {out.dtype}")
    if not 0 <= index < out.size:
        raise InvalidInput(f"element {index} is outside an output of {out.size} elements")
    tree = TensorTree(tensor_bytes(out))
    at = index * 2 // CHUNK_BYTES
    path = tuple(tree.node(d, (at >> (tree.depth - d)) ^ 1) for d in range(tree.depth, 0, -1))
    return ElementProof(tree.root, int(out.size), index, int(out.reshape(-1)[index]), at, tree.chunk(at), path)
