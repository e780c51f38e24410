"""Sharded inference (issue 22): shard nodes, the boundary store, routing, the ShardLedger pipeline.

Modules: `errors`, `store` (boundary tensors off chain in `verifiers.store`, checked against their posted
roots), `routing` (capacity and recent latency), `plans` (a sharded model's registration and its shards as
catalog entries), `node` (the `shard` role), `pipeline` (`tribunal infer MODEL --shards K`).
"""
