"""ArgMax over a large vocabulary fits a real chain: one ArgMax step over GPT-2's 50257 logits would
read them all (141,636 bytes of calldata, 22.8M gas), so an axis too long for one step lowers to
ArgMaxBlock (each block's maximum and its first index) and ArgMaxMerge (the first block holding the
largest maximum), each step inside the bounds at every size the exact ArgMax takes (up to 65536),
bit-identical to one ArgMax, ties included (the first index); a lie at either stage is lost by its
teller, in memory and on chain."""
from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper

from bisection import MemoryArbiter, dispute
from bisection.step_cost import program_costs
from runtime import proof_cost
from runtime.model import Model
from runtime.ops.argmax import offset_for
from runtime.proof_cost import BYTES_BOUND, GAS_BOUND

V = 50257


def argmax_model(n: int, inner: int = 1, keepdims: int = 0) -> Model:
    """One ArgMax over axis 1 of x [b, n] (or [b, n, inner]), calibrated on seeded samples."""
    shape = ["b", n] if inner == 1 else ["b", n, inner]
    g = helper.make_graph([helper.make_node("ArgMax", ["x"], ["y"], axis=1, keepdims=keepdims)], "argmax",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
                          [helper.make_tensor_value_info("y", TensorProto.INT64, None)])
    m = Model(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), f"argmax-{n}x{inner}")
    m.set_calibration(np.random.default_rng(0).standard_normal((4, n) if inner == 1 else (4, n, inner)).astype(np.float32))
    return m


def program(n: int, rows: int = 1, inner: int = 1, keepdims: int = 0):
    return argmax_model(n, inner, keepdims).program((rows, n) if inner == 1 else (rows, n, inner))


def reference(x: np.ndarray, n: int, keepdims: int = 0) -> np.ndarray:
    return (np.argmax(x, axis=1) + offset_for(n)).astype(np.int16) if not keepdims else \
        (np.argmax(x, axis=1, keepdims=True) + offset_for(n)).astype(np.int16)


def test_argmax_gpt2Vocabulary_oneStepProofFitsAChain():
    p = program(V)
    assert [nd.op for nd in p.nodes] == ["ArgMaxBlock", "ArgMaxMerge"]
    costs = program_costs(p)
    worst = max(costs, key=lambda c: c.gas)
    assert worst.tx_bytes <= BYTES_BOUND and worst.gas <= GAS_BOUND, worst
    assert all(c.tx_bytes <= proof_cost.TARGET_BYTES and c.gas <= proof_cost.TARGET_GAS for c in costs), costs


