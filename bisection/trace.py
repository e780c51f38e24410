"""The execution trace of the exact profile: state roots S_0 .. S_N, computed incrementally.

S_0 = the model's constants plus the request input (`commitments`); step K runs node K-1 of the
topological order and sets its output slot, so S_K is S_{K-1} with that slot's leaf replaced. The
trace keeps one `StateTree` and per step rehashes only the written slot's tensor (its new tensor
root) and that leaf's path: a trace costs one pass of hashing over the data it produced plus
log2(slots) 64-byte hashes per step.

Float programs (runtime.float_program) trace the same way: their `step` is the reference float
execution and their slots' canonical bytes are IEEE bits (runtime.tensor_root.ENCODING).

A `Trace` also keeps every value it computed, so a player can later prove any slot of any S_k.
A `tamper` hook (a strategy's step rewrite, `bisection.strategy.StepRewrite`) lets adversarial
players build the trace they will defend: it sees each step's output and may change it (later steps
then compute from the changed value) or change other leaves.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from runtime.backend import get_backend
from runtime.program import Program

from .commitments import ModelCommitment, check_input, commit, hashed_bytes
from .merkle import ZERO, StateTree, TensorTree, fast_tensor_root
from .strategy import StepRewrite

Tamper = StepRewrite
"""A strategy's step rewrite `(k, written, state) -> (written, extra)`: may replace the step's outputs
and may set other slots' leaves to arbitrary 32-byte values from step k on (`bisection.strategy`)."""


@dataclass
class Trace:
    """An execution committed step by step: S_0..S_N (`roots`) and every value written, so any slot of any
    S_k can be proven later. Built by `compute` (or `resume`)."""
    program: Program
    commitment: ModelCommitment
    x_q: np.ndarray
    roots: list[bytes]  # S_0 .. S_N
    versions: dict  # slot -> [(step, leaf, canonical bytes | None)] in step order
    bytes_hashed: int = 0
    seconds: float = 0.0
    _trees: dict = field(default_factory=dict, repr=False)  # k -> StateTree, built on demand
    _tensors: dict = field(default_factory=dict, repr=False)  # (step, slot) -> TensorTree, on demand

    @property
    def steps(self) -> int:
        """N, the program's steps."""
        return len(self.roots) - 1

    @property
    def final_root(self) -> bytes:
        """S_N."""
        return self.roots[-1]

    def root(self, k: int) -> bytes:
        """S_k."""
        return self.roots[k]

    def _version(self, k: int, slot: int):
        found = None
        for v in self.versions.get(slot, ()):
            if v[0] > k:
                break
            found = v
        return found

    def leaf(self, k: int, slot: int) -> bytes:
        """The leaf of `slot` in S_k (ZERO while unwritten)."""
        v = self._version(k, slot)
        return ZERO if v is None else v[1]

    def tensor(self, k: int, slot: int) -> TensorTree | None:
        """The tensor tree of slot's value in S_k (None when unwritten or a bare leaf was set)."""
        v = self._version(k, slot)
        if v is None or v[2] is None:
            return None
        key = (v[0], slot)
        if key not in self._tensors:
            self._tensors[key] = TensorTree(bytes(v[2]))
        return self._tensors[key]

    def value(self, k: int, slot: int) -> np.ndarray | None:
        """The slot's array in S_k, or None (unwritten, or only a bare leaf was set by a tamper)."""
        v = self._version(k, slot)
        if v is None:
            return None
        if v[2] is None:
            return self.program.constants.get(slot) if v[0] == 0 else None
        s = self.program.slots[slot]
        return np.frombuffer(v[2], dtype=np.dtype(s.dtype).newbyteorder(">")).reshape(s.shape).astype(s.dtype)

    def state_tree(self, k: int) -> StateTree:
        """The state tree of S_k (built on demand, cached)."""
        if k not in self._trees:
            self._trees[k] = StateTree([self.leaf(k, i) for i in range(len(self.program.slots))])
        return self._trees[k]

    def proof(self, k: int, slot: int) -> list[bytes]:
        """Sibling path of `slot` in S_k."""
        return self.state_tree(k).proof(slot)

    def output_root(self) -> bytes:
        """The output slot's tensor root in S_N: the result a claim names."""
        return self.leaf(self.steps, self.program.output_slots[0])


