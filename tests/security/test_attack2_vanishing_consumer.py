"""Attack (helper attack2): a consumer that has code when a request names it and none when the result is
delivered. `_checkCallback` refuses a consumer without code at request time, but under EIP-6780 a contract
created and self-destructed in one transaction loses its code when that transaction ends. A call with
`try` to an address without code reverts in the caller (solc's extcodesize check, which `catch` does not
catch), so every finalize of that round reverted: the committee's stake stayed locked forever
(`openRounds` never drops, so no member can withdraw) and the round held an in-flight slot for good,
all for one request fee. ResultDelivery._deliver now treats a consumer without code as a failed
callback (CallbackExecuted(false)), so the round settles.
"""
from __future__ import annotations

import pytest
from eth_abi import encode
from web3 import Web3

from contracts import events as ev
from contracts.bindings import Status
from contracts.deploy import ETHER

from tests.contracts.conftest import Driver

pytestmark = pytest.mark.parametrize("deployed", ["embedded"], indirect=True)

RIGHT = b"\x11" * 32
PLACEHOLDER = Web3.to_checksum_address("0x" + "ab" * 20)


def vanishing_request(d: Driver) -> tuple[int, str]:
    """A request whose consumer is created and destroyed inside the request's own transaction."""
    chain, brain = d.chain, d.s.brain
    attacker = chain.accounts[11]
    requester = chain.contract("TestVanishingRequester", chain.deploy("TestVanishingRequester", sender=attacker))
    data = bytes.fromhex(brain.contract.encode_abi("request", [d.model_id, b"x", 0, PLACEHOLDER, 100_000])[2:])
    at = data.index(encode(["address"], [PLACEHOLDER]))
    r = chain.transact(requester.functions.requestAndVanish(brain.address, data, at), sender=attacker,
                       value=ETHER // 100)
    e = r.one(ev.Requested)
    return e.request_id, e.consumer


def test_brain_consumerGoneByDelivery_roundStillFinalizes_committeeUnlocked(system, model_id):
    d = Driver(system, model_id)
    rid, consumer = vanishing_request(d)
    assert d.chain.w3.eth.get_code(consumer) == b""  # it had code when the request named it
    members = d.dispatch(rid)
    votes = {m: RIGHT for m in members}
    d.reveal(rid, votes, d.commit(rid, votes))
    r = d.s.brain.finalize(rid)
    assert d.s.brain.request_info(rid).status == Status.FINALIZED
    assert [(c.consumer, c.success) for c in r.of(ev.CallbackExecuted)] == [(consumer, False)]
    assert all(d.s.nodes.open_rounds(m.address) == 0 for m in members)
