"""What a request resolves to: a `Verdict`, with the `Transaction`s that made it.

Statuses:
    final        the answer is settled on chain and can no longer change
    provisional  usable now (a committee's majority) but still open to a fraud proof (hybrid)
    disputed     a dispute game on the answer is under way
    timed out    no answer by the deadline; the fee is refunded (or refundable) to the requester
    rejected     the only answer given was proven wrong and no other came in time

Whoever holds the model and the input can check an answer without trusting anyone: every verdict with
an answer carries what an honest re-execution of the request gives here (`honest_output`,
`honest_result`) and `wrong_answer`, true when the chain's answer is not that one (a lying majority
in brain, say), so a wrong final answer is never silent.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

FINAL, PROVISIONAL, DISPUTED, TIMED_OUT, REJECTED = "final", "provisional", "disputed", "timed out", "rejected"
STATUSES = (FINAL, PROVISIONAL, DISPUTED, TIMED_OUT, REJECTED)
SETTLED = (FINAL, TIMED_OUT, REJECTED)  # nothing can change these any more


@dataclass(frozen=True)
class Transaction:
    """One transaction that served a request: what it did (`name`), who sent it, its gas, its block."""

    name: str
    sender: str
    gas: int
    block: int
    tx_hash: str = ""


@dataclass
class Verdict:
    """What a request resolved to: mode, status (see the module docstring), the answer, latency, gas, the
    transactions that made it and the evidence (votes, claims, games)."""
    mode: str
    status: str
    output: Any = None  # the answer as the caller reads it (a label, token ids), when the chain settled one
    output_root: str | None = None  # 0x-hex of the exact output root (or of the 32-byte result voted on)
    request_id: int | None = None
    transactions: list[Transaction] = field(default_factory=list)
    blocks: int = 0  # from the request's block to the block that settled it (or the last one seen)
    seconds: float = 0.0  # wall time from submission to this verdict
    provisional_blocks: int | None = None  # hybrid: blocks to the provisional answer
    provisional_seconds: float | None = None
    evidence: dict = field(default_factory=dict)  # commits and reveals, or the dispute transcript
    reason: str = ""  # auto: why this mode; otherwise why the status (timeout, rejection)
    refund: int = 0  # wei returned (or credited) to the requester
    result: str | None = None  # 0x-hex of the 32 bytes the chain settled (an output root, or a label as uint256)
    honest_result: str | None = None  # 0x-hex of the 32 bytes an honest re-execution of the request gives
    honest_output: Any = None  # what an honest re-execution reads as (the label)
    wrong_answer: bool = False  # the chain's answer (final or provisional) is not the honest re-execution's

    @property
    def gas_total(self) -> int:
        """Gas of every transaction that served the request."""
        return sum(t.gas for t in self.transactions)

    @property
    def settled(self) -> bool:
        """Whether the status can no longer change."""
        return self.status in SETTLED

    def as_dict(self) -> dict:
        """The verdict as JSON-ready dicts, with `gas_total`."""
        d = asdict(self)
        d["gas_total"] = self.gas_total
        return d
