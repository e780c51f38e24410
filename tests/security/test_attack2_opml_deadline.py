"""Attack (helper attack2): an opML request whose deadline wraps. `OpmlRequests.request` stored
uint64(block.number + deadlineBlocks) but emitted the unwrapped sum, so a request with deadlineBlocks near
2^64 was, for the agents (who read the OpmlRequested event), open for ever, and, for the contract, past its
deadline from its first block: its requester could time it out (`settle`, fee back) at any moment no
claim was linked, between an honest submitter's claim and its `answer` (the submitter paid the trace, the
claim and the bond's gas for nothing), as often as it liked. A deadline past uint64 is now refused
(DeadlineTooFar), so the event and the stored deadline always agree.
"""
from __future__ import annotations

import numpy as np
import pytest

from contracts import errors as E
from contracts import events as ev
from contracts.bindings.brain import ResultKind

from tests.security.test_attack2_watcher_memory import ATTACKER, t  # noqa: F401 - the module's Tribunal
from tests.verifiers.conftest import MODEL

pytestmark = pytest.mark.slow


def request_bytes(t):  # noqa: F811
    entry = t.model(MODEL)
    x = np.random.default_rng(7).standard_normal(entry.model.default_shape()).astype(np.float32)
    return entry.model_id, entry.encode(x, ResultKind.OUTPUT_ROOT)


def test_deadlineWrappingUint64_refused(t):  # noqa: F811
    model_id, data = request_bytes(t)
    with pytest.raises(E.DeadlineTooFar):
        t.deployment.requests.request(model_id, data, 2**64 - 1, fee=t.deployment.requests.min_fee,
                                      sender=t.chain.accounts[ATTACKER])


def test_acceptedRequest_eventDeadlineIsTheStoredOne(t):  # noqa: F811
    model_id, data = request_bytes(t)
    r = t.deployment.requests.request(model_id, data, 2**63, fee=t.deployment.requests.min_fee,
                                      sender=t.chain.accounts[ATTACKER])
    e = r.one(ev.OpmlRequested)
    assert t.deployment.requests.request_info(e.request_id).deadline == e.deadline > t.chain.block_number
