"""`opml`: one submitter answers optimistically; the answer is final after a challenge window unless a
watcher disputes it, and a dispute is settled by the bisection game over the program's steps with a
one-step check on chain (opML).

A model without an exact program is served through its float program (the fast profile, node by node):
a dispute that narrows to a float node goes to a jury (a Brain round) that recomputes only that node
and judges the defender's output within the request's tolerance (option `tolerance`, as in hybrid);
answers' claims must state that tolerance (OpmlRequests checks it).

The request goes to OpmlRequests with its fee (model, input, deadline, tolerance). A submitter posts a
bonded claim (S_N and the output root) to the OpmlGame and links it to the request; watchers re-execute
and open games on wrong claims. A claim final after its window settles the request: the fee goes to
its defender and the output root to the requester's consumer (`IResultConsumer.onResult`, as in brain); a rejected claim loses its bond to the challenger, and the request stays open for another
answer until its deadline, after which its fee is refunded ("rejected" when every answer was refuted,
"timed out" when none came).
"""
from __future__ import annotations

from contracts import events as ev
from contracts.arbiter import SIDES
from contracts.bindings.brain import ResultKind
from contracts.bindings.opml_requests import FINAL as REQ_FINAL, TIMED_OUT as REQ_TIMED_OUT, ZERO_ADDRESS
from verifiers.chainlog import events, transactions, tx_record
from verifiers.errors import FeeBelowMinimum, InvalidRequest, ModeUnavailable
from verifiers.modes import register
from verifiers.modes.base import PENDING, Handle, Mode, Request, quietly, read_answer, tolerance_of
from verifiers.modes.brain import CALLBACK_GAS
from verifiers.verdict import DISPUTED, FINAL, REJECTED, TIMED_OUT, Verdict
from verifiers.views import JURY_NAMES, jury_evidence, read_state

GAME_EVENTS = (ev.GameOpened, ev.Bisected, ev.OutputPosted, ev.Picked, ev.TreeRevealed, ev.Stepped, ev.NodePosted,
               ev.Rebased, ev.GameResolved)
NAMES = {"OpmlRequested": "request", "RequestAnswered": "answer", "RequestSettled": "settle",
         "ClaimSubmitted": "claim", "ClaimFinalized": "resolve claim", "ClaimRejected": "claim rejected",
         "GameOpened": "open game", "Bisected": "bisect", "OutputPosted": "post output", "Picked": "pick",
         "TreeRevealed": "reveal", "Stepped": "one-step check", "NodePosted": "post node",
         "JuryVerdict": "jury verdict", "GameResolved": "timeout"}


@register
class Opml(Mode):
    """opML: one bonded claim, final after a challenge window; a dispute is a bisection game on chain."""
    name = "opml"
    summary = "a bonded claim, final after a challenge window; disputes settled by bisection on chain"

    options = ("tolerance",)
    float_roots = True

    def default_kind(self, entry) -> ResultKind:
        return ResultKind.OUTPUT_ROOT

    def check(self, t, req: Request) -> None:
        if not req.model.disputable:
            raise ModeUnavailable(f"opml needs a program the dispute game can run (exact, or a float program with "
                                  f"static shapes), and model '{req.model.name}' has none")
        if req.kind != ResultKind.OUTPUT_ROOT:
            raise InvalidRequest("opml settles the program's output root: result kind must be output_root")
        tolerance_of(req)  # refuses a bad or meaningless tolerance before anything is sent
        min_fee = t.deployment.requests.min_fee
        if req.fee < min_fee:
            raise FeeBelowMinimum(f"fee {req.fee} wei is below the minimum {min_fee} wei")

    def default_deadline(self, t, req: Request) -> int:
        c, s = t.deployment.opml.config, t.deployment.system.config
        blocks = c.window + 2 * c.clock + 16
        if not req.model.exact:  # a float game's last move waits for a jury round (no clock runs meanwhile)
            blocks += 4 + s.commit_window + s.reveal_window
        return blocks

    def submit(self, t, req: Request) -> Handle:
        d = t.deployment
        r = d.requests.request(req.model.model_id, req.model.encode(req.x, ResultKind.OUTPUT_ROOT), req.deadline_blocks,
                               fee=req.fee, sender=t.requester, tolerance=tolerance_of(req).packed,
                               consumer=d.requests_consumer or ZERO_ADDRESS, callback_gas=CALLBACK_GAS)
        return self.handle(t, r)

    def handle(self, t, receipt) -> Handle:
        e = receipt.one(ev.OpmlRequested)
        return Handle(e.request_id, receipt.block_number, {"request_tx": tx_record(t.chain, "request", receipt),
                                                           "deadline": e.deadline})

    def keep(self, t, req: Request, h: Handle) -> None:
        """The requester resolves its answers' claims once their window passed, and settles its request
        once an answer is final or its deadline passed (judged from the logs; the contract checks again)."""
        reqs, game, head = t.deployment.requests, t.deployment.game, t.chain.block_number
        st = _state(t, h)
        if st.settled:
            return
        resolvable = [c for c in st.answers if st.status[c] == "pending" and not st.open_games(c)
                      and head >= st.claims[c].event.deadline]
        for c in resolvable:
            quietly(lambda: game.resolve_claim(c, sender=t.requester))
        if resolvable or head > h.data["deadline"]:
            quietly(lambda: reqs.settle(h.request_id, sender=t.requester))

    def expire(self, t, req: Request, h: Handle) -> Verdict:
        self.keep(t, req, h)
        v = opml_verdict(self.name, t, req, h, full=True)  # the claims and games so far, settled or not
        if not v.settled:
            pending = [c["claim"] for c in v.evidence["claims"] if c["status"] == "pending"]
            v.reason = f"no final answer within {req.deadline_blocks} blocks" + (
                f": claim {', '.join(map(str, pending))} still pending on chain (it may yet become final)"
                if pending else f" ({v.status} on chain)")
            v.status = TIMED_OUT
        return v

    def poll(self, t, req: Request, h: Handle) -> Verdict:
        return opml_verdict(self.name, t, req, h)


