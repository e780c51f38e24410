"""`BrainJurors`: the staked members of a Brain, played in this process as jurors of a NodeJury.

    jurors = BrainJurors(system, jury, LocalJury(program), members)   # members: the staked accounts
    jurors.register(program)          # a float model must be known to Brain's ModelRegistry too
    jurors.decide(game_id)            # dispatch, commit, reveal, finalize: True once the verdict is in

Each member of the drawn committee decodes the task from Brain's InputPosted (`NodeTask`), asks
`juror.vote(task)` (VOTE_EXACT, VOTE_WITHIN, VOTE_BEYOND, or None: it does not vote) and commits, then reveals;
Brain finalizes and its callback ends the game. A round without quorum times out and is filed again
(`NodeJury.retry`). For tests, benchmarks and `ChainArbiter(jurors=...)`: live members run the
verifiers' agents instead.
"""
from __future__ import annotations

from eth_account.signers.local import LocalAccount

from contracts.bindings import Status, commitment, new_salt
from contracts.bindings.jury import NodeJury
from contracts.deploy import System
from contracts.round import RoundView

GAS = 500_000  # explicit gas for Brain's commit and reveal (one EVM run each, not an estimation search)


class BrainJurors:
    def __init__(self, system: System, jury: NodeJury, juror, members: list[LocalAccount], *,
                 keeper: LocalAccount | None = None):
        """`juror`: anything with `vote(NodeTask) -> bytes | None` (e.g. `bisection.jury.LocalJury`)."""
        self.system, self.chain, self.brain, self.jury, self.juror = system, system.chain, system.brain, jury, juror
        self.members = {a.address: a for a in members}
        self.keeper = keeper or self.chain.accounts[0]
        self.gas: list[dict] = []  # every transaction: {"kind", "game", "gas"}

    def register(self, program) -> bytes:
        """Registers a program's roots in Brain's ModelRegistry (Brain.request checks it); idempotent."""
        from bisection.commitments import commit

        c = commit(program)
        if not self.system.models.exists(c.model_id):
            self.system.models.register(c.program_root, c.weights_root, sender=self.keeper)
        return c.model_id

    def _tx(self, kind: str, game_id: int, receipt):
        self.gas.append({"kind": kind, "game": game_id, "gas": receipt.gas_used})
        return receipt

    def decide(self, game_id: int, rounds: int = 3) -> bool:
        """Plays the game's jury round(s) to the end: True once the verdict reached the game; False if
        `rounds` rounds in a row gave none (the jurors abstained or too few are staked)."""
        from bisection.jury import NodeTask

        for _ in range(rounds):
            case = self.jury.case(game_id)
            if case.settled:
                return True
            rid = case.request
            status = self.brain.status(rid)
            if status in (Status.TIMED_OUT, Status.CANCELLED):
                self._tx("retry", game_id, self.jury.retry(game_id, sender=self.keeper))
                continue
            while status == Status.QUEUED:  # dispatch pops the best-paying request first: pop until ours
                self.chain.mine(1)
                self._tx("dispatch", game_id, self.brain.dispatch(1, sender=self.keeper, gas=2 * GAS))
                status = self.brain.status(rid)
            if status == Status.DISPATCHED:
                task = NodeTask.decode(self.jury.task_of(game_id).encode(), case.model_id)
                self._vote(game_id, rid, task)
            elif status == Status.FINALIZED:  # a vote whose callback did not get through: deliver it
                self._tx("retry", game_id, self.jury.retry(game_id, b"", sender=self.keeper))
        return self.jury.case(game_id).settled

    def _vote(self, game_id: int, rid: int, task) -> None:
        committee = [self.members[a] for a in self.brain.committee(rid) if a in self.members]
        votes = {m.address: v for m in committee if (v := self.juror.vote(task)) is not None}
        salts = {a: new_salt() for a in votes}
        for a, v in votes.items():
            self._tx("commit", game_id, self.brain.commit(rid, commitment(v, a, salts[a]), sender=self.members[a],
                                                          gas=GAS))
        view = self._round(rid)
        head = self.chain.block_number
        if not view.reveals_open(head):  # a member did not commit: reveals open once the commit window closed
            self.chain.mine(max(0, view.commit_deadline - head))
        for a, v in votes.items():
            self._tx("reveal", game_id, self.brain.reveal(rid, v, salts[a], sender=self.members[a], gas=GAS))
        view, head = self._round(rid), self.chain.block_number
        if not view.settleable(head):  # a commitment left unrevealed: settles once the reveal window closed
            self.chain.mine(max(0, view.reveal_deadline - head))
        self._tx("finalize", game_id, self.brain.finalize(rid, sender=self.keeper, gas=4 * GAS))

    def _round(self, rid: int) -> RoundView:
        return RoundView.of(self.brain.request_info(rid), self.system.config.committee_size)
