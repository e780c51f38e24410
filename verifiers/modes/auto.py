"""`auto`: picks brain, opml or hybrid per request and says why (`verdict.reason`).

The policy weighs three things the request states or implies:
- whether the model has a program the dispute game can run: an exact one (disputes end in a one-step
  check), or a float one (a disputed node goes to a jury, within the request's tolerance); a model with
  neither (no static shapes) can only have a committee vote on its fast top-1, so brain;
- value at risk against what a committee majority has at stake: a majority that lies loses
  (K // 2 + 1) slashes; below that a lie does not pay and brain's one-round finality is enough;
- the latency budget (option `latency_blocks`): hybrid gives the committee's answer at once as
  provisional and final after a challenge window; opml is final only after its window.
So: value at risk below the majority's slashable stake, or no program to dispute -> brain; otherwise
hybrid when registered (provisional within the budget, a fraud proof behind it), else opml.
"""
from __future__ import annotations

from contracts.bindings.brain import ResultKind
from verifiers import modes
from verifiers.modes import register
from verifiers.modes.base import Handle, Mode, Request
from verifiers.verdict import Verdict


def choose(t, req: Request) -> tuple[str, str]:
    """(mode name, why) for a request."""
    cfg = t.deployment.system.config
    majority_stake = (cfg.committee_size // 2 + 1) * cfg.slash_amount
    budget = req.options.get("latency_blocks")
    brain_blocks = 2 + cfg.commit_window + cfg.reveal_window
    if not req.model.disputable:
        return "brain", (f"model '{req.model.name}' has no program a dispute game can run, so no fraud proof "
                         f"can settle it: a committee votes on its fast top-1")
    if req.value_at_risk < majority_stake:
        return "brain", (f"value at risk {req.value_at_risk} wei is below the {majority_stake} wei a lying majority "
                         f"of {cfg.committee_size} would lose: one committee round is final enough")
    window = t.deployment.opml.config.window
    if "hybrid" in modes.names():
        why = (f"value at risk {req.value_at_risk} wei is at least what a lying majority would lose "
               f"({majority_stake} wei): the committee's answer is provisional at once and a fraud proof can "
               f"overturn it for {window} blocks")
        if not req.model.exact:
            why += " (a disputed node of its float program is settled by a jury within the request's tolerance)"
        if budget is not None and budget < brain_blocks:
            why += f" (the budget of {budget} blocks is below even a committee round of ~{brain_blocks})"
        return "hybrid", why
    return "opml", (f"value at risk {req.value_at_risk} wei is at least what a lying majority would lose "
                    f"({majority_stake} wei), and hybrid is not available here: an optimistic claim with a "
                    f"{window}-block challenge window")


@register
class Auto(Mode):
    """Picks brain, opml or hybrid from the model, value at risk and latency budget, and says why."""
    name = "auto"
    summary = "picks brain, opml or hybrid from latency budget, value at risk and the model; says why"
    options = ("latency_blocks", "tolerance")
    float_roots = True  # a float model's request may end up in hybrid, which settles its float root

    def _chosen(self, t, req: Request) -> tuple[Mode, Request, str]:
        name, why = choose(t, req)
        sub = modes.get(name)
        opts = {k: v for k, v in req.options.items() if k in sub.options}
        kind = req.kind
        if not req.model.exact:  # what the chosen mode settles on a float model: its root, or else its own kind
            kind = ResultKind.OUTPUT_ROOT if sub.float_roots else req.model.default_kind()
        return sub, Request(req.model, req.x, name, req.fee, req.deadline_blocks, req.value_at_risk, kind, opts), why

    def check(self, t, req: Request) -> None:
        sub, sreq, _ = self._chosen(t, req)
        sub.check(t, sreq)

    def default_deadline(self, t, req: Request) -> int:
        sub, sreq, _ = self._chosen(t, req)
        return sub.default_deadline(t, sreq)

    def submit(self, t, req: Request) -> Handle:
        sub, sreq, why = self._chosen(t, req)
        h = sub.submit(t, sreq)
        h.data.update(chosen=sub.name, reason=why)
        return h

    def _as_auto(self, v: Verdict, h: Handle) -> Verdict:
        v.evidence["chosen"] = h.data["chosen"]
        v.reason = h.data["reason"] + (f"; {v.reason}" if v.reason else "")
        v.mode = f"auto ({h.data['chosen']})"
        return v

    def keep(self, t, req: Request, h: Handle) -> None:
        sub, sreq, _ = self._chosen(t, req)
        sub.keep(t, sreq, h)

    def poll(self, t, req: Request, h: Handle) -> Verdict:
        sub, sreq, _ = self._chosen(t, req)
        return self._as_auto(sub.poll(t, sreq, h), h)

    def expire(self, t, req: Request, h: Handle) -> Verdict:
        sub, sreq, _ = self._chosen(t, req)
        return self._as_auto(sub.expire(t, sreq, h), h)
