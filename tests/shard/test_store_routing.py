"""The boundary store refuses, by name, a blob that does not match its posted root; routing prefers capacity
and low recent latency and goes around a missing node."""
from __future__ import annotations

import numpy as np
import pytest

from runtime.tensor_root import tensor_bytes
from verifiers.shard.errors import BoundaryMismatch, BoundaryNotFound, BoundaryTooLarge, NoRoute
from verifiers.shard.routing import MISSED, NodeInfo, route
from verifiers.shard.store import BoundaryStore


def test_store_roundTrips_andRefusesWhatIsNotThePostedTensor(tmp_path):
    s = BoundaryStore(tmp_path)
    x = np.arange(-300, 300, dtype=np.int16).reshape(2, 300)
    root = s.put(x)
    assert np.array_equal(s.get(root, "int16", (2, 300)), x)
    other = x.copy()
    other[0, 0] += 1
    s.put_bytes(root, tensor_bytes(other))  # another tensor under the posted root
    with pytest.raises(BoundaryMismatch, match="posted root"):
        s.get(root, "int16", (2, 300))
    s.put_bytes(root, tensor_bytes(x)[:-2])
    with pytest.raises(BoundaryMismatch):
        s.get(root, "int16", (2, 300))
    s.put_bytes(root, tensor_bytes(x) + b"\0" * 4)
    with pytest.raises(BoundaryTooLarge):
        s.get(root, "int16", (2, 300))
    with pytest.raises(BoundaryNotFound):
        s.get(b"\1" * 32, "int16", (2, 300))


def test_route_prefersCapacityOverLatency_andGoesAroundMissingNodes():
    fast = NodeInfo("0xa", {1, 2}, 100, 1000)
    slow = NodeInfo("0xb", {2}, 100, 1000, [MISSED, MISSED])
    big = NodeInfo("0xc", {3}, 200, 500)
    nodes = {n.address: n for n in (fast, slow, big)}
    assert route(nodes, 3) == ["0xa", "0xa", "0xc"]
    assert route({k: v for k, v in nodes.items() if k != "0xa"} | {"0xd": NodeInfo("0xd", {1}, 1, 1)}, 3) \
        == ["0xd", "0xb", "0xc"]  # without 0xa, shard 2 goes to the slow node: the only one left
    with pytest.raises(NoRoute, match="shard 1"):
        route(nodes, 3, exclude={"0xa"})
    slow.latencies = []
    slow.throughput = 5000
    assert route(nodes, 2)[1] == "0xb"
