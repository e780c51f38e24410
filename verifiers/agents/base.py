"""Node agents: parties that act only on what the chain says, never on calls from each other.

An `Agent` keeps no state of its own that it could not recompute from the chain (op-challenger style).
On every `tick()` it reads chain state and events and performs whatever duties are due right now, each
duty a check of chain state followed by at most a transaction: "I am in this request's committee and
have not committed: commit", "my commitment is on chain and reveals are open: reveal", "this claim is
wrong and I have no game on it: open one", "it is my turn in game 7: move". So an agent killed at any
point and started again resumes its open duties on its next tick. Secrets that must survive a crash
are derived, not stored: a member's commit salt is HMAC-SHA256(key, chain id ‖ contract ‖ request id)
(`Agent.derive`), so a member that committed before a crash reveals the same salt after it. Caches
(a model's trace for a request input, say) are allowed only as speed-ups of a pure recomputation.

How agents run:
- in process, on the embedded chain (or anvil): a `Scheduler` ticks every agent after each block;
  `verifiers.api.Tribunal` owns one and mines a block when nobody had anything to do;
- as OS processes: `tribunal node --role ROLE --rpc URL --key KEY --deployment FILE [--cheat S]`
  runs `run_forever()`, which ticks and sleeps `poll` seconds between ticks.

Writing a new role (engineer h12's trainer/scorer/follower roles are meant to be written this way):

    from verifiers.agents.base import Agent

    class Scorer(Agent):
        role = "scorer"
        cheats = ("honest", "inflate")          # strategies `--cheat` accepts; "honest" first

        def tick(self) -> int:
            return sum(self.isolated(f"score {s.event.request_id}", s.event.request_id, lambda: self.score(s))
                       for s in self.recent(self.d.brain.address, SomeEvent))   # events since `lookback` blocks

        def score(self, seen) -> int:
            if not <duty due, judged from chain state only>:
                return 0
            return bool(self.send("score", lambda: binding.method(..., sender=self.account)))  # transactions sent

`send` runs a transaction and records it in `self.log`; a contract error (another agent was faster,
a window closed) is logged and swallowed, since the next tick recomputes what is still due.
`isolated` runs one item's duty alone: whatever it raises (chain data that does not decode, a model
that will not load) is logged with the item's id and ends that item's duty only, so an agent never
dies on chain data (`Scheduler.tick` and `run_forever` isolate each whole tick as well). Add the
class to the table in `verifiers/agents/roles.py` and `tribunal node --role NAME` finds it.
"""
from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any, Callable, ClassVar

from eth_account.signers.local import LocalAccount

from runtime.errors import TribunalError
from verifiers.catalog import Catalog
from verifiers.chainlog import Seen, events
from verifiers.deployment import Deployment
from verifiers.errors import UnknownCheat

LOOKBACK = 1024  # blocks of history an agent re-reads each tick: longer than any window or game here


