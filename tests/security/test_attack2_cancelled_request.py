"""Attack (helper attack2): a cancelled Brain request kept every member dispatching. Members read Requested,
Dispatched and the round-ending events but not Cancelled, so a request its requester cancelled (fee back in
full, after `queueTimeout`) stayed "queued" in every member's view for the whole lookback (1024 blocks):
each tick each member sent or estimated a `dispatch`, paying the gas of popping the tombstone and logging a
NothingToDispatch refusal per tick (an OS-process node prints each: megabytes of log per request), for the
price of two transactions. A cancelled request now counts as done.
"""
from __future__ import annotations

import numpy as np
import pytest

from contracts import events as ev
from contracts.bindings.brain import ResultKind

from tests.security.test_attack2_watcher_memory import ATTACKER, t  # noqa: F401 - the module's Tribunal
from tests.verifiers.conftest import CONFIG, MODEL

pytestmark = pytest.mark.slow


def test_cancelledRequest_membersDoNotKeepDispatching(t):  # noqa: F811
    entry, brain, attacker = t.model(MODEL), t.deployment.brain, t.chain.accounts[ATTACKER]
    x = np.random.default_rng(3).standard_normal(entry.model.default_shape()).astype(np.float32)
    r = brain.request(entry.model_id, entry.encode(x, ResultKind.OUTPUT_ROOT), fee=CONFIG.min_fee, sender=attacker)
    rid = r.one(ev.Requested).request_id
    t.chain.mine(CONFIG.queue_timeout + 2)  # nobody ticked: still queued, now cancellable
    brain.cancel(rid, sender=attacker)
    members = [a for a in t.scheduler.agents if a.role == "member"]
    marks = [len(m.log) for m in members]
    for _ in range(3):
        for m in members:
            m.tick()
        t.chain.mine(1)
    dispatches = [e for m, k in zip(members, marks) for e in m.log[k:] if e["duty"] == "dispatch"]
    assert dispatches == []
