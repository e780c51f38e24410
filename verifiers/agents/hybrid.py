"""Hybrid duties (contracts/README.md, "Hybrid"): the committee member and the watcher, extended.

A hybrid request is a Brain request whose consumer is the deployment's HybridCourt (`deployment.court`);
its committee votes keccak256(outputRoot, finalRoot) of its trace (exact, or the float program's for a
model without one). These classes extend the plain member and watcher, and are what the roles "member"
and "watcher" run (`verifiers.agents.roles`): they do everything those do, plus, recomputed from chain
state on every tick:

HybridMember
- vote: on a hybrid request, the pair of its trace (the honest one; with `--cheat wrong-output`, a
  trace whose last step's output is corrupted, the same for every liar, so liars form a bloc);
- decline: a hybrid request it cannot trace (a model it holds no program for, an input that does not
  decode, a trace that does not build) -> `Brain.decline` with the reason, as a plain member does:
  never silent, so never slashed for it (DESIGN.md section 9);
- publish: its vote is revealed and the pair is not published yet -> publish (output root, final root,
  the output root's path in S_N);
- defend: the answer it voted for is challenged -> submit its trace as an opML claim and name it to
  the court (the lowest-addressed majority member at once, the others from half the defend window);
- play: every open game on its defense claim where the defender is to move -> the player's move.

HybridWatcher
- dispute: a decided answer inside its challenge window whose vote is not the pair of the watcher's own
  trace -> submit its own claim (the answer to adopt) and challenge (the opML duties of the plain
  watcher then open and play a game on the majority's defense claim);
- adopt: an overturned answer -> its claim, once final, becomes the answer;
- resolve: any request whose window or game has ended -> `resolve` (anyone may; the requester does too).
"""
from __future__ import annotations

import functools

from contracts import events as ev
from contracts.bindings.brain import DeclineReason, ResultKind
from contracts.bindings.hybrid import HybridCourt, HybridStatus, vote_of
from runtime.errors import InputDtypeError, InputShapeError, TribunalError
from verifiers.agents.member import Member
from verifiers.agents.opml_duties import OpmlAgent
from verifiers.agents.watcher import Watcher
from verifiers.views import CLAIM_FINAL, CLAIM_PENDING, brain_settled, court_majority, resolve_due

OPEN = (HybridStatus.PENDING, HybridStatus.DECIDED, HybridStatus.PROVISIONAL, HybridStatus.CHALLENGED,
        HybridStatus.DEFENDED, HybridStatus.OVERTURNED)


class _HybridDuties(OpmlAgent):
    """What both hybrid roles share: the court, its open requests, a request's input and traces."""

    def open_requests(self, court: HybridCourt) -> list[int]:
        """Every hybrid request not yet settled, from the court's logs (a request whose AnswerFinal or
        HybridTimedOut is logged is settled for good: its state is not read again)."""
        seen = self.recent(court.address, ev.HybridRequested, ev.AnswerFinal, ev.HybridTimedOut)
        settled = {s.event.request_id for s in seen if not isinstance(s.event, ev.HybridRequested)}
        return [s.event.request_id for s in seen if isinstance(s.event, ev.HybridRequested)
                and s.event.request_id not in settled]

    def serve_hybrid(self, duties) -> int:
        """`duties(court, state, rid, info)` on every open hybrid request, each alone (a request that
        fails is logged, never the others); `state` reads the opML logs once, when a duty first asks.
        Nothing to do on a deployment without a court (a partial one, as some tests deploy)."""
        court = self.d.court
        if court is None:
            return 0
        state = functools.cache(self.state)

        def one(rid: int) -> int:
            info = court.request_info(rid)
            return duties(court, state, rid, info) if info.status in OPEN else 0

        return sum(self.isolated(f"hybrid request {rid}", rid, lambda: one(rid)) for rid in self.open_requests(court))

    def request_input(self, rid: int):
        """(entry, x_q) of a hybrid request, from Brain's InputPosted event; None when unknown here."""
        posted = self.recent(self.d.brain.address, ev.InputPosted, key=rid)
        if not posted:
            return None
        entry = self.catalog.by_id(self.d.brain.request_info(rid).model_id)
        if entry is None or not entry.disputable:
            return None
        return entry, entry.decode(posted[0].event.input, ResultKind.OUTPUT_ROOT)

    def pair(self, entry, x_q, strategy: str) -> tuple[bytes, bytes, list[bytes]]:
        """(output root, final root, output root's path in S_N) of this agent's trace under `strategy`."""
        t = self.player(entry, x_q, strategy).trace
        out, n = entry.program.output_slots[0], t.steps
        return t.leaf(n, out), t.root(n), t.proof(n, out)

    def my_claim(self, st, info, since: int) -> int | None:
        """This agent's latest claim on the request's model and input made at or after block `since`."""
        mine = [c for c, s in st.claims.items() if s.event.defender == self.address
                and s.event.initial_root == info.initial_root and s.block >= since]
        return max(mine) if mine else None

    def resolve_hybrid(self, court: HybridCourt, rid: int, info) -> int:
        due = brain_settled(self.d, rid) if info.status == HybridStatus.PENDING else \
            resolve_due(self.chain, self.d, info)
        if not due:
            return 0
        return bool(self.send(f"resolve hybrid {rid}", lambda: court.resolve(rid, sender=self.account)))