class Agent:
    """A party that acts only on chain state (see the module docstring). Subclasses set `role` and
    `cheats` and implement `tick`."""
    role: ClassVar[str] = "agent"
    cheats: ClassVar[tuple[str, ...]] = ("honest",)

    def __init__(self, deployment: Deployment, account: LocalAccount, *, catalog: Catalog | None = None,
                 cheat: Any = "honest", name: str | None = None):
        if not self.accepts(cheat):
            raise UnknownCheat(f"the {self.role} role has no strategy '{cheat}' (have: {', '.join(self.cheats)})")
        self.d, self.chain, self.account = deployment, deployment.chain, account
        self.catalog = catalog or Catalog()
        self.cheat = cheat
        self.name = name or f"{self.role}-{account.address[:8]}"
        self.log: list[dict] = []  # what it did and what the chain refused, newest last (for people; never read back)
        self._failures: set[tuple] = set()  # (duty, item, error) already logged by `isolated`: logged once, not every tick

    @classmethod
    def accepts(cls, cheat: Any) -> bool:
        """Whether this role plays `cheat` (one of `cheats`; the opML roles also take a dispute-game
        `Strategy` object or an import path to one). May raise UnknownCheat saying why not."""
        return cheat in cls.cheats

    @property
    def address(self) -> str:
        """The agent's account address."""
        return self.account.address

    def tick(self) -> int:
        """Perform every duty due now; returns the number of transactions sent."""
        raise NotImplementedError

    # ---- helpers for duties
    def from_block(self) -> int:
        """The first block of the history each tick re-reads (`history` blocks back, not before the deployment)."""
        return max(self.d.start_block, self.chain.block_number - self.history())

    def history(self) -> int:
        """LOOKBACK plus the longest life of a Brain round (queue, commit and reveal windows) and of an opML claim
        (its window and both clocks of a game opened at its end): a round or claim still open, or a game still
        running, is never older than what a (restarted) agent reads, whatever windows the deployment chose."""
        span = LOOKBACK
        system, opml = getattr(self.d, "system", None), getattr(self.d, "opml", None)
        if system is not None:
            c = system.config
            span += c.queue_timeout + c.commit_window + c.reveal_window
        if opml is not None:
            span += opml.config.window + 2 * opml.config.clock
        return span

    def recent(self, address: str, *kinds, key: int | None = None) -> list[Seen]:
        """Events of `kinds` emitted by `address` since `from_block` (with `key`: of that indexed id only)."""
        return events(self.chain, address, *kinds, from_block=self.from_block(), key=key)

    def send(self, what: str, fn: Callable[[], object]) -> object | None:
        """Run one transaction and log it; a contract's refusal is logged and returns None."""
        try:
            r = fn()
        except TribunalError as e:
            self.log.append({"duty": what, "refused": f"{type(e).__name__}: {e}", "block": self.chain.block_number})
            return None
        self.log.append({"duty": what, "block": getattr(r, "block_number", None), "gas": getattr(r, "gas_used", None)})
        return r

    def isolated(self, what: str, item, fn: Callable[[], int]) -> int:
        """Runs one item's duty (a request, claim, game, proposal) alone: any exception it raises, from
        chain data that does not decode to a model that will not load, is logged with the item's id and
        ends that item's duty for this tick, never the tick itself, so the other items are still served.
        The same failure of the same item is logged once (the duty is retried, and fails alike, every tick).
        Returns the transactions `fn` sent (0 when it failed)."""
        try:
            return int(fn() or 0)
        except Exception as e:  # noqa: BLE001 - an agent never dies on chain data (DESIGN.md section 11)
            error = f"{type(e).__name__}: {e}"
            if (what, item, error) not in self._failures:
                self._failures.add((what, item, error))
                self.log.append({"duty": what, "id": item, "error": error, "block": self.chain.block_number})
            return 0

    def derive(self, *parts: bytes | int | str) -> bytes:
        """A secret only this key can compute, the same after a restart: HMAC-SHA256(key, chain id ‖ parts)."""
        msg = hashlib.sha256()
        for p in (self.chain.chain_id, *parts):
            msg.update(p if isinstance(p, bytes) else str(p).encode())
        return hmac.new(bytes(self.account.key), msg.digest(), hashlib.sha256).digest()

    def run_forever(self, poll: float = 0.2, stop: Callable[[], bool] = lambda: False) -> None:
        """Tick, sleep, repeat (the OS-process loop)."""
        while not stop():
            self.isolated("tick", self.name, self.tick)  # a failure outside any item's duty: try again next tick
            time.sleep(poll)


class Scheduler:
    """Ticks in-process agents after each block; returns how many transactions they sent."""

    def __init__(self, agents: list[Agent] | None = None):
        self.agents = list(agents or [])

    def add(self, agent: Agent) -> Agent:
        """Add an agent to tick; returns it."""
        self.agents.append(agent)
        return agent

    def tick(self) -> int:
        """Every agent ticks, whatever another one raised (it is logged in that agent's own log)."""
        return sum(a.isolated("tick", a.name, a.tick) for a in self.agents)
