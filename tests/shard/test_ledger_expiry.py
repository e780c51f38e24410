"""ShardLedger.expire: a request nobody serves any more ends after `expiry` blocks without activity (made, a
post, a dispute opened, bound or resolved), each standing post paid as a final request pays it (its bond back
and fee / K), the rest of the fee back to the requester; never while a dispute is open, never once every boundary is posted (resolve ends it then).
The requester's driver (pipeline.wait) expires a stalled request and says so in one line; shard nodes leave
an expired request alone."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bisection.shards import sharded_id
from contracts import errors as E
from contracts import events as ev
from contracts.bindings.shard import EXPIRED, FINAL, OPEN
from runtime.tensor_root import tensor_bytes, tensor_root
from verifiers.shard import pipeline, plans
from verifiers.shard.errors import PipelineExpired

from .test_ledger import LEDGER, deployed, env, request  # noqa: F401 - env is the fixture

BOND, EXPIRY, REQUESTER, FEE = LEDGER["bond"], LEDGER["expiry"], 10, 10**16


def at(chain, block: int) -> None:
    """Mines until the next transaction lands in `block`."""
    if block - 1 > chain.block_number:
        chain.mine(block - 1 - chain.block_number)


def refused_until(ledger, rid, sender) -> int:
    """The first block expire(rid) passes in, as its refusal names it."""
    with pytest.raises(E.ShardNotExpirable) as e:
        ledger.expire(rid, sender=sender)
    return e.value.fromBlock


def test_expire_onlyAfterExpiryBlocksOfNoActivity_paysTheStandingPosts_refundsTheRest(env):  # noqa: F811 - the fixture
    chain, _, ledger, _ = env
    a, b, w = chain.accounts[20:23]
    requester = chain.accounts[REQUESTER]
    with pytest.raises(E.UnknownShardRequest):
        ledger.expire(999, sender=w)
    rid, _ = request(env, [a.address, b.address])
    made = ledger.request_info(rid).last_activity
    assert refused_until(ledger, rid, w) == made + EXPIRY + 1
    at(chain, made + EXPIRY)
    assert refused_until(ledger, rid, w) == made + EXPIRY + 1  # the last block within: still refused
    posted = ledger.post(rid, 1, b"\1" * 32, 0, sender=a, bond=BOND).block_number  # the clock restarts
    assert ledger.request_info(rid).last_activity == posted
    assert refused_until(ledger, rid, w) == posted + EXPIRY + 1
    at(chain, posted + EXPIRY + 1)
    r = ledger.expire(rid, sender=w)  # anyone
    share = FEE // 2  # K = 2: the requester routing shard 2 to nobody does not get shard 1 computed for free
    assert r.one(ev.ShardRequestExpired).refund == FEE - share and r.gas_used < 100_000
    assert ledger.request_info(rid).status == EXPIRED
    assert ledger.credit(requester.address) == FEE - share and ledger.credit(a.address) == BOND + share
    assert ledger.credit(b.address) == 0 and ledger.credit(w.address) == 0
    with pytest.raises(E.ShardRequestNotOpen):
        ledger.post(rid, 2, b"\2" * 32, 0, sender=b, bond=BOND)
    with pytest.raises(E.ShardRequestNotOpen):
        ledger.dispute(rid, 1, sender=w, bond=BOND)
    with pytest.raises(E.ShardRequestNotOpen):
        ledger.resolve(rid, sender=w)
    with pytest.raises(E.ShardRequestNotOpen):
        ledger.expire(rid, sender=w)
    before = chain.balance(requester.address)
    ledger.withdraw(sender=requester)
    assert ledger.credit(requester.address) == 0 and chain.balance(requester.address) > before + share * 9 // 10


def test_expire_refusedDuringADispute_andRestartsAfterAVoid_whoseRoutingStaysOpen(env):  # noqa: F811 - the fixture
    chain, _, ledger, _ = env
    a, b, w = chain.accounts[20:23]
    rid, _ = request(env, [a.address, b.address])
    ledger.post(rid, 1, b"\7" * 32, 0, sender=a, bond=BOND)
    opened = ledger.dispute(rid, 1, sender=w, bond=BOND).block_number
    assert ledger.request_info(rid).last_activity == opened
    at(chain, opened + EXPIRY + LEDGER["bind_window"] + 5)
    with pytest.raises(E.ShardDisputeOpen):  # past the expiry, but the dispute ends through resolve
        ledger.expire(rid, sender=w)
    resolved = ledger.resolve(rid, sender=w).block_number  # never bound: post 1 void
    info = ledger.request_info(rid)
    assert info.last_progress == 0 and info.last_activity == resolved  # routing: anyone may post at once
    assert refused_until(ledger, rid, w) == resolved + EXPIRY + 1
    at(chain, resolved + EXPIRY + 1)
    ledger.expire(rid, sender=w)
    # the requester: its fee and half the loser's bond; the challenger its bond and half the loser's
    assert ledger.credit(chain.accounts[REQUESTER].address) == FEE + BOND // 2
    assert ledger.credit(w.address) == BOND * 3 // 2 and ledger.credit(a.address) == 0


def test_expire_refusedOnAFullyPostedRequest_whichEndsThroughResolve(env):  # noqa: F811 - the fixture
    chain, _, ledger, spec = env
    a, b, w = chain.accounts[20:23]
    rid, x = request(env, [a.address, b.address])
    plan = plans.plan_of(spec)
    b1 = plan.shards[0].run(x)[0]
    ledger.post(rid, 1, tensor_root(b1), 0, sender=a, bond=BOND)
    done = ledger.post(rid, 2, tensor_root(plan.shards[1].run(b1)[0]), 0, sender=b, bond=BOND).block_number
    at(chain, done + EXPIRY + LEDGER["window"] + 1)
    with pytest.raises(E.ShardAllPosted):
        ledger.expire(rid, sender=w)
    ledger.resolve(rid, sender=w)
    assert ledger.request_info(rid).status == FINAL
    with pytest.raises(E.ShardRequestNotOpen):
        ledger.expire(rid, sender=w)


def test_aWonDispute_restartsTheExpiryClock(env, tmp_path):  # noqa: F811 - the fixture
    """Honest nodes: a sybil disputes the honest post 1; its node binds its claim and wins the shard game."""
    from verifiers.agents.base import Scheduler
    from verifiers.catalog import Catalog
    from verifiers.shard.node import ShardNode

    chain, d, ledger, spec = env
    nodes = [ShardNode(d, chain.accounts[20], catalog=Catalog((spec.model,)), ledger=ledger, store=tmp_path,
                       shards={1})]
    sch = Scheduler(nodes)
    while sch.tick():
        pass
    rid, _ = request(env, [nodes[0].address, chain.accounts[21].address])
    while ledger.request_info(rid).posted < 1:
        if not sch.tick():
            chain.mine(1)
    ledger.dispute(rid, 1, sender=chain.accounts[31], bond=BOND)
    for _ in range(300):
        if not ledger.dispute_of(rid).open:
            break
        if not sch.tick():
            chain.mine(1)
    info = ledger.request_info(rid)
    assert not ledger.dispute_of(rid).open and info.posted == 1, "the honest node's dispute did not end"
    assert ledger.dispute_of(rid).bound and ledger.credit(nodes[0].address) == BOND  # won: the sybil's bond
    assert info.last_progress == info.last_activity > 0  # the poster won: both restart at the resolution
    assert refused_until(ledger, rid, chain.accounts[22]) == info.last_activity + EXPIRY + 1


def test_theRequestersDriver_expiresAStalledRequest_andRefundsIt_inOneLine(env):  # noqa: F811 - the fixture
    chain, _, ledger, spec = env
    a, b = chain.accounts[20:22]
    requester = chain.accounts[REQUESTER]
    rid, _ = request(env, [a.address, b.address])  # nobody serves it
    before = chain.balance(requester.address)
    with pytest.raises(PipelineExpired) as e:
        pipeline.wait(ledger, rid, spec, drive=lambda: chain.mine(1), poll=0.0, timeout=60, requester=requester)
    line = str(e.value)
    assert len(line.splitlines()) == 1 and f"sharded request {rid} expired" in line and "refunded" in line, line
    assert ledger.request_info(rid).status == EXPIRED and ledger.credit(requester.address) == 0
    assert chain.balance(requester.address) > before + FEE * 9 // 10
    with pytest.raises(PipelineExpired, match="expired"):  # a watcher without a key: told, not stuck
        pipeline.wait(ledger, rid, spec, timeout=1)
    assert pipeline.pipeline_view(ledger, rid, spec)["status"] == "expired"


def test_aShardNode_leavesAnExpiredRequestAlone(env, tmp_path):  # noqa: F811 - the fixture
    from verifiers.agents.base import Scheduler
    from verifiers.catalog import Catalog
    from verifiers.shard.node import ShardNode

    chain, d, ledger, spec = env
    node = ShardNode(d, chain.accounts[20], catalog=Catalog((spec.model,)), ledger=ledger, store=tmp_path,
                     shards={1, 2})
    rid, _ = request(env, [node.address, node.address])
    chain.mine(EXPIRY + 1)
    ledger.expire(rid, sender=chain.accounts[22])
    sch = Scheduler([node])
    for _ in range(3):  # loads the model and announces; never posts to the expired request
        sch.tick()
    assert sharded_id(plans.plan_of(spec)) in node._plans  # it serves the model: routed to it, it would post
    assert ledger.request_info(rid).posted == 0
    assert not [entry for entry in node.log if "error" in entry], node.log


# ---------------------------------------------------------------------------- value conservation

# (what, which request or account, how many: blocks mined (past the stall, bind window, expiry), fee, root)
STEPS = ["request", "post", "post", "dispute", "mine", "expire", "expire", "resolve", "withdraw"]
OPS = st.lists(st.tuples(st.sampled_from(STEPS),
                         st.integers(0, 7), st.sampled_from([1, LEDGER["stall"] + 1, LEDGER["bind_window"] + 1,
                                                             EXPIRY + 1])), min_size=6, max_size=12)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=OPS)
def test_theLedgersBalance_isItsCredits_plusWhatOpenRequestsHold(ops):
    """Over any sequence of requests, posts, disputes, blocks, expiries, resolutions and withdrawals: the
    ledger's balance is every credit, plus each open request's fee, posted bonds and open dispute's bond
    (a final request's split leaves nothing: its remainder, fee mod K, is the requester's). Checked after each expire and at the end (each
    view costs a call: a leak anywhere stays in the sum, every later step moving value by its own rule)."""
    from contracts.abi import ContractRevert

    chain, _, ledger, spec = deployed()
    k = plans.plan_of(spec).k
    people = [chain.accounts[i] for i in (10, 11, 20, 21, 22)]
    nodes, challenger = people[2:4], people[4]
    x = tensor_bytes(np.zeros((1, 64), dtype=np.int16))
    rids: list[int] = []

    def unaccounted() -> int:
        held = 0
        for rid in rids:
            info = ledger.request_info(rid)
            if info.status == OPEN:
                held += info.fee + BOND * info.posted + BOND * ledger.dispute_of(rid).open
        return chain.balance(ledger.address) - sum(ledger.credit(p.address) for p in people) - held

    snap = chain.snapshot()
    base = unaccounted()  # 0 unless an earlier test leaked
    try:
        for op, i, n in [("request", 0, 1), *ops]:
            rid = rids[i % len(rids)] if rids else None
            try:
                if op == "request":
                    r = ledger.request(sharded_id(plans.plan_of(spec)), x, [a.address for a in nodes],
                                       sender=people[i % 2], fee=LEDGER["min_fee"] * n + i)
                    rids.append(r.one(ev.ShardRequested).id)
                elif op == "mine":
                    chain.mine(n)
                elif op == "withdraw":
                    ledger.withdraw(sender=people[i % len(people)])
                elif op == "post":
                    j = ledger.request_info(rid).posted + 1
                    # (i wei over the bond: the sender's credit, never the ledger's)
                    ledger.post(rid, j, bytes([n]) * 32, 0, sender=nodes[min(j, k) - 1], bond=BOND + i)  # routed
                elif op == "dispute":
                    ledger.dispute(rid, max(1, ledger.request_info(rid).posted), sender=challenger, bond=BOND + i)
                elif op == "expire":  # after n blocks more (often past the expiry)
                    chain.mine(n)
                    ledger.expire(rid, sender=challenger)
                elif op == "resolve":
                    ledger.resolve(rid, sender=challenger)
            except ContractRevert:
                pass  # a refused step changes nothing; the rule must hold all the same
            if op == "expire":
                assert unaccounted() == base, ops
        assert unaccounted() == base, ops
    finally:
        chain.revert(snap)
