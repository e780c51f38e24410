"""What the attack3 ShardLedger tests share: one embedded deployment per worker (digits-mlp in 2 uncompressed
shards, the ledger at its default windows: `window` 12 blocks, the opML claim window 24), honest in-process
shard nodes, and an attacker who sends its transactions by hand, in the order it likes."""
from __future__ import annotations

import functools

import numpy as np
import pytest

from bisection.shards import sharded_id
from contracts import events as ev
from runtime.tensor_root import tensor_bytes, tensor_root
from verifiers.shard import pipeline, plans

MODEL = "digits-mlp"
X = (np.arange(64, dtype=np.int16).reshape(1, 64) * 37 % 200 - 100).astype(np.int16)
ATTACKER, SYBIL, REQUESTER = 30, 31, 10


@functools.lru_cache(maxsize=None)
def deployed():
    from contracts.chain import connect
    from verifiers.chainlog import install
    from verifiers.deployment import deploy_all

    chain = connect("embedded")
    install(chain)
    d = deploy_all(chain)
    ledger = pipeline.deploy_ledger_for(d)
    spec = plans.make_spec(MODEL, 2, shape=(1, 64), block=0)
    plans.register(d, ledger, spec)
    return chain, d, ledger, spec


@pytest.fixture
def env(tmp_path):
    chain, d, ledger, spec = deployed()
    snap = chain.snapshot()
    yield Env(chain, d, ledger, spec, tmp_path / "boundaries")
    chain.revert(snap)


class Env:
    def __init__(self, chain, d, ledger, spec, store):
        self.chain, self.d, self.ledger, self.spec, self.store = chain, d, ledger, spec, store
        self.plan = plans.plan_of(spec)
        self.honest = [tensor_root(b) for b in self.plan.run(X)]  # b_0 .. b_K
        self.bond = ledger.bond

    def acct(self, i: int):
        return self.chain.accounts[i]

    def node(self, i: int, shards):
        from verifiers.catalog import Catalog
        from verifiers.shard.node import ShardNode

        return ShardNode(self.d, self.acct(i), catalog=Catalog((MODEL,)), ledger=self.ledger, store=self.store,
                         shards=set(shards))

    def request(self, route) -> int:
        r = self.ledger.request(sharded_id(self.plan), tensor_bytes(X), [a if isinstance(a, str) else a.address
                                                                         for a in route],
                                sender=self.acct(REQUESTER), fee=10 * self.ledger.min_fee)
        return r.one(ev.ShardRequested).id

    def run(self, sch, rid: int, blocks: int = 200, each=None) -> None:
        """Ticks the honest nodes, mining a block whenever they send nothing, until the request is final
        (or `blocks` blocks passed); `each()` runs after every round (the attacker's reactions)."""
        from contracts.bindings.shard import FINAL

        start = self.chain.block_number
        while self.ledger.request_info(rid).status != FINAL and self.chain.block_number < start + blocks:
            if not sch.tick():
                self.chain.mine(1)
            if each:
                each()

    def output(self, rid: int):
        """The final output root (None while open)."""
        from contracts.bindings.shard import FINAL

        if self.ledger.request_info(rid).status != FINAL:
            return None
        return bytes(self.ledger.post_of(rid, self.plan.k).root)
