"""Every one-step proof fits a real chain (runtime/proof_cost.py), on chain.

Embedded chain: disputes at a representative subset of gpt2-tiny's op types (the lie at a step of that
op, the liar loses, chain and memory agree, every transaction inside the bounds), at the steps of a
blocked reduction (GemmBlock, Requantize) and of a 4096-wide LayerNormalization (LayerNormStats,
LayerNormApply). A proof the chain refuses is a named ProofRefused that the
honest player reports, never a silent timeout. Real size (TRIBUNAL_REALSIZE=1): GPT-2 124M with a lie at
the lm_head step, disputed on anvil.
"""
from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bisection import MemoryArbiter, dispute
from contracts.arbiter import ChainArbiter
from contracts.chain import connect
from contracts.chain.anvil import anvil_binary
from contracts.deploy import deploy_opml
from bisection.step_cost import program_costs
from runtime.proof_cost import BYTES_BOUND, GAS_BOUND

from .test_opml import CONFIG, case, check_same, embedded, play_both  # noqa: F401 - the module-scoped chain fixture

LONG = replace(CONFIG, clock=100, window=1000)  # a 50257-wide output takes five reveal rounds: more blocks per side
STEP_ARGS_BYTES = 4 + 6 * 32 + 1024  # OpmlGame.step around the proof: selector, heads, lengths, the chunk


class Recording:
    """A prover that records each proof's size (the default prover underneath)."""

    def __init__(self, refuse: int = 0):
        self.sizes: list[int] = []
        self.refuse = refuse  # first proofs replaced by ones too large for any node

    def __call__(self, program, step, flat, inputs) -> bytes:
        proof = ChainArbiter.step_proof(program, step, flat, inputs)
        self.sizes.append(len(proof))
        if len(self.sizes) <= self.refuse:
            return proof + bytes(200 * 1024)
        return proof


def check_bounds(result, prover: Recording) -> None:
    assert all(m.gas <= GAS_BOUND for m in result.transcript if m.gas is not None), result.transcript
    assert all(s + STEP_ARGS_BYTES <= BYTES_BOUND for s in prover.sizes), prover.sizes


@pytest.mark.parametrize("op", ["Gemm", "SoftmaxExp", "SoftmaxNorm", "LayerNormalization", "MatMul", "Gather"])
def test_gpt2Tiny_lieAtOpType_liarLosesOnChain_everyTransactionInBounds(embedded, op):  # noqa: F811
    program, x_q = case("gpt2-tiny")
    k = max(n.index + 1 for n in program.nodes if n.op == op)
    memory = dispute.run(program, x_q, "wrong-output", k, "defender", arbiter=MemoryArbiter(
        stride=CONFIG.stride, min_bond=CONFIG.min_bond, bond_growth=CONFIG.bond_growth))
    prover = Recording()
    snap = embedded.chain.snapshot()
    try:
        chain = dispute.run(program, x_q, "wrong-output", k, "defender", arbiter=ChainArbiter(embedded, prover=prover))
    finally:
        embedded.chain.revert(snap)
    check_same(memory, chain, "defender")
    assert chain.disputed_step == k and program.nodes[k - 1].op == op
    check_bounds(chain, prover)


def blocked_case():
    from tests.runtime.graphs import graph
    from onnx import helper

    from runtime.model import Model

    rng = np.random.default_rng(3)
    proto = graph([helper.make_node("MatMul", ["x", "W"], ["y"])], (2, 2900),
                  {"W": rng.standard_normal((2900, 3)).astype(np.float32)})
    m = Model(proto, "long")
    samples = rng.standard_normal((8, 2, 2900)).astype(np.float32)
    m.calibrate(samples.reshape(-1, 2900))
    program = m.program((2, 2900))
    return program, m.quantize_input(samples[0])


@pytest.mark.parametrize("op,side", [("GemmBlock", "defender"), ("Requantize", "challenger")])
def test_blockedReduction_lieAtBlockStep_liarLosesOnChain(embedded, op, side):  # noqa: F811
    program, x_q = blocked_case()
    assert [n.op for n in program.nodes] == ["GemmBlock"] * 3 + ["Requantize"]
    k = max(n.index + 1 for n in program.nodes if n.op == op)
    prover = Recording()
    r = dispute.run(program, x_q, "wrong-output", k, side, arbiter=ChainArbiter(embedded, prover=prover))
    assert r.winner == ("challenger" if side == "defender" else "defender"), r.reason
    check_bounds(r, prover)


def layernorm_case(width: int = 4096):
    from tests.bisection.test_proof_fit import _layernorm

    return _layernorm(width, 2, 5)


