"""Read-only views of the protocol's state that modes (the requester's side) and agents (the nodes') both
need: what the opML logs say (`read_state`), what a float game's jury did (`jury_evidence`), and when a
hybrid request can move on (`brain_settled`, `resolve_due`, `court_majority`). Pure reads of the chain: nothing here sends a transaction or keeps a
cache, so a mode and an agent reading the same blocks see the same thing.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from bisection.jury import Verdict
from contracts import events as ev
from contracts.bindings.brain import Status as BrainStatus
from contracts.bindings.hybrid import HybridStatus
from verifiers.chainlog import events

CLAIM_PENDING, CLAIM_FINAL, CLAIM_REJECTED = "pending", "final", "rejected"


@dataclass
class OpmlState:
    """What the opML contracts' logs say, read afresh on every tick (views only where a duty needs them)."""

    requests: dict = field(default_factory=dict)  # request id -> Seen(OpmlRequested)
    settled: set = field(default_factory=set)  # request ids
    answers: dict = field(default_factory=dict)  # request id -> [claim id]
    claims: dict = field(default_factory=dict)  # claim id -> Seen(ClaimSubmitted)
    status: dict = field(default_factory=dict)  # claim id -> pending | final | rejected
    games: dict = field(default_factory=dict)  # claim id -> [game id]
    challenger: dict = field(default_factory=dict)  # game id -> address
    over: set = field(default_factory=set)  # game ids

    def open_games(self, claim_id: int) -> list[int]:
        return [g for g in self.games.get(claim_id, []) if g not in self.over]


def read_state(chain, deployment, from_block: int) -> OpmlState:
    """OpmlRequests' and OpmlGame's logs since `from_block`, folded into one `OpmlState`."""
    st = OpmlState()
    for s in events(chain, deployment.requests.address, ev.OpmlRequested, ev.RequestAnswered, ev.RequestSettled,
                    from_block=from_block):
        e = s.event
        if isinstance(e, ev.OpmlRequested):
            st.requests[e.request_id] = s
        elif isinstance(e, ev.RequestAnswered):
            st.answers.setdefault(e.request_id, []).append(e.claim_id)
        else:
            st.settled.add(e.request_id)
    for s in events(chain, deployment.game.address, ev.ClaimSubmitted, ev.ClaimFinalized, ev.ClaimRejected,
                    ev.GameOpened, ev.GameResolved, from_block=from_block):
        e = s.event
        if isinstance(e, ev.ClaimSubmitted):
            st.claims[e.claim_id] = s
            st.status.setdefault(e.claim_id, CLAIM_PENDING)
        elif isinstance(e, ev.ClaimFinalized):
            st.status[e.claim_id] = CLAIM_FINAL
        elif isinstance(e, ev.ClaimRejected):
            st.status[e.claim_id] = CLAIM_REJECTED
        elif isinstance(e, ev.GameOpened):
            st.games.setdefault(e.claim_id, []).append(e.game_id)
            st.challenger[e.game_id] = e.challenger
        else:
            st.over.add(e.game_id)
    return st


# ---------------------------------------------------------------- the float-step jury

# Transactions of a jury round, as verdicts name them.
JURY_NAMES = {"Dispatched": "jury dispatch", "Committed": "jury commit", "Revealed": "jury reveal",
              "TimedOut": "jury round (timeout)", "Unservable": "jury round (declined)", "JuryConvened": "jury retry"}


def jury_evidence(chain, deployment, game_id: int, since: int) -> dict | None:
    """A float game's jury: its rounds (Brain requests of kind NODE_CHECK), their reveals and the verdict;
    None for a game that never reached a jury."""
    d = deployment
    convened = events(chain, d.jury.address, ev.JuryConvened, from_block=since, key=game_id)
    if not convened:
        return None
    verdicts = events(chain, d.jury.address, ev.JuryVerdict, from_block=since, key=game_id)
    rounds, votes = [], 0
    for c in convened:
        rid = c.event.brain_request_id
        seen = events(chain, d.brain.address, ev.Dispatched, ev.Committed, ev.Revealed, ev.TimedOut,
                      ev.Unservable, from_block=c.block, key=rid)
        rounds += seen + ([c] if c is not convened[0] else [])  # a later round was a retry
        votes = sum(isinstance(s.event, ev.Revealed) for s in seen)
    verdict = Verdict(verdicts[-1].event.verdict).name.lower() if verdicts else None
    record = {"rounds": [c.event.brain_request_id for c in convened], "step": convened[-1].event.step,
              "votes": votes, "verdict": verdict}
    return {"record": record, "verdicts": verdicts, "rounds": rounds}


# ---------------------------------------------------------------- hybrid


def resolve_due(chain, deployment, info) -> bool:
    """Whether `court.resolve` has something to do for a hybrid request, judged from its state (the
    contract checks again): a settled Brain round, an ended window, or a settled defense claim."""
    head, cfg, s = chain.block_number, deployment.court_config, info.status
    if s == HybridStatus.PENDING:
        return False  # Brain's callback decides it; a round that timed out is found by `brain_settled`
    if s in (HybridStatus.DECIDED, HybridStatus.PROVISIONAL):
        return head > info.decided_at + cfg.challenge_window
    if s == HybridStatus.CHALLENGED:
        return head > info.challenged_at + cfg.defend_window
    if s == HybridStatus.DEFENDED:
        c = deployment.game.claim(info.defense)
        if c.status != CLAIM_PENDING:
            return True
        return c.open_games == 0 and head >= c.created + deployment.opml.config.window
    if s == HybridStatus.OVERTURNED:
        return head > info.overturned_at + cfg.adopt_window
    return False


def brain_settled(deployment, request_id: int) -> bool:
    """A pending hybrid request whose Brain round timed out (or can be cancelled) is resolvable."""
    b = deployment.brain.request_info(request_id)
    if b.status in (BrainStatus.TIMED_OUT, BrainStatus.FINALIZED, BrainStatus.UNSERVABLE):
        return True
    timeout = deployment.system.config.queue_timeout
    return b.status == BrainStatus.QUEUED and deployment.chain.block_number > b.request_block + timeout


def court_majority(deployment, rid: int, vote: bytes) -> list[str]:
    """The committee members whose revealed vote is `vote`."""
    b = deployment.brain
    return [m for m in b.committee(rid) if b.vote_of(rid, m) == vote]


__all__ = ["CLAIM_FINAL", "CLAIM_PENDING", "CLAIM_REJECTED", "JURY_NAMES", "OpmlState", "brain_settled",
           "court_majority", "jury_evidence", "read_state", "resolve_due"]
