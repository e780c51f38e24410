"""Regression (was an attack): noisy honest sides of a float (NAME@fast) game against liars.

(a) A lying defender that computes every step bitwise like the jurors (CPU numpy/onnxruntime) except a
real lie at its last float step, against an honest watcher one ulp off the jurors at an early float step
(other hardware). Bisection stops first at the watcher's noise; the jury votes the liar's step there
EXACT. That used to end the game for the liar ("whoever disputed the correct S_hi loses at once") and the
lie became final. Now EXACT re-bases on the defender's (exact) value, the round charged to the watcher,
and the watcher, recomputing from there, reaches the lie (BEYOND) and wins.

(b) An honest defender one ulp off at 4 early float steps (hardware noise, far inside tolerance) against
a challenger whose own trace lies at step N. The 4th WITHIN used to exceed MAX_REBASES = 3 and hand the
game to the lying challenger. Now each side has its own budget of MAX_REBASES (>= 4) charged rounds: the
defender's 4 noisy rounds fit, and the claim stands. A defender noisy at more steps than its budget still
loses (the bound's price; contracts/README.md, "Float steps").

Played as the attacker wrote them, on the library's MemoryArbiter (the same rules as OpmlGame.onVerdict)
with the real digits-mlp / gpt2-tiny float programs and the honest LocalJury.
"""
from __future__ import annotations


import numpy as np

from bisection import Side, dispute, trace
from bisection.jury import LocalJury
from bisection.memory import ManualTime, MemoryArbiter
from bisection.players import Player, _corrupt
from bisection.tolerance import DEFAULT
from bisection.types import MAX_REBASES

from .bisection_cases import float_case


def _tamper(prog, *changes):
    def tamper(k, written, state):
        for at, how in changes:
            written, _ = _corrupt(prog, at, how, 0)(k, written, state)
        return written, {}
    return tamper


def _float_steps(prog):
    return [k for k in range(1, prog.steps + 1) if np.dtype(prog.slots[prog.nodes[k - 1].outputs[0]].dtype).kind == "f"]


def _game(prog, x, defender_changes, challenger_changes, bond=10**16):
    arbiter = MemoryArbiter(time=ManualTime(), jury=LocalJury(prog), min_bond=bond)
    dt, ct = _tamper(prog, *defender_changes), _tamper(prog, *challenger_changes)
    d = Player("defender", trace.compute(prog, x, dt), "bent" if defender_changes else "honest", dt)
    c = Player("challenger", trace.compute(prog, x, ct), "bent" if challenger_changes else "honest", ct)
    before = {n: arbiter.balance(n) for n in ("defender", "challenger")}
    cid = d.submit(arbiter, arbiter.register_model(prog), bond=bond, tolerance=DEFAULT)
    gid = c.challenge(arbiter, cid, bond)
    dispute.play(arbiter, gid, {Side.DEFENDER: d, Side.CHALLENGER: c})
    g = arbiter.game(gid)
    after = {n: arbiter.balance(n) for n in ("defender", "challenger")}
    posted = arbiter.posted(gid)
    # net: what each got back (balance: credits) minus what it put in (the claim's bond, each side's move bonds)
    net = {"defender": after["defender"] - before["defender"] - bond - posted[Side.DEFENDER],
           "challenger": after["challenger"] - before["challenger"] - posted[Side.CHALLENGER]}
    return arbiter, g, net, d, c


def test_lie_beyond_tolerance_loses_to_a_watcher_one_ulp_off_before_it():
    prog, x, _ = float_case("digits-mlp")
    fl = _float_steps(prog)
    noise, lie = fl[0], fl[-1]  # the watcher is one ulp off at its first float step; the liar lies at the last
    assert noise < lie
    arbiter, g, delta, d, c = _game(prog, x, [(lie, "add")], [(noise, "lsb")])
    claim = arbiter.claim(g.claim_id)
    honest = trace.compute(prog, x)
    # the claim's S_N is a lie far beyond tolerance ...
    assert claim.final_root != honest.root(prog.steps) and d.trace.root(prog.steps) == claim.final_root
    # ... the jury found the liar's step `noise` EXACT: re-based there, the round charged to the watcher ...
    verdicts = [e for e in g.transcript if e["kind"] == "verdict"]
    assert [(e["step"], e["verdict"]) for e in verdicts] == [(noise, "exact"), (lie, "beyond")], g.reason
    assert [k for k, _ in g.rebases] == [noise] and g.charged == (0, 1)
    # ... and the watcher, recomputing from the adopted value, reached the lie and won
    assert g.winner is Side.CHALLENGER and g.position.disputed_step == lie, g.reason
    assert arbiter.claim(g.claim_id).status == "rejected"
    assert delta["defender"] < 0 < delta["challenger"]


def test_honest_noisy_defender_at_4_steps_beats_a_lying_challenger():
    """gpt2-tiny: the honest defender is one ulp off at 4 early float steps (the attack's MAX_REBASES + 1
    when MAX_REBASES was 3); the challenger lies beyond tolerance at step N. The defender's 4 noisy rounds
    fit its own budget, the last step is found within/exact, and the claim stands."""
    assert MAX_REBASES >= 4
    prog, x, _ = float_case("gpt2-tiny")
    fl = [k for k in _float_steps(prog) if k < prog.steps - 1]
    noise = [(k, "lsb") for k in fl[:4]]
    arbiter, g, delta, d, c = _game(prog, x, noise, [(prog.steps, "add")])
    assert g.winner is Side.DEFENDER, g.reason
    assert [k for k, _ in g.rebases] == fl[:4] and g.charged == (4, 0)
    arbiter.time.advance(arbiter.window + 1)
    assert arbiter.resolve_claim(g.claim_id).status == "final"
    assert delta["challenger"] < 0 < delta["defender"]


def test_noisy_defender_past_its_budget_loses_to_a_lying_challenger():
    """The budget's price, stated: a defender noisy at MAX_REBASES + 1 steps before N loses whatever the
    challenger's trace (its noise alone would prolong the game past the bound)."""
    prog, x, _ = float_case("gpt2-tiny")
    fl = [k for k in _float_steps(prog) if k < prog.steps - 1]
    noise = [(k, "lsb") for k in fl[:MAX_REBASES + 1]]
    assert len(noise) == MAX_REBASES + 1
    arbiter, g, delta, d, c = _game(prog, x, noise, [(prog.steps, "add")])
    assert g.winner is Side.CHALLENGER and g.charged == (MAX_REBASES + 1, 0), g.reason
    assert g.position.disputed_step == fl[MAX_REBASES]
