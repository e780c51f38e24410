"""Contract events as frozen dataclasses, and their decoding from transaction logs.

One dataclass per Solidity event, named the same, fields in snake_case in the event's order;
`emitter` (the contract address) and `block_number` come with every event. `decode_logs` turns a
receipt's logs into these, matching by topic across all of Tribunal's ABIs.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import Any, Iterable

from eth_abi import decode as abi_decode
from eth_utils import keccak, to_checksum_address

from contracts.errors import ARTIFACTS


@dataclass(frozen=True)
class Event:
    emitter: str = field(default="", kw_only=True)
    block_number: int = field(default=0, kw_only=True)


# ---------------------------------------------------------------- Brain (two-phase)


@dataclass(frozen=True)
class Requested(Event):
    request_id: int
    requester: str
    model_id: bytes
    input_hash: bytes
    fee: int
    result_kind: int
    consumer: str
    callback_gas: int


@dataclass(frozen=True)
class InputPosted(Event):
    request_id: int
    input: bytes


@dataclass(frozen=True)
class InputLocated(Event):
    request_id: int
    uri: str


@dataclass(frozen=True)
class Dispatched(Event):
    request_id: int
    seed: bytes
    committee: int  # node-index set: bit i is node i
    commit_deadline: int
    reveal_deadline: int


@dataclass(frozen=True)
class Committed(Event):
    request_id: int
    member: str
    commitment: bytes


@dataclass(frozen=True)
class Revealed(Event):
    request_id: int
    member: str
    result: bytes


@dataclass(frozen=True)
class Finalized(Event):
    request_id: int
    result: bytes
    votes: int
    committee_size: int


@dataclass(frozen=True)
class TimedOut(Event):
    request_id: int
    refund: int


@dataclass(frozen=True)
class Cancelled(Event):
    request_id: int
    refund: int


@dataclass(frozen=True)
class Declined(Event):
    request_id: int
    member: str
    reason: int


@dataclass(frozen=True)
class Unservable(Event):
    request_id: int
    declines: int
    forfeited: int


@dataclass(frozen=True)
class KindBound(Event):
    caller: str
    result_kind: int


@dataclass(frozen=True)
class CallbackExecuted(Event):
    request_id: int
    consumer: str
    success: bool


# ---------------------------------------------------------------- single-phase baseline


@dataclass(frozen=True)
class Served(Event):
    request_id: int
    requester: str
    model_id: bytes
    input_hash: bytes
    result: bytes
    votes: int
    fee: int


# ---------------------------------------------------------------- registries and consumer


@dataclass(frozen=True)
class ModelRegistered(Event):
    model_id: bytes
    program_root: bytes
    weights_root: bytes
    owner: str


@dataclass(frozen=True)
class InputSizeProven(Event):
    model_id: bytes
    input_bytes: int


@dataclass(frozen=True)
class Authorized(Event):
    account: str


@dataclass(frozen=True)
class NodeStaked(Event):
    node: str
    index: int
    stake: int


@dataclass(frozen=True)
class WithdrawalRequested(Event):
    node: str
    unlock_block: int


@dataclass(frozen=True)
class Withdrawn(Event):
    node: str
    amount: int


@dataclass(frozen=True)
class Slashed(Event):
    request_id: int
    node: str
    amount: int


@dataclass(frozen=True)
class Rewarded(Event):
    request_id: int
    node: str
    amount: int


@dataclass(frozen=True)
class Refunded(Event):
    request_id: int
    account: str
    amount: int


@dataclass(frozen=True)
class Forfeited(Event):
    request_id: int
    treasury: str
    amount: int


@dataclass(frozen=True)
class Claimed(Event):
    account: str
    amount: int


@dataclass(frozen=True)
class ResultReceived(Event):
    oracle: str
    request_id: int
    result: bytes


# ---------------------------------------------------------------- opML game (OpmlModels, OpmlGame)


@dataclass(frozen=True)
class OpmlModelRegistered(Event):
    model_id: bytes
    program_root: bytes
    weights_root: bytes
    steps: int
    input_bytes: int


@dataclass(frozen=True)
class ClaimSubmitted(Event):
    claim_id: int
    defender: str
    model_id: bytes
    initial_root: bytes
    final_root: bytes
    output_root: bytes
    bond: int
    deadline: int
    input_root: bytes
    input_hash: bytes


@dataclass(frozen=True)
class ClaimInput(Event):
    """A claim's input bytes, emitted with ClaimSubmitted: what a watcher re-executes (never calldata)."""

    claim_id: int
    input: bytes


@dataclass(frozen=True)
class ClaimFinalized(Event):
    claim_id: int
    output_root: bytes


