"""The example dapps (contracts/examples, LabelBounty) driven by the real agents of `Tribunal.connect`:
a contract files the request, its callback receives the output root, and it pays out only on a label
proven against that root (lib/OutputProof.sol). Single-phase's dapp files request and signed result in
one `ask` (the committee in process signs first). Honest parties: every mode's dapp pays on the honest
label. A lying committee majority: brain's dapp holds the liars' root (the honest label no longer
proves against it); hybrid's gets the honest root after the window and pays."""
from __future__ import annotations

import numpy as np
import pytest

from bisection.commitments import element_proof
from contracts import events as ev
from contracts.bindings.examples import deploy_bounty
from contracts.errors import InvalidOutputProof, LabelNotTarget
from runtime import zoo
from runtime.tensor_root import tensor_bytes
from verifiers.chainlog import events
from verifiers.proofs import request_output

from .conftest import MODEL, cheat

pytestmark = pytest.mark.slow
TARGET = 7
SAMPLE = 13  # a held-out digit the exact profile labels 7
PRIZE = 10**15


@pytest.fixture(scope="module")
def seven():
    x, _ = zoo.test_data(MODEL)
    return np.asarray(x[SAMPLE:SAMPLE + 1])


def bounty(t, mode: str):
    """The mode's LabelBounty for MODEL, paying PRIZE on label 7, funded for three prizes."""
    d, entry = t.deployment, t.model(MODEL)
    t.ensure_registered(entry)
    program = entry.program
    out = program.slots[program.output_slots[0]]
    oracle = {"brain": d.brain.address, "opml": d.requests.address, "hybrid": d.court.address,
              "single-phase": d.system.single_phase.address}[mode]
    deadline = t.request(MODEL, np.zeros(entry.model.default_shape(), np.float32), mode="opml").deadline_blocks \
        if mode == "opml" else 0
    return deploy_bounty(t.chain, mode, oracle, entry.model_id, int(np.prod(out.shape)), round(out.scale * 10**18),
                         TARGET, PRIZE, fund=3 * PRIZE, deadline_blocks=deadline)


def ask(t, dapp, mode: str, x):
    """The requester asks the dapp (which files the request); the agents serve it to a verdict."""
    entry = t.model(MODEL)
    fee = t.deployment.system.config.min_fee * 10
    r = dapp.ask(entry.encode(x, entry.default_kind()), fee=fee, sender=t.requester)
    assert r.one(ev.Asked).asker == t.requester.address
    return t.follow(MODEL, x, r, mode=mode).wait()


def ask_signed(t, dapp, x):
    """Single-phase: the next block's committee (the member agents in process) signs the root, and the
    requester's one `ask` files the request with it; served (or reverted) in that transaction."""
    from verifiers.modes.single_phase import sign

    req = t.request(MODEL, x, mode="single-phase")
    s = sign(t, req)
    r = dapp.ask(req.model.encode(x, req.kind), fee=req.fee, sender=t.requester, seed_block=s.seed_block,
                 root=s.result, signatures=s.signatures)
    assert r.one(ev.Asked).asker == t.requester.address
    return r, t.follow(MODEL, x, r, mode="single-phase").wait()


def honest_output(t, x) -> np.ndarray:
    return np.asarray(t.model(MODEL).model.run_exact(x).outputs[0])


@pytest.mark.parametrize("mode", ["brain", "opml", "hybrid"])
def test_dapp_honestParties_receivesHonestRoot_paysOnProvenLabel7(tribunal, seven, mode):
    dapp = bounty(tribunal, mode)
    out = honest_output(tribunal, seven)
    assert int(out.argmax()) == TARGET
    v = ask(tribunal, dapp, mode, seven)
    assert v.status == "final", v.reason
    rid, logits = v.request_id, tensor_bytes(out)
    assert "0x" + dapp.root_of(rid).hex() == v.output_root == "0x" + element_proof(out, 0).root.hex()
    ro = request_output(tribunal.deployment, tribunal.model(MODEL), mode, rid)  # from the chain alone
    assert ro.delivered == ro.root == dapp.root_of(rid) and np.array_equal(ro.output, out)
    assert dapp.label_of(rid, logits) == TARGET
    p = element_proof(out, TARGET)  # one logit, proven alone, as an 18-decimal number
    assert dapp.value_of(rid, TARGET, p.chunk, p.path) == int(out.reshape(-1)[TARGET]) * dapp._view("scaleWad")
    before = tribunal.chain.balance(tribunal.requester.address)
    paid = dapp.pay_out(rid, logits, sender=tribunal.chain.accounts[0]).one(ev.PaidOut)
    assert (paid.label, paid.amount) == (TARGET, PRIZE)
    assert tribunal.chain.balance(tribunal.requester.address) == before + PRIZE
    forged = bytearray(p.chunk)
    forged[2 * TARGET:2 * TARGET + 2] = (int(out.reshape(-1)[TARGET]) + 1).to_bytes(2, "big", signed=True)
    with pytest.raises(InvalidOutputProof):  # a forged element proof reverts by name
        dapp.value_of(rid, TARGET, bytes(forged), p.path)
    lie = out.copy().reshape(-1)
    lie[3] = lie.max() + 1  # logits that would say 3
    with pytest.raises(InvalidOutputProof):
        dapp.pay_out(rid, tensor_bytes(lie.reshape(out.shape)))


