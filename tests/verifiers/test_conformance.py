"""The conformance suite: every registered mode (so a new mode joins by registering), on the embedded chain
and on anvil, with the in-process agents of `Tribunal.connect`."""
from __future__ import annotations

import pytest

from verifiers import modes
from verifiers.errors import ModeUnavailable

from .conftest import MODEL, cheat

pytestmark = pytest.mark.slow
MODES = modes.names()


def exact_root(t, x) -> str:
    return "0x" + t.model(MODEL).model.run_exact(x).output_root.hex()


@pytest.mark.parametrize("mode", MODES)
def test_mode_honestParties_finalizeExactOutput(tribunal, sample, mode):
    v = tribunal.infer(MODEL, sample, mode=mode).wait()
    assert v.status == "final", v.reason
    assert v.output_root == exact_root(tribunal, sample)
    assert v.transactions and all(tx.gas > 0 for tx in v.transactions)
    assert v.blocks >= 0 and v.mode.startswith(mode)


@pytest.mark.parametrize("mode", MODES)
def test_mode_dishonestSubmitterAndMinority_neverFinalizeWrongOutput(tribunal, sample, mode):
    cheat(tribunal, liars=1, submitter="wrong-output")
    v = tribunal.infer(MODEL, sample, mode=mode).wait()
    assert v.status != "final" or v.output_root == exact_root(tribunal, sample)
    assert v.status in ("final", "rejected"), v.reason


@pytest.mark.parametrize("mode", MODES)
def test_mode_noAnswer_timesOutWithFeeRefunded(tribunal, sample, mode):
    tribunal.scheduler.agents = []  # nobody serves
    fee = tribunal.deployment.system.config.min_fee * 3
    before = tribunal.chain.block_number
    try:
        receipt = tribunal.infer(MODEL, sample, mode=mode, fee=fee, deadline_blocks=16)
    except ModeUnavailable:  # a mode whose answer rides in the request itself sends nothing without parties
        assert tribunal.chain.block_number == before
        return
    v = receipt.wait()
    assert v.status == "timed out", v.reason
    # The fee comes back, with the allowance of the callback that never ran (its gas at the request's base fee).
    assert v.refund >= fee and v.output is None
