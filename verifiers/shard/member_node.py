"""The committee member of sharded requests as its own OS process (`tribunal node --role shard-member`):

    tribunal node --role shard-member --rpc URL --key 0x... --deployment FILE --models gpt2-tiny \\
        --shards 1,2,3 --store DIR [--cheat corrupt --lie-on 2]

One staked account plays both parties a sharded request needs from it, each acting only on chain state and
the boundary store (so a process killed and started again resumes from chain state):
- the shard node (verifiers/shard/node.py): it learns each sharded model from the ShardLedger's registration
  (the spec on chain, rebuilt and checked against the sharded id, for the models `--models` names), adds its
  shards to the catalog and announces the ones it holds; in hybrid it posts, checks, disputes and defends
  boundaries in the ledger;
- the committee member (committee.ShardMember): on a Brain round whose model is one of those shards it votes
  the root of the boundary it computes from the round's input posted on chain, and writes the boundary to
  the store. A round on a shard it does not hold (`--shards`), an input that does not decode, or a
  boundary it cannot write is declined alone, with the reason (never silent, so never slashed for it).
The link between the two, which in process `hybrid.serve` hands the nodes, is read from chain here: a
finalized round of shard j in which this member revealed the majority root is the boundary it posts when
the ledger routes shard j of that input to it (`ShardNode.forward`).

Cheats: the member's (`committee.ShardMember.cheats`); `corrupt` votes, stores and posts one lying
boundary (the same for every liar) on the shards `--lie-on` names (default: all it holds).
"""
from __future__ import annotations

from contracts import events as ev
from contracts.bindings.brain import DeclineReason
from runtime.tensor_root import tensor_root
from verifiers.agents.base import Agent

from . import plans
from .committee import ShardMember
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
        self._rounds: set[int] = set()  # finalized Brain rounds already read for `forward`
        self._logged = {id(self.member): 0, id(self.node): 0}

    def tick(self) -> int:
        sent = self.node.isolated("tick", self.node.name, self.node.tick)  # first: a newly registered model loads
        sent += self.isolated("read decided boundaries", self.name, self.decided)
        sent += self.member.isolated("tick", self.member.name, self.member.tick)
        for a in (self.node, self.member):  # one log, as `tribunal node` prints it
            self.log.extend(a.log[self._logged[id(a)]:])
            self._logged[id(a)] = len(a.log)
        return sent

    def decided(self) -> int:
        """`node.forward` from chain: each finalized shard round whose majority root this member revealed."""
        brain = self.d.brain
        for s in self.recent(brain.address, ev.Finalized):
            rid = s.event.request_id
            if rid in self._rounds:
                continue
            entry = self.catalog.by_id(brain.request_info(rid).model_id)
            if isinstance(entry, plans.ShardEntry):
                self.isolated("read decided boundary", rid, lambda: self._forward(rid, entry, bytes(s.event.result)))
            self._rounds.add(rid)
        return 0

    def _forward(self, rid: int, entry: plans.ShardEntry, result: bytes) -> None:
        brain = self.d.brain
        mine = [r for r in self.recent(brain.address, ev.Revealed, key=rid) if r.event.member == self.address]
        if not mine or bytes(mine[0].event.result) != result:
            return
        posted = self.recent(brain.address, ev.InputPosted, key=rid)
        x = entry.decode(bytes(posted[0].event.input))
        self.node.forward[(entry.index, tensor_root(x))] = result