def test_dapp_brain_lyingMajority_actsOnTheLiarsRoot(tribunal, seven):
    """Brain's answer is final the moment its majority agrees: the dapp's root is the liars' own, and
    the honest logits no longer prove against it (the honest payout is blocked)."""
    cheat(tribunal, liars=2)  # 2 of 3 members vote one wrong output root
    dapp = bounty(tribunal, "brain")
    out = honest_output(tribunal, seven)
    v = ask(tribunal, dapp, "brain", seven)
    assert v.status == "final", v.reason
    root = dapp.root_of(v.request_id)
    assert root != element_proof(out, 0).root and "0x" + root.hex() == v.output_root
    ro = request_output(tribunal.deployment, tribunal.model(MODEL), "brain", v.request_id)
    assert ro.delivered == root != ro.root
    with pytest.raises(InvalidOutputProof):
        dapp.pay_out(v.request_id, tensor_bytes(out))


def test_dapp_hybrid_lyingMajority_overturned_paysOnHonestLabelAfterWindow(tribunal, seven):
    """The liars' answer is provisional, never delivered: the watcher overturns it through the opML game,
    and the dapp receives the honest root, then pays on the honest label."""
    cheat(tribunal, liars=2)
    dapp = bounty(tribunal, "hybrid")
    out = honest_output(tribunal, seven)
    v = ask(tribunal, dapp, "hybrid", seven)
    assert v.status == "final" and not v.evidence["upheld"], v.reason
    assert dapp.root_of(v.request_id) == element_proof(out, 0).root
    assert dapp.pay_out(v.request_id, tensor_bytes(out)).one(ev.PaidOut).label == TARGET


def test_dapp_singlePhase_oneTransaction_deliversHonestRoot_paysOnProvenLabel7(tribunal, seven):
    dapp = bounty(tribunal, "single-phase")
    out = honest_output(tribunal, seven)
    r, v = ask_signed(tribunal, dapp, seven)
    assert v.status == "final", v.reason
    rid = v.request_id
    assert r.one(ev.Delivered).request_id == rid and r.one(ev.CallbackExecuted).success  # in the ask itself
    assert "0x" + dapp.root_of(rid).hex() == v.output_root == "0x" + element_proof(out, 0).root.hex()
    members = {m.address for m in tribunal.roles.members(tribunal.chain)}
    assert v.evidence["votes"] == len(v.evidence["signers"]) >= 2 and set(v.evidence["signers"]) <= members
    assert dapp.label_of(rid, tensor_bytes(out)) == TARGET
    paid = dapp.pay_out(rid, tensor_bytes(out), sender=tribunal.chain.accounts[0]).one(ev.PaidOut)
    assert (paid.request_id, paid.asker, paid.label) == (rid, tribunal.requester.address, TARGET)
    lie = out.copy().reshape(-1)
    lie[3] = lie.max() + 1
    with pytest.raises(InvalidOutputProof):
        dapp.pay_out(rid, tensor_bytes(lie.reshape(out.shape)))


