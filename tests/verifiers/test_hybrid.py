"""Hybrid through the Verifier interface, with the in-process agents of `Tribunal.connect` (conftest): a
lying committee majority's answer is provisional at once, then the watcher overturns it through the
opML game and the honest output ends final, the liars slashed; members decline a request they cannot
trace instead of being slashed for silence."""
from __future__ import annotations

import pytest

from contracts.bindings.hybrid import vote_of

from .conftest import MODEL, cheat

pytestmark = pytest.mark.slow


def exact_root(t, x) -> str:
    return "0x" + t.model(MODEL).model.run_exact(x).output_root.hex()


# On anvil only (the conformance suite runs hybrid's honest, minority and timeout cases on both chains;
# this overturn takes about a third of its embedded time there).
@pytest.mark.anvil
@pytest.mark.parametrize("deployed", ["anvil"], indirect=True)
def test_hybrid_lyingMajority_provisionalThenOverturned_honestOutputFinal_liarsSlashed(tribunal, sample):
    cheat(tribunal, liars=2)  # 2 of 3 members vote one wrong trace
    liars = [a.address for a in tribunal.scheduler.agents if a.role == "member" and a.cheat == "wrong-output"]
    stakes = {m: tribunal.deployment.nodes.stake_of(m) for m in liars}
    receipt = tribunal.infer(MODEL, sample, mode="hybrid")
    early = receipt.wait(until=("provisional", "disputed"))
    assert early.provisional_blocks is not None and early.evidence["reveals"]
    # the lie is usable at once (the watcher may already have challenged it in the same block)
    assert early.status in ("provisional", "disputed") and early.output_root not in (None, exact_root(tribunal, sample))
    v = receipt.wait()
    assert v.status == "final", v.reason
    assert v.output_root == exact_root(tribunal, sample) and not v.evidence["upheld"]
    assert "overturned" in v.evidence and v.evidence["games"] and v.provisional_blocks < v.blocks
    assert {"request", "commit", "reveal", "publish", "challenge", "defend", "one-step check"} <= {
        tx.name for tx in v.transactions}
    assert any(g["winner"] == "challenger" for g in v.evidence["games"])
    slash = tribunal.deployment.system.config.slash_amount
    assert all(tribunal.deployment.nodes.stake_of(m) == stakes[m] - slash for m in liars)
    assert v.evidence["vote"] != "0x" + vote_of(bytes.fromhex(v.output_root[2:]),
                                                 bytes.fromhex(v.evidence["final_root"][2:])).hex()


def test_hybrid_courtIsAFieldOfTheDeployment_savedAndAttached(tribunal):
    """`deploy_all` deploys the court; a saved file names it and `attach` binds it. A file that names no
    court (saved before every deployment had one) is refused at attach, with one line saying so: nobody
    rediscovers a court from the chain's logs."""
    from verifiers.deployment import COURT, attach
    from verifiers.errors import DeploymentError

    d = tribunal.deployment
    saved = d.addresses()
    assert saved["extras"][COURT] == d.court.address
    other = attach(tribunal.chain, saved)
    assert other.court.address == d.court.address and other.court_consumer == d.court_consumer
    assert other.court_config == d.court_config
    saved["extras"] = {}
    with pytest.raises(DeploymentError, match="names no hybrid court"):
        attach(tribunal.chain, saved)


def test_hybrid_membersDecline_aModelTheyCannotTrace_nobodySlashed(tribunal):
    """A hybrid request on a model registered on chain (both registries) that the members hold no program
    for: each member drawn declines it (MODEL) instead of staying silent, the round ends Unservable, the court
    times the request out, and no member's stake is touched."""
    import numpy as np

    from contracts import events as ev
    from contracts.bindings.brain import DeclineReason, Status as BrainStatus
    from contracts.bindings.hybrid import HybridStatus
    from contracts.deploy import register_hybrid_model
    from runtime import zoo
    from runtime.model import Model
    from runtime.tensor_root import tensor_bytes
    from verifiers.chainlog import events
    
    d = tribunal.deployment
    court = d.court
    m = Model.load("toy", profile="exact")  # not in the agents' catalog (digits-mlp only)
    x_q = m.quantize_input(np.asarray(zoo.test_data("toy")[0][:1]))
    model_id = register_hybrid_model(d.system, d.opml, m.program(x_q.shape))
    assert tribunal.catalog.by_id(model_id) is None
    members = [a.address for a in tribunal.scheduler.agents if a.role == "member"]
    stakes = {a: d.nodes.stake_of(a) for a in members}
    start = tribunal.chain.block_number
    rid = court.request(model_id, tensor_bytes(x_q), fee=d.system.config.min_fee,
                        sender=tribunal.requester).one(ev.HybridRequested).request_id
    for _ in range(60):
        if court.status(rid) not in (HybridStatus.PENDING,):
            break
        if not tribunal.scheduler.tick():
            tribunal.chain.mine(1)
    declined = [s.event for s in events(tribunal.chain, d.brain.address, ev.Declined, from_block=start)]
    assert declined and {e.reason for e in declined} == {DeclineReason.MODEL}
    assert d.brain.status(rid) == BrainStatus.UNSERVABLE and court.status(rid) == HybridStatus.TIMED_OUT
    assert not events(tribunal.chain, d.nodes.address, ev.Slashed, from_block=start)
    assert {a: d.nodes.stake_of(a) for a in members} == stakes
