"""Routing a request through one node per shard (Nesa's heuristic: capacity and recent latency).

Each node announces the shards it holds with its memory and measured throughput (ShardNodeAnnounced);
each post it makes reports its compute time (BoundaryPosted.millis) and lands some blocks after the
previous boundary. A node's recent latency is the mean over its last `RECENT` posts of those seconds
(blocks count `BLOCK_SECONDS` each); a node that was routed a shard and let the stall pass (another node
posted it) is charged `MISSED` seconds for that request. Score = throughput / (1 + recent latency);
the best-scoring live node holding each shard is routed, ties broken by memory then address. A node
not announced, or excluded by the caller (known dead), is never routed: the pipeline goes around it.
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
    routes = {s.event.id: list(s.event.route) for s in requested}
    last_block = {s.event.id: s.block for s in requested}
    for p in posted:
        e = p.event
        wait = (p.block - last_block.get(e.id, p.block)) * BLOCK_SECONDS
        last_block[e.id] = p.block
        if e.node in nodes:
            nodes[e.node].latencies.append(max(e.millis / 1000.0, wait))
        routed = routes.get(e.id, [])
        if 0 < e.shard <= len(routed) and routed[e.shard - 1] != e.node and routed[e.shard - 1] in nodes:
            nodes[routed[e.shard - 1]].latencies.append(MISSED)  # routed, and someone else had to post it
    return nodes


def route(nodes: dict[str, NodeInfo], k: int, exclude: set[str] = frozenset()) -> list[str]:
    """One node per shard 1..k: the best score among live nodes holding it; NoRoute if a shard has none."""
    out = []
    for j in range(1, k + 1):
        live = [n for n in nodes.values() if j in n.shards and n.address not in exclude]
        if not live:
            raise NoRoute(f"no live node holds shard {j} of {k}")
        out.append(max(live, key=lambda n: (n.score(), n.memory, n.address)).address)
    return out
