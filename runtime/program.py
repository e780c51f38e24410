"""An exact program: a model lowered to integer nodes over numbered slots.

A slot holds one value of the program: the request input, a constant (weights, biases, requantization
parameters, lookup tables) or an intermediate. A node reads slots and writes its output slots.
Nodes are in one topological order; step K (1-based) executes node K-1, so with S_0 = constants plus
input, S_K is S_{K-1} with node K-1's outputs set. `Program.step` is that transition, which the
trace and the dispute game build on.

Node attributes are ints or tuples of ints only: the program root commits to them (see bisection).
"""
from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

import numpy as np

from .backend import Backend, get_backend, one_blas_thread

SLOT_KINDS = ("input", "constant", "value")


@dataclass(frozen=True)
class Slot:
    index: int
    name: str  # the ONNX tensor name, or a derived name for constants the lowering made
    shape: tuple[int, ...]
    dtype: str  # "int8" | "int16" | "int64"
    kind: str  # one of SLOT_KINDS
    scale: float = 1.0  # real value = q * scale (activations; informational for constants)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))


@dataclass(frozen=True)
class Node:
    index: int  # 0-based position in the order; the step that runs it is index + 1
    op: str  # the ONNX op name, which is also the exact op's file under runtime/ops
    name: str  # the ONNX node's name (for error messages)
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    attrs: Mapping[str, Any] = field(default_factory=dict)  # ints and tuples of ints


class SlotProgram:
    """What every program over slots shares (the exact `Program`, `runtime.float_program.FloatProgram`):
    its step count, its input's shape, and S_0 as arrays. Needs `slots`, `nodes`, `input_slot`, `constants`."""

    input_kind = "quantized input"  # how errors name the input (a float program's is the raw input)

    @property
    def steps(self) -> int:
        return len(self.nodes)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.slots[self.input_slot].shape

    def initial_state(self, x: np.ndarray) -> list[np.ndarray | None]:
        """S_0 as arrays: constants and the input set, intermediates None."""
        x = np.asarray(x)
        inp = self.slots[self.input_slot]
        if x.shape != inp.shape or x.dtype != np.dtype(inp.dtype):
            raise ValueError(f"{self.input_kind} must be {inp.dtype} of shape {inp.shape}, got {x.dtype} {x.shape}")
        state: list[np.ndarray | None] = [None] * len(self.slots)
        for i, v in self.constants.items():
            state[i] = v
        state[self.input_slot] = x
        return state


@dataclass
class Program(SlotProgram):
    slots: list[Slot]
    nodes: list[Node]
    constants: dict[int, np.ndarray]  # slot index -> value, for every constant slot
    input_slot: int
    output_slots: tuple[int, ...]
    _prepared: dict = field(default_factory=dict, repr=False)


    def step(self, state: list, k: int, backend: Backend | str = "numpy") -> dict[int, Any]:
        """Execute step k (1-based) on `state`; returns {output slot: value}, leaves state alone."""
        from .ops import get_op

        bk = get_backend(backend) if isinstance(backend, str) else backend
        node = self.nodes[k - 1]
        ins = [bk.asarray(state[i]) for i in node.inputs]
        out = get_op(node.op).run(bk, ins, node)
        return dict(zip(node.outputs, out))

    def states(self, x_q: np.ndarray, backend: Backend | str = "numpy") -> Iterator[tuple[int, dict[int, Any], list]]:
        """Run all steps, yielding (k, written slots, state after step k) with numpy values."""
        bk = get_backend(backend) if isinstance(backend, str) else backend
        state = [None if v is None else bk.constant(self, i, v) for i, v in enumerate(self.initial_state(x_q))]
        state[self.input_slot] = bk.asarray(np.asarray(x_q))  # never cached: it changes per request
        with one_blas_thread() if bk.name == "numpy" else nullcontext():
            for k in range(1, self.steps + 1):
                written = self.step(state, k, bk)
                for i, v in written.items():
                    state[i] = v
                yield k, written, state

    def run(self, x_q: np.ndarray, backend: Backend | str = "numpy") -> list[np.ndarray]:
        """The output slots' int16 values after the last step."""
        bk = get_backend(backend) if isinstance(backend, str) else backend
        state: list = []
        for _, _, state in self.states(x_q, bk):
            pass
        if not state:  # a program of no steps: the output is the input itself
            state = self.initial_state(x_q)
        return [bk.to_numpy(state[i]) for i in self.output_slots]

    def describe(self) -> list[dict]:
        """One line per node: for `tribunal trace` and error messages."""
        return [
            {"step": n.index + 1, "op": n.op, "name": n.name, "inputs": list(n.inputs), "outputs": list(n.outputs)}
            for n in self.nodes
        ]
