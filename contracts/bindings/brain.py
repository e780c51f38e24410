"""Binding of Brain, the two-phase BRAIN contract, and the commitment helper members use."""
from __future__ import annotations

import os
from dataclasses import fields, replace
from enum import IntEnum

from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_canonical_address

from contracts.abi import camel
from contracts.abi_types import BrainConfig, BrainRequest
from contracts.bindings.base import Binding, callback_allowance, tx, view
from contracts.chain.base import Receipt


class Status(IntEnum):
    NONE = 0
    QUEUED = 1
    DISPATCHED = 2
    FINALIZED = 3
    TIMED_OUT = 4
    CANCELLED = 5
    UNSERVABLE = 6  # declined by too many members for a quorum: the fee went to the treasury
    BATCHED = 7  # dispatched in a batch (dispatch_batch): its round is the batch's


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


def results_hash(results: list[bytes]) -> bytes:
    """keccak256(abi.encodePacked(bytes32[] results)): what a member's batch commitment and reveal are over."""
    return keccak(b"".join(bytes(r).rjust(32, b"\0") for r in results))


# What an honest member reveals, inside a batch, for a request it cannot compute (a batch has no
# per-request decline): a value no model output takes, the same for every honest member, so the rest of
# the batch settles and nobody is slashed over one unservable request (contracts/README.md, Batches).
DECLINED_RESULT = keccak(b"tribunal: declined in a batch")


def batch_commitment(results: list[bytes], member: str, salt: bytes) -> bytes:
    """A member's one commitment for a batch: `commitment(results_hash(results), member, salt)`."""
    return commitment(results_hash(results), member, salt)


def new_salt() -> bytes:
    return os.urandom(32)


# Brain.Request, fields by name (generated from the ABI, as is BrainConfig); `request_info` gives the
# result kind and status as the enums above.
RequestInfo = BrainRequest


class Brain(Binding):
    artifact_name = "Brain"

    # phase one
    def callback_allowance(self, consumer: str | None, callback_gas: int) -> int:
        """Wei a request with this callback pays besides its fee when sent now: `Brain.callbackAllowance` in the
        block it lands in (`callback_gas` at that block's base fee; 0 without a consumer). It pays the finalizer,
        whose transaction runs the callback, or comes back with the fee when no callback runs."""
        return callback_allowance(self.chain, consumer, callback_gas)

    def request(self, model_id: bytes, input: bytes, *, fee: int, sender: LocalAccount,
                result_kind: ResultKind = ResultKind.OUTPUT_ROOT, consumer: str | None = None,
                callback_gas: int = 0, allowance: int | None = None, gas: int | None = None,
                wait: bool = True) -> Receipt:
        """Queues a request whose input travels in calldata; its Requested event has the request id. Sends
        `fee` plus the callback `allowance` (default `callback_allowance(consumer, callback_gas)`)."""
        value = fee + (self.callback_allowance(consumer, callback_gas) if allowance is None else allowance)
        return self._tx("request", model_id, input, int(result_kind), consumer or _ZERO, callback_gas,
                        sender=sender, value=value, gas=gas, wait=wait)

    def request_by_hash(self, model_id: bytes, input_hash: bytes, uri: str, *, fee: int, sender: LocalAccount,
                        result_kind: ResultKind = ResultKind.OUTPUT_ROOT, consumer: str | None = None,
                        callback_gas: int = 0, allowance: int | None = None, gas: int | None = None,
                        wait: bool = True) -> Receipt:
        """Queues a request by the sha256 of its input and a URI to fetch it from (value as `request`)."""
        value = fee + (self.callback_allowance(consumer, callback_gas) if allowance is None else allowance)
        return self._tx("requestByHash", model_id, input_hash, uri, int(result_kind), consumer or _ZERO,
                        callback_gas, sender=sender, value=value, gas=gas, wait=wait)

    cancel = tx("cancel", "Cancels a request still queued `queue_timeout` blocks after it was made; credits its "
                "fee back.")

    def dispatch(self, max_count: int = 1, *, sender: LocalAccount | None = None, gas: int | None = None,
                 wait: bool = True) -> Receipt:
        """Pops up to `max_count` best-fee requests whose seed block is mined and draws committees."""
        return self._tx("dispatch", max_count, sender=sender, gas=gas, wait=wait)

    # phase two
    commit = tx("commit", "(request_id, commitment): a member's commitment in the commit window.")
    reveal = tx("reveal", "(request_id, result, salt): a member's reveal.")
    decline = tx("decline", "(request_id, DeclineReason): a member that cannot serve the request says so in the "
                 "commit window: neither slashed nor rewarded.")
    # batches: one committee round for many requests
    dispatch_batch = tx("dispatchBatch", "(max_count): pops up to `max_count` requests (as dispatch) into one batch "
                        "with one committee; its BatchDispatched event lists them.")
    commit_batch = tx("commitBatch", "(batch_id, batch_commitment(results, member, salt)): a member's one commitment "
                      "for the whole batch.")
    reveal_batch = tx("revealBatch", "(batch_id, results, salt): the member's result for each request, in order.")
    finalize_batch = tx("finalizeBatch", "(batch_id, request_ids, results_by_member): settles each request as "
                        "finalize would; the lists are the revealed members' (BatchResults), by node index.")
    max_batch = view("maxBatch", "Most requests one batch takes (its settlement fits a block).", prop=True)
    batch_info = view("batchOf", "(batch_id): the batch's ids hash, size and whether it settled (BrainBatch).")
    bind_kind = tx("bindKind", "(caller, ResultKind): lets `caller` (a hybrid court: RAW; a node jury: NODE_CHECK) "
                   "ask that kind; Brain's deployer only.")
    finalize = tx("finalize")

    # views
    def request_info(self, request_id: int) -> RequestInfo:
        r = self._view("requestOf", request_id)
        kind = ResultKind(r.result_kind) if r.result_kind in ResultKind._value2member_map_ else r.result_kind
        return replace(r, result_kind=kind, status=Status(r.status))

    def status(self, request_id: int) -> Status:
        return self.request_info(request_id).status

    def seed_of(self, request_id: int) -> bytes:
        """keccak256(blockhash(requestBlock + 1) ‖ requestId): the seed dispatch draws the committee
        with (from the stakes as of requestBlock), public once block requestBlock + 1 is mined."""
        block = self.request_info(request_id).request_block + 1
        return keccak(bytes(self.chain.w3.eth.get_block(block)["hash"]) + request_id.to_bytes(32, "big"))

    is_member = view("isMember")
    committee = view("committeeOf")
    vote_of = view("voteOf")
    queue_length = view("queueLength")
    queue_head = view("queueHead")
    in_flight = view("inFlight")
    next_request_id = view("nextRequestId")

    def config(self) -> BrainConfig:
        return BrainConfig(**{f.name: self._view(camel(f.name)) for f in fields(BrainConfig)})


_ZERO = "0x" + "00" * 20