class HybridMember(Member, _HybridDuties):
    role = "member"

    @property
    def trace_strategy(self) -> str:
        return "wrong-final" if self.cheat == "wrong-output" else "honest"

    def is_hybrid(self, rid: int, info) -> bool:
        """Whether Brain request `rid` is the court's own: kind RAW and in the court's record (its
        HybridRequested event). A plain request naming the court as its consumer is not (it is voted, or
        declined, as any Brain request)."""
        court = self.d.court
        if court is None or int(info.result_kind) != ResultKind.RAW or info.consumer != court.address:
            return False
        return bool(self.recent(court.address, ev.HybridRequested, key=rid))

    def vote(self, rid: int, info) -> bytes | None:
        if self.cheat == "copy" or not self.is_hybrid(rid, info):
            return super().vote(rid, info)
        # A request it cannot trace is declined (Member._commit sends the reason `_decline` records).
        try:
            found = self.request_input(rid)
            if found is None:
                entry = self.catalog.by_id(info.model_id)
                if entry is None or not entry.disputable:
                    return self._decline(rid, DeclineReason.MODEL, "no program of this model to trace")
                return self._decline(rid, DeclineReason.INPUT, "no input on chain")
            out, final, _ = self.pair(*found, self.trace_strategy)
        except (InputShapeError, InputDtypeError) as e:
            return self._decline(rid, DeclineReason.INPUT, f"input does not decode ({type(e).__name__}: {e})")
        except TribunalError as e:  # the program does not build or trace here (an op it lacks, say)
            return self._decline(rid, DeclineReason.MODEL, f"cannot trace the model ({type(e).__name__}: {e})")
        return vote_of(out, final)

    def tick(self) -> int:
        return super().tick() + self.serve_hybrid(self._duties)

    def _duties(self, court: HybridCourt, state, rid: int, info) -> int:
        if info.status in (HybridStatus.PENDING, HybridStatus.DECIDED):
            return self._publish(court, rid, info)
        if info.status == HybridStatus.CHALLENGED:
            return self._defend(court, state(), rid, info)
        if info.status == HybridStatus.DEFENDED:
            return self._play_defense(state(), rid, info)
        return 0

    def _mine(self, court: HybridCourt, rid: int):
        """(entry, x_q, pair, vote) of this member's hybrid vote, or None when it has none revealed."""
        if self.d.brain.vote_of(rid, self.address) == bytes(32):
            return None  # not drawn, or declined: nothing to trace
        found = self.request_input(rid)
        if found is None:
            return None
        out, final, proof = self.pair(*found, self.trace_strategy)
        vote = vote_of(out, final)
        if self.d.brain.vote_of(rid, self.address) != vote:
            return None  # not revealed (yet), or another vote
        return found, (out, final, proof), vote

    def _publish(self, court: HybridCourt, rid: int, info) -> int:
        if info.status == HybridStatus.DECIDED and self.chain.block_number > info.decided_at + \
                self.d.court_config.challenge_window:
            return 0
        mine = self._mine(court, rid)
        if mine is None or court.published(rid, mine[2]) is not None:
            return 0
        if info.status == HybridStatus.DECIDED and mine[2] != info.vote:
            return 0
        out, final, proof = mine[1]
        return bool(self.send(f"publish hybrid {rid}", lambda: court.publish(rid, out, final, proof,
                                                                            sender=self.account)))

    def _defend(self, court: HybridCourt, st, rid: int, info) -> int:
        mine = self._mine(court, rid)
        if mine is None or mine[2] != info.vote:
            return 0
        cfg, head = self.d.court_config, self.chain.block_number
        if head > info.challenged_at + cfg.defend_window:
            return 0
        majority = sorted(a for a in court_majority(self.d, rid, info.vote))
        if majority and majority[0] != self.address and head <= info.challenged_at + cfg.defend_window // 2:
            return 0  # the first member defends; the others stand by
        (entry, x_q), sent = mine[0], 0
        claim = self.my_claim(st, info, info.challenged_at)
        if claim is None:
            player = self.player(entry, x_q, self.trace_strategy)
            claim = self.send(f"claim for hybrid {rid}", lambda: player.submit(
                self.arbiter, entry.model_id, self.d.opml.config.min_bond, tolerance=info.tolerance))
            if claim is None:
                return 0
            sent += 1
        return sent + bool(self.send(f"defend hybrid {rid}", lambda: court.defend(rid, claim, sender=self.account)))

    def _play_defense(self, st, rid: int, info) -> int:
        cid = info.defense
        seen = st.claims.get(cid)
        if seen is None or seen.event.defender != self.address or st.status.get(cid) != CLAIM_PENDING:
            return 0
        found = self.claim_input(cid, seen)
        if found is None:
            return 0
        player = self.player(*found, self.trace_strategy)
        return sum(self.isolated(f"move game {gid}", gid, lambda: self.play(gid, player)) for gid in st.open_games(cid))


