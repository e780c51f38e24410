"""Binding of Brain, the two-phase BRAIN contract, and the commitment helper members use."""
from __future__ import annotations

import os
from dataclasses import dataclass
from enum import IntEnum

from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_canonical_address

from contracts.bindings.base import Binding
from contracts.chain.base import Receipt


class Status(IntEnum):
    NONE = 0
    QUEUED = 1
    DISPATCHED = 2
    FINALIZED = 3
    TIMED_OUT = 4
    CANCELLED = 5
    UNSERVABLE = 6  # declined by too many members for a quorum: the fee went to the treasury


class ResultKind(IntEnum):
    """What a bytes32 result holds; stated per request."""

    OUTPUT_ROOT = 0  # the exact profile's output root: honest members agree bit for bit
    ARGMAX = 1  # the fast profile's top-1 label, as a big-endian uint256
    TOKEN_IDS = 2  # sha256 of the generated token ids, each a big-endian uint32
    RAW = 3  # any 32 bytes whose meaning the consumer defines
    NODE_CHECK = 4  # a jury's vote on one float node: 1 within tolerance, 2 beyond (contracts/bindings/jury.py)


class DeclineReason(IntEnum):
    """Why a member declines a request it cannot serve (`Brain.decline`; recorded, not checked)."""

    MODEL = 0  # model files it cannot reproduce against the registered roots (or no model at all)
    INPUT = 1  # an input that does not fit the model
    KIND = 2  # a result kind it does not compute for this model


def commitment(result: bytes, member: str, salt: bytes) -> bytes:
    """keccak256(abi.encodePacked(bytes32 result, address member, bytes32 salt))."""
    return keccak(bytes(result).rjust(32, b"\0") + to_canonical_address(member) + bytes(salt).rjust(32, b"\0"))


def new_salt() -> bytes:
    return os.urandom(32)


@dataclass(frozen=True)
class RequestInfo:
    requester: str
    fee: int
    consumer: str
    callback_gas: int
    request_block: int
    result_kind: ResultKind
    status: Status
    model_id: bytes
    input_hash: bytes
    committee: int
    committed: int
    revealed: int
    commit_deadline: int
    reveal_deadline: int
    commit_count: int
    reveal_count: int
    leader_votes: int
    decline_count: int
    leader: bytes
    declined: int  # node-index set of the members that declined


@dataclass(frozen=True)
class BrainConfig:
    min_fee: int
    committee_size: int
    quorum_bps: int
    commit_window: int
    reveal_window: int
    max_callback_gas: int
    max_in_flight: int
    queue_timeout: int


class Brain(Binding):
    artifact_name = "Brain"

    # phase one
    def request(self, model_id: bytes, input: bytes, *, fee: int, sender: LocalAccount,
                result_kind: ResultKind = ResultKind.OUTPUT_ROOT, consumer: str | None = None,
                callback_gas: int = 0, gas: int | None = None, wait: bool = True) -> Receipt:
        """Queues a request whose input travels in calldata; its Requested event has the request id."""
        return self._tx("request", model_id, input, int(result_kind), consumer or _ZERO, callback_gas,
                        sender=sender, value=fee, gas=gas, wait=wait)

    def request_by_hash(self, model_id: bytes, input_hash: bytes, uri: str, *, fee: int, sender: LocalAccount,
                        result_kind: ResultKind = ResultKind.OUTPUT_ROOT, consumer: str | None = None,
                        callback_gas: int = 0, gas: int | None = None, wait: bool = True) -> Receipt:
        """Queues a request by the sha256 of its input and a URI to fetch it from."""
        return self._tx("requestByHash", model_id, input_hash, uri, int(result_kind), consumer or _ZERO,
                        callback_gas, sender=sender, value=fee, gas=gas, wait=wait)

    def cancel(self, request_id: int, *, sender: LocalAccount, gas: int | None = None, wait: bool = True) -> Receipt:
        """Cancels a request still queued `queue_timeout` blocks after it was made; credits its fee back."""
        return self._tx("cancel", request_id, sender=sender, gas=gas, wait=wait)

    def dispatch(self, max_count: int = 1, *, sender: LocalAccount | None = None, gas: int | None = None,
                 wait: bool = True) -> Receipt:
        """Pops up to `max_count` best-fee requests whose seed block is mined and draws committees."""
        return self._tx("dispatch", max_count, sender=sender, gas=gas, wait=wait)

    # phase two
    def commit(self, request_id: int, commitment_: bytes, *, sender: LocalAccount, gas: int | None = None,
               wait: bool = True) -> Receipt:
        return self._tx("commit", request_id, commitment_, sender=sender, gas=gas, wait=wait)

    def reveal(self, request_id: int, result: bytes, salt: bytes, *, sender: LocalAccount, gas: int | None = None,
               wait: bool = True) -> Receipt:
        return self._tx("reveal", request_id, result, salt, sender=sender, gas=gas, wait=wait)

    def decline(self, request_id: int, reason: DeclineReason, *, sender: LocalAccount, gas: int | None = None,
                wait: bool = True) -> Receipt:
        """A member that cannot serve the request says so in the commit window: neither slashed nor rewarded."""
        return self._tx("decline", request_id, int(reason), sender=sender, gas=gas, wait=wait)

    def bind_kind(self, caller: str, result_kind: ResultKind, *, sender: LocalAccount | None = None) -> Receipt:
        """Lets `caller` (a hybrid court: RAW; a node jury: NODE_CHECK) ask that kind; Brain's deployer only."""
        return self._tx("bindKind", caller, int(result_kind), sender=sender)

    def finalize(self, request_id: int, *, sender: LocalAccount | None = None, gas: int | None = None,
                 wait: bool = True) -> Receipt:
        return self._tx("finalize", request_id, sender=sender, gas=gas, wait=wait)

    # views
    def request_info(self, request_id: int) -> RequestInfo:
        raw = list(self._view("requestOf", request_id))
        raw[5] = ResultKind(raw[5]) if raw[5] in ResultKind._value2member_map_ else raw[5]
        raw[6] = Status(raw[6])
        return RequestInfo(*raw)

    def status(self, request_id: int) -> Status:
        return self.request_info(request_id).status

    def seed_of(self, request_id: int) -> bytes:
        """keccak256(blockhash(requestBlock + 1) ‖ requestId): the seed dispatch draws the committee
        with (from the stakes as of requestBlock), public once block requestBlock + 1 is mined."""
        block = self.request_info(request_id).request_block + 1
        return keccak(bytes(self.chain.w3.eth.get_block(block)["hash"]) + request_id.to_bytes(32, "big"))

    def is_member(self, request_id: int, account: str) -> bool:
        return self._view("isMember", request_id, account)

    def committee(self, request_id: int) -> list[str]:
        return self._view("committeeOf", request_id)

    def vote_of(self, request_id: int, member: str) -> bytes:
        return self._view("voteOf", request_id, member)

    def queue_length(self) -> int:
        return self._view("queueLength")

    def queue_head(self) -> int:
        return self._view("queueHead")

    def in_flight(self) -> int:
        return self._view("inFlight")

    def next_request_id(self) -> int:
        return self._view("nextRequestId")

    def config(self) -> BrainConfig:
        return BrainConfig(*(self._view(n) for n in ("minFee", "committeeSize", "quorumBps", "commitWindow",
                                                       "revealWindow", "maxCallbackGas", "maxInFlight",
                                                       "queueTimeout")))


_ZERO = "0x" + "00" * 20
