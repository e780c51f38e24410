"""`hybrid`: a committee answers now, the fraud proof stands behind it (DESIGN.md section 7a).

The request goes to the HybridCourt, which files it as a Brain request with itself as the consumer.
Members vote keccak256(output root, final root) of their exact trace and publish the pair; when Brain
finalizes, the majority's answer is `provisional` at once (BRAIN's latency) and `final` after the
court's challenge window. A watcher that disagrees challenges; a majority member must then defend the
answer as an opML claim, which watchers dispute with the bisection game; a refuted (or undefended)
answer is overturned, the majority slashed, and the watcher's own final claim adopted: the honest
answer is what ends final. See contracts/README.md, "Hybrid".

A model without an exact program is served through its float program (the fast profile, node by
node): members vote the pair of their float trace, and a dispute that reaches a node is settled by a
jury (a Brain round) that recomputes only that node and votes whether the defender's output is within
the request's tolerance (option `tolerance`: a `bisection.tolerance.Tolerance`, an (atol, rtol) pair or
"ATOL,RTOL"; default `bisection.tolerance.DEFAULT` for float models, exact equality for exact ones).

Every deployment has its court (`verifiers.deployment.deploy_all`: `deployment.court`); the answer goes to the requester's consumer (`IResultConsumer.onResult`) once final.
"""
from __future__ import annotations

from contracts import events as ev
from contracts.arbiter import SIDES
from contracts.bindings.brain import ResultKind, Status as BrainStatus
from contracts.bindings.hybrid import HybridConfig, HybridStatus, OverturnReason
from bisection.tolerance import Tolerance
from verifiers.deployment import hybrid_config
from verifiers.chainlog import events, transactions, tx_record
from verifiers.errors import InvalidRequest, ModeUnavailable
from verifiers.modes import register
from verifiers.modes.base import PENDING, Handle, Mode, Request, quietly, read_answer, slashed, tolerance_of
from verifiers.modes.brain import CALLBACK_GAS, check_committee, check_fee
from verifiers.verdict import DISPUTED, FINAL, PROVISIONAL, TIMED_OUT, Verdict
from verifiers.views import JURY_NAMES, brain_settled, jury_evidence, resolve_due

COURT_EVENTS = (ev.HybridRequested, ev.AnswerPublished, ev.CommitteeDecided, ev.AnswerProvisional,
                ev.AnswerChallenged, ev.AnswerDefended, ev.AnswerOverturned, ev.AnswerFinal, ev.HybridTimedOut)
BRAIN_EVENTS = (ev.Dispatched, ev.Committed, ev.Revealed, ev.Finalized, ev.TimedOut)
GAME_EVENTS = (ev.GameOpened, ev.Bisected, ev.OutputPosted, ev.Picked, ev.TreeRevealed, ev.Stepped, ev.NodePosted,
               ev.GameResolved)
NAMES = {"HybridRequested": "request", "AnswerPublished": "publish", "CommitteeDecided": "finalize round",
         "AnswerProvisional": "finalize round", "AnswerChallenged": "challenge", "AnswerDefended": "defend",
         "AnswerOverturned": "resolve (overturn)", "AnswerFinal": "resolve (final)", "HybridTimedOut": "resolve (timeout)",
         "Dispatched": "dispatch", "Committed": "commit", "Revealed": "reveal", "Finalized": "finalize round",
         "TimedOut": "finalize round (timeout)", "ClaimSubmitted": "opML claim", "ClaimFinalized": "resolve claim",
         "GameOpened": "open game", "Bisected": "bisect", "OutputPosted": "post output", "Picked": "pick",
         "TreeRevealed": "reveal (game)", "Stepped": "one-step check", "NodePosted": "post node",
         "JuryVerdict": "jury verdict", "GameResolved": "timeout (game)"}
REASONS = {OverturnReason.UNPUBLISHED: "the majority never published the pair it voted for",
           OverturnReason.UNDEFENDED: "no majority member defended the challenged answer in time",
           OverturnReason.REFUTED: "the majority's defense claim lost its bisection game"}


def config_for(deployment) -> HybridConfig:
    """The court's windows for this deployment (`verifiers.deployment.hybrid_config`)."""
    return hybrid_config(deployment.system.config, deployment.opml.config)


