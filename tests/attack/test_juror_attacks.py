"""A juror's vote on every task: a vote or a decline (silence is slashed), only its model's own node run.

On chain only NodeJury may file NODE_CHECK rounds (Brain binds the kind to it: ResultKindNotBound for
anyone else), and FloatStep proves the node in the program tree, so the first two are defence in depth
(a juror must not depend on that alone to keep its stake and its machine). The third was reachable:
`OpmlGame.submitClaimWithTolerance` takes any uint64, and FloatStep puts the claim's tolerance in the task."""
from __future__ import annotations

import struct
from dataclasses import replace

import numpy as np
import pytest
from onnx import helper

from bisection.commitments import ONNX_NODE, slot_descriptor
from bisection.jury import VOTE_BEYOND, VOTE_EXACT, NodeTask
from bisection.tolerance import DEFAULT
from contracts.bindings.brain import DeclineReason
from runtime.tensor_root import bytes_root, tensor_bytes
from tests.verifiers.test_juror import noisy, served  # noqa: F401 - the fixture
from verifiers.agents.juror import verdict


def _u32(n: int) -> bytes:
    return struct.pack(">I", n)


def foreign(program, node_bytes: bytes) -> bytes:
    """A float node descriptor of step 1 with no inputs and step 1's output slot, running `node_bytes`."""
    out = slot_descriptor(program, program.nodes[0].outputs[0])
    return (_u32(ONNX_NODE) + _u32(1) + _u32(0) + _u32(1) + out + _u32(0) + _u32(0) + _u32(17) + _u32(0)
            + _u32(len(node_bytes)) + node_bytes)


def test_node_bytes_that_do_not_parse_are_declined_not_left_silent(served):
    """Finding juror-silent-on-garbage (low: defence in depth): protobuf's DecodeError escaped `verdict`, so
    `Member._honest` (TribunalError only) failed the duty: neither commit nor decline, slashed as silent."""
    catalog, entry, _ = served
    task = NodeTask(0, 1, DEFAULT.packed, foreign(entry.program, b"\xff\xff\xff"), (), (), b"\0" * 32, b"")
    assert verdict(task.encode(), catalog, entry.model_id) == DeclineReason.INPUT


def test_a_node_that_is_not_the_models_is_never_run(served):
    """Finding juror-runs-foreign-node (low: defence in depth): a task's descriptor was run whatever node it
    held (any ONNX op, at any cost to the juror's machine) and voted on: a Constant node was judged EXACT."""
    catalog, entry, _ = served
    val = np.full((1, 64), 7, np.float32)
    node = helper.make_node("Constant", [], ["y"], value=helper.make_tensor("v", 1, [1, 64], val.ravel().tolist()))
    out = tensor_bytes(val)
    task = NodeTask(0, 1, DEFAULT.packed, foreign(entry.program, node.SerializeToString()), (), (), bytes_root(out), out)
    assert verdict(task.encode(), catalog, entry.model_id) == DeclineReason.INPUT
    wrong_step = replace(task, node=served[2].node[:4] + _u32(2) + served[2].node[8:])  # step 1's node, numbered 2
    assert verdict(wrong_step.encode(), catalog, entry.model_id) == DeclineReason.INPUT


@pytest.mark.parametrize("packed", [1 << 63, 1 << 31, (1 << 64) - 1])
def test_a_tolerance_that_does_not_unpack_allows_no_noise(served, packed):
    """Finding tolerance-stalls-game: a claim stating a tolerance with a negative half made every juror
    decline its noisy step (InvalidTolerance), so the round was Unservable, every retry too: the game sat in
    VOTE forever, the challenger's bond locked. Such a tolerance now allows nothing: the noisy step is BEYOND."""
    catalog, entry, task = served
    assert verdict(replace(task, tolerance=packed).encode(), catalog, entry.model_id) == VOTE_EXACT
    assert verdict(replace(noisy(task, 1e-7), tolerance=packed).encode(), catalog, entry.model_id) == VOTE_BEYOND
