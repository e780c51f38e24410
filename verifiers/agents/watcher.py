"""The watcher: re-executes every opML claim it sees and disputes only what is wrong.

Duties, recomputed from chain state on every tick:
- challenge: a pending claim (made by anyone: an account, a contract, a proxy; its input is read from the
  claim's ClaimInput event, never from calldata) inside its window whose S_N differs from the watcher's own exact trace,
  with no game of this watcher on it yet -> open a game (with its bond, by default the game's minimum);
- play: every game it opened where the challenger is to move -> the player's move (level one bisection,
  picks, the one-step check on chain); the defender's clock ran out -> claim the timeout;
- stand in: an open opML request all of whose answers were refuted -> answer it itself, as a submitter
  would (so a request whose only submitter cheated still ends with the right answer, if time allows);
- close: a game of its on a claim that another game refuted -> `closeGame` (its bonds back).

Strategies (`--cheat`): every strategy of the dispute-game library, played as the challenger (it then
disputes honest claims with a wrong trace, and loses), and late (honest, moves only when its clock is
about to run out).
"""
from __future__ import annotations

from bisection.errors import NothingToDispute
from runtime.errors import TribunalError
from verifiers.agents.opml_duties import GAME_STRATEGIES, OpmlAgent
from verifiers.views import CLAIM_PENDING


class Watcher(OpmlAgent):
    """The watcher: re-executes every opML claim and disputes only what is wrong (module docstring)."""
    role = "watcher"
    cheats = GAME_STRATEGIES + ("late",)

    def tick(self) -> int:
        sent = 0
        st = self.state()
        for cid, seen in st.claims.items():
            if st.status[cid] != CLAIM_PENDING or seen.event.defender == self.address:
                continue
            sent += self.isolated(f"watch claim {cid}", cid, lambda: self.watch(st, cid, seen))
        if self.strategy == "honest":  # a lying watcher never stands in with its wrong trace
            sent += self.serve_all(st, answer_always=False)
        return sent + self.close_games(st)

    def watch(self, st, cid: int, seen) -> int:
        """Every duty on one pending claim of another party: challenge it, or move in this watcher's games on it."""
        games = [g for g in st.games.get(cid, []) if st.challenger[g] == self.address]
        if not games:
            return self.challenge(cid, seen) if self.chain.block_number < seen.event.deadline else 0
        found = self.claim_input(cid, seen)
        if not found:
            return 0
        return sum(self.isolated(f"move game {gid}", gid, lambda: self.play(gid, self.player(*found)))
                   for gid in games if gid not in st.over)

    def challenge(self, cid: int, seen) -> int:
        """Open a game on claim `cid` when its S_N differs from this watcher's own; returns transactions sent."""
        found = self.claim_input(cid, seen)
        if found is None:
            return 0
        if seen.event.final_root == self.final_root(*found):
            return 0  # the watcher's own S_N: nothing to dispute (and no trace kept for it)
        player = self.player(*found)
        try:
            gid = player.challenge(self.arbiter, cid, self.bond)
        except NothingToDispute:
            return 0
        except TribunalError as e:
            self.log.append({"duty": f"challenge claim {cid}", "refused": f"{type(e).__name__}: {e}"})
            return 0
        self.log.append({"duty": f"challenge claim {cid}", "game": gid, "block": self.chain.block_number})
        return 1
