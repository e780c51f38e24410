"""The committee member of sharded requests as its own OS process (`tribunal node --role shard-member`):

    tribunal node --role shard-member --rpc URL --key 0x... --deployment FILE --models gpt2-tiny \\
        --shards 1,2,3 --store DIR [--cheat corrupt --lie-on 2]

One staked account plays every party a sharded request needs from it, each acting only on chain state and
the boundary store (so a process killed and started again resumes from chain state):
- the shard node (verifiers/shard/node.py): it learns each sharded model from the ShardLedger's registration
  (the spec on chain, rebuilt and checked against the sharded id, for the models `--models` names), adds its
  shards to the catalog and announces the ones it holds; in opml it posts, checks, disputes and defends
  boundaries in the ledger;
- the committee member (committee.ShardMember): on a Brain or HybridCourt round (a ShardRounds pipeline's)
  whose model is one of those shards it votes the root (or the court's pair) of the boundary it computes
  from the round's input posted on chain, writes the boundary to the store, and defends its answer when
  challenged. A round on a shard it does not hold (`--shards`), an input that does not decode, or a boundary
  it cannot write is declined alone, with the reason (never silent, so never slashed for it);
- an honest member also runs the shard watcher (hybrid.ShardWatcher): it recomputes each court round on a
  shard it holds, challenges a wrong answer with the court's fraud proof on that shard and writes its own
  boundary to the store, so the pipeline goes on from the adopted answer.

Cheats: the member's (`committee.ShardMember.cheats`); `corrupt` votes, stores and posts one lying
boundary (the same for every liar) on the shards `--lie-on` names (default: all it holds).
"""
from __future__ import annotations

from contracts.bindings.brain import DeclineReason
from verifiers.agents.base import Agent

from . import plans
from .committee import ShardMember
from .hybrid import ShardWatcher
from .errors import ShardSpecError
from .node import ShardNode, ledger_address, parse_shards


class HoldingMember(ShardMember):
    """A ShardMember that serves only the shards it holds, and declines (never dies on) what it cannot serve."""

    def __init__(self, *a, holds: set[int] | None = None, **kw):
        super().__init__(*a, **kw)
        self.holds = holds

    def vote(self, rid: int, info) -> bytes | None:
        entry = self.catalog.by_id(info.model_id)
        if isinstance(entry, plans.ShardEntry) and self.holds is not None and entry.index not in self.holds:
            return self._decline(rid, DeclineReason.MODEL, f"shard {entry.index}: not a shard this node holds")
        try:
            return super().vote(rid, info)
        except OSError as e:  # the store cannot be written: say so in the commit window rather than stay silent
            return self._decline(rid, DeclineReason.MODEL, f"boundary store: {e}")


class ShardMemberNode(Agent):
    """One account's shard node and committee member of sharded requests (module docstring)."""
    role = "shard-member"
    cheats = ShardMember.cheats
    takes_args = True  # `tribunal node` hands it its parsed arguments (--shards, --store, --lie-on)

    def __init__(self, deployment, account, *, args=None, ledger=None, store=None, shards=None, lie_on=None,
                 bond: int | None = None, **kw):
        super().__init__(deployment, account, **kw)
        if args is not None:
            from contracts.bindings.shard import ShardLedger

            ledger = ledger or ShardLedger(deployment.chain, ledger_address(args.deployment))
            store, shards = store or args.store, shards or args.shards
            lie_on = lie_on or getattr(args, "lie_on", None)
        if ledger is None or store is None:
            raise ShardSpecError("a shard member needs the deployment's shard ledger and a boundary store (--store DIR)")
        holds = parse_shards(shards) if isinstance(shards, str) else (set(shards) if shards else None)
        if isinstance(lie_on, str):
            try:
                lie_on = parse_shards(lie_on)
            except ShardSpecError:
                raise ShardSpecError(f"--lie-on {lie_on!r}: want comma-separated shard numbers from 1, e.g. 2") from None
        if lie_on is not None and self.cheat != "corrupt":
            raise ShardSpecError("--lie-on names the shards a `--cheat corrupt` member lies on: give --cheat corrupt")
        self.member = HoldingMember(deployment, account, catalog=self.catalog, cheat=self.cheat, name=f"{self.name}-member",
                                    store=store, lie_on=lie_on, holds=holds)
        self.node = ShardNode(deployment, account, catalog=self.catalog, ledger=ledger, store=store, shards=holds,
                              lie_on=lie_on, cheat="corrupt" if self.cheat == "corrupt" else "honest",
                              name=f"{self.name}-node", **({"bond": bond} if bond is not None else {}))
        self.watcher = None if self.cheat == "corrupt" else ShardWatcher(
            deployment, account, catalog=self.catalog, name=f"{self.name}-watcher", store=store)
        self._parts = [a for a in (self.node, self.member, self.watcher) if a is not None]
        self._logged = {id(a): 0 for a in self._parts}
        self._declared: set[bytes] = set()  # shard model ids this account declared holding (NodeRegistry)

    def tick(self) -> int:
        sent = self.node.isolated("tick", self.node.name, self.node.tick)  # first: a newly registered model loads
        sent += self.isolated("declare holdings", self.name, self.declare)
        for a in self._parts[1:]:
            sent += a.isolated("tick", a.name, a.tick)
        for a in self._parts:  # one log, as `tribunal node` prints it
            self.log.extend(a.log[self._logged[id(a)]:])
            self._logged[id(a)] = len(a.log)
        return sent

    def declare(self) -> int:
        """Declares on chain (NodeRegistry holdings) each loaded shard it holds, once: holders-only shard models
        draw their committees among the nodes that did."""
        entries = [e for e in list(self.catalog._entries.values()) if isinstance(e, plans.ShardEntry)
                   and e.model_id not in self._declared and self.member.holds_shard(e.index)]
        if not entries or self.d.nodes.stake_of(self.address) == 0:  # not staked (yet): nothing to declare
            return 0
        done = self.member.declare(entries)
        self._declared.update(e.model_id for e in entries)
        return len(done)
