"""Binding of NodeJury: the Brain committee that decides a float step of an opML game (contracts/README.md, "Float steps").

    jury = deploy_jury(system, opml)              # bound to opml.game both ways
    # the claimant's OpmlGame.post_node files a Brain round (result kind NODE_CHECK) with the task below;
    task = JuryTask.decode(input_posted.input)    # what a juror reads from Brain's InputPosted
    # members commit/reveal VOTE_EXACT, VOTE_WITHIN or VOTE_BEYOND in Brain; Brain.finalize ends the game.
    jury.retry(game_id, sender=anyone)            # a round without a verdict: filed again with the same task
"""
from __future__ import annotations

from dataclasses import dataclass

from eth_account.signers.local import LocalAccount

from bisection.jury import VOTE_BEYOND, VOTE_EXACT, VOTE_WITHIN, NodeTask, Verdict  # noqa: F401 - re-exported
from contracts import events as ev
from contracts.bindings.opml import _Simulated
from contracts.chain.base import Receipt

# The task and the votes are the dispute-game library's (one definition, off chain and on chain).
JuryTask = NodeTask


@dataclass(frozen=True)
class JuryCase:
    request: int  # the game's current Brain round
    model_id: bytes
    settled: bool  # the verdict reached the game


class NodeJury(_Simulated):
    """Transactions are simulated first (a revert raises its error class and sends nothing)."""

    artifact_name = "NodeJury"

    def fee(self) -> int:
        return self._view("fee")

    def callback_gas(self) -> int:
        return self._view("callbackGas")

    def game(self) -> str:
        return self._view("game")

    def brain(self) -> str:
        return self._view("brain")

    def case(self, game_id: int) -> JuryCase:
        return JuryCase(*self._view("caseOf", game_id))

    def game_of(self, request_id: int) -> int:
        """The game a Brain round decides (UnknownJuryCase for a round this jury did not file)."""
        return self._view("gameOf", request_id)

    def bind(self, game: str, *, sender: LocalAccount | None = None) -> Receipt:
        return self._tx("bind", game, sender=sender)

    def task_of(self, game_id: int) -> JuryTask:
        """The task of the game's current round, read back from Brain's InputPosted event."""
        from contracts.bindings.brain import Brain

        rid = self.case(game_id).request
        brain = self.brain()
        since = Brain(self.chain, brain).request_info(rid).request_block  # the round's input is logged there
        logs = self.chain.w3.eth.get_logs({"address": brain, "fromBlock": since, "toBlock": "latest",
                                           "topics": [ev.topic_of(ev.InputPosted), rid.to_bytes(32, "big")]})
        posted = [e for e in ev.decode_logs(logs) if isinstance(e, ev.InputPosted)]
        return JuryTask.decode(posted[-1].input)

    def retry(self, game_id: int, task: JuryTask | bytes | None = None, *, sender: LocalAccount,
              value: int = 0) -> Receipt:
        """Delivers a finalized round's undelivered vote, or files the game's task again (after a round that
        timed out or was cancelled: its refunded fee pays; `value` adds to it). `task` defaults to the last
        round's, read from the chain."""
        task = self.task_of(game_id) if task is None else task
        raw = task.encode() if isinstance(task, JuryTask) else bytes(task)
        return self._tx("retry", game_id, raw, sender=sender, value=value)


__all__ = ["JuryCase", "JuryTask", "NodeJury", "VOTE_BEYOND", "VOTE_EXACT", "VOTE_WITHIN", "Verdict"]
