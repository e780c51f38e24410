"""Models served in the fast profile (DESIGN.md section 7b), through the Verifier interface with the
in-process agents of `Tribunal.connect` (conftest), in hybrid and in opml: claims and committee votes are
the float program's roots, and a dispute that narrows to one float node is settled by a node jury, a
Brain round whose members recompute only that node and vote within the request's tolerance."""
from __future__ import annotations

import numpy as np
import pytest

from bisection.tolerance import DEFAULT, Tolerance
from verifiers.errors import InvalidRequest

from .conftest import MODEL, cheat

pytestmark = pytest.mark.slow
FLOAT = MODEL + "@fast"  # the same ONNX file, its float program instead of the exact one


def float_root(t, x) -> str:
    e = t.model(FLOAT)
    return "0x" + e.output_root(e.check(x)).hex()


def test_hybridFloat_honestParties_floatRootFinal(tribunal, sample):
    v = tribunal.infer(FLOAT, sample, mode="hybrid").wait()
    assert v.status == "final", v.reason
    assert v.output_root == float_root(tribunal, sample) and v.evidence["upheld"]
    assert v.evidence["tolerance"] == str(DEFAULT)
    assert v.output == int(np.asarray(tribunal.model(FLOAT).model.run_fast(sample)[0]).argmax())


def test_hybridFloat_lyingMajority_nodeJuryOverturns_liarsSlashed(tribunal, sample):
    """2 of 3 members vote one wrong float trace (its last node's output far beyond the tolerance); the
    watcher challenges, the game narrows to that node, the jury recomputes it and finds the defender's
    output beyond tolerance, and the watcher's claim is adopted. The liars lie about answers, not as
    jurors: a jury with a lying majority would uphold the lie (contracts/README.md, "Float nodes")."""
    cheat(tribunal, liars=2)
    d = tribunal.deployment
    liars = [a.address for a in tribunal.scheduler.agents if a.role == "member" and a.cheat == "wrong-output"]
    stakes = {m: d.nodes.stake_of(m) for m in liars}
    v = tribunal.infer(FLOAT, sample, mode="hybrid", tolerance=(1e-4, 1e-3)).wait()
    assert v.status == "final", v.reason
    assert v.output_root == float_root(tribunal, sample) and not v.evidence["upheld"]
    assert v.evidence["tolerance"] == str(Tolerance(1e-4, 1e-3))
    juried = [g for g in v.evidence["games"] if g.get("jury")]
    assert juried and all(g["winner"] == "challenger" for g in juried)
    assert juried[0]["jury"]["verdict"] == "beyond" and juried[0]["jury"]["votes"] >= 2
    names = {tx.name for tx in v.transactions}
    assert {"challenge", "defend", "post node", "jury verdict"} <= names, names
    assert "one-step check" not in names  # a float node has no kernel: nothing is recomputed on chain
    slash = d.system.config.slash_amount
    assert all(d.nodes.stake_of(m) == stakes[m] - slash for m in liars)


def test_hybridFloat_badTolerance_refusedBeforeAnyTransaction(tribunal, sample):
    before = tribunal.chain.block_number
    with pytest.raises(InvalidRequest, match="exact"):
        tribunal.infer(MODEL, sample, mode="hybrid", tolerance=(1e-3, 0))  # an exact model has no float node
    with pytest.raises(InvalidRequest, match="tolerance"):
        tribunal.infer(FLOAT, sample, mode="brain", tolerance=(1e-3, 0))  # brain votes on the top-1
    from bisection.errors import InvalidTolerance

    for bad in ("1e-3", "a,b", (-1.0, 0.0), (float("nan"), 0.0)):
        with pytest.raises(InvalidTolerance):
            tribunal.infer(FLOAT, sample, mode="hybrid", tolerance=bad)
    assert tribunal.chain.block_number == before


def test_auto_floatModel_highValueHybridWithJury_lowValueBrain(tribunal, sample):
    from contracts.bindings.brain import ResultKind
    from verifiers.modes.auto import Auto, choose

    high = tribunal.request(FLOAT, sample, mode="auto", value_at_risk=10**20)
    mode, why = choose(tribunal, high)
    assert mode == "hybrid" and "jury" in why
    sub, sreq, _ = Auto()._chosen(tribunal, high)
    assert sub.name == "hybrid" and sreq.kind == ResultKind.OUTPUT_ROOT  # the float program's root
    low = tribunal.request(FLOAT, sample, mode="auto", value_at_risk=0)
    sub, sreq, why = Auto()._chosen(tribunal, low)
    assert sub.name == "brain" and sreq.kind == ResultKind.ARGMAX and "lying majority" in why


@pytest.fixture(scope="session")
def outside_exact(tmp_path_factory):
    """A model with an op the exact profile does not cover (Softplus): an ONNX file built here."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    w = numpy_helper.from_array(np.random.default_rng(3).standard_normal((64, 10)).astype(np.float32) / 8, "w")
    nodes = [helper.make_node("MatMul", ["x", "w"], ["h"]), helper.make_node("Softplus", ["h"], ["y"])]
    graph = helper.make_graph(nodes, "softplus-head", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])], [w])
    path = tmp_path_factory.mktemp("models") / "softplus-head.onnx"
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8  # what the pinned onnxruntime reads
    onnx.save(model, path)
    return str(path)


def test_hybridFloat_opOutsideExactProfile_lyingMajorityOverturnedByJury(tribunal, sample, outside_exact):
    """DESIGN 7b's other case: an op outside the exact profile. The model has no exact program, so hybrid
    serves it through its float program and the lie (on the Softplus step) goes to a jury."""
    e = tribunal.model(outside_exact)
    assert not e.exact and e.disputable
    cheat(tribunal, liars=2)
    x = np.asarray(sample, np.float32).reshape(1, 64)
    v = tribunal.infer(outside_exact, x, mode="hybrid").wait()
    assert v.status == "final" and not v.evidence["upheld"], v.reason
    assert v.output_root == "0x" + e.output_root(e.check(x)).hex()
    assert any(g.get("jury", {}).get("verdict") == "beyond" for g in v.evidence["games"])


def test_opmlFloat_honestSubmitter_floatRootFinal(tribunal, sample):
    v = tribunal.infer(FLOAT, sample, mode="opml").wait()
    assert v.status == "final", v.reason
    assert v.output_root == float_root(tribunal, sample) and not v.evidence["games"]


def test_opmlFloat_cheatingSubmitter_juryRejectsIt_watchersAnswerFinal(tribunal, sample):
    """The submitter's float claim has one element far off mid-program; the watcher's game narrows to that
    node, the jury finds the defender's output beyond tolerance, the claim is rejected, and the watcher's
    own answer (same tolerance) ends final."""
    cheat(tribunal, submitter="wrong-output")
    v = tribunal.infer(FLOAT, sample, mode="opml", tolerance=(1e-4, 1e-3)).wait()
    assert v.status == "final", v.reason
    assert v.output_root == float_root(tribunal, sample)
    rejected = [c for c in v.evidence["claims"] if c["status"] == "rejected"]
    assert rejected and any(g["winner"] == "challenger" for g in v.evidence["games"])
    names = {tx.name for tx in v.transactions}
    assert {"post node", "jury verdict"} <= names and "one-step check" not in names, names
    assert any(g.get("jury", {}).get("verdict") == "beyond" for g in v.evidence["games"])
    claim = tribunal.deployment.game.claim(v.evidence["final_claim"])
    assert claim.tolerance == Tolerance(1e-4, 1e-3).packed and claim.float_steps