@dataclass(frozen=True)
class ClaimRejected(Event):
    claim_id: int
    game_id: int


@dataclass(frozen=True)
class GameOpened(Event):
    game_id: int
    claim_id: int
    challenger: str
    bond: int
    mid_root: bytes


@dataclass(frozen=True)
class Bisected(Event):
    game_id: int
    side: int
    agree: bool
    mid_root: bytes
    lo: int
    hi: int


@dataclass(frozen=True)
class OutputPosted(Event):
    game_id: int
    output_root: bytes
    slot: int
    leaf_depth: int
    hashes: tuple
    chunk: bytes


@dataclass(frozen=True)
class Picked(Event):
    game_id: int
    index: int
    depth: int
    node: int


@dataclass(frozen=True)
class TreeRevealed(Event):
    game_id: int
    depth: int
    node: int
    hashes: tuple
    chunk: bytes


@dataclass(frozen=True)
class Stepped(Event):
    game_id: int
    element: int
    chunk: int
    step: int
    recomputed: int
    revealed: int


@dataclass(frozen=True)
class Rebased(Event):
    """A float step's jury found the defender's output exact or within tolerance before the last step: the
    game goes on from S_step = S_lo with that output (`root_lo`), the challenger to reopen bisection; the
    round is charged to side `charged` (1 defender, 2 challenger)."""

    game_id: int
    step: int
    root_lo: bytes
    charged: int


@dataclass(frozen=True)
class NodePosted(Event):
    """A float step's node went to the jury (the task itself is Brain's InputPosted of `jury_request`)."""

    game_id: int
    step: int
    slot: int
    output_root: bytes
    jury_request: int  # the Brain request id of the jury round


@dataclass(frozen=True)
class GameResolved(Event):
    game_id: int
    winner: int  # 0 nobody (claim rejected by another game), 1 defender, 2 challenger
    reason: int  # 0 one-step check, 1 timeout, 2 claim rejected, 3 jury vote


# ---------------------------------------------------------------- float-node jury (NodeJury)


@dataclass(frozen=True)
class JuryConvened(Event):
    game_id: int
    brain_request_id: int
    step: int


@dataclass(frozen=True)
class JuryVerdict(Event):
    game_id: int
    verdict: int  # bisection.jury.Verdict: 1 within (noise), 2 beyond, 3 exact


@dataclass(frozen=True)
class BondPaid(Event):
    account: str
    amount: int


@dataclass(frozen=True)
class BondWithdrawn(Event):
    account: str
    amount: int


# ---------------------------------------------------------------- OpmlRequests (fee escrow for opML answers)


@dataclass(frozen=True)
class OpmlRequested(Event):
    request_id: int
    requester: str
    model_id: bytes
    initial_root: bytes
    fee: int
    deadline: int
    input: bytes
    tolerance: int
    consumer: str = "0x" + "0" * 40  # gets onResult(id, outputRoot) when the request is final
    callback_gas: int = 0


@dataclass(frozen=True)
class RequestAnswered(Event):
    request_id: int
    claim_id: int
    submitter: str


@dataclass(frozen=True)
class RequestSettled(Event):
    request_id: int
    status: int  # 2 final, 3 timed out
    claim_id: int
    output_root: bytes
    paid_to: str
    amount: int


@dataclass(frozen=True)
class CreditWithdrawn(Event):
    account: str
    amount: int


# ---------------------------------------------------------------- hybrid (HybridCourt)


@dataclass(frozen=True)
class HybridRequested(Event):
    request_id: int
    requester: str
    model_id: bytes
    initial_root: bytes
    consumer: str
    callback_gas: int
    tolerance: int  # packed float32 atol << 32 | rtol a defense or adopted claim must state (0: exact)


@dataclass(frozen=True)
class AnswerPublished(Event):
    request_id: int
    member: str
    vote: bytes
    output_root: bytes
    final_root: bytes


@dataclass(frozen=True)
class CommitteeDecided(Event):
    request_id: int
    vote: bytes
    challenge_deadline: int


@dataclass(frozen=True)
class AnswerProvisional(Event):
    request_id: int
    output_root: bytes
    final_root: bytes
    challenge_deadline: int


@dataclass(frozen=True)
class AnswerChallenged(Event):
    request_id: int
    challenger: str
    bond: int
    defend_deadline: int


@dataclass(frozen=True)
class AnswerDefended(Event):
    request_id: int
    claim_id: int
    defender: str


@dataclass(frozen=True)
class AnswerOverturned(Event):
    request_id: int
    reason: int  # 0 pair never published, 1 challenge not defended, 2 defense claim refuted
    adopt_deadline: int


