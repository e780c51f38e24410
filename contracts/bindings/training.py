"""Binding of Training, BRAIN's verified training task, and the score-commitment helper scorers use."""
from __future__ import annotations

from dataclasses import astuple, dataclass
from enum import IntEnum

from eth_account.signers.local import LocalAccount

from contracts.bindings.base import Binding
from contracts.bindings.brain import commitment
from contracts.chain.base import Receipt

SCORE_MAX = 10_000
SETTLE_TAG = 1 << 128  # Training.SETTLE_TAG: a proposal's settlements in the registry's events are TAG | id


class ProposalStatus(IntEnum):
    NONE = 0
    PROPOSED = 1
    SCORING = 2
    ACCEPTED = 3
    REJECTED = 4
    TIMED_OUT = 5


def score_commitment(score: int, member: str, salt: bytes) -> bytes:
    """keccak256(abi.encodePacked(bytes32(score), member, salt)): what a scorer commits."""
    return commitment(int(score).to_bytes(32, "big"), member, salt)


@dataclass(frozen=True)
class TrainingConfig:
    """The task's parameters (constructor order); windows in blocks, scores in basis points."""

    arch_id: bytes
    initial_weights: bytes  # sha256 of version 0's weights file
    threshold: int = 1250  # BRAIN's default 0.125 (on the chance-corrected score, see verifiers.training.learn)
    trainer_reward: int = 10**16
    scorer_reward: int = 10**15
    committee_size: int = 5
    commit_window: int = 10
    reveal_window: int = 10
    max_staleness: int = 4  # BRAIN's default

    def as_tuple(self) -> tuple:
        return astuple(self)


@dataclass(frozen=True)
class ProposalInfo:
    trainer: str
    base_version: int
    version: int
    propose_block: int
    commit_deadline: int
    reveal_deadline: int
    commit_count: int
    reveal_count: int
    score: int
    status: ProposalStatus
    weights: bytes
    committee: int
    committed: int
    revealed: int


@dataclass(frozen=True)
class VersionInfo:
    proposal_id: int
    block: int
    score: int
    base_version: int
    weights: bytes
    seed: bytes


class Training(Binding):
    artifact_name = "Training"

    def propose(self, base_version: int, weights: bytes, uri: str, *, sender: LocalAccount,
                gas: int | None = None) -> Receipt:
        return self._tx("propose", base_version, weights, uri, sender=sender, gas=gas)

    def dispatch(self, proposal_id: int, *, sender: LocalAccount | None = None, gas: int | None = None) -> Receipt:
        return self._tx("dispatch", proposal_id, sender=sender, gas=gas)

    def commit_score(self, proposal_id: int, commitment_: bytes, *, sender: LocalAccount,
                     gas: int | None = None) -> Receipt:
        return self._tx("commitScore", proposal_id, commitment_, sender=sender, gas=gas)

    def reveal_score(self, proposal_id: int, score: int, salt: bytes, *, sender: LocalAccount,
                     gas: int | None = None) -> Receipt:
        return self._tx("revealScore", proposal_id, score, salt, sender=sender, gas=gas)

    def finalize(self, proposal_id: int, *, sender: LocalAccount | None = None, gas: int | None = None) -> Receipt:
        return self._tx("finalize", proposal_id, sender=sender, gas=gas)

    def fund(self, amount: int, *, sender: LocalAccount | None = None) -> Receipt:
        return self._tx("fund", sender=sender, value=amount)

    def reseed(self, *, sender: LocalAccount | None = None) -> Receipt:
        return self._tx("reseed", sender=sender)

    # views
    def version(self) -> int:
        return self._view("version")

    def next_proposal_id(self) -> int:
        return self._view("nextProposalId")

    def pool(self) -> int:
        return self._view("pool")

    def proposal(self, proposal_id: int) -> ProposalInfo:
        raw = list(self._view("proposalOf", proposal_id))
        raw[9] = ProposalStatus(raw[9])
        return ProposalInfo(*raw)

    def version_info(self, version: int) -> VersionInfo:
        return VersionInfo(*self._view("versionOf", version))

    def version_seed(self, version: int) -> bytes:
        return self._view("versionSeed", version)

    def committee(self, proposal_id: int) -> list[str]:
        return self._view("committeeOf", proposal_id)

    def vote_of(self, proposal_id: int, member: str) -> bytes:
        return self._view("voteOf", proposal_id, member)

    @property
    def threshold(self) -> int:
        return self._view("threshold")

    @property
    def arch_id(self) -> bytes:
        return self._view("archId")

    @property
    def committee_size(self) -> int:
        return self._view("committeeSize")

    @property
    def max_staleness(self) -> int:
        return self._view("maxStaleness")

    @property
    def commit_window(self) -> int:
        return self._view("commitWindow")