class HybridWatcher(Watcher, _HybridDuties):
    role = "watcher"

    def tick(self) -> int:
        return super().tick() + self.serve_hybrid(self._duties)

    def _duties(self, court: HybridCourt, state, rid: int, info) -> int:
        sent = 0  # dispute and adopt apart from resolve: a request it cannot recompute is still resolved
        if info.status in (HybridStatus.DECIDED, HybridStatus.PROVISIONAL):
            sent += self.isolated(f"dispute hybrid {rid}", rid, lambda: self._dispute(court, state(), rid, info))
        elif info.status == HybridStatus.OVERTURNED:
            sent += self.isolated(f"adopt hybrid {rid}", rid, lambda: self._adopt(court, state(), rid, info))
        return sent + self.resolve_hybrid(court, rid, info)

    def _dispute(self, court: HybridCourt, st, rid: int, info) -> int:
        cfg = self.d.court_config
        if self.chain.block_number > info.decided_at + cfg.challenge_window:
            return 0
        found = self.request_input(rid)
        if found is None:
            return 0
        out, final, _ = self.pair(*found, self.strategy)
        if vote_of(out, final) == info.vote:
            return 0  # the majority's pair is the watcher's own
        sent = self._ensure_claim(st, rid, info, found)
        return sent + bool(self.send(f"challenge hybrid {rid}", lambda: court.challenge(
            rid, bond=cfg.challenge_bond, sender=self.account)))

    def _ensure_claim(self, st, rid: int, info, found) -> int:
        """This watcher's own claim on the request (the answer to adopt if the majority's falls)."""
        if self.my_claim(st, info, info.request_block) is not None:
            return 0
        entry, x_q = found
        player = self.player(entry, x_q)
        return bool(self.send(f"claim for hybrid {rid}", lambda: player.submit(
            self.arbiter, entry.model_id, self.d.opml.config.min_bond, tolerance=info.tolerance)))

    def _adopt(self, court: HybridCourt, st, rid: int, info) -> int:
        if self.chain.block_number > info.overturned_at + self.d.court_config.adopt_window:
            return 0
        claim = self.my_claim(st, info, info.request_block)
        if claim is None:
            found = self.request_input(rid)
            return self._ensure_claim(st, rid, info, found) if found and self.strategy == "honest" else 0
        status = st.status.get(claim)
        ready = status == CLAIM_FINAL or (status == CLAIM_PENDING and not st.open_games(claim)
                                          and self.chain.block_number >= st.claims[claim].event.deadline)
        if not ready:
            return 0
        return bool(self.send(f"adopt hybrid {rid}", lambda: court.adopt(rid, claim, sender=self.account)))
