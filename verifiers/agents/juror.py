"""A juror's duty (a member drawn for a NODE_CHECK round, `verifiers.agents.member`): the verdict on
one disputed node of a float program (DESIGN.md section 7b).

When an opML game on a float program narrows to one step (a node of the ONNX graph run in float, which
no Solidity kernel recomputes), the claimant posts the node's descriptor, inputs and output to the
game, which checks them against the agreed S_lo and the claimed S_hi and files a Brain request of kind
NODE_CHECK through the NodeJury (contracts/src/opml/NodeJury.sol). The request's input bytes are the
task (`bisection.jury.NodeTask`). A juror rebuilds that one node from its descriptor and runs it on
the posted inputs (constants from its own copy of the model), never the rest of the model, and votes
VOTE_EXACT when the defender's output is bitwise its own, VOTE_WITHIN when it is within the task's
tolerance of it (noise: the game re-bases on it), else VOTE_BEYOND.
A task it cannot judge (a model it does not hold, a constant whose root is not the posted leaf, bytes
that do not decode) is declined (`Brain.decline`, with the reason `verdict` returns): never left silent.
"""
from __future__ import annotations

from bisection.jury import VOTE_BEYOND, VOTE_EXACT, LocalJury, NodeTask
from contracts.bindings.brain import DeclineReason

__all__ = ["flipped", "verdict"]


def verdict(data: bytes, catalog, model_id: bytes) -> bytes | DeclineReason:
    """This node's vote on a NODE_CHECK request (its input bytes and model), or why it declines the task."""
    entry = catalog.by_id(model_id)
    if entry is None:
        return DeclineReason.MODEL
    if entry.exact or not entry.disputable:
        return DeclineReason.KIND  # no float program: no node of it to judge
    try:
        task = NodeTask.decode(data, bytes(model_id))
    except Exception:  # noqa: BLE001 - malformed task bytes (eth_abi's decoding errors): nothing to judge
        return DeclineReason.INPUT
    try:
        vote = LocalJury(entry.program).vote(task)
    except Exception:  # noqa: BLE001 - a task this node cannot judge is declined, never left silent (silence is slashed)
        return DeclineReason.INPUT
    return DeclineReason.INPUT if vote is None else vote


def flipped(vote: bytes) -> bytes:
    """The opposite verdict (a dishonest juror's): the defender's step is beyond when it was not, and
    exact (the defender wins outright) when it was beyond."""
    return VOTE_EXACT if vote == VOTE_BEYOND else VOTE_BEYOND
