"""A juror's duty (`verifiers.agents.juror`): the vote a member drawn for a NODE_CHECK round casts, or why it
declines, for every kind of task a chain can hand it."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from bisection import trace
from bisection.commitments import node_descriptor
from bisection.jury import VOTE_BEYOND, VOTE_EXACT, VOTE_WITHIN, NodeTask
from bisection.tolerance import DEFAULT, EXACT
from contracts.bindings.brain import DeclineReason
from runtime import zoo
from runtime.tensor_root import bytes_root, tensor_bytes, tensor_from_bytes, tensor_root
from verifiers.agents.juror import flipped, verdict
from verifiers.catalog import Catalog

FLOAT = "digits-mlp@fast"


@pytest.fixture(scope="module")
def served():
    """A catalog serving the float model, and the honest task of its first step on a test input."""
    catalog = Catalog((FLOAT,))
    entry = catalog.entry(FLOAT)
    program = entry.program
    x = np.asarray(zoo.test_data("digits-mlp")[0][:1], np.float32)
    t = trace.compute(program, x)
    node = program.nodes[0]
    leaves, datas = [], []
    for i in node.inputs:
        if i in program.constants:
            leaves.append(tensor_root(program.constants[i]))
            datas.append(b"")
        else:
            v = t.value(0, i)
            leaves.append(tensor_root(v))
            datas.append(tensor_bytes(v))
    out = tensor_bytes(t.value(1, node.outputs[0]))
    task = NodeTask(0, 1, DEFAULT.packed, node_descriptor(program, 1), tuple(leaves), tuple(datas), bytes_root(out),
                    out)
    return catalog, entry, task


def noisy(task: NodeTask, scale: float) -> NodeTask:
    """The task with the defender's output moved by `scale` of each element's magnitude (plus a tiny floor)."""
    got = tensor_from_bytes(task.output, "float32", (len(task.output) // 4,)).astype(np.float64)
    out = tensor_bytes((got + scale * (np.abs(got) + 1e-3)).astype(np.float32))
    return replace(task, output=out, output_root=bytes_root(out))


def test_the_honest_step_is_exact_noise_within_a_lie_beyond(served):
    catalog, entry, task = served
    assert verdict(task.encode(), catalog, entry.model_id) == VOTE_EXACT
    assert verdict(noisy(task, 1e-7).encode(), catalog, entry.model_id) == VOTE_WITHIN
    assert verdict(noisy(task, 0.5).encode(), catalog, entry.model_id) == VOTE_BEYOND
    exact = replace(noisy(task, 1e-7), tolerance=EXACT.packed)  # a request that allows no noise
    assert verdict(exact.encode(), catalog, entry.model_id) == VOTE_BEYOND


def test_what_it_cannot_judge_it_declines_with_the_reason(served):
    catalog, entry, task = served
    assert verdict(task.encode(), catalog, b"\x01" * 32) == DeclineReason.MODEL  # a model it does not hold
    exact = Catalog(("digits-mlp",))
    mlp = exact.entry("digits-mlp")
    assert verdict(task.encode(), exact, mlp.model_id) == DeclineReason.KIND  # an exact model has no float node
    assert verdict(b"\x00" * 7, catalog, entry.model_id) == DeclineReason.INPUT  # bytes that do not decode
    assert verdict(task.encode()[:-40], catalog, entry.model_id) == DeclineReason.INPUT
    wrong_leaf = replace(task, input_leaves=(b"\x02" * 32,) + task.input_leaves[1:])
    assert verdict(wrong_leaf.encode(), catalog, entry.model_id) == DeclineReason.INPUT  # inputs not their leaves


def test_a_dishonest_juror_flips_every_vote():
    assert flipped(VOTE_BEYOND) == VOTE_EXACT
    assert flipped(VOTE_EXACT) == VOTE_BEYOND and flipped(VOTE_WITHIN) == VOTE_BEYOND