@register
class Hybrid(Mode):
    """Hybrid: the committee answers at once (provisional); a fraud proof can overturn it within a window."""
    name = "hybrid"
    summary = "a committee answers at once (provisional), final after a window in which a fraud proof can overturn it"
    options = ("tolerance",)
    float_roots = True

    def default_kind(self, entry) -> ResultKind:
        return ResultKind.OUTPUT_ROOT

    def check(self, t, req: Request) -> None:
        if not req.model.disputable:
            raise ModeUnavailable(f"hybrid needs a program the dispute game can run (exact, or a float program "
                                  f"with static shapes), and model '{req.model.name}' has none")
        if req.kind != ResultKind.OUTPUT_ROOT:
            raise InvalidRequest("hybrid settles the program's output root: result kind must be output_root")
        tolerance_of(req)  # refuses a bad or meaningless tolerance before anything is sent
        check_fee(t, req)
        check_committee(t)

    def default_deadline(self, t, req: Request) -> int:
        s, o = t.deployment.system.config, t.deployment.opml.config
        cfg = config_for(t.deployment)
        # a whole round, the window, a challenge's defense, the defense claim's game, then the adoption
        blocks = 4 + s.commit_window + s.reveal_window + cfg.challenge_window + cfg.defend_window + o.window \
            + 2 * o.clock + 16
        if not req.model.exact:  # a float game's last move waits for a jury round (no clock runs meanwhile)
            blocks += 4 + s.commit_window + s.reveal_window
        return blocks

    def submit(self, t, req: Request) -> Handle:
        court, consumer = t.deployment.court, t.deployment.court_consumer
        if court is None:
            raise ModeUnavailable("this deployment has no hybrid court (a partial deployment): deploy_all deploys one")
        r = court.request(req.model.model_id, req.model.encode(req.x, ResultKind.OUTPUT_ROOT), fee=req.fee,
                          sender=t.requester, consumer=consumer, callback_gas=CALLBACK_GAS,
                          tolerance=tolerance_of(req).packed)
        return self.handle(t, r)

    def handle(self, t, receipt) -> Handle:
        return Handle(receipt.one(ev.HybridRequested).request_id, receipt.block_number,
                      {"request_tx": tx_record(t.chain, "request", receipt)})

    def keep(self, t, req: Request, h: Handle) -> None:
        """The requester's own pokes: dispatch when no agent runs, finalize the round once it can no longer
        change, and resolve the request whenever a window or a game has ended."""
        d, court, rid = t.deployment, t.deployment.court, h.request_id
        info = court.request_info(rid)
        if info.status == HybridStatus.PENDING:
            b = d.brain.request_info(rid)
            if b.status == BrainStatus.QUEUED and t.chain.block_number > b.request_block + 1 and not t.scheduler.agents:
                quietly(lambda: d.brain.dispatch(8, sender=t.requester))
            elif b.status == BrainStatus.DISPATCHED and t.chain.block_number > b.reveal_deadline:
                quietly(lambda: d.brain.finalize(rid, sender=t.requester))
            elif brain_settled(d, rid):
                quietly(lambda: court.resolve(rid, sender=t.requester))
        elif info.status != HybridStatus.FINAL and resolve_due(t.chain, d, info):
            quietly(lambda: court.resolve(rid, sender=t.requester))

    def poll(self, t, req: Request, h: Handle) -> Verdict:
        return hybrid_verdict(self.name, t, req, h)

    def expire(self, t, req: Request, h: Handle) -> Verdict:
        self.keep(t, req, h)
        v = self.poll(t, req, h)
        if not v.settled:
            v.reason = f"not final within {req.deadline_blocks} blocks ({v.status} on chain)"
            v.status = TIMED_OUT
        return v


