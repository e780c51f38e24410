"""One committee round off chain: the window rules of `contracts/src/round/Round.sol`, written once for
every party that plays a round (Brain members and jurors, Training scorers, the benchmarks' drivers).

    view = RoundView.of(brain.request_info(rid), committee_size)   # or training.proposal(pid)
    for duty in due(view, index, head):                             # COMMIT, REVEAL, FINALIZE
        ...

`head` is the latest mined block: a transaction sent now runs in block head + 1 at the earliest, which is
what every rule below judges (the contract compares `block.number` with the deadlines).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = ["Duty", "RoundView", "Rounds", "due", "seed_ready"]


class Duty(Enum):
    """What a member owes a round now (a commit may be a decline, the member's choice)."""

    COMMIT = "commit"
    REVEAL = "reveal"
    FINALIZE = "finalize"


@dataclass(frozen=True)
class RoundView:
    """A round as the chain shows it (Brain's `requestOf`, Training's `proposalOf`): Round.State's fields."""

    size: int
    committee: int
    committed: int
    revealed: int
    declined: int
    commit_deadline: int
    reveal_deadline: int
    commit_count: int
    reveal_count: int
    decline_count: int

    @classmethod
    def of(cls, info, size: int) -> RoundView:
        """The round of a Brain request or a Training proposal (a proposal's round has no declines)."""
        return cls(size, info.committee, info.committed, info.revealed, getattr(info, "declined", 0),
                   info.commit_deadline, info.reveal_deadline, info.commit_count, info.reveal_count,
                   getattr(info, "decline_count", 0))

    def member(self, index: int) -> bool:
        return bool(self.committee >> index & 1)

    def commits_open(self, head: int) -> bool:
        return head + 1 <= self.commit_deadline

    def reveals_open(self, head: int) -> bool:
        """Reveals are open: no commitment can follow (the commit deadline passed, or every member committed
        or declined) and the reveal deadline has not passed."""
        no_more = head + 1 > self.commit_deadline or self.commit_count + self.decline_count == self.size
        return no_more and head + 1 <= self.reveal_deadline

    def settleable(self, head: int) -> bool:
        """Nothing can change the outcome: every commitment revealed once no commitment can follow, or the
        reveal deadline passed (Round.settleable)."""
        no_more = head + 1 > self.commit_deadline or self.commit_count + self.decline_count == self.size
        return (self.reveal_count == self.commit_count and no_more) or head + 1 > self.reveal_deadline

    def silent(self) -> int:
        """Drawn, did not decline, never revealed: slashed to the treasury at settlement."""
        return self.committee & ~self.revealed & ~self.declined


def due(view: RoundView, index: int | None, head: int) -> tuple[Duty, ...]:
    """The duties node `index` (None: not a registered node) has in this open round when the next block
    is head + 1: commit (or decline) while commits are open, reveal its commitment while reveals are,
    finalize (anyone) once the round is settleable."""
    out: list[Duty] = []
    if index is not None and view.member(index):
        bit = 1 << index
        if not (view.committed | view.declined) & bit:
            if view.commits_open(head):
                out.append(Duty.COMMIT)
        elif view.committed & bit and not view.revealed & bit and view.reveals_open(head):
            out.append(Duty.REVEAL)
    if view.settleable(head):
        out.append(Duty.FINALIZE)
    return tuple(out)


def seed_ready(opened_block: int, head: int) -> bool:
    """A round opened (requested, proposed) in `opened_block` can be drawn: its seed block (the next one)
    is mined."""
    return head > opened_block + 1


class Rounds:
    """Open Brain rounds (a request's, or a batch's under its batch id) folded from their events, for drivers
    that follow the log rather than read each round's state (the benchmarks): `fold` every Brain event in
    block order, then `due(head)` lists what each member owes; a duty `sent` is not listed again."""

    def __init__(self, size: int, index_of: dict[str, int]):
        self.size, self.index_of = size, index_of
        self.views: dict[int, RoundView] = {}
        self._sent: set[tuple[int, int | None, Duty]] = set()

    def fold(self, e) -> None:
        """Applies one Brain event (contracts.events); others are ignored."""
        from dataclasses import replace

        from contracts import events as ev

        if isinstance(e, (ev.Dispatched, ev.BatchDispatched)):
            rid = e.batch_id if isinstance(e, ev.BatchDispatched) else e.request_id
            self.views[rid] = RoundView(self.size, e.committee, 0, 0, 0, e.commit_deadline, e.reveal_deadline,
                                        0, 0, 0)
            return
        rid = e.batch_id if isinstance(e, ev.BatchFinalized) else getattr(e, "request_id", None)
        v = self.views.get(rid)
        if v is None:
            return
        if isinstance(e, (ev.Finalized, ev.TimedOut, ev.Unservable, ev.BatchFinalized)):
            del self.views[rid]
            self._sent = {s for s in self._sent if s[0] != rid}
            return
        bit = 1 << self.index_of[e.member] if hasattr(e, "member") else 0
        if isinstance(e, ev.Committed):
            self.views[e.request_id] = replace(v, committed=v.committed | bit, commit_count=v.commit_count + 1)
        elif isinstance(e, ev.Declined):
            self.views[e.request_id] = replace(v, declined=v.declined | bit, decline_count=v.decline_count + 1)
        elif isinstance(e, ev.Revealed):
            self.views[e.request_id] = replace(v, revealed=v.revealed | bit, reveal_count=v.reveal_count + 1)

    def due(self, head: int):
        """(request id, member index or None for anyone, duty) for every duty due and not yet sent."""
        for rid, v in self.views.items():
            for i in range(v.committee.bit_length()):
                if v.member(i):
                    for d in due(v, i, head):
                        if d != Duty.FINALIZE and (rid, i, d) not in self._sent:
                            yield rid, i, d
            if v.settleable(head) and (rid, None, Duty.FINALIZE) not in self._sent:
                yield rid, None, Duty.FINALIZE

    def sent(self, rid: int, index: int | None, duty: Duty) -> None:
        self._sent.add((rid, index, duty))
