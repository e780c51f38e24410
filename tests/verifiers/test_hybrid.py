"""Hybrid through the Verifier interface, with the in-process agents of `Tribunal.connect` (conftest): a
lying committee majority's answer is provisional at once, then the watcher overturns it through the
opML game and the honest output ends final, the liars slashed."""
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


@pytest.mark.anvil
@pytest.mark.parametrize("deployed", ["anvil"], indirect=True)
def test_hybrid_courtDeployedAfterASave_foundFromChainAlone(tribunal):
    """An agent whose deployment file predates the court finds it through the node registry's
    `Authorized` events (the court is authorized there), checked to serve this Brain and game."""
    from verifiers.agents.hybrid import COURT, court_of
    from verifiers.deployment import attach
    from verifiers.modes.hybrid import ensure_court

    saved = tribunal.deployment.addresses()
    saved["extras"] = {}
    court = ensure_court(tribunal.deployment)
    other = attach(tribunal.chain, saved)  # what a process started before the court would hold
    assert COURT not in other.extras
    assert court_of(other).address == court.address == other.extras[COURT]
