"""The jury that settles a float node's step: the task it reads, the interface, a local juror.

A float program's node (op ONNX_NODE) has no one-step kernel. When a game reaches such a step, the
DEFENDER posts the node (`Arbiter.post_node`), whoever claims S_hi: its descriptor, each listed
input's leaf in S_lo (proven) with its canonical bytes (empty for a constant: jurors hold the model),
and the defender's own output bytes for the step (their root proven to be the step's only change
to S_lo). The arbiter hands that `NodeTask` to a `Jury`, which judges the defender's step three ways
(`Verdict`): BEYOND tolerance -> the challenger wins; EXACT (bitwise its recomputation) or WITHIN
(noise) -> the defender wins at the claim's last step, and earlier the game re-bases on the defender's
step and goes on, the round charged to the side that caused it (WITHIN: the defender; EXACT: the side
wrong about the correct value), at most MAX_REBASES per side (`arbiter` docstring, contracts/README.md,
"Float steps").

On chain the jury is Brain: the task's `encode()` is the request's input bytes,
`abi.encode(uint256 gameId, uint256 step, uint64 tolerance, bytes node, bytes32[] inputLeaves,
bytes[] inputs, bytes32 outputRoot, bytes output)`, and each juror's vote is VOTE_EXACT, VOTE_WITHIN
or VOTE_BEYOND (the verdict's number as a 32-byte word). `LocalJury` is one honest juror in process: for
tests and library users; `recompute_node` is its recomputation of one node from the descriptor alone.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import IntEnum

from typing import Any

import numpy as np

from runtime.errors import TribunalError
from runtime.float_program import FloatNodeError, run_node
from runtime.tensor_root import bytes_root, tensor_bytes, tensor_from_bytes, tensor_root

from .commitments import commit, node_descriptor, parse_float_descriptor
from .tolerance import Tolerance

TASK_TYPES = ["uint256", "uint256", "uint64", "bytes", "bytes32[]", "bytes[]", "bytes32", "bytes"]


class Verdict(IntEnum):
    """A jury's verdict on the defender's step (OpmlGame's VERDICT_*, the same numbers)."""

    WITHIN = 1  # within tolerance, not bitwise the recomputation: noise, re-based (the defender's cost)
    BEYOND = 2  # beyond tolerance: the challenger wins
    EXACT = 3  # bitwise the recomputation: re-based (the cost of the side wrong about the correct value)

    @property
    def vote(self) -> bytes:
        """The juror's vote word in Brain (a 32-byte big-endian number)."""
        return int(self).to_bytes(32, "big")


VOTE_WITHIN, VOTE_BEYOND, VOTE_EXACT = Verdict.WITHIN.vote, Verdict.BEYOND.vote, Verdict.EXACT.vote


@dataclass(frozen=True)
class NodeTask:
    """What jurors read: one float step of one game, as the defender posted it."""

    game_id: int
    step: int
    tolerance: int  # packed (Tolerance.packed)
    node: bytes  # the step's descriptor (proven in the program tree)
    input_leaves: tuple[bytes, ...]  # tensor root of each listed input in S_lo (proven)
    inputs: tuple[bytes, ...]  # canonical bytes of each, b"" for a constant
    output_root: bytes  # the defender's output root (the step's only change to S_lo)
    output: bytes  # its canonical bytes
    model_id: bytes = b""  # the request's model (Brain's modelId; not in the input bytes)

    def encode(self) -> bytes:
        """The ABI encoding the on-chain jury files and its jurors decode."""
        from eth_abi import encode

        return encode(TASK_TYPES, [self.game_id, self.step, self.tolerance, self.node, list(self.input_leaves),
                                   list(self.inputs), self.output_root, self.output])

    @classmethod
    def decode(cls, data: bytes, model_id: bytes = b"") -> "NodeTask":
        """A task from its ABI encoding (`model_id`: the game's model, not in the encoding)."""
        from eth_abi import decode

        g, k, tol, node, leaves, inputs, root, out = decode(TASK_TYPES, bytes(data))
        return cls(g, k, tol, node, tuple(leaves), tuple(inputs), root, out, model_id)


def recompute_node(descriptor: bytes, inputs: list[np.ndarray]) -> np.ndarray:
    """The output a float node's step writes, from its descriptor (bisection.commitments' float node
    format) and its input values alone: what a juror computes."""
    d = parse_float_descriptor(descriptor)
    if len(inputs) != len(d.inputs):
        raise FloatNodeError(f"step {d.step} reads {len(d.inputs)} inputs, {len(inputs)} given")
    arrays = []
    for j, (a, s) in enumerate(zip(inputs, d.inputs)):
        a = np.asarray(a)
        if a.dtype != np.dtype(s.dtype) or tuple(a.shape) != s.shape:
            raise FloatNodeError(f"step {d.step}: input {j} (slot {s.slot}) must be {s.dtype} {s.shape}, "
                                 f"got {a.dtype} {tuple(a.shape)}")
        arrays.append(a)
    out = run_node(d.node_bytes, d.domain, d.opset, arrays, d.output_index)
    if out.dtype != np.dtype(d.output.dtype) or out.shape != d.output.shape:
        raise FloatNodeError(f"step {d.step}: recomputed output is {out.dtype} {out.shape}, the descriptor says "
                             f"{d.output.dtype} {d.output.shape}")
    return out


class Jury(ABC):
    """Judges a float step: `verdict(task)` is a `Verdict` on the posted output against the node recomputed
    on the posted inputs, or None (no verdict yet: the game waits in Phase.VOTE)."""

    @abstractmethod
    def verdict(self, task: NodeTask) -> Verdict | None:
        """The verdict on `task`, or None while it is not decided."""


class LocalJury(Jury):
    """One honest juror: recomputes the node with `runtime.float_program.recompute_node` from the
    task and its own copy of the model's constants, and applies the tolerance. It abstains (None)
    for a model it does not hold or a constant whose root does not match its copy."""

    def __init__(self, *programs):
        self.programs: dict[bytes, Any] = {}
        for p in programs:
            self.know(p)

    def know(self, program) -> bytes:
        """Make `program` known to this jury; returns its model id."""
        model_id = commit(program).model_id
        self.programs[model_id] = program
        return model_id

    def vote(self, task: NodeTask) -> bytes | None:
        """The juror's vote as Brain takes it: VOTE_EXACT, VOTE_WITHIN, VOTE_BEYOND, or None (no vote)."""
        v = self.verdict(task)
        return None if v is None else v.vote

    def verdict(self, task: NodeTask) -> Verdict | None:
        """Recompute the task's node on its posted inputs in this process and judge the posted output
        against the claim's tolerance (None for a model it does not know)."""
        program = self.programs.get(task.model_id)
        if program is None:
            return None
        try:
            d = parse_float_descriptor(task.node)
        except TribunalError:
            return None
        # INVARIANT: a juror runs only its model's own node at the task's step, never node bytes the task
        # brings (anyone can file a NODE_CHECK round: foreign bytes could be any ONNX op, of any cost).
        if not 1 <= d.step <= len(program.nodes) or task.node != node_descriptor(program, d.step):
            return None
        if len(task.inputs) != len(d.inputs) or len(task.input_leaves) != len(d.inputs):
            return None
        arrays = []
        for s, leaf, data in zip(d.inputs, task.input_leaves, task.inputs):
            if s.kind == "constant":
                value = program.constants.get(s.slot)
                if value is None or data or tensor_root(value) != leaf:
                    return None
            else:
                if len(data) != s.nbytes or bytes_root(data) != leaf:
                    return None
                value = tensor_from_bytes(data, s.dtype, s.shape)
            arrays.append(value)
        try:
            want = recompute_node(task.node, arrays)
        except TribunalError:
            return None
        out = d.output
        if len(task.output) != out.nbytes or bytes_root(task.output) != task.output_root:
            return Verdict.BEYOND  # the posted output is not the tensor its root commits to
        got = tensor_from_bytes(task.output, out.dtype, out.shape)
        if tensor_bytes(got) != bytes(task.output):
            return Verdict.BEYOND  # non-canonical bytes (a bool byte other than 0 or 1)
        want = np.asarray(want)
        if want.dtype == got.dtype and want.shape == got.shape and tensor_bytes(want) == bytes(task.output):
            return Verdict.EXACT
        try:
            tolerance = Tolerance.unpack(task.tolerance)
        except TribunalError:
            # INVARIANT: a claim whose tolerance does not unpack (a negative half) allows no noise: refusing
            # to judge it would leave its game waiting for a verdict forever, the challenger's bond locked.
            return Verdict.BEYOND
        return Verdict.WITHIN if tolerance.within(got, want) else Verdict.BEYOND
