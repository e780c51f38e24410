"""Finding (helper attack2, Brain.sol): the finalizer paid for the requester's callback. A request names a
consumer and `callbackGas` up to `maxCallbackGas`, and `finalize` must forward all of it (else
InsufficientGasForCallback); a consumer that burns it all cost whoever finalized (a committee member, who
must finalize to get its stake unlocked, or a keeper) that gas, while the request paid only `minFee`,
whatever its callbackGas: at 20 gwei, 500k gas is 0.01 ether, ten times the default fee.

Fix (contracts/README.md, "Callback allowance"): a request with a consumer pays, besides its fee, a callback
allowance of `callbackGas` at its block's base fee; Brain credits it to whoever delivers the result (the
finalizer's `Refunded`) and gives it back to the requester when no callback runs. These tests fail on the
contract before the fix: it took a request at `minFee` with the largest callback, and credited the finalizer
nothing for it.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from contracts import errors as E
from contracts import events as ev

from tests.contracts.conftest import CONFIG, Driver

pytestmark = pytest.mark.parametrize("deployed", ["embedded"], indirect=True)
RIGHT = b"\x11" * 32
# Gas a callback costs its finalizer beyond the callbackGas the allowance pays: the call to a cold consumer,
# CallbackExecuted, the allowance's slot and its credit in the registry (Refunded). Measured 18,046 for a member
# (its reward credit already written in the transaction); a finalizer's first credit costs about 17k more.
OVERHEAD = 45_000


def settle(d: Driver, consumer: str | None, callback_gas: int, *, wait_blocks: int = 0):
    """A request with this callback (None: none) served by a unanimous committee; returns (request block's base
    fee, finalize receipt, finalizer)."""
    d.chain.mine(wait_blocks)
    r = d.s.brain.request(d.model_id, b"x", fee=CONFIG.min_fee, sender=d.user, consumer=consumer,
                          callback_gas=callback_gas)
    basefee = d.chain.w3.eth.get_block(r.block_number)["baseFeePerGas"]
    rid = r.one(ev.Requested).request_id
    members = d.dispatch(rid)
    votes = {m: RIGHT for m in members}
    d.reveal(rid, votes, d.commit(rid, votes))
    return basefee, d.s.brain.finalize(rid, sender=members[0]), members[0]


def paid_to(receipt, account) -> int:
    return sum(e.amount for e in receipt.of(ev.Refunded) if e.account == account.address)


def test_gasBurningConsumer_finalizerPaidTheCallbackGasAtTheRequestsBaseFee(system, model_id):
    d = Driver(system, model_id)
    burner = d.chain.deploy("GasBurningConsumer")
    snap = d.chain.snapshot()
    _, plain, _ = settle(d, None, 0)
    d.chain.revert(snap)
    basefee, burnt, finalizer = settle(d, burner, CONFIG.max_callback_gas)
    extra = burnt.gas_used - plain.gas_used
    assert extra >= 0.9 * CONFIG.max_callback_gas  # the callback's gas is burnt in the finalizer's transaction
    assert paid_to(burnt, finalizer) == CONFIG.max_callback_gas * basefee  # and the requester paid it


def test_minFeeRequest_withMaxCallbackGas_refusedUnlessFeeCoversCallback(system, model_id):
    d = Driver(system, model_id)
    burner = d.chain.deploy("GasBurningConsumer")
    basefee = d.chain.next_base_fee()
    assert basefee > 0  # so callbackGas has a price: a fee of exactly minFee does not cover it
    with pytest.raises(E.FeeTooLow):
        d.s.brain.request(d.model_id, b"x", fee=CONFIG.min_fee, sender=d.user, consumer=burner,
                          callback_gas=CONFIG.max_callback_gas, allowance=0)
    r = d.s.brain.request(d.model_id, b"x", fee=CONFIG.min_fee, sender=d.user, consumer=burner,
                          callback_gas=CONFIG.max_callback_gas)  # the binding adds the allowance
    info = d.s.brain.request_info(r.one(ev.Requested).request_id)
    assert info.fee == CONFIG.min_fee and info.allowance == CONFIG.max_callback_gas * basefee


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(callback_gas=st.integers(0, CONFIG.max_callback_gas), wait_blocks=st.integers(0, 24))
def test_property_finalizerNeverOutOfPocketBeyondOverhead(system, model_id, callback_gas, wait_blocks):
    """Whatever the callbackGas and the base fee (blocks waited before the request move it), a finalizer that
    runs a consumer burning all its gas pays at most OVERHEAD gas more than for a request without a callback,
    at the request's base fee: it is credited the callbackGas at that price. Paying that price (or less, as
    here where the base fee falls) for its own transaction, it is out of pocket at most OVERHEAD x price."""
    d = Driver(system, model_id)
    snap = d.chain.snapshot()
    try:
        burner = d.chain.deploy("GasBurningConsumer")
        inner = d.chain.snapshot()
        _, plain, _ = settle(d, None, 0, wait_blocks=wait_blocks)
        d.chain.revert(inner)
        basefee, burnt, finalizer = settle(d, burner, callback_gas, wait_blocks=wait_blocks)
        paid = paid_to(burnt, finalizer)
        assert paid == callback_gas * basefee
        out_of_pocket = (burnt.gas_used - plain.gas_used) * basefee - paid
        assert out_of_pocket <= OVERHEAD * basefee
    finally:
        d.chain.revert(snap)
