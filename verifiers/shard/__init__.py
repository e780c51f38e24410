"""Sharded inference (issue 22): shard nodes, the boundary store, routing, the ShardLedger pipeline, and
brain and hybrid shard rounds chained on chain by ShardRounds.

Modules: `errors`, `store` (boundary tensors off chain in `verifiers.store`, checked against their posted
roots), `routing` (capacity and recent latency), `plans` (a sharded model's registration and its shards as
catalog entries), `node` (the `shard` role), `pipeline` (`tribunal infer MODEL --shards K`, opml), `rounds`
(ShardRounds' deployment and driver), `committee` (brain rounds, ShardMember), `hybrid` (court rounds).
"""
