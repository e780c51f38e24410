"""Routing a request through one node per shard (Nesa's heuristic: capacity and recent latency).

Each node announces the shards it holds with its memory and measured throughput (ShardNodeAnnounced);
each post it makes reports its compute time (BoundaryPosted.millis) and lands some blocks after the
previous boundary. A node's recent latency is the mean over its last `RECENT` posts of those seconds
(blocks count `BLOCK_SECONDS` each); a node that was routed a shard and let the stall pass (another node
posted it) is charged `MISSED` seconds for that request. Score = throughput / (1 + recent latency);
the best-scoring live node holding each shard is routed, ties broken by memory then address. A node
not announced, or excluded by the caller (known dead), is never routed: the pipeline goes around it. A
node that missed a routed post among its last `RECENT` is routed only where no node without a recent miss
holds the shard: capacity is announced, not proven, so a node announcing a huge throughput and never
posting would otherwise keep every request waiting its `stall` blocks.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .errors import NoRoute

RECENT = 8
BLOCK_SECONDS = 1.0
MISSED = 60.0


@dataclass
class NodeInfo:
    address: str
    shards: set[int]  # 1-based shard indices
    memory: int
    throughput: int  # steps per second, as measured by the node at start
    latencies: list[float] = field(default_factory=list)  # seconds, oldest first

    @property
    def recent_latency(self) -> float:
        recent = self.latencies[-RECENT:]
        return sum(recent) / len(recent) if recent else 0.0

    @property
    def missed_recently(self) -> bool:
        return MISSED in self.latencies[-RECENT:]

    def score(self) -> float:
        return self.throughput / (1.0 + self.recent_latency)


def nodes_from_events(announced, posted, requested) -> dict[str, NodeInfo]:
    """NodeInfo per node from the ledger's events (ShardNodeAnnounced, BoundaryPosted, ShardRequested),
    the latest announcement of each node winning."""
    nodes: dict[str, NodeInfo] = {}
    for a in announced:
        e = a.event
        nodes[e.node] = NodeInfo(e.node, {j + 1 for j in range(256) if e.shards >> j & 1}, e.memory_bytes,
                                 e.steps_per_second, nodes[e.node].latencies if e.node in nodes else [])
    # INVARIANT: addresses compare case-blind (a route decodes lower-case, a post's node checksummed): else no
    # routed node would ever be charged its missed turn.
    by_lower = {a.lower(): a for a in nodes}
    routes = {s.event.id: [by_lower.get(str(a).lower(), str(a).lower()) for a in s.event.route] for s in requested}
    last_block = {s.event.id: s.block for s in requested}
    for p in posted:
        e = p.event
        wait = (p.block - last_block.get(e.id, p.block)) * BLOCK_SECONDS
        last_block[e.id] = p.block
        node = by_lower.get(str(e.node).lower(), e.node)
        if node in nodes:
            nodes[node].latencies.append(max(e.millis / 1000.0, wait))
        routed = routes.get(e.id, [])
        if 0 < e.shard <= len(routed) and routed[e.shard - 1] != node and routed[e.shard - 1] in nodes:
            nodes[routed[e.shard - 1]].latencies.append(MISSED)  # routed, and someone else had to post it
    return nodes


def route(nodes: dict[str, NodeInfo], k: int, exclude: set[str] = frozenset()) -> list[str]:
    """One node per shard 1..k: the best score among live nodes holding it; NoRoute if a shard has none."""
    out, exclude = [], {str(a).lower() for a in exclude}
    for j in range(1, k + 1):
        live = [n for n in nodes.values() if j in n.shards and n.address.lower() not in exclude]
        if not live:
            raise NoRoute(f"no live node holds shard {j} of {k}")
        # INVARIANT: an announced capacity never outweighs a recent miss while a node without one holds the shard.
        live = [n for n in live if not n.missed_recently] or live
        out.append(max(live, key=lambda n: (n.score(), n.memory, n.address)).address)
    return out