class _Logs:
    """One request's answers, claims and games as the logs have them (`verifiers.views.read_state`)."""

    def __init__(self, st, rid: int):
        self.settled = rid in st.settled
        self.answers = st.answers.get(rid, [])
        self.claims, self.status, self.open_games = st.claims, st.status, st.open_games


def _state(t, h: Handle) -> _Logs:
    return _Logs(read_state(t.chain, t.deployment, h.block), h.request_id)


def opml_verdict(mode: str, t, req: Request, h: Handle, full: bool = False) -> Verdict:
    """The verdict as the chain has it; while the request is open, a light one (status only, read each
    block) unless `full`."""
    reqs, game, chain = t.deployment.requests, t.deployment.game, t.chain
    st = _state(t, h)
    disputed = any(st.open_games(c) for c in st.answers)
    if not st.settled and not full:  # open: a light verdict from the logs, read each block
        return Verdict(mode, DISPUTED if disputed else PENDING, request_id=h.request_id,
                       blocks=chain.block_number - h.block, transactions=[h.data["request_tx"]])
    info = reqs.request_info(h.request_id)
    answers = reqs.answers(h.request_id)
    mine = events(chain, reqs.address, ev.RequestAnswered, ev.RequestSettled, from_block=h.block, key=h.request_id)
    seen = list(mine)
    claims, games, jury_seen = [], [], []
    for c in answers:
        cl = game.claim(c)
        seen += events(chain, game.address, ev.ClaimSubmitted, ev.ClaimFinalized, ev.ClaimRejected, from_block=h.block, key=c)
        gids = game.claim_games(c)
        claims.append({"claim": c, "defender": cl.defender, "output_root": "0x" + cl.output_root.hex(),
                       "status": cl.status, "games": gids})
        for gid in gids:
            moves = events(chain, game.address, *GAME_EVENTS, from_block=h.block, key=gid)
            seen += moves
            g = game.game(gid)
            games.append({"game": gid, "claim": c, "challenger": g.challenger, "phase": g.phase, "moves": g.moves,
                          "winner": SIDES.get(g.winner) if g.phase == "over" else None,
                          "disputed_step": g.hi if g.hi == g.lo + 1 else None,
                          "transcript": [_move(s) for s in moves]})
            jury = jury_evidence(t.chain, t.deployment, gid, h.block)
            if jury is not None:  # a float program's game: its steps went to a jury
                games[-1]["jury"] = jury["record"]
                seen += jury["verdicts"]
                jury_seen += jury["rounds"]
    v = Verdict(mode, DISPUTED if disputed else PENDING, request_id=h.request_id, blocks=chain.block_number - h.block,
                transactions=sorted([h.data["request_tx"]] + transactions(chain, seen, NAMES)
                                    + transactions(chain, jury_seen, JURY_NAMES), key=lambda x: x.block),
                evidence={"claims": claims, "games": games, "deadline": info.deadline})
    settled = [s for s in mine if isinstance(s.event, ev.RequestSettled)]
    if info.status == REQ_FINAL:
        e = settled[0].event
        v.status, v.blocks = FINAL, settled[0].block - h.block
        v.output_root = "0x" + e.output_root.hex()
        read_answer(v, req, e.output_root)
        v.evidence["final_claim"] = e.claim_id
    elif info.status == REQ_TIMED_OUT:
        refuted = any(c["status"] == "rejected" for c in claims)
        v.status = REJECTED if refuted else TIMED_OUT
        v.refund, v.blocks = info.fee + info.allowance, settled[0].block - h.block
        v.reason = ("every answer was proven wrong on chain; fee refunded" if refuted
                    else "no answer before the deadline; fee refunded")
        read_answer(v, req, None)
    return v


def _move(s) -> dict:
    e = s.event
    d = {"kind": type(e).__name__, "block": s.block}
    for k in ("side", "agree", "lo", "hi", "index", "depth", "element", "step", "recomputed", "revealed", "winner", "reason"):
        if hasattr(e, k):
            d[k] = getattr(e, k)
    return d

