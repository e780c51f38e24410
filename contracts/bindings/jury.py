"""Binding of NodeJury: the Brain committee that decides a float step of an opML game (contracts/README.md, "Float steps").

    jury = deploy_jury(system, opml)              # bound to opml.game both ways
    # the claimant's OpmlGame.post_node files a Brain round (result kind NODE_CHECK) with the task below;
    task = JuryTask.decode(input_posted.input)    # what a juror reads from Brain's InputPosted
    # members commit/reveal VOTE_EXACT, VOTE_WITHIN or VOTE_BEYOND in Brain; Brain.finalize ends the game.
    jury.retry(game_id, sender=anyone)            # a round without a verdict: filed again with the same task
"""
from __future__ import annotations

from eth_account.signers.local import LocalAccount

from bisection.jury import VOTE_BEYOND, VOTE_EXACT, VOTE_WITHIN, NodeTask, Verdict  # noqa: F401 - re-exported
from contracts import events as ev
from contracts.abi_types import NodeJuryCase
from contracts.bindings.base import SimulatedBinding, tx, view
from contracts.bindings.brain import Brain
from contracts.chain.base import Receipt

# The task and the votes are the dispute-game library's (one definition, off chain and on chain).
JuryTask = NodeTask


JuryCase = NodeJuryCase  # NodeJury.Case by name: the game's current Brain round, its model, whether settled


class NodeJury(SimulatedBinding):
    """Transactions are simulated first (a revert raises its error class and sends nothing)."""

    artifact_name = "NodeJury"

    def fee(self) -> int:
        """Wei a jury round filed now costs: Brain's minimum fee plus the allowance of the jury's callback at the
        base fee of the block it lands in (read there: the pending block)."""
        return self.chain.call(self.contract.functions.fee(), block="pending")
    callback_gas = view("callbackGas")
    game = view("game")
    brain = view("brain")
    case = view("caseOf", "(game_id): the game's JuryCase.")
    game_of = view("gameOf", "The game a Brain round decides (UnknownJuryCase for a round this jury did not file).")
    bind = tx("bind", "(game): binds the jury to its game (once).")

    def task_of(self, game_id: int) -> JuryTask:
        """The task of the game's current round, read back from Brain's InputPosted event."""
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
