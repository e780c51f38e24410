"""A juror's duty: the verdict on one disputed node of a float program (DESIGN.md section 7b).

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

from bisection.errors import InvalidTolerance
from bisection.jury import VOTE_BEYOND, VOTE_EXACT, VOTE_WITHIN, LocalJury, NodeTask, Verdict
from bisection.tolerance import Tolerance
from contracts import events as ev
from contracts.bindings.brain import DeclineReason
from verifiers.chainlog import events

# Transactions of a jury round, as verdicts name them.
JURY_NAMES = {"Dispatched": "jury dispatch", "Committed": "jury commit", "Revealed": "jury reveal",
              "TimedOut": "jury round (timeout)", "Unservable": "jury round (declined)", "JuryConvened": "jury retry"}

__all__ = ["JURY_NAMES", "VOTE_BEYOND", "VOTE_EXACT", "VOTE_WITHIN", "flipped", "jury_evidence", "parse_tolerance", "verdict"]


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
    vote = LocalJury(entry.program).vote(task)
    return DeclineReason.INPUT if vote is None else vote


def flipped(vote: bytes) -> bytes:
    """The opposite verdict (a dishonest juror's): the defender's step is beyond when it was not, and
    exact (the defender wins outright) when it was beyond."""
    return VOTE_EXACT if vote == VOTE_BEYOND else VOTE_BEYOND


def parse_tolerance(value) -> Tolerance:
    """A request's tolerance from what a caller gives: a Tolerance, an (atol, rtol) pair, or "ATOL,RTOL"
    (the CLI's --tolerance); InvalidTolerance names what is wrong."""
    if isinstance(value, Tolerance):
        return value
    if isinstance(value, str):
        parts = value.split(",")
        try:
            if len(parts) != 2:
                raise ValueError
            value = tuple(float(p) for p in parts)
        except ValueError:
            raise InvalidTolerance(f"tolerance '{value}' is not ATOL,RTOL (two numbers, e.g. 1e-5,1e-4)") from None
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return Tolerance(*value)
    raise InvalidTolerance(f"tolerance {value!r} is not a Tolerance, an (atol, rtol) pair or 'ATOL,RTOL'")


def jury_evidence(t, game_id: int, since: int) -> dict | None:
    """A float game's jury: its rounds (Brain requests of kind NODE_CHECK), their reveals and the verdict;
    None for a game that never reached a jury."""
    d, chain = t.deployment, t.chain
    convened = events(chain, d.jury.address, ev.JuryConvened, from_block=since, key=game_id)
    if not convened:
        return None
    verdicts = events(chain, d.jury.address, ev.JuryVerdict, from_block=since, key=game_id)
    rounds, votes = [], 0
    for c in convened:
        rid = c.event.brain_request_id
        seen = events(chain, d.brain.address, ev.Dispatched, ev.Committed, ev.Revealed, ev.TimedOut,
                      ev.Unservable, from_block=c.block, key=rid)
        rounds += seen + ([c] if c is not convened[0] else [])  # a later round was a retry
        votes = sum(isinstance(s.event, ev.Revealed) for s in seen)
    verdict = Verdict(verdicts[-1].event.verdict).name.lower() if verdicts else None
    record = {"rounds": [c.event.brain_request_id for c in convened], "step": convened[-1].event.step,
              "votes": votes, "verdict": verdict}
    return {"record": record, "verdicts": verdicts, "rounds": rounds}
