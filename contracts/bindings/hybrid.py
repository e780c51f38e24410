"""Binding of HybridCourt: a BRAIN committee answers at once, the opML game stands behind it
(contracts/README.md, "Hybrid").

    court = deploy_hybrid(system, opml_system, HybridConfig(...))
    rid = court.request(model_id, input_bytes, fee=..., sender=user).one(ev.HybridRequested).request_id
    # members vote vote_of(output_root, final_root) in Brain, publish the pair, Brain finalizes:
    court.status(rid)          # HybridStatus.PROVISIONAL, then FINAL after the challenge window
    court.challenge(rid, bond=..., sender=watcher)   # then a majority member must defend(rid, claim_id)
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from contracts.bindings.opml import _Simulated
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


@dataclass(frozen=True)
class HybridRequest:
    requester: str
    request_block: int
    status: HybridStatus
    consumer: str
    callback_gas: int
    decided_at: int
    model_id: bytes
    initial_root: bytes
    vote: bytes
    output_root: bytes  # the defended or final answer (`HybridCourt.answer` also gives a provisional one)
    final_root: bytes
    challenger: str
    challenged_at: int
    overturned_at: int
    bond: int
    defense: int | None  # the defense claim's id
    tolerance: int  # packed float32 atol << 32 | rtol a matching claim must state (0: exact)
    majority: int  # node-index set of the members that revealed the vote; locked until the answer settles
    minority: int  # the members that revealed another vote: locked until the answer settles, slashed if it stands


class HybridCourt(_Simulated):
    """Transactions are simulated first (a revert raises its error class and sends nothing), then sent
    with a fixed gas limit, like the opML game's."""

    artifact_name = "HybridCourt"

    # ---- requester
    def request(self, model_id: bytes, input: bytes, *, fee: int, sender: LocalAccount, consumer: str | None = None,
                callback_gas: int = 0, tolerance: int = 0) -> Receipt:
        """A Brain request decided by its committee and backed by the opML game; the fee goes to Brain.
        `tolerance` (packed float32 atol << 32 | rtol, 0 exact): what a defense or adopted claim must state."""
        return self._tx("request", model_id, input, consumer or _ZERO, callback_gas, tolerance, sender=sender,
                        value=fee)

    # ---- committee members
    def publish(self, request_id: int, output_root: bytes, final_root: bytes, output_proof: list[bytes], *,
                sender: LocalAccount) -> Receipt:
        return self._tx("publish", request_id, output_root, final_root, list(output_proof), sender=sender)

    def defend(self, request_id: int, claim_id: int, *, sender: LocalAccount) -> Receipt:
        return self._tx("defend", request_id, claim_id, sender=sender)

    # ---- watchers and anyone
    def challenge(self, request_id: int, *, bond: int, sender: LocalAccount) -> Receipt:
        return self._tx("challenge", request_id, sender=sender, value=bond)

    def resolve(self, request_id: int, *, sender: LocalAccount | None = None) -> Receipt:
        return self._tx("resolve", request_id, sender=sender)

    def adopt(self, request_id: int, claim_id: int, *, sender: LocalAccount | None = None) -> Receipt:
        return self._tx("adopt", request_id, claim_id, sender=sender)

    def withdraw(self, *, sender: LocalAccount) -> Receipt:
        return self._tx("withdraw", sender=sender)

    # ---- views
    def request_info(self, request_id: int) -> HybridRequest:
        raw = list(self._view("requestOf", request_id))
        raw[2] = HybridStatus(raw[2])
        raw[15] = raw[15] - 1 if raw[15] else None
        return HybridRequest(*raw)

    def status(self, request_id: int) -> HybridStatus:
        return self.request_info(request_id).status

    def published(self, request_id: int, vote: bytes) -> tuple[bytes, bytes] | None:
        output_root, final_root = self._view("published", request_id, vote)
        return None if final_root == bytes(32) else (output_root, final_root)

    def answer(self, request_id: int) -> tuple[bytes, bytes] | None:
        """The current (output root, final root): provisional, defended or final; None before it is known."""
        output_root, final_root = self._view("answerOf", request_id)
        return None if final_root == bytes(32) else (output_root, final_root)

    def result(self, request_id: int) -> bytes:
        return self._view("result", request_id)

    def owed(self, account: str) -> int:
        return self._view("owed", account)

    def config(self) -> HybridConfig:
        return HybridConfig(*self._view("config"))

    def addresses(self) -> dict[str, str]:
        return {n: self._view(n) for n in ("brain", "nodes", "game", "models")}


__all__ = ["HybridConfig", "HybridCourt", "HybridRequest", "HybridStatus", "OverturnReason", "vote_of"]
