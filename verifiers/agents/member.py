"""The committee member: stakes once (outside this class), then on every tick serves its BRAIN duties.

Duties, each recomputed from chain state on every tick:
- dispatch: the fee queue's head has its seed block mined -> `dispatch` (any node may; the first wins);
- commit: a dispatched request whose committee holds this node and that it has not committed to, while
  the commit window is open -> commit keccak(result, member, salt); the salt is `derive(brain, id)`;
- reveal: committed, not revealed, reveals open -> reveal (result recomputed, salt re-derived);
- decline: in place of a commit, a request this node cannot serve (a model it does not hold or cannot
  build, an input that does not decode for the model, a result kind it does not compute, a jury task it
  cannot judge) -> `decline` with the reason: never silent, so never slashed for it (DESIGN.md section 9);
- finalize: the round can no longer change -> `finalize` (pays the majority, slashes the rest).

What it votes on is what the request says (`ResultKind`): the exact output root, or the fast top-1; or,
sitting on a node jury (NODE_CHECK, `verifiers.agents.juror`), whether a disputed float node's posted output is
within the tolerance of its own recomputation of that one node.

Strategies (`--cheat`): honest; wrong-output (votes a wrong result: the honest one with its last bit
flipped, the same for every liar, so liars form a bloc; a liar about answers still judges a jury task honestly);
wrong-verdict (sits on node juries and votes the opposite verdict; answers honestly); no-reveal (commits, never reveals); copy (waits
for another member's reveal and commits to that: the contract opens reveals only when no commitment can
follow, so the copier never gets a vote in and is slashed); late (acts only after the commit window).
"""
from __future__ import annotations

import hashlib

from contracts import events as ev
from contracts.bindings.brain import DECLINED_RESULT, DeclineReason, ResultKind, batch_commitment, commitment
from contracts.round import Duty, Rounds, RoundView, due, seed_ready
from runtime.errors import InputDtypeError, InputShapeError, TribunalError
from verifiers.agents.base import Agent
from verifiers.agents.juror import flipped, verdict

CHEATS = ("honest", "wrong-output", "no-reveal", "copy", "late", "wrong-verdict")
COMPUTED = (ResultKind.OUTPUT_ROOT, ResultKind.ARGMAX, ResultKind.TOKEN_IDS, ResultKind.NODE_CHECK)  # `_honest`'s


