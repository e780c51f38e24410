"""Binding of NodeJury: the Brain committee that decides a float step of an opML game (FLOAT_SPEC 4, 5).

    jury = deploy_jury(system, opml)              # bound to opml.game both ways
    # the claimant's OpmlGame.post_node files a Brain round (result kind NODE_CHECK) with the task below;
    task = JuryTask.decode(input_posted.input)    # what a juror reads from Brain's InputPosted
    # members commit/reveal VOTE_WITHIN or VOTE_BEYOND in Brain; Brain.finalize ends the game.
    jury.retry(game_id, sender=anyone)            # a round without a verdict: filed again with the same task
"""
from __future__ import annotations

from dataclasses import dataclass

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from contracts import events as ev
from contracts.bindings.opml import _Simulated
from contracts.chain.base import Receipt

VOTE_WITHIN = (1).to_bytes(32, "big")  # the claimant's output is within tolerance: the claimant wins
VOTE_BEYOND = (2).to_bytes(32, "big")  # it is not: the other side wins
_TASK_TYPES = ["uint256", "uint256", "uint64", "bytes", "bytes32[]", "bytes[]", "bytes32", "bytes"]


@dataclass(frozen=True)
class JuryTask:
    """What jurors read: Brain's input bytes of a jury round, abi.encode of these fields in this order."""

    game_id: int
    step: int
    tolerance: int  # packed float32 atol << 32 | float32 rtol (FLOAT_SPEC 3)
    node: bytes  # the step's descriptor (op ONNX_NODE)
    input_leaves: tuple  # each listed input's tensor root in S_lo (proven on chain)
    inputs: tuple  # each one's canonical bytes; b"" for a constant (jurors use their copy of the model)
    output_root: bytes
    output: bytes  # the claimant's canonical bytes of the written output (proven on chain)

    def encode(self) -> bytes:
        return abi_encode(_TASK_TYPES, [self.game_id, self.step, self.tolerance, self.node, list(self.input_leaves),
                                        list(self.inputs), self.output_root, self.output])

    @classmethod
    def decode(cls, data: bytes) -> "JuryTask":
        g, k, tol, node, leaves, inputs, root, out = abi_decode(_TASK_TYPES, bytes(data))
        return cls(g, k, tol, node, tuple(leaves), tuple(inputs), root, out)


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
        rid = self.case(game_id).request
        topic0 = keccak(text="InputPosted(uint256,bytes)")
        logs = self.chain.w3.eth.get_logs({"address": self.brain(), "fromBlock": 0, "toBlock": "latest",
                                           "topics": ["0x" + topic0.hex(), "0x" + rid.to_bytes(32, "big").hex()]})
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


__all__ = ["JuryCase", "JuryTask", "NodeJury", "VOTE_BEYOND", "VOTE_WITHIN"]
