"""Attack (helper attack2): a Brain round longer than the agents' lookback.

Members find their rounds from Brain's Dispatched events among the last LOOKBACK (1024) blocks. Brain's
commit and reveal windows have no upper bound, so on a deployment whose commit window is longer than that,
a round in which one member stays silent (an attacker's own staked node, say) opens its reveals only after
the commit window: by then the Dispatched event was out of every member's view, no honest member revealed,
and all of them were slashed as silent. Members now read a round's whole life: LOOKBACK + queueTimeout +
both windows.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from contracts import events as ev
from contracts.bindings.brain import ResultKind, Status
from verifiers.agents.base import LOOKBACK

from tests.verifiers.conftest import CONFIG, MODEL, OPML

pytestmark = pytest.mark.slow
LONG_ROUND = replace(CONFIG, commit_window=LOOKBACK + 50)


@pytest.fixture(scope="module")
def t():
    from verifiers import Tribunal

    t = Tribunal.connect("embedded", committee=3, config=LONG_ROUND, opml_config=OPML, models=(MODEL,))
    t.ensure_registered(t.model(MODEL))
    yield t
    t.close()


def test_roundLongerThanLookback_oneMemberSilent_honestMembersStillReveal(t):
    entry, brain, user = t.model(MODEL), t.deployment.brain, t.chain.accounts[12]
    x = np.random.default_rng(4).standard_normal(entry.model.default_shape()).astype(np.float32)
    rid = brain.request(entry.model_id, entry.encode(x, ResultKind.OUTPUT_ROOT), fee=CONFIG.min_fee,
                        sender=user).one(ev.Requested).request_id
    t.chain.mine(2)
    brain.dispatch(1, sender=user)
    committee = set(brain.committee(rid))
    members = [a for a in t.scheduler.agents if a.role == "member" and a.address in committee]
    honest = members[1:]  # members[0] stays silent: the reveals open only after the commit window

    def tick():
        for m in honest:
            m.tick()
        t.chain.mine(1)

    tick()
    assert brain.request_info(rid).commit_count == len(honest)
    t.chain.mine(brain.request_info(rid).commit_deadline + 1 - t.chain.block_number)  # reveals open now
    for _ in range(CONFIG.reveal_window):
        tick()
    info = brain.request_info(rid)
    assert info.reveal_count == len(honest) and info.status == Status.FINALIZED
