"""An opML claim on an input the program has no row for: a token id outside the embedding table.

Found by the attacker's review: the exact runtime raised at the Gather step and the Gather one-step
kernel reverted (GatherIndexOutOfRange), so no trace of that input existed, the honest watcher could not
dispute, and any root a liar claimed stood. Gather is now total (an id is clamped to the table, the same
in numpy, torch and Gather.sol), so the honest trace exists and the lie is refuted like any other; the
user-facing run still refuses such ids by name.
"""
from __future__ import annotations

import numpy as np
import pytest

from bisection.players import make_player
from contracts.arbiter import ChainArbiter
from contracts.bindings.brain import ResultKind

from tests.verifiers.conftest import CONFIG, OPML

MODEL = "gpt2-tiny"


@pytest.fixture(scope="module")
def lm():
    from verifiers import Tribunal

    t = Tribunal.connect("embedded", committee=3, config=CONFIG, opml_config=OPML, models=(MODEL,))
    try:
        t.ensure_registered(t.model(MODEL))
        yield t
    finally:
        t.close()


@pytest.mark.slow
def test_a_lie_on_an_out_of_range_token_id_is_refuted(lm):
    d, entry = lm.deployment, lm.model(MODEL)
    attacker = lm.chain.accounts[-1]
    arb = ChainArbiter(d.opml, accounts={"attacker": attacker})
    arb._programs[entry.model_id] = entry.program
    # The liar's roots: the honest trace of another input (token 5), claimed for token 300 (vocab 256).
    other = entry.decode(entry.encode(np.array([[5]], np.int64), ResultKind.OUTPUT_ROOT), ResultKind.OUTPUT_ROOT)
    liar = make_player("attacker", entry.program, other, "honest")
    t, n = liar.trace, liar.trace.steps
    out = t.program.output_slots[0]
    bad = np.array([[300]], np.int64)
    cid = arb.submit_claim("attacker", entry.model_id, bad, liar.root_for(n), t.leaf(n, out), t.proof(n, out),
                           d.opml.config.min_bond)
    for _ in range(OPML.window + 4 * OPML.clock + 8):  # the agents (an honest watcher among them) have their chance
        lm.scheduler.tick()
        lm.chain.mine(1)
    try:
        d.game.resolve_claim(cid, sender=lm.chain.accounts[0])
    except Exception:  # noqa: BLE001 - an open game (refuted later) keeps it pending
        pass
    assert d.game.claim(cid).status != "final"


@pytest.mark.slow
def test_control_the_same_lie_on_a_token_in_range_is_refuted(lm):
    """The harness above works: the same liar, claiming token 5's roots for token 7, loses to the watcher."""
    d, entry = lm.deployment, lm.model(MODEL)
    snap = lm.chain.snapshot()
    try:
        arb = ChainArbiter(d.opml, accounts={"attacker": lm.chain.accounts[-1]})
        arb._programs[entry.model_id] = entry.program
        other = entry.decode(entry.encode(np.array([[5]], np.int64), ResultKind.OUTPUT_ROOT), ResultKind.OUTPUT_ROOT)
        liar = make_player("attacker", entry.program, other, "honest")
        t, n = liar.trace, liar.trace.steps
        out = t.program.output_slots[0]
        cid = arb.submit_claim("attacker", entry.model_id, np.array([[7]], np.int64), liar.root_for(n),
                               t.leaf(n, out), t.proof(n, out), d.opml.config.min_bond)
        for _ in range(OPML.window + 4 * OPML.clock + 8):
            lm.scheduler.tick()
            lm.chain.mine(1)
        assert d.game.claim(cid).status == "rejected"
    finally:
        lm.chain.revert(snap)
