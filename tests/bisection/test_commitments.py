"""Program root, weights root, model id and S_0: what they commit to and what they do not."""
from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import pytest

from bisection import commitments, trace
from bisection.commitments import commit, node_descriptor
from bisection.errors import InvalidInput, UnsupportedProgram
from bisection.merkle import ZERO, StateTree
from runtime.program import Program
from runtime.tensor_root import tensor_root

from .bisection_cases import case


def _clone(program: Program, **changes) -> Program:
    return Program(changes.get("slots", list(program.slots)), changes.get("nodes", list(program.nodes)),
                   changes.get("constants", dict(program.constants)), program.input_slot, program.output_slots)


def test_model_id_is_sha256_of_program_and_weights_roots(zoo_case):
    program, _ = zoo_case
    c = commit(program)
    assert c.model_id == hashlib.sha256(c.program_root + c.weights_root).digest()


def test_weights_root_is_s0_with_input_leaf_zero(zoo_case):
    program, x_q = zoo_case
    leaves = [ZERO] * len(program.slots)
    for i, v in program.constants.items():
        leaves[i] = tensor_root(v)
    assert commit(program).weights_root == StateTree(leaves).root
    leaves[program.input_slot] = tensor_root(x_q)
    assert commit(program).initial_root(x_q) == StateTree(leaves).root == trace.compute(program, x_q).root(0)


def test_s0_depends_on_the_input_and_the_model_only():
    program, x_q = case("digits-mlp")
    c = commit(program)
    other = x_q.copy()
    other.flat[0] += 1
    assert c.initial_root(x_q) != c.initial_root(other)
    assert c.initial_root(x_q) == commit(_clone(program)).initial_root(x_q)


def test_program_root_commits_to_attributes_and_constants_to_weights():
    program, _ = case("toy")
    base = commit(program)
    k = next(i for i, n in enumerate(program.nodes) if n.attrs)
    node = program.nodes[k]
    key = sorted(node.attrs)[0]
    val = node.attrs[key]
    changed = dict(node.attrs, **{key: (val + 1) if isinstance(val, int) else tuple(v + 1 for v in val)})
    nodes = list(program.nodes)
    nodes[k] = dataclasses.replace(node, attrs=changed)
    assert commit(_clone(program, nodes=nodes)).program_root != base.program_root
    const = dict(program.constants)
    i = sorted(const)[0]
    const[i] = const[i].copy()
    const[i].flat[0] += 1
    other = commit(_clone(program, constants=const))
    assert other.weights_root != base.weights_root and other.program_root == base.program_root


def test_node_descriptor_layout():
    program, _ = case("digits-mlp")
    d = node_descriptor(program, 1)
    assert d[:4] == commitments.OP_CODES["Gemm"].to_bytes(4, "big") and d[4:8] == (1).to_bytes(4, "big")
    assert d[8:12] == len(program.nodes[0].inputs).to_bytes(4, "big")


def test_a_slot_written_twice_is_unsupported():
    program, _ = case("digits-mlp")
    nodes = list(program.nodes)
    nodes[1] = dataclasses.replace(nodes[1], outputs=nodes[0].outputs)
    with pytest.raises(UnsupportedProgram):
        commit(_clone(program, nodes=nodes))


def test_wrong_input_dtype_is_rejected():
    program, x_q = case("digits-mlp")
    with pytest.raises(InvalidInput):
        trace.compute(program, x_q.astype(np.int32))
