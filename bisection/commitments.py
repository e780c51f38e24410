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
                3 int64) || u8 rank || u32 dim...
    attr   = u8 len(name) || name (ASCII) || u8 tag (0: one int, 1: a tuple of ints)
             || u32 count || i64 value...

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
from runtime.tensor_root import CHUNK_BYTES, num_chunks

from .errors import InvalidInput, UnsupportedProgram
from .merkle import ZERO, StateTree, fast_tensor_root, fold

HEADER_TAG = b"TRIBUNAL/PROGRAM/1"
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
})
KIND_CODES = {"input": 1, "constant": 2, "value": 3}
DTYPE_CODES = {"int8": 1, "int16": 2, "int64": 3}
DTYPE_WIDTH = {"int8": 1, "int16": 2, "int64": 8}


def _u32(n: int) -> bytes:
    return struct.pack(">I", n)


def slot_descriptor(program: Program, index: int) -> bytes:
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


def header_descriptor(program: Program) -> bytes:
    scale = struct.pack(">d", float(program.slots[program.input_slot].scale))
    return (HEADER_TAG + _u32(len(program.slots)) + _u32(program.steps) + _u32(program.input_slot) + scale
            + _u32(len(program.output_slots)) + b"".join(_u32(o) for o in program.output_slots))


def node_descriptor(program: Program, step: int) -> bytes:
    """The canonical bytes of the node that step `step` (1-based) runs."""
    node = program.nodes[step - 1]
    if node.op not in OP_CODES:
        raise UnsupportedProgram(f"step {step}, node '{node.name}': op {node.op} has no op code")
    attrs = sorted(node.attrs.items())
    return (_u32(OP_CODES[node.op]) + _u32(step)
            + _u32(len(node.inputs)) + b"".join(slot_descriptor(program, i) for i in node.inputs)
            + _u32(len(node.outputs)) + b"".join(slot_descriptor(program, o) for o in node.outputs)
            + _u32(len(attrs)) + b"".join(_attr(k, v) for k, v in attrs))


def program_leaves(program: Program) -> list[bytes]:
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
    return commit(program).model_id