def compute(program: Program, x_q: np.ndarray, tamper: Tamper | None = None, backend: str = "numpy") -> Trace:
    """Run the program (exact, or a FloatProgram: then x_q is the raw input) on x_q and commit to every
    state on the way."""
    t0 = time.perf_counter()
    c = commit(program)
    x_q = check_input(program, x_q)
    bk = get_backend(backend)
    versions: dict[int, list] = {}
    for i in program.constants:
        versions[i] = [(0, c.base_leaves[i], None)]  # constants: leaves from the commitment
    x_root, data = fast_tensor_root(x_q)
    versions[program.input_slot] = [(0, x_root, data)]
    tree = c.weights_tree.copy()
    tree.hashes = 0
    tree.set(program.input_slot, x_root)
    hashed = hashed_bytes(len(data)) + 64 * tree.hashes
    state = [None if v is None else bk.constant(program, i, v) for i, v in enumerate(program.initial_state(x_q))]
    t = Trace(program, c, x_q, [tree.root], versions, hashed)
    _run(t, tree, state, 1, tamper, bk)
    t.seconds = time.perf_counter() - t0
    return t


def resume(base: Trace, at: int, value: np.ndarray, tamper: Tamper | None = None) -> Trace:
    """A re-based trace (contracts/README.md, "Float steps"): `base`'s S_0..S_{at-1}, step `at`'s output slot set to
    the adopted `value` (the defender's, not recomputed), and steps at+1..N recomputed from that state
    with `tamper` as `compute` applies it. numpy backend (float programs run on onnxruntime anyway)."""
    t0 = time.perf_counter()
    program = base.program
    slot = program.nodes[at - 1].outputs[0]
    versions = {i: [v for v in vs if v[0] < at] for i, vs in base.versions.items()}
    tree = StateTree([base.leaf(at - 1, i) for i in range(len(program.slots))])
    # the computing state: each slot's last value with bytes (a tamper's bare leaves change roots only)
    state = list(program.initial_state(base.x_q))
    for i, vs in versions.items():
        data = next((v for v in reversed(vs) if v[2] is not None and v[0] > 0), None)
        if data is not None:
            state[i] = base.value(data[0], i)
    t = Trace(program, base.commitment, base.x_q, list(base.roots[:at]), versions)
    bk = get_backend("numpy")
    _set(t, tree, state, at, {slot: np.asarray(value)}, {}, bk)
    _run(t, tree, state, at + 1, tamper, bk)
    t.seconds = time.perf_counter() - t0
    return t


def _run(t: Trace, tree: StateTree, state: list, start: int, tamper: Tamper | None, bk) -> None:
    """Steps start..N of t's program on `state`, appending each S_k to t."""
    program = t.program
    numpy = bk.name == "numpy"
    for k in range(start, program.steps + 1):
        written = program.step(state, k, bk)
        if not numpy:
            written = {i: bk.to_numpy(v) for i, v in written.items()}
        extra: dict[int, bytes] = {}
        if tamper is not None:
            written, extra = tamper(k, written, state)
        _set(t, tree, state, k, written, extra, bk)


def _set(t: Trace, tree: StateTree, state: list, k: int, written: dict, extra: dict, bk) -> None:
    """Write step k's outputs (and a tamper's bare leaves) into the state, the tree and t: S_k."""
    slots, path = t.program.slots, 64 * tree.depth  # path: bytes hashed per leaf set
    for i, v in written.items():
        if v.dtype != slots[i].dtype:
            v = v.astype(slots[i].dtype)
        state[i] = v if bk.name == "numpy" else bk.asarray(v)
        r, data = fast_tensor_root(v)
        t.bytes_hashed += hashed_bytes(len(data)) + path
        t.versions.setdefault(i, []).append((k, r, data))
        tree.set(i, r)
    for i, leaf in extra.items():
        t.versions.setdefault(i, []).append((k, leaf, None))
        tree.set(i, leaf)
        t.bytes_hashed += path
    t.roots.append(tree.root)
