"""The one-step check: recompute one element of one node's output from inputs proven against S_L.

`check_inputs` verifies each input tensor of the node against the agreed state root S_L (its
canonical encoding's tensor root, folded with its sibling path at the input's slot). `element_bytes`
recomputes the node with its exact numpy kernel and returns the canonical bytes of one element of
the output tensor (zero bytes when the element lies in the padding of the last chunk). On chain the
same check is one Solidity kernel per op computing that element from the inputs' chunks it reads.
"""
from __future__ import annotations

import numpy as np

from runtime.backend import get_backend
from runtime.ops import get_op
from runtime.program import Program
from runtime.tensor_root import CHUNK_BYTES, tensor_bytes, tensor_root

from .commitments import DTYPE_WIDTH
from .errors import InvalidMove, InvalidPrestate
from .merkle import fold


def element_width(program: Program, slot: int) -> int:
    """Bytes per element of slot `slot`."""
    return DTYPE_WIDTH[program.slots[slot].dtype]


def check_inputs(program: Program, step: int, root_lo: bytes, inputs) -> list[np.ndarray]:
    """The node's inputs as arrays, each proven against S_L; raises InvalidPrestate otherwise."""
    node = program.nodes[step - 1]
    if len(inputs) != len(node.inputs):
        raise InvalidMove(f"step {step} (node '{node.name}') reads {len(node.inputs)} inputs, {len(inputs)} given")
    arrays = []
    for slot, (arr, proof) in zip(node.inputs, inputs):
        s = program.slots[slot]
        arr = np.asarray(arr)
        # INVARIANT: an input has its slot's dtype and shape, so the kernel sees what the program says.
        if arr.dtype != np.dtype(s.dtype) or tuple(arr.shape) != tuple(s.shape):
            raise InvalidMove(f"step {step}: input slot {slot} must be {s.dtype} {s.shape}, got {arr.dtype} {arr.shape}")
        # INVARIANT: every input is the value S_L holds in its slot.
        if fold(tensor_root(arr), slot, list(proof)) != root_lo:
            raise InvalidPrestate(f"step {step}: input slot {slot} ('{s.name}') does not verify against S_{step - 1}")
        arrays.append(arr)
    return arrays


def element_bytes(program: Program, step: int, arrays: list[np.ndarray], chunk: int, element: int) -> bytes:
    """Canonical bytes of output element `element` of chunk `chunk`, recomputed."""
    node = program.nodes[step - 1]
    out = get_op(node.op).run(get_backend("numpy"), arrays, node)[0]
    data = tensor_bytes(np.asarray(out, dtype=program.slots[node.outputs[0]].dtype))
    w = element_width(program, node.outputs[0])
    start = chunk * CHUNK_BYTES + element * w
    part = data[start:start + w]
    return part + bytes(w - len(part))