class Member(Agent):
    """A staked committee member: commits and reveals its answer for every request it sits on."""
    role = "member"
    cheats = CHEATS

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self._results: dict[tuple, bytes | DeclineReason] = {}  # (model, kind, sha256(input)) -> honest vote
        # or why it cannot be served: a pure recomputation
        self._cannot: dict[int, DeclineReason] = {}  # request id -> why this node declines it (set by `_honest`)

    def tick(self) -> int:
        b = self.d.brain
        seen = self.recent(b.address, ev.Requested, ev.Dispatched, ev.Finalized, ev.TimedOut, ev.Unservable, ev.Cancelled,
                           ev.BatchDispatched, ev.BatchFinalized)
        # a cancelled request is done too: else it looks queued for the whole lookback and every tick dispatches
        ended = (ev.Finalized, ev.TimedOut, ev.Unservable, ev.Cancelled)
        done = {s.event.request_id for s in seen if isinstance(s.event, ended)}
        dispatched = {s.event.request_id: s.event for s in seen if isinstance(s.event, ev.Dispatched)}
        head = self.chain.block_number
        batches = {s.event.batch_id: s.event for s in seen if isinstance(s.event, ev.BatchDispatched)}
        in_batch = {rid for e in batches.values() for rid in e.request_ids}
        queued = [s for s in seen if isinstance(s.event, ev.Requested) and s.event.request_id not in dispatched
                  and s.event.request_id not in done and s.event.request_id not in in_batch]
        sent = 0
        if any(seed_ready(s.block, head) for s in queued):  # the request can be drawn
            sent += bool(self.send("dispatch", lambda: b.dispatch(8, sender=self.account)))
        active = [rid for rid in dispatched if rid not in done]
        settled = {s.event.batch_id for s in seen if isinstance(s.event, ev.BatchFinalized)}
        open_batches = {bid: e for bid, e in batches.items() if bid not in settled}
        if not active and not open_batches:
            return sent
        found, index = self.chain.call(self.d.nodes.contract.functions.findIndex(self.address))
        for bid, e in open_batches.items():
            if found and e.committee >> index & 1:
                sent += self.isolated(f"batch {bid}", bid, lambda: self._batch_duties(bid, e, index, head))
        for rid in active:
            if not (found and dispatched[rid].committee >> index & 1):
                continue
            # Each request alone, and its vote apart from its finalize: a request this member cannot
            # compute (bytes that do not decode, a kind it does not know) is abstained on, never the others,
            # and its round is still finalized (an unfinalized round would hold an in-flight slot).
            sent += self.isolated(f"vote {rid}", rid, lambda: self._vote_duties(rid, index, head))
            sent += self.isolated(f"finalize {rid}", rid, lambda: self._finalize_due(rid, head))
        return sent

    def _view(self, rid: int):
        info = self.d.brain.request_info(rid)
        return info, RoundView.of(info, self.d.system.config.committee_size)

    def _vote_duties(self, rid: int, index: int, head: int) -> int:
        """Commit (or decline), or reveal, this member's vote on request `rid` when that is due."""
        b = self.d.brain
        info, view = self._view(rid)
        if self.cheat in ("late", "copy") and not (view.committed | view.declined) >> index & 1:
            # commits whenever it likes: late once the window closed, copy once it sees a reveal (both refused)
            return 0 if self.cheat == "late" and head <= info.commit_deadline else self._commit(rid, info, head)
        duties = due(view, index, head)
        if Duty.COMMIT in duties:
            return self._commit(rid, info, head)
        if Duty.REVEAL not in duties or self.cheat == "no-reveal":
            return 0
        vote = self.vote(rid, info)
        return int(vote is not None and bool(self.send(f"reveal {rid}", lambda: b.reveal(
            rid, vote, self.derive(b.address, rid), sender=self.account))))

    def _finalize_due(self, rid: int, head: int) -> int:
        """Finalize request `rid` once its round can no longer change."""
        if Duty.FINALIZE not in due(self._view(rid)[1], None, head):
            return 0
        b = self.d.brain
        return bool(self.send(f"finalize {rid}", lambda: b.finalize(rid, sender=self.account)))

    def _batch_duties(self, bid: int, e, index: int, head: int) -> int:
        """A batch's duties (Brain.dispatchBatch): one commitment and one reveal over this member's results for
        all its requests, and the batch's finalize. A request it cannot compute is DECLINED_RESULT in its
        list (a batch has no per-request decline): silence would slash it over every request of the batch,
        and one unservable request (a model nobody serves, registered by anyone) would sink them all."""
        b = self.d.brain
        view = self._batch_view(bid, e)
        duties = due(view, index, head)
        salt = self.derive(b.address, bid)
        if Duty.COMMIT in duties or (Duty.REVEAL in duties and self.cheat != "no-reveal"):
            results = [self._batch_vote(rid, b.request_info(rid)) for rid in e.request_ids]
            if any(r is None for r in results):
                return 0
            if Duty.COMMIT in duties:
                c = batch_commitment(results, self.address, salt)
                return bool(self.send(f"commit batch {bid}", lambda: b.commit_batch(bid, c, sender=self.account)))
            return bool(self.send(f"reveal batch {bid}", lambda: b.reveal_batch(bid, results, salt,
                                                                                 sender=self.account)))
        if Duty.FINALIZE not in duties:
            return 0
        # the revealed members' lists, by node index, from their BatchResults
        by_member = {s.event.member: list(s.event.results) for s in self.recent(b.address, ev.BatchResults, key=bid)}
        order = sorted(by_member, key=lambda a: self.d.nodes.index_of(a))
        return bool(self.send(f"finalize batch {bid}", lambda: b.finalize_batch(
            bid, list(e.request_ids), [by_member[a] for a in order], sender=self.account)))

    def _batch_vote(self, rid: int, info) -> bytes | None:
        """`vote`, but DECLINED_RESULT for a request this member cannot compute (None still means: not yet)."""
        vote = self._vote_or_decline(rid, info)
        return DECLINED_RESULT if vote is None and rid in self._cannot else vote

    def _vote_or_decline(self, rid: int, info) -> bytes | None:
        """`vote`, with a request it cannot compute (however `vote` found out) recorded in `_cannot`."""
        try:
            return self.vote(rid, info)
        except TribunalError as e:
            return self._decline(rid, reason_of(e), f"{type(e).__name__}: {e}")

    def _batch_view(self, bid: int, e) -> RoundView:
        """The batch's round as its events show it (Brain has no per-batch round view)."""
        tracker = Rounds(self.d.system.config.committee_size,
                         {a: self.d.nodes.index_of(a) for a in self.d.nodes.accounts_of(e.committee)})
        tracker.fold(e)
        for s in self.recent(self.d.brain.address, ev.Committed, ev.Revealed, key=bid):
            tracker.fold(s.event)
        return tracker.views[bid]

    def _commit(self, rid: int, info, head: int) -> int:
        b = self.d.brain
        vote = self._vote_or_decline(rid, info)
        if vote is None:
            if head > info.commit_deadline or self.cheat == "copy":  # the copier waits for a reveal to copy
                return 0
            # INVARIANT: a member that cannot vote says why while the commit window is open (Brain.decline):
            # silence is slashed, so no path of `vote` leaves it silent (none recorded: the model or input).
            if rid not in self._cannot:
                entry = self.catalog.by_id(info.model_id)
                self._decline(rid, DeclineReason.MODEL if entry is None else DeclineReason.INPUT,
                              "no vote and no reason recorded")
            reason = self._cannot[rid]
            return bool(self.send(f"decline {rid} ({reason.name})",
                                  lambda: b.decline(rid, reason, sender=self.account)))
        c = commitment(vote, self.address, self.derive(b.address, rid))
        return bool(self.send(f"commit {rid}", lambda: b.commit(rid, c, sender=self.account)))

    def vote(self, rid: int, info) -> bytes | None:
        """What this member votes on request `rid` (None: it cannot vote, with the reason in `_cannot`
        (`_commit` declines it); for the `copy` cheat, also: no reveal to copy yet)."""
        if self.cheat == "copy":
            theirs = [s.event.result for s in self.recent(self.d.brain.address, ev.Revealed, key=rid)
                      if s.event.member != self.address]
            return theirs[0] if theirs else None
        honest = self._honest(rid, info)
        if honest is None:
            return None
        if int(info.result_kind) == ResultKind.NODE_CHECK:
            if self.cheat == "wrong-verdict":
                return flipped(honest)
            return honest
        if self.cheat != "wrong-output":
            return honest
        return honest[:-1] + bytes([honest[-1] ^ 1])

    def _honest(self, rid: int, info) -> bytes | None:
        """The honest vote, or None with the reason this node cannot serve the request in `_cannot`."""
        entry = self.catalog.by_id(info.model_id)
        posted = self.recent(self.d.brain.address, ev.InputPosted, key=rid)
        kind_served = int(info.result_kind) in COMPUTED and (int(info.result_kind) == ResultKind.NODE_CHECK
                                                             or entry is None or entry.computes(info.result_kind))
        if entry is None or not posted or not kind_served:
            why = DeclineReason.MODEL if entry is None else DeclineReason.INPUT if not posted else DeclineReason.KIND
            return self._decline(rid, why, "unknown model, no input on chain, or a kind it does not compute")
        data, kind = posted[0].event.input, ResultKind(int(info.result_kind))
        key = (entry.model_id, kind, hashlib.sha256(data).digest())
        if key not in self._results:
            try:
                if kind == ResultKind.NODE_CHECK:
                    self._results[key] = verdict(data, self.catalog, entry.model_id)
                else:
                    self._results[key] = entry.result(data, kind)
            except TribunalError as e:  # an input that does not fit, or a model that does not build or run here
                self._results[key] = reason_of(e)
                self.log.append({"duty": f"vote {rid}", "error": f"{type(e).__name__}: {e}"})
        vote = self._results[key]
        if isinstance(vote, DeclineReason):
            return self._decline(rid, vote, "cannot compute the result")
        return vote

    def _decline(self, rid: int, reason: DeclineReason, why: str) -> None:
        self._cannot[rid] = reason
        self.log.append({"duty": f"vote {rid}", "refused": f"{why} ({reason.name})"})
        return None


def reason_of(e: TribunalError) -> DeclineReason:
    """Why a request whose computation raised `e` is declined: its input, or else the model (an op it lacks, say)."""
    return DeclineReason.INPUT if isinstance(e, (InputShapeError, InputDtypeError)) else DeclineReason.MODEL