def test_argmax_smallVocabulary_staysOneStep():
    assert [nd.op for nd in program(512).nodes] == ["ArgMax"]


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(n=st.integers(2, 65536), rows=st.integers(1, 3), inner=st.sampled_from([1, 1, 3, 700]))
def test_argmax_anySize_everyStepFits(n, rows, inner):
    """Every size the exact ArgMax takes, along the last axis or strided (inner > 1: each read its own
    chunk, so several merge levels): each step inside the lowering's targets."""
    n = min(n, 2**20 // (rows * inner))
    p = program(n, rows, inner)
    for c in program_costs(p):
        assert c.tx_bytes <= proof_cost.TARGET_BYTES and c.gas <= proof_cost.TARGET_GAS, (n, rows, inner, c)


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(n=st.integers(800, 40000), rows=st.integers(1, 2), inner=st.sampled_from([1, 2, 600]), spread=st.sampled_from([2, 50, 65536]),
       keepdims=st.integers(0, 1), seed=st.integers(0, 2**16))
def test_twoStageArgMax_bitIdenticalToOneStep_tiesToTheFirstIndex(n, rows, inner, spread, keepdims, seed):
    """Values from a small range tie often: both stages keep the first index, on numpy and torch."""
    n = min(n, 2**18 // (rows * inner))
    p = program(n, rows, inner, keepdims)
    shape = (rows, n) if inner == 1 else (rows, n, inner)
    rng = np.random.default_rng(seed)
    x = rng.integers(-spread // 2, (spread + 1) // 2, shape).astype(np.int16)
    want = reference(x, n, keepdims)
    if p.nodes[0].op == "ArgMax":  # small enough for one step: nothing to compare
        return
    for backend in ("numpy", "torch"):
        assert np.array_equal(np.asarray(p.run(x, backend)[0]), want), backend
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(proof_cost, "TARGET_GAS", 10**12)
        mp.setattr(proof_cost, "TARGET_BYTES", 10**12)
        whole = program(n, rows, inner, keepdims)
    assert [nd.op for nd in whole.nodes] == ["ArgMax"]
    assert np.array_equal(whole.run(x, "numpy")[0], want)


@functools.cache
def wide_case():
    """ArgMax over 50257 logits for two rows, with a tie between the top two candidates."""
    m = argmax_model(V)
    x = np.random.default_rng(7).integers(-3000, 3000, (2, V)).astype(np.int16)
    x[0, [40000, 41000]] = 32767  # a tie across blocks: the first (40000) wins
    p = m.program((2, V))
    assert np.array_equal(p.run(x, "numpy")[0], reference(x, V)) and p.run(x, "numpy")[0][0] == 40000 + offset_for(V)
    return p, x


@pytest.fixture
def wide():
    return wide_case()


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(step=st.sampled_from([1, 2]), side=st.sampled_from(["defender", "challenger"]),
       cheat=st.sampled_from(["wrong-output", "flip-lsb", "bad-bisection"]))
def test_lieAtBlockOrMergeStep_lostByItsTeller_inMemory(wide, step, side, cheat):
    p, x = wide
    r = dispute.run(p, x, cheat, step, side, seed=step, arbiter=MemoryArbiter())
    assert r.winner == ("challenger" if side == "defender" else "defender"), (step, r.reason)
    assert r.moves <= r.max_moves


@pytest.mark.parametrize("op,side", [("ArgMaxBlock", "defender"), ("ArgMaxMerge", "challenger")])
def test_lieAtBlockOrMergeStep_lostOnEmbeddedChain_sameAsInMemory_inBounds(op, side):
    from contracts.arbiter import ChainArbiter
    from contracts.chain import connect
    from contracts.deploy import deploy_opml
    from tests.contracts.test_opml import CONFIG, check_same
    from tests.contracts.test_proof_fit_chain import Recording, check_bounds

    p, x = wide_case()
    k = next(nd.index + 1 for nd in p.nodes if nd.op == op)
    memory = dispute.run(p, x, "wrong-output", k, side, arbiter=MemoryArbiter(
        stride=CONFIG.stride, min_bond=CONFIG.min_bond, bond_growth=CONFIG.bond_growth))
    chain = connect("embedded")
    prover = Recording()
    try:
        on_chain = dispute.run(p, x, "wrong-output", k, side, arbiter=ChainArbiter(deploy_opml(chain, CONFIG), prover=prover))
    finally:
        chain.close()
    check_same(memory, on_chain, side)
    assert on_chain.disputed_step == k and on_chain.transcript[-1].kind == "step" and prover.sizes
    check_bounds(on_chain, prover)


@pytest.mark.anvil
@pytest.mark.slow
def test_lieAtMergeStep_lostOnAnvil_inBounds():
    from contracts.arbiter import ChainArbiter
    from contracts.chain import connect
    from contracts.chain.anvil import anvil_binary
    from contracts.deploy import deploy_opml
    from tests.contracts.test_opml import CONFIG
    from tests.contracts.test_proof_fit_chain import Recording, check_bounds

    if not anvil_binary().exists():
        pytest.skip("run `npm ci` for anvil")
    p, x = wide_case()
    chain = connect("anvil")
    prover = Recording()
    try:
        r = dispute.run(p, x, "wrong-output", 2, "defender", arbiter=ChainArbiter(deploy_opml(chain, CONFIG), prover=prover))
    finally:
        chain.close()
    assert r.winner == "challenger" and r.disputed_step == 2 and r.transcript[-1].kind == "step", r.reason
    check_bounds(r, prover)