def test_dapp_singlePhase_lyingMajority_actsOnTheLiarsRoot_andAForgedQuorumReverts(tribunal, seven):
    """As in brain, a majority's signed root is final in its own transaction: the honest logits no longer
    prove. A root the committee did not sign (signatures over another root) reverts the whole ask by
    name, and the dapp records nothing."""
    from contracts.errors import SignerNotInCommittee
    from verifiers.modes.single_phase import sign

    cheat(tribunal, liars=2)
    dapp = bounty(tribunal, "single-phase")
    out = honest_output(tribunal, seven)
    _, v = ask_signed(tribunal, dapp, seven)
    assert v.status == "final" and dapp.root_of(v.request_id) != element_proof(out, 0).root
    with pytest.raises(InvalidOutputProof):
        dapp.pay_out(v.request_id, tensor_bytes(out))

    req = tribunal.request(MODEL, seven, mode="single-phase")
    s = sign(tribunal, req)
    with pytest.raises(SignerNotInCommittee):  # signed the liars' root, sent with the honest one
        dapp.ask(req.model.encode(seven, req.kind), fee=req.fee, sender=tribunal.requester, seed_block=s.seed_block,
                 root=element_proof(out, 0).root, signatures=s.signatures)
    assert dapp.root_of(v.request_id + 1) == bytes(32) and int(dapp._view("askerOf", v.request_id + 1), 16) == 0


def test_dapp_labelNotTarget_refusedByName(tribunal):
    """Honest label 3 (sample 3): proven, and refused because the bounty pays on 7 only."""
    x, _ = zoo.test_data(MODEL)
    x = np.asarray(x[3:4])
    out = honest_output(tribunal, x)
    assert int(out.argmax()) != TARGET
    dapp = bounty(tribunal, "brain")
    v = ask(tribunal, dapp, "brain", x)
    with pytest.raises(LabelNotTarget):
        dapp.pay_out(v.request_id, tensor_bytes(out))


@pytest.mark.anvil
@pytest.mark.parametrize("deployed", ["anvil"], indirect=True)
def test_proveCli_requestOnChain_provesTheDeliveredRoot(tribunal, seven, tmp_path, capsys):
    """`tribunal prove --request` against a running chain and a deployment file: the request's input from
    the chain, the element's proof checked by the dapp, the root the one delivered."""
    import json

    from verifiers.cli import main

    dapp = bounty(tribunal, "opml")
    v = ask(tribunal, dapp, "opml", seven)
    path = tribunal.deployment.save(tmp_path / "deployment.json")
    assert main(["prove", MODEL, "--request", str(v.request_id), "--mode", "opml", "--rpc",
                 tribunal.chain.process.url, "--deployment", str(path), "--element", str(TARGET), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["matches_delivered"] and r["delivered_root"] == r["output_root"] == v.output_root
    path_ = [bytes.fromhex(h[2:]) for h in r["path"]]
    assert dapp.value_of(v.request_id, TARGET, bytes.fromhex(r["chunk"][2:]), path_) == r["value_int16"] * r["scale_wad"]


def test_opmlRequests_callbackChecks_andARevertingConsumerDoesNotUndoTheSettlement(tribunal, seven):
    """OpmlRequests checks the callback as Brain does: a consumer without code and gas beyond the cap are
    refused up front; a consumer whose onResult reverts (Brain's ExampleConsumer refuses OpmlRequests) does
    not stop the request from settling: CallbackExecuted(id, consumer, false)."""
    from contracts.errors import CallbackGasTooHigh, InvalidConfig

    d, entry = tribunal.deployment, tribunal.model(MODEL)
    tribunal.ensure_registered(entry)
    reqs, data, fee = d.requests, entry.encode(seven, entry.default_kind()), d.system.config.min_fee
    with pytest.raises(InvalidConfig):
        reqs.request(entry.model_id, data, 50, fee=fee, sender=tribunal.requester, consumer=tribunal.requester.address,
                     callback_gas=100_000)
    with pytest.raises(CallbackGasTooHigh):
        reqs.request(entry.model_id, data, 50, fee=fee, sender=tribunal.requester, consumer=d.system.consumer.address,
                     callback_gas=reqs.max_callback_gas + 1)
    deadline = tribunal.request(MODEL, seven, mode="opml").deadline_blocks
    r = reqs.request(entry.model_id, data, deadline, fee=fee, sender=tribunal.requester,
                     consumer=d.system.consumer.address, callback_gas=100_000)
    info = reqs.request_info(r.one(ev.OpmlRequested).request_id)  # the allowance of the callback, besides the fee
    basefee = tribunal.chain.w3.eth.get_block(r.block_number)["baseFeePerGas"]
    assert (info.fee, info.allowance) == (fee, 100_000 * basefee) and basefee > 0
    v = tribunal.follow(MODEL, seven, r, mode="opml").wait()
    assert v.status == "final", v.reason
    called = [s.event for s in events(tribunal.chain, reqs.address, ev.CallbackExecuted, from_block=r.block_number,
                                      key=v.request_id)]
    assert [(c.consumer, c.success) for c in called] == [(d.system.consumer.address, False)]
