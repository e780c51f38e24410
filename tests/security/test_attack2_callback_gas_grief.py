"""Finding (helper attack2, Brain.sol, not fixed here: helper "round" owns Brain.sol): the finalizer pays for
the requester's callback. A request names a consumer and `callbackGas` up to `maxCallbackGas` (500k by
default), and `finalize` must forward all of it (else InsufficientGasForCallback); a consumer that burns it
all costs whoever finalizes (a committee member, who must finalize to get its stake unlocked) that gas, while
the request paid only `minFee` (0.001 ether by default), whatever its callbackGas: at 20 gwei, 500k gas is
0.01 ether, ten times the fee. A fee that covers `callbackGas` at the request's base fee (or a callback
paid from the fee to the finalizer) would make the requester pay for its own callback.
"""
from __future__ import annotations

import pytest

from contracts import errors as E
from contracts import events as ev

from tests.contracts.conftest import CONFIG, Driver

pytestmark = pytest.mark.parametrize("deployed", ["embedded"], indirect=True)
RIGHT = b"\x11" * 32


def finalize_gas(d: Driver, consumer: str) -> int:
    r = d.s.brain.request(d.model_id, b"x", fee=CONFIG.min_fee, sender=d.user, consumer=consumer,
                          callback_gas=CONFIG.max_callback_gas)
    rid = r.one(ev.Requested).request_id
    members = d.dispatch(rid)
    votes = {m: RIGHT for m in members}
    d.reveal(rid, votes, d.commit(rid, votes))
    return d.s.brain.finalize(rid, sender=members[0]).gas_used


def test_gasBurningConsumer_finalizerPaysTheWholeCallbackGas(system, model_id):
    d = Driver(system, model_id)
    burner = d.chain.deploy("GasBurningConsumer")
    extra = finalize_gas(d, burner) - finalize_gas(d, system.consumer.address)
    assert extra >= 0.9 * CONFIG.max_callback_gas  # the finalizer's cost, for a request at the minimum fee


@pytest.mark.xfail(strict=True, reason="Brain takes minFee whatever the callbackGas: the finalizer pays the callback")
def test_minFeeRequest_withMaxCallbackGas_refusedUnlessFeeCoversCallback(system, model_id):
    d = Driver(system, model_id)
    burner = d.chain.deploy("GasBurningConsumer")
    basefee = d.chain.w3.eth.get_block("latest")["baseFeePerGas"]
    assert basefee > 0  # so callbackGas has a price: a fee of exactly minFee does not cover it
    with pytest.raises(E.FeeTooLow):
        d.s.brain.request(d.model_id, b"x", fee=CONFIG.min_fee, sender=d.user, consumer=burner,
                          callback_gas=CONFIG.max_callback_gas)
