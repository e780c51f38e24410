"""The embedded chain's log index (`verifiers.chainlog`): kept by `Chain.watch`, never by patching the chain."""
from __future__ import annotations

from contracts import events as ev
from contracts.chain.base import Chain
from contracts.deploy import ETHER
from verifiers.chainlog import LogIndex, events, index_of, install


def from_node(chain, *args, **kw):
    """`events` as the node itself answers them (the index set aside for the call)."""
    kept = list(chain.watchers)
    chain.watchers[:] = [w for w in kept if not isinstance(w, LogIndex)]
    try:
        return events(chain, *args, **kw)
    finally:
        chain.watchers[:] = kept


def test_the_index_watches_the_chain_through_its_api(tribunal):
    chain = tribunal.chain
    install(chain)  # a second install is a no-op: one index on the embedded chain, none on a node
    assert sum(isinstance(w, LogIndex) for w in chain.watchers) == (chain.kind == "embedded")
    assert isinstance(index_of(chain), LogIndex) == (chain.kind == "embedded")
    # the methods are the class's own: nothing was patched onto the instance
    assert "wait_for" not in vars(chain) and "revert" not in vars(chain)
    assert type(chain).watch is Chain.watch


def test_the_index_answers_as_the_node_does_and_forgets_reverted_blocks(tribunal):
    chain, nodes = tribunal.chain, tribunal.deployment.nodes
    start = chain.block_number
    newcomer = chain.accounts[-1]
    snap = chain.snapshot()
    nodes.register(2 * ETHER, sender=newcomer)
    seen = events(chain, nodes.address, ev.NodeStaked, from_block=start)
    assert [s.event.node for s in seen] == [newcomer.address]
    assert seen == from_node(chain, nodes.address, ev.NodeStaked, from_block=start)
    chain.revert(snap)
    assert events(chain, nodes.address, from_block=start) == [] == from_node(chain, nodes.address, from_block=start)
    index = index_of(chain)
    assert index is None or all(r["blockNumber"] <= chain.block_number for r in index.receipts.values())
