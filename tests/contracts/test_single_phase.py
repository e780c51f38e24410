"""The single-phase baseline: request and result in one transaction, signed by a committee quorum."""
from __future__ import annotations

import pytest

from contracts import errors as E
from contracts import events as ev
from contracts.deploy import ETHER

from .conftest import CONFIG, Driver

RESULT = b"\x44" * 32
INPUT_HASH = b"\x55" * 32


def signed(d: Driver, count: int, result: bytes = RESULT):
    sp = d.s.single_phase
    seed_block = d.chain.block_number  # the request lands in the next block
    committee = d.s.nodes.accounts_of(sp.committee_for(seed_block))
    members = [d.accounts[a] for a in committee]
    return seed_block, members, [sp.sign(m, seed_block, d.model_id, INPUT_HASH, result) for m in members[:count]]


class TestSinglePhase:
    def test_requestAndRespond_quorumSigned_servesAndCallsBackInOneTransaction(self, driver: Driver):
        seed_block, members, sigs = signed(driver, 3)
        r = driver.s.single_phase.request_and_respond(
            driver.model_id, INPUT_HASH, seed_block, RESULT, sigs, fee=ETHER // 100, sender=driver.user,
            consumer=driver.s.consumer.address, callback_gas=100_000)
        served = r.one(ev.Served)
        assert served.result == RESULT and served.votes == 3
        assert r.one(ev.ResultReceived).result == RESULT and r.one(ev.CallbackExecuted).success
        assert {e.node for e in r.of(ev.Rewarded)} == {m.address for m in members[:3]}
        assert driver.s.consumer.result_of(driver.s.single_phase.address, served.request_id) == RESULT

    def test_requestAndRespond_belowQuorum_reverts(self, driver: Driver):
        seed_block, _, sigs = signed(driver, 2)
        with pytest.raises(E.QuorumNotReached) as err:
            driver.s.single_phase.request_and_respond(driver.model_id, INPUT_HASH, seed_block, RESULT, sigs,
                                                      fee=CONFIG.min_fee, sender=driver.user)
        assert (err.value.votes, err.value.committeeSize) == (2, CONFIG.committee_size)

    def test_requestAndRespond_outsiderOrDuplicateOrOtherResult_reverts(self, driver: Driver):
        sp = driver.s.single_phase
        seed_block, members, sigs = signed(driver, 3)
        outsider = next(a for a in driver.chain.accounts[1:9] if a not in members)
        bad = sigs[:2] + [sp.sign(outsider, seed_block, driver.model_id, INPUT_HASH, RESULT)]
        with pytest.raises(E.SignerNotInCommittee) as err:
            sp.request_and_respond(driver.model_id, INPUT_HASH, seed_block, RESULT, bad, fee=CONFIG.min_fee,
                                   sender=driver.user)
        assert err.value.signer == outsider.address
        with pytest.raises(E.DuplicateSigner):
            sp.request_and_respond(driver.model_id, INPUT_HASH, seed_block, RESULT, sigs[:2] + sigs[:1],
                                   fee=CONFIG.min_fee, sender=driver.user)
        # signatures over one result do not vouch for another: they recover to other accounts
        with pytest.raises(E.SignerNotInCommittee):
            sp.request_and_respond(driver.model_id, INPUT_HASH, seed_block, b"\x66" * 32, sigs,
                                   fee=CONFIG.min_fee, sender=driver.user)
        with pytest.raises(E.InvalidSignature):
            sp.request_and_respond(driver.model_id, INPUT_HASH, seed_block, RESULT, [b"\x01" * 10],
                                   fee=CONFIG.min_fee, sender=driver.user)
        with pytest.raises(E.SeedBlockNotParent):
            sp.request_and_respond(driver.model_id, INPUT_HASH, driver.chain.block_number + 5, RESULT, sigs,
                                   fee=CONFIG.min_fee, sender=driver.user)
