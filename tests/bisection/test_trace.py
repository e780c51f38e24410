"""The trace: incremental roots equal full rebuilds; each step changes only its output slot."""
from __future__ import annotations

import numpy as np

from bisection import trace
from bisection.merkle import ZERO, StateTree, fold
from runtime.tensor_root import tensor_root

from .bisection_cases import case


def _full_root(program, state) -> bytes:
    return StateTree([ZERO if v is None else tensor_root(np.asarray(v)) for v in state]).root


def test_incremental_roots_equal_full_rebuilds(zoo_case):
    program, x_q = zoo_case
    t = trace.compute(program, x_q)
    state = program.initial_state(x_q)
    assert t.root(0) == _full_root(program, state)
    for k, written, state in program.states(x_q):
        assert t.root(k) == _full_root(program, state)
    assert np.array_equal(t.value(t.steps, program.output_slots[0]), program.run(x_q)[0])
    assert t.output_root() == tensor_root(program.run(x_q)[0])


def test_each_step_changes_only_its_output_slot(zoo_case):
    program, x_q = zoo_case
    t = trace.compute(program, x_q)
    for k in range(1, t.steps + 1):
        slot = program.nodes[k - 1].outputs[0]
        path = t.proof(k, slot)
        assert path == t.proof(k - 1, slot)
        assert fold(ZERO, slot, path) == t.root(k - 1) and fold(t.leaf(k, slot), slot, path) == t.root(k)


def test_multi_chunk_trace_and_bytes_hashed():
    program, x_q = case("digits-cnn", batch=8)
    t = trace.compute(program, x_q)
    tree = t.tensor(1, program.nodes[0].outputs[0])
    assert tree.chunks == 8 and t.bytes_hashed > 8 * 1024


def test_tamper_changes_the_trace_from_its_step_on():
    program, x_q = case("toy")
    honest = trace.compute(program, x_q)

    def tamper(k, written, state):
        return ({s: np.asarray(v) + 1 for s, v in written.items()}, {}) if k == 3 else (written, {})

    bad = trace.compute(program, x_q, tamper)
    assert bad.roots[:3] == honest.roots[:3]
    assert all(a != b for a, b in zip(bad.roots[3:], honest.roots[3:]))
