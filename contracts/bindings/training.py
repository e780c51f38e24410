"""Binding of Training, BRAIN's verified training task, and the score-commitment helper scorers use."""
from __future__ import annotations

from dataclasses import astuple, dataclass, replace
from enum import IntEnum

from eth_account.signers.local import LocalAccount

from contracts.abi_types import TrainingProposal, TrainingVersion
from contracts.bindings.base import Binding, tx, view
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


# Training.Proposal and Training.Version, fields by name (generated from the ABI); `proposal` gives the
# status as a ProposalStatus.
ProposalInfo = TrainingProposal
VersionInfo = TrainingVersion


class Training(Binding):
    artifact_name = "Training"

    propose = tx("propose", "(base_version, weights, uri): a trainer's proposal of new weights.")
    dispatch = tx("dispatch", "(proposal_id): draws the proposal's scoring committee.")
    commit_score = tx("commitScore", "(proposal_id, commitment): a scorer's commitment (score_commitment).")
    reveal_score = tx("revealScore", "(proposal_id, score, salt)")
    finalize = tx("finalize")
    reseed = tx("reseed")

    def fund(self, amount: int, *, sender: LocalAccount | None = None) -> Receipt:
        return self._tx("fund", sender=sender, value=amount)

    # views
    version = view("version")
    next_proposal_id = view("nextProposalId")
    pool = view("pool")
    version_info = view("versionOf", "(version): the accepted version (VersionInfo).")
    version_seed = view("versionSeed")
    committee = view("committeeOf")
    vote_of = view("voteOf")
    threshold = view("threshold", prop=True)
    arch_id = view("archId", prop=True)
    committee_size = view("committeeSize", prop=True)
    max_staleness = view("maxStaleness", prop=True)
    commit_window = view("commitWindow", prop=True)

    def proposal(self, proposal_id: int) -> ProposalInfo:
        p = self._view("proposalOf", proposal_id)
        return replace(p, status=ProposalStatus(p.status))
