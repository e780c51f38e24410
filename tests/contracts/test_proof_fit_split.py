"""Disputes at the steps that split long rows and windows (issue 17): a Softmax row of 4300 positions
(RowMaxBlock, SoftmaxExpAt, RowSumBlock, SoftmaxDivide), LLaMA-7B's RMSNorm mean over 4096 (RowSumBlock,
MeanOfSum)
and a Conv window over 64 channels (ConvBlock, Requantize, Transpose).

A lie at each such step loses, the liar defending or challenging, in memory and on the embedded chain
with the same outcome, every transaction inside the bounds and the one-step transaction's gas at most
what runtime/proof_cost.py models for it. On anvil (marked): both liars lose at softmax block steps and
at the 7B-wide mean's steps.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest
from onnx import helper

from bisection import MemoryArbiter, dispute
from bisection.step_cost import step_cost
from contracts.arbiter import ChainArbiter
from contracts.chain import connect
from contracts.chain.anvil import anvil_binary
from contracts.deploy import deploy_opml
from contracts.onestep import prestates
from runtime.model import Model
from tests.runtime.graphs import graph

from .test_opml import CONFIG, check_same, embedded  # noqa: F401 - the module-scoped chain fixture
from .test_proof_fit_chain import Recording, check_bounds

SPLITS = {  # case -> the ops its lowering splits into
    "softmax": ("RowMaxBlock", "SoftmaxExpAt", "RowSumBlock", "SoftmaxDivide"),
    "mean": ("RowSumBlock", "MeanOfSum"),
    "conv": ("ConvBlock", "Requantize", "Transpose"),
}


@lru_cache(maxsize=None)
def split_case(name: str):
    """(program, x_q) of a one-op model whose step is split, calibrated on random samples."""
    rng = np.random.default_rng(7)
    if name == "softmax":
        mask = np.ones((2, 4300), dtype=bool)
        mask[0, :5] = False  # saturated mask entries: SoftmaxExpAt's zero branch
        proto = graph([helper.make_node("Where", ["m", "x", "f"], ["w"]), helper.make_node("Softmax", ["w"], ["y"], axis=-1)],
                      (2, 4300), {"m": mask, "f": np.array(-1e9, np.float32)})
        shape = (2, 4300)
    elif name == "mean":  # LLaMA-7B's RMSNorm mean at 4 positions
        proto = graph([helper.make_node("ReduceMean", ["x"], ["y"], axes=[-1], keepdims=1)], (4, 4096), {})
        shape = (4, 4096)
    else:
        w = rng.standard_normal((3, 64, 3, 3)).astype(np.float32)
        proto = graph([helper.make_node("Conv", ["x", "w", "b"], ["y"], pads=[1] * 4)], (1, 64, 5, 5),
                      {"w": w, "b": rng.standard_normal(3).astype(np.float32)})
        shape = (1, 64, 5, 5)
    m = Model(proto, name)
    samples = (rng.standard_normal((6,) + shape) * 3).astype(np.float32)
    m.calibrate(samples.reshape((-1,) + shape[1:]))
    program = m.program(shape)
    assert {n.op for n in program.nodes} >= set(SPLITS[name]), [n.op for n in program.nodes]
    return program, m.quantize_input(samples[0])


CASES = [(name, op) for name, ops in SPLITS.items() for op in ops if op not in ("Requantize", "Transpose")]


def first_step(program, op: str) -> int:
    """The first step of `op`: a full block where the op takes several."""
    return min(n.index + 1 for n in program.nodes if n.op == op)


@pytest.mark.parametrize("name,op", CASES)
@pytest.mark.parametrize("side", ["defender", "challenger"])
def test_lieAtSplitStep_liarLoses_inMemoryAndOnChain_sameOutcome_inBounds(embedded, name, op, side):  # noqa: F811
    program, x_q = split_case(name)
    k = first_step(program, op)
    memory = dispute.run(program, x_q, "wrong-output", k, side, arbiter=MemoryArbiter(
        stride=CONFIG.stride, min_bond=CONFIG.min_bond, bond_growth=CONFIG.bond_growth))
    prover = Recording()
    snap = embedded.chain.snapshot()
    try:
        chain = dispute.run(program, x_q, "wrong-output", k, side, arbiter=ChainArbiter(embedded, prover=prover))
    finally:
        embedded.chain.revert(snap)
    check_same(memory, chain, side)
    assert chain.disputed_step == k and chain.transcript[-1].kind == "step", (chain.reason, chain.rejected)
    check_bounds(chain, prover)
    modeled = step_cost(program, k, prestates(program, x_q)[k - 1])
    assert chain.transcript[-1].gas <= modeled.gas, (op, chain.transcript[-1].gas, modeled)


@pytest.mark.anvil
@pytest.mark.slow
@pytest.mark.skipif(not anvil_binary().exists(), reason="run `npm ci` for anvil")
def test_anvil_lieAtSoftmaxAndMeanBlockSteps_bothLiarsLose(figure):
    chain = connect("anvil")
    try:
        system = deploy_opml(chain, CONFIG)
        for name, op, side in (("softmax", "RowSumBlock", "defender"), ("softmax", "RowMaxBlock", "challenger"),
                               ("mean", "MeanOfSum", "defender"), ("mean", "RowSumBlock", "challenger")):
            program, x_q = split_case(name)
            prover = Recording()
            r = dispute.run(program, x_q, "wrong-output", first_step(program, op), side,
                            arbiter=ChainArbiter(system, prover=prover))
            assert r.winner == ("challenger" if side == "defender" else "defender"), (op, side, r.reason, r.rejected)
            assert r.transcript[-1].kind == "step", (r.reason, r.rejected)
            check_bounds(r, prover)
            figure(f"anvil {name} {op} liar {side}: moves, largest tx gas, step calldata",
                   f"{r.moves} {max(m.gas for m in r.transcript if m.gas)} {max(prover.sizes)}")
    finally:
        chain.close()


def test_softmaxExpAt_maskedAndUnmaskedElements_onChainEqualNumpy(embedded):  # noqa: F811
    """Row 0 starts with saturated mask entries: their entry is 0 (no table read), the others' a table
    entry; the on-chain kernel agrees with numpy on both, and on the other split ops' first elements."""
    from contracts.onestep import OneStep, step_proof

    from .onestep_cases import expected, roots

    onestep = OneStep(embedded.chain, embedded.verifier)
    program, x_q = split_case("softmax")
    states = prestates(program, x_q)
    for k in range(1, program.steps + 1):
        want = expected(program, states[k - 1], k)
        for element in {0, 3, 4, 5, want.size - 1} & set(range(want.size)):
            value, _ = onestep.element(*roots(program, states[k - 1]), k, element,
                                       step_proof(program, states[k - 1], k, element))
            assert value == int(want[element]), (program.nodes[k - 1].op, element)
    exp_step = first_step(program, "SoftmaxExpAt")
    assert expected(program, states[exp_step - 1], exp_step)[:5].tolist() == [0] * 5