@dataclass(frozen=True)
class AnswerFinal(Event):
    request_id: int
    output_root: bytes
    final_root: bytes
    upheld: bool  # the committee's answer stood (False: an opML claim's answer was adopted)


@dataclass(frozen=True)
class HybridTimedOut(Event):
    request_id: int
    refund: int


# ---------------------------------------------------------------- verified training (Training)


@dataclass(frozen=True)
class TaskCreated(Event):
    arch_id: bytes
    initial_weights: bytes
    uri: str
    threshold: int


@dataclass(frozen=True)
class Funded(Event):
    funder: str
    amount: int


@dataclass(frozen=True)
class Proposed(Event):
    proposal_id: int
    trainer: str
    base_version: int
    weights: bytes  # sha256 of the weights file
    uri: str
    sml_seed: bytes


@dataclass(frozen=True)
class ScoringOpened(Event):
    proposal_id: int
    seed: bytes
    committee: int  # node-index set
    commit_deadline: int
    reveal_deadline: int


@dataclass(frozen=True)
class ScoreCommitted(Event):
    proposal_id: int
    member: str
    commitment: bytes


@dataclass(frozen=True)
class ScoreRevealed(Event):
    proposal_id: int
    member: str
    score: int


@dataclass(frozen=True)
class Accepted(Event):
    proposal_id: int
    version: int
    score: int
    base_version: int
    weights: bytes


@dataclass(frozen=True)
class Rejected(Event):
    proposal_id: int
    score: int
    reveals: int


@dataclass(frozen=True)
class ScoringTimedOut(Event):
    proposal_id: int
    reveals: int



# ---------------------------------------------------------------- example dapps (contracts/examples/LabelBounty.sol)


@dataclass(frozen=True)
class Asked(Event):
    request_id: int
    asker: str


@dataclass(frozen=True)
class Delivered(Event):
    request_id: int
    output_root: bytes


@dataclass(frozen=True)
class PaidOut(Event):
    request_id: int
    asker: str
    label: int
    amount: int


def event_classes() -> dict[str, type[Event]]:
    return {c.__name__: c for c in Event.__subclasses__()}


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@lru_cache(maxsize=1)
def abi_events() -> dict[bytes, dict]:
    """Every event in the committed artifacts: topic0 -> ABI entry."""
    found = {}
    for path in sorted(ARTIFACTS.glob("*.json")):
        for item in json.loads(path.read_text())["abi"]:
            if item["type"] == "event":
                sig = f"{item['name']}({','.join(i['type'] for i in item['inputs'])})"
                found[keccak(text=sig)] = item
    return found


def _norm(abi_type: str, value: Any) -> Any:
    if abi_type == "address":
        return to_checksum_address(value)
    return value


def decode_log(log: Any) -> Event | None:
    """The dataclass for one log, or None when it is not one of Tribunal's events: another event, or a
    log that reuses one of Tribunal's signatures with other fields (any contract can emit any topic; a
    consumer's callback puts its logs in the receipt of the transaction that delivered to it)."""
    topics = [bytes(t) for t in log["topics"]]
    item = abi_events().get(topics[0]) if topics else None
    cls = event_classes().get(item["name"]) if item else None
    if cls is None:
        return None
    indexed = [i for i in item["inputs"] if i["indexed"]]
    plain = [i for i in item["inputs"] if not i["indexed"]]
    if len(topics) != 1 + len(indexed):
        return None
    values = {}
    try:
        for param, topic in zip(indexed, topics[1:]):
            values[param["name"]] = _norm(param["type"], abi_decode([param["type"]], topic)[0])
        data = bytes(log["data"])
        for param, value in zip(plain, abi_decode([p["type"] for p in plain], data)):
            values[param["name"]] = _norm(param["type"], value)
    except Exception:  # noqa: BLE001 - eth_abi's decoding errors: these bytes are not this event's fields
        return None
    kwargs = {snake(name): value for name, value in values.items()}
    return cls(**kwargs, emitter=to_checksum_address(log["address"]), block_number=int(log["blockNumber"]))


def decode_logs(logs: Iterable[Any]) -> list[Event]:
    return [e for e in (decode_log(log) for log in logs) if e is not None]


def field_names(cls: type[Event]) -> list[str]:
    return [f.name for f in fields(cls) if f.name not in ("emitter", "block_number")]


def topic_of(cls: type[Event]) -> bytes:
    """topic0 of an event class (from the committed ABIs; the class and the Solidity event share a name)."""
    for topic, item in abi_events().items():
        if item["name"] == cls.__name__:
            return topic
    raise KeyError(f"no ABI event named {cls.__name__}")