def hybrid_verdict(mode: str, t, req: Request, h: Handle) -> Verdict:
    """The verdict of hybrid request `h` as the chain has it now."""
    d, chain, rid = t.deployment, t.chain, h.request_id
    court = d.court
    info = court.request_info(rid)
    head = chain.block_number
    seen = events(chain, court.address, *COURT_EVENTS, from_block=h.block, key=rid)
    v = Verdict(mode, PENDING, request_id=rid, blocks=head - h.block)
    prov = next((s for s in seen if isinstance(s.event, ev.AnswerProvisional)), None)
    if prov is not None:
        v.provisional_blocks = prov.block - h.block
    s = info.status
    if s in (HybridStatus.PENDING, HybridStatus.DECIDED):
        v.transactions = [h.data["request_tx"]]
        return v  # the committee's round is open, or its pair is not published yet: a light verdict
    brain_seen = events(chain, d.brain.address, *BRAIN_EVENTS, from_block=h.block, key=rid)
    claims = [info.defense] if info.defense is not None else []
    claim_seen, jury_seen, games = [], [], []
    for c in claims:
        claim_seen += events(chain, d.game.address, ev.ClaimSubmitted, ev.ClaimFinalized, from_block=h.block, key=c)
        for gid in d.game.claim_games(c):
            moves = events(chain, d.game.address, *GAME_EVENTS, from_block=h.block, key=gid)
            claim_seen += moves
            g = d.game.game(gid)
            game = {"game": gid, "claim": c, "challenger": g.challenger, "moves": g.moves,
                    "winner": SIDES.get(g.winner) if g.phase == "over" else None,
                    "disputed_step": g.hi if g.hi == g.lo + 1 else None}
            jury = jury_evidence(t.chain, t.deployment, gid, h.block)
            if jury is not None:
                game["jury"] = jury.pop("record")
                claim_seen += jury["verdicts"]
                jury_seen += jury["rounds"]
            games.append(game)
    v.transactions = [h.data["request_tx"]] + transactions(chain, [*seen[1:], *brain_seen, *claim_seen], NAMES) \
        + transactions(chain, jury_seen, JURY_NAMES)
    v.transactions.sort(key=lambda x: x.block)
    v.evidence = {
        "committee": d.brain.committee(rid),
        "reveals": [{"member": x.event.member, "vote": "0x" + x.event.result.hex(), "block": x.block}
                    for x in brain_seen if isinstance(x.event, ev.Revealed)],
        "vote": "0x" + info.vote.hex(), "decided_block": info.decided_at,
        "challenge_deadline": info.decided_at + d.court_config.challenge_window,
        "challenger": info.challenger if info.challenged_at else None, "defense_claim": info.defense,
        "tolerance": str(Tolerance.unpack(info.tolerance)), "games": games}
    committee = court.published(rid, info.vote)  # the pair the majority voted for (None: never published)
    if committee is not None:
        v.evidence["committee_root"] = "0x" + committee[0].hex()
    answer = court.answer(rid) or committee  # a challenged answer is still its pair
    if answer is not None:
        v.output_root = "0x" + answer[0].hex()
        v.evidence["final_root"] = "0x" + answer[1].hex()
    over = next((x.event for x in seen if isinstance(x.event, ev.AnswerOverturned)), None)
    if over is not None:
        v.evidence["overturned"] = REASONS[OverturnReason(over.reason)]
    if s == HybridStatus.PROVISIONAL:
        v.status = PROVISIONAL
    elif s in (HybridStatus.CHALLENGED, HybridStatus.DEFENDED, HybridStatus.OVERTURNED):
        v.status = DISPUTED
        v.reason = v.evidence.get("overturned", "the committee's answer is challenged")
        if s == HybridStatus.OVERTURNED:
            v.output_root, answer = None, None  # the overturned answer is no answer
    elif s == HybridStatus.FINAL:
        fin = next(x for x in seen if isinstance(x.event, ev.AnswerFinal))
        v.status, v.blocks = FINAL, fin.block - h.block
        v.evidence["upheld"] = fin.event.upheld
        if not fin.event.upheld:
            v.reason = f"the committee's answer was overturned ({v.evidence.get('overturned', '')}); an opML claim's is final"
    elif s == HybridStatus.TIMED_OUT:
        out = next(x for x in seen if isinstance(x.event, ev.HybridTimedOut))
        v.status, v.blocks, v.refund = TIMED_OUT, out.block - h.block, out.event.refund
        v.output_root, answer = None, None
        v.reason = ("no committee majority: fee refunded" if over is None
                    else "the committee's answer was overturned and no claim replaced it: its slashed stake refunded")
    read_answer(v, req, answer[0] if answer is not None else None)
    v.evidence["slashed"] = slashed(t, rid, h.block)
    return v



__all__ = ["Hybrid", "config_for", "hybrid_verdict"]
