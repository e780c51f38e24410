"""Binding of OpmlRequests: opML requests with their fee held until an answer (an OpmlGame claim) is final."""
from __future__ import annotations

from dataclasses import dataclass

from eth_account.signers.local import LocalAccount

from contracts.bindings.base import Binding
from contracts.chain.base import Receipt

OPEN, FINAL, TIMED_OUT = 1, 2, 3
ZERO_ADDRESS = "0x" + "0" * 40


@dataclass(frozen=True)
class OpmlRequestInfo:
    requester: str
    fee: int
    model_id: bytes
    initial_root: bytes
    deadline: int
    status: int  # OPEN, FINAL or TIMED_OUT
    tolerance: int = 0  # packed float32 atol << 32 | rtol an answer's claim must state (0: exact)
    created: int = 0  # block the request was posted in: an answer's claim is pending and submitted at or after it
    consumer: str = "0x" + "0" * 40  # gets onResult(id, output root) once final (the zero address: none)
    callback_gas: int = 0


class OpmlRequests(Binding):
    artifact_name = "OpmlRequests"

    def request(self, model_id: bytes, input: bytes, deadline_blocks: int, *, fee: int, sender: LocalAccount,
                tolerance: int = 0, consumer: str = ZERO_ADDRESS, callback_gas: int = 0) -> Receipt:
        """Posts a request; its OpmlRequested event has the id (reverts UnknownModel / InvalidInput / FeeTooLow /
        CallbackGasTooHigh). `tolerance` (packed, `bisection.tolerance.Tolerance.packed`): what answers' claims
        must state. `consumer.onResult(id, output root)` runs with `callback_gas` when the request is final."""
        return self._tx("request", model_id, input, deadline_blocks, tolerance, consumer, callback_gas, sender=sender,
                        value=fee)

    def answer(self, request_id: int, claim_id: int, *, sender: LocalAccount) -> Receipt:
        """Links the sender's claim as the request's answer (reverts NotAuthorized: not its defender;
        ClaimMismatch: another model, input or tolerance; StaleClaim: not pending, or submitted before the request)."""
        return self._tx("answer", request_id, claim_id, sender=sender)

    def settle(self, request_id: int, *, sender: LocalAccount | None = None) -> Receipt:
        return self._tx("settle", request_id, sender=sender)

    def withdraw(self, *, sender: LocalAccount) -> Receipt:
        return self._tx("withdraw", sender=sender)

    def request_info(self, request_id: int) -> OpmlRequestInfo:
        return OpmlRequestInfo(*self._view("requestOf", request_id))

    def answers(self, request_id: int) -> list[int]:
        return list(self._view("answersOf", request_id))

    def credit(self, account: str) -> int:
        return self._view("credit", account)

    @property
    def min_fee(self) -> int:
        return self._view("minFee")

    @property
    def max_callback_gas(self) -> int:
        return self._view("maxCallbackGas")
