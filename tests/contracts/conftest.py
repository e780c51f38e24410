"""Fixtures for the contract tests: one deployed system per backend and worker (session scope), and a
snapshot taken before each test and reverted after it, so tests are independent and fast."""
from __future__ import annotations

import pytest

from contracts import events as ev
from contracts.chain import connect
from contracts.deploy import ETHER, System, SystemConfig, deploy

# Short windows: every transaction mines a block on both test backends, so windows are counted in
# transactions and blocks mined explicitly.
CONFIG = SystemConfig(min_stake=ETHER, withdrawal_delay=40, slash_amount=ETHER // 10, min_fee=ETHER // 1000,
                      committee_size=5, quorum_bps=5000, commit_window=8, reveal_window=8,
                      max_callback_gas=200_000, max_in_flight=64, queue_timeout=32)
NODES = 8  # accounts 1..8 stake; account 0 deploys; accounts 10.. request
PROGRAM_ROOT, WEIGHTS_ROOT = b"\x01" * 32, b"\x02" * 32

BACKENDS = ["embedded", pytest.param("anvil", marks=[pytest.mark.anvil, pytest.mark.slow])]


@pytest.fixture(scope="session", params=BACKENDS)
def deployed(request) -> System:
    chain = connect(request.param)
    request.addfinalizer(chain.close)
    system = deploy(chain, CONFIG)
    for account in chain.accounts[1:1 + NODES]:
        system.nodes.register(2 * ETHER, sender=account)
    system.models.register(PROGRAM_ROOT, WEIGHTS_ROOT)
    return system


@pytest.fixture
def system(deployed: System):
    snap = deployed.chain.snapshot()
    yield deployed
    deployed.chain.revert(snap)


@pytest.fixture
def model_id(system: System) -> bytes:
    from contracts.bindings import model_id_of
    return model_id_of(PROGRAM_ROOT, WEIGHTS_ROOT)


class Driver:
    """Plays the parts of requester and committee members in tests."""

    def __init__(self, system: System, model_id: bytes):
        self.s, self.chain, self.model_id = system, system.chain, model_id
        self.accounts = {a.address: a for a in self.chain.accounts}
        self.user = self.chain.accounts[10]

    def request(self, fee: int = ETHER // 100, *, user=None, consumer: bool = True, input: bytes = b"x") -> int:
        r = self.s.brain.request(self.model_id, input, fee=fee, sender=user or self.user,
                                 consumer=self.s.consumer.address if consumer else None,
                                 callback_gas=100_000 if consumer else 0)
        return r.one(ev.Requested).request_id

    def dispatch(self, request_id: int) -> list:
        """Mines the seed block, dispatches, returns the committee as accounts (lowest index first)."""
        self.chain.mine(1)
        r = self.s.brain.dispatch(1)
        assert [d.request_id for d in r.of(ev.Dispatched)] == [request_id]
        return [self.accounts[m] for m in self.s.brain.committee(request_id)]

    def commit(self, request_id: int, votes: dict) -> dict:
        """votes: member account -> result; returns member -> salt."""
        from contracts.bindings import commitment, new_salt
        salts = {}
        for member, result in votes.items():
            salts[member.address] = salt = new_salt()
            self.s.brain.commit(request_id, commitment(result, member.address, salt), sender=member)
        return salts

    def reveal(self, request_id: int, votes: dict, salts: dict) -> None:
        for member, result in votes.items():
            self.s.brain.reveal(request_id, result, salts[member.address], sender=member)

    def mine_past(self, block: int) -> None:
        n = block - self.chain.block_number
        if n >= 0:
            self.chain.mine(n + 1)


@pytest.fixture
def driver(system: System, model_id: bytes) -> Driver:
    return Driver(system, model_id)