@pytest.mark.parametrize("op,side", [("LayerNormStats", "defender"), ("LayerNormApply", "challenger")])
def test_wideLayerNorm_lieAtItsSteps_liarLosesOnChain(embedded, op, side):  # noqa: F811
    """GPT-J's 4096-wide LayerNormalization: a lie at a block of its sums or at the apply step loses."""
    program, x_q = layernorm_case()
    assert [n.op for n in program.nodes] == ["LayerNormStats"] * 4 + ["LayerNormApply"]
    k = max(n.index + 1 for n in program.nodes if n.op == op)
    prover = Recording()
    r = dispute.run(program, x_q, "wrong-output", k, side, arbiter=ChainArbiter(embedded, prover=prover))
    assert r.winner == ("challenger" if side == "defender" else "defender"), r.reason
    check_bounds(r, prover)


def test_refusedProof_isReportedByName_notASilentTimeout(embedded):  # noqa: F811
    program, x_q = case("digits-mlp")
    prover = Recording(refuse=10)
    snap = embedded.chain.snapshot()
    try:
        r = dispute.run(program, x_q, "wrong-output", 3, "defender", arbiter=ChainArbiter(embedded, prover=prover))
    finally:
        embedded.chain.revert(snap)
    assert [e["error"] for e in r.rejected] == ["ProofRefused"], r.rejected
    assert "over the 131072 a node takes" in r.rejected[0]["message"]


def test_refusedProof_honestPlayerRetriesAnotherElement(embedded):  # noqa: F811
    """Two elements of the disputed chunk differ; the first one's proof is refused, the second wins."""
    from bisection import trace
    from bisection.players import Player
    from bisection.types import Side

    program, x_q = case("digits-mlp")
    honest = trace.compute(program, x_q)
    k = 3

    def tamper(step, written, state):
        if step != k:
            return written, {}
        slot, v = next(iter(written.items()))
        v = np.array(v, copy=True)
        v.reshape(-1)[:2] += 1
        return {slot: v}, {}

    liar = Player("defender", trace.compute(program, x_q, tamper=tamper), "wrong-output", tamper=tamper)
    fair = Player("challenger", honest)
    prover = Recording(refuse=1)
    snap = embedded.chain.snapshot()
    try:
        arbiter = ChainArbiter(embedded, prover=prover)
        mid = arbiter.register_model(program)
        cid = liar.submit(arbiter, mid)
        gid = fair.challenge(arbiter, cid)
        rejected = dispute.play(arbiter, gid, {Side.DEFENDER: liar, Side.CHALLENGER: fair})
        g = arbiter.game(gid)
    finally:
        embedded.chain.revert(snap)
    assert g.winner is Side.CHALLENGER and not rejected, (g.reason, rejected)
    assert len(prover.sizes) == 2


@pytest.mark.realsize
@pytest.mark.anvil
@pytest.mark.skipif(not anvil_binary().exists(), reason="run `npm ci` for anvil")
def test_gpt2_124M_lieAtLmHead_liarLosesOnAnvil_everyTransactionInBounds(figure):
    """GPT-2 124M (benchmarks/exact_real.py's seeded export), the lie at its last step (the lm_head,
    weights [768 x 50257]), disputed on anvil."""
    from benchmarks.exact_real import build
    from runtime.model import Model

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        path, ids, samples = build("gpt2", Path(d), 8)
        m = Model.load(path, calibration=samples)
        x_q = m.quantize_input(ids)
        program = m.program(x_q.shape)
    costs = program_costs(program)
    worst = max(costs, key=lambda c: c.gas)
    assert all(c.fits for c in costs), [c for c in costs if not c.fits][:3]
    last = program.steps
    assert program.nodes[last - 1].op == "Gemm" and program.slots[program.nodes[last - 1].inputs[1]].shape == (50257, 768)
    built = time.perf_counter() - t0
    chain = connect("anvil")
    try:
        prover = Recording()
        t1 = time.perf_counter()
        r = dispute.run(program, x_q, "wrong-output", last, "defender",
                        arbiter=ChainArbiter(deploy_opml(chain, LONG), prover=prover))
        seconds = time.perf_counter() - t1
    finally:
        chain.close()
    print(r.reason, r.rejected, [m.kind for m in r.transcript])
    assert r.winner == "challenger" and r.disputed_step == last, (r.reason, r.rejected)
    assert r.transcript[-1].kind == "step" and prover.sizes, (r.reason, r.rejected)  # won by the proof, not a clock
    check_bounds(r, prover)
    gas = [m.gas for m in r.transcript if m.gas is not None]
    figures = {"steps": program.steps, "moves": r.moves, "total_gas": sum(gas), "largest_tx_gas": max(gas),
               "step_proof_bytes": max(prover.sizes), "step_tx_bytes": max(prover.sizes) + STEP_ARGS_BYTES,
               "modeled_worst_step": f"{worst.step} {worst.op} {worst.gas} gas {worst.tx_bytes} B",
               "dispute_s": round(seconds, 1), "build_s": round(built, 1)}
    for k, v in figures.items():
        figure(k, v)
    print(figures)
