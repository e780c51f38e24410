"""The opML submitter: answers open opML requests with a bonded claim and defends it.

Duties, recomputed from chain state on every tick:
- answer: an open request (OpmlRequests) with no pending or final claim of this submitter, before the
  request's deadline -> run the exact trace, submit a claim (S_N, output root) with the minimum bond to
  the OpmlGame and link it to the request (a claim submitted but not linked before a crash is linked
  on the next tick instead of a new one);
- defend: every game on its claims where the defender is to move -> the player's move (level one
  bisection, output, reveals); the other side's clock ran out -> claim the timeout;
- settle: its claim's window passed with no open game -> resolve the claim, then settle the request
  (the fee is credited to it);
- close: a game of its on a claim that another game refuted -> `closeGame` (its bonds back).

Strategies (`--cheat`): every strategy of the dispute-game library (bisection.players: wrong-output,
wrong-final, flip-lsb, extra-slot, bad-bisection, inconsistent, timeout, random), corrupting the step
in the middle of the program; and late (honest, but moves only when its clock is about to run out).
"""
from __future__ import annotations

from verifiers.agents.opml_duties import GAME_STRATEGIES, OpmlAgent


class Submitter(OpmlAgent):
    """The opML submitter: answers requests with bonded claims and defends them (module docstring)."""
    role = "submitter"
    cheats = GAME_STRATEGIES + ("late",)

    def tick(self) -> int:
        st = self.state()
        return self.serve_all(st, answer_always=True) + self.close_games(st)
