"""Binding of OpmlRequests: opML requests with their fee held until an answer (an OpmlGame claim) is final."""
from __future__ import annotations

from eth_account.signers.local import LocalAccount

from contracts.abi_types import OpmlRequestsRequest
from contracts.bindings.base import Binding, callback_allowance, tx, view
from contracts.chain.base import Receipt

OPEN, FINAL, TIMED_OUT = 1, 2, 3
ZERO_ADDRESS = "0x" + "0" * 40


# OpmlRequests.Request, fields by name (generated from the ABI): `status` is OPEN, FINAL or TIMED_OUT;
# `tolerance` the packed float32 atol << 32 | rtol an answer's claim must state (0: exact); `created` the
# block the request was posted in; `consumer` gets onResult(id, output root) once final (zero: none).
OpmlRequestInfo = OpmlRequestsRequest


class OpmlRequests(Binding):
    artifact_name = "OpmlRequests"

    def request(self, model_id: bytes, input: bytes, deadline_blocks: int, *, fee: int, sender: LocalAccount,
                tolerance: int = 0, consumer: str = ZERO_ADDRESS, callback_gas: int = 0,
                allowance: int | None = None) -> Receipt:
        """Posts a request; its OpmlRequested event has the id (reverts UnknownModel / InvalidInput / FeeTooLow /
        CallbackGasTooHigh). `tolerance` (packed, `bisection.tolerance.Tolerance.packed`): what answers' claims
        must state. `consumer.onResult(id, output root)` runs with `callback_gas` when the request is final; the
        value is `fee` plus the callback `allowance` (default `callback_allowance`: what the next block asks)."""
        if allowance is None:
            allowance = callback_allowance(self.chain, consumer, callback_gas)
        return self._tx("request", model_id, input, deadline_blocks, tolerance, consumer, callback_gas, sender=sender,
                        value=fee + allowance)

    answer = tx("answer", "(request_id, claim_id): links the sender's claim as the request's answer (reverts "
                "NotAuthorized: not its defender; ClaimMismatch: another model, input or tolerance; StaleClaim: not "
                "pending, or submitted before the request).")
    settle = tx("settle")
    withdraw = tx("withdraw")
    request_info = view("requestOf", "The request (OpmlRequestInfo).")
    credit = view("credit")
    min_fee = view("minFee", prop=True)
    max_callback_gas = view("maxCallbackGas", prop=True)

    def answers(self, request_id: int) -> list[int]:
        return list(self._view("answersOf", request_id))
