"""Binding of HybridCourt: a BRAIN committee answers at once, the opML game stands behind it
(contracts/README.md, "Hybrid").

    court = deploy_hybrid(system, opml_system, HybridConfig(...))
    rid = court.request(model_id, input_bytes, fee=..., sender=user).one(ev.HybridRequested).request_id
    # members vote vote_of(output_root, final_root) in Brain, publish the pair, Brain finalizes:
    court.status(rid)          # HybridStatus.PROVISIONAL, then FINAL after the challenge window
    court.challenge(rid, bond=..., sender=watcher)   # then a majority member must defend(rid, claim_id)
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from enum import IntEnum

from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from contracts.abi_types import HybridCourtRequest
from contracts.bindings.base import SimulatedBinding, callback_allowance, tx, view
from contracts.chain.base import Receipt
from contracts.errors import HYBRID_STATUSES

_ZERO = "0x" + "00" * 20


class HybridStatus(IntEnum):
    NONE = 0
    PENDING = 1  # the committee round is open in Brain
    DECIDED = 2  # Brain finalized a vote whose pair is not published yet
    PROVISIONAL = 3  # the majority's answer is known, open to challenges
    CHALLENGED = 4  # a majority member must defend
    DEFENDED = 5  # the defense claim is open to opML games
    OVERTURNED = 6  # waiting for a final opML claim to adopt
    FINAL = 7
    TIMED_OUT = 8

    @property
    def label(self) -> str:
        return HYBRID_STATUSES[self.value]


class OverturnReason(IntEnum):
    UNPUBLISHED = 0  # the majority never published the pair it voted for
    UNDEFENDED = 1  # no majority member defended the challenged answer in time
    REFUTED = 2  # the defense claim lost a bisection game


def vote_of(output_root: bytes, final_root: bytes) -> bytes:
    """What a hybrid committee member votes in Brain: keccak256(outputRoot || finalRoot)."""
    return keccak(bytes(output_root) + bytes(final_root))


@dataclass(frozen=True)
class HybridConfig:
    """HybridCourt's parameters; windows in blocks, bonds in wei."""

    challenge_window: int = 20  # after the committee's decision: anyone may challenge
    defend_window: int = 10  # after a challenge: a majority member must name its opML claim
    adopt_window: int = 400  # after an overturn: a final opML claim may be adopted
    challenge_bond: int = 10**15
    brain_callback_gas: int = 250_000  # gas Brain gives the court's onResult (~115k for a committee of 5)
    max_callback_gas: int = 500_000  # most gas a requester's consumer may ask for

    def as_tuple(self) -> tuple:
        return (self.challenge_window, self.defend_window, self.adopt_window, self.challenge_bond,
                self.brain_callback_gas, self.max_callback_gas)


# HybridCourt.Request, fields by name (generated from the ABI); `request_info` gives `status` as a
# HybridStatus and `defense` as the defense claim's id (None: none). `tolerance` is the packed float32
# atol << 32 | rtol a matching claim must state (0: exact); `majority` / `minority` the node-index sets
# of the members that revealed the vote / another vote, locked until the answer settles.
HybridRequest = HybridCourtRequest


class HybridCourt(SimulatedBinding):
    """Transactions are simulated first (a revert raises its error class and sends nothing), then sent
    with a fixed gas limit, like the opML game's."""

    artifact_name = "HybridCourt"

    # ---- requester
    def request(self, model_id: bytes, input: bytes, *, fee: int, sender: LocalAccount, consumer: str | None = None,
                callback_gas: int = 0, tolerance: int = 0, allowance: int | None = None) -> Receipt:
        """A Brain request decided by its committee and backed by the opML game; the fee goes to Brain.
        `tolerance` (packed float32 atol << 32 | rtol, 0 exact): what a defense or adopted claim must state.
        The value is `fee` plus the callback allowances (default `callback_allowance`): Brain's for this
        court's `onResult` and the court's for `consumer`'s, each its callback gas at the next block's base fee."""
        if allowance is None:
            allowance = self.callback_allowance(consumer, callback_gas)
        return self._tx("request", model_id, input, consumer or _ZERO, callback_gas, tolerance, sender=sender,
                        value=fee + allowance)

    def callback_allowance(self, consumer: str | None, callback_gas: int) -> int:
        """What a request sent now pays besides its fee: the allowances of Brain's callback to this court and of
        this court's callback to `consumer` (contracts/README.md, "Callback allowance")."""
        gas = self._named("config")["brain_callback_gas"] + (callback_gas if consumer and int(consumer, 16) else 0)
        return callback_allowance(self.chain, self.address, gas)

    # ---- committee members
    publish = tx("publish", "(request_id, output_root, final_root, output_proof): the pair behind a vote.")
    defend = tx("defend", "(request_id, claim_id): a majority member names its opML claim.")

    # ---- watchers and anyone
    challenge = tx("challenge", "(request_id, bond=): challenges a provisional answer.", value="bond")
    resolve = tx("resolve")
    adopt = tx("adopt", "(request_id, claim_id): adopts a final opML claim's answer after an overturn.")
    withdraw = tx("withdraw")

    # ---- views
    def request_info(self, request_id: int) -> HybridRequest:
        r = self._view("requestOf", request_id)
        return replace(r, status=HybridStatus(r.status), defense=r.defense - 1 if r.defense else None)

    def status(self, request_id: int) -> HybridStatus:
        return self.request_info(request_id).status

    def published(self, request_id: int, vote: bytes) -> tuple[bytes, bytes] | None:
        a = self._view("published", request_id, vote)
        return None if a.final_root == bytes(32) else (a.output_root, a.final_root)

    def answer(self, request_id: int) -> tuple[bytes, bytes] | None:
        """The current (output root, final root): provisional, defended or final; None before it is known."""
        a = self._view("answerOf", request_id)
        return None if a.final_root == bytes(32) else (a.output_root, a.final_root)

    result = view("result")
    owed = view("owed")

    def config(self) -> HybridConfig:
        return HybridConfig(**self._named("config"))

    def addresses(self) -> dict[str, str]:
        return {n: self._view(n) for n in ("brain", "nodes", "game", "models")}


__all__ = ["HybridConfig", "HybridCourt", "HybridRequest", "HybridStatus", "OverturnReason", "vote_of"]
