"""One Tribunal per chain backend (module scope) with in-process agents, short windows, and a snapshot taken
before each test and reverted after it; agents' strategies are reset between tests."""
from __future__ import annotations

import numpy as np
import pytest

from contracts.bindings.opml import OpmlConfig
from contracts.deploy import ETHER, SystemConfig
from runtime import zoo

CONFIG = SystemConfig(min_stake=ETHER, withdrawal_delay=40, slash_amount=ETHER // 10, min_fee=ETHER // 1000,
                      committee_size=3, quorum_bps=5000, commit_window=4, reveal_window=4,
                      max_callback_gas=500_000, max_in_flight=64, queue_timeout=32)
OPML = OpmlConfig(window=8, clock=8, min_bond=ETHER // 100, stride=2, callback_gas=200_000)
MODEL = "digits-mlp"
CHAINS = ["embedded", pytest.param("anvil", marks=[pytest.mark.anvil, pytest.mark.slow])]


@pytest.fixture(scope="module", params=CHAINS)
def deployed(request):
    from verifiers import Tribunal

    t = Tribunal.connect(request.param, committee=3, config=CONFIG, opml_config=OPML, models=(MODEL,))
    request.addfinalizer(t.close)
    t.ensure_registered(t.model(MODEL))
    return t


@pytest.fixture
def tribunal(deployed):
    snap = deployed.chain.snapshot()
    agents = list(deployed.scheduler.agents)
    yield deployed
    deployed.scheduler.agents = agents
    for a in agents:
        a.cheat = "honest"
    deployed.chain.revert(snap)


@pytest.fixture(scope="session")
def sample():
    x, _ = zoo.test_data(MODEL)
    return np.asarray(x[3:4])


def cheat(t, *, liars: int = 0, submitter: str = "honest", watcher: str = "honest") -> None:
    """Give the in-process agents strategies: the first `liars` members vote one wrong answer."""
    t.set_cheats(liars=liars, submitter=submitter, watcher=watcher)
