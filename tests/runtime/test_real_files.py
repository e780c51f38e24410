"""Real files as they come: old IR versions, constants the reference evaluator cannot fold, token-id
inputs, user calibration; and a small causal-attention language model exported by torch, run on the
exact profile and disputed."""
from __future__ import annotations

import functools
import json
import tempfile
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from bisection import dispute
from bisection.commitments import model_id
from runtime.errors import ConstantFoldError, FastRunError, InputDtypeError, TribunalError
from runtime.model import Model


def save(tmp_path, nodes, inputs, inits: dict, ir=8, opset=17, out_shape=None, name="m.onnx"):
    g = helper.make_graph(nodes, "g", inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)],
                          [numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = ir
    path = tmp_path / name
    onnx.save(m, path)
    return path


def test_irBelow4_initializersListedAsInputs_areWeights(tmp_path):
    rng = np.random.default_rng(0)
    w = rng.standard_normal((4, 3)).astype(np.float32)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])
    w_in = helper.make_tensor_value_info("W", TensorProto.FLOAT, [4, 3])  # IR 3: every initializer is an input too
    path = save(tmp_path, [helper.make_node("MatMul", ["x", "W"], ["y"])], [x, w_in], {"W": w}, ir=3, opset=9,
                out_shape=[2, 3])
    m = Model.load(path, profile="exact", calibration=rng.standard_normal((64, 4)).astype(np.float32))
    assert m.spec.name == "x"
    prog = m.program((2, 4))
    assert prog.slots[prog.input_slot].name == "x" and [s.kind for s in prog.slots].count("input") == 1
    xs = rng.standard_normal((2, 4)).astype(np.float32)
    assert np.allclose(m.run_exact(xs).floats()[0], m.run_fast(xs)[0], atol=0.05)


def test_opset9UnsqueezeOfConstant_foldsThroughOnnxruntime(tmp_path):
    """onnx's reference evaluator rejects Unsqueeze-9's `axes` attribute; onnxruntime folds it."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
    nodes = [helper.make_node("Unsqueeze", ["c"], ["u"], axes=[0]), helper.make_node("Add", ["x", "u"], ["y"])]
    path = save(tmp_path, nodes, [x], {"c": np.array([1.0, 2.0, 3.0], np.float32)}, ir=4, opset=9,
                out_shape=[2, 3])
    m = Model.load(path, profile="exact", calibration=np.random.default_rng(0).uniform(-1, 1, (16, 3)).astype(np.float32))
    xs = np.full((2, 3), 0.5, np.float32)
    assert np.allclose(m.run_exact(xs).floats()[0], xs + [1, 2, 3], atol=0.01)


def test_unfoldableConstantNode_isConstantFoldError_namingNodeAndOp(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
    nodes = [helper.make_node("Reshape", ["c", "s"], ["r"], name="bad_reshape"), helper.make_node("Add", ["x", "r"], ["y"])]
    inits = {"c": np.ones(6, np.float32), "s": np.array([4, 4], np.int64)}
    g = helper.make_graph(nodes, "g", [x], [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                          [numpy_helper.from_array(v, k) for k, v in inits.items()])
    m = Model(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), "bad")
    m.max_abs = {"x": 1.0, "y": 2.0}
    with pytest.raises(ConstantFoldError, match=r"node 'bad_reshape' \(op Reshape\)"):
        m.program((2, 3))


# ---------------------------------------------------------------- token ids and calibration


def embedding_file(tmp_path, vocab=20, width=8, seq=5):
    rng = np.random.default_rng(1)
    ids = helper.make_tensor_value_info("ids", TensorProto.INT64, [1, seq])
    nodes = [helper.make_node("Gather", ["E", "ids"], ["e"]), helper.make_node("MatMul", ["e", "W"], ["y"])]
    inits = {"E": rng.standard_normal((vocab, width)).astype(np.float32),
             "W": rng.standard_normal((width, 3)).astype(np.float32)}
    return save(tmp_path, nodes, [ids], inits, out_shape=[1, seq, 3])


def test_tokenIds_calibratedWithinTable_andRunExactly(tmp_path):
    m = Model.load(embedding_file(tmp_path), profile="exact")  # no samples: ids drawn in [0, 20)
    prog = m.program((1, 5))
    assert prog.slots[prog.input_slot].dtype == "int64"
    ids = np.array([[0, 19, 3, 3, -1]], np.int64)
    want = m.run_fast(ids)[0]
    r = m.run_exact(ids)
    assert (r.outputs[0] == m.run_exact(ids, backend="torch").outputs[0]).all()
    assert np.max(np.abs(r.floats()[0] - want)) <= 0.02 * np.max(np.abs(want))


def test_tokenIds_outOfRange_areNamedErrors_neverOnnxruntimes(tmp_path):
    m = Model.load(embedding_file(tmp_path), profile="exact")
    bad = np.array([[0, 1, 2, 3, 20]], np.int64)
    with pytest.raises(FastRunError, match="onnxruntime failed"):
        m.run_fast(bad)
    with pytest.raises(InputDtypeError, match=r"token ids must lie in \[-20, 20\)"):
        m.run_exact(bad)
    with pytest.raises(TribunalError):
        m.calibrate(bad)


def test_calibration_isPartOfTheModelId(tmp_path):
    path = embedding_file(tmp_path)
    a = np.random.default_rng(0).integers(0, 20, (8, 5))
    b = np.random.default_rng(1).integers(0, 4, (8, 5))  # fewer rows seen: other scales downstream
    np.save(tmp_path / "b.npy", b)
    ida = model_id(Model.load(path, calibration=a).program((1, 5)))
    assert ida == model_id(Model.load(path, calibration=a).program((1, 5)))
    idb = model_id(Model.load(path, calibration=tmp_path / "b.npy").program((1, 5)))
    assert ida != idb
    m = Model.load(path, calibration=a)
    (tmp_path / "cal.json").write_text(json.dumps(m.max_abs))
    assert model_id(Model.load(path, calibration=tmp_path / "cal.json").program((1, 5))) == ida


def test_cli_calibrationFlag_changesTheModelId(tmp_path, capsys):
    from verifiers.cli import main

    path = embedding_file(tmp_path)
    np.save(tmp_path / "cal.npy", np.random.default_rng(3).integers(0, 3, (4, 5)))
    ids = []
    for extra in ([], ["--calibration", str(tmp_path / "cal.npy")]):
        assert main(["trace", str(path), "--json", *extra]) == 0
        ids.append(json.loads(capsys.readouterr().out)["model_id"])
    assert ids[0] != ids[1]
    assert main(["run", str(path), "--profile", "exact", "--calibration", str(tmp_path / "missing.npy"), "--json"]) != 0


# ---------------------------------------------------------------- a causal-attention language model


def build_tiny_lm(folder):
    """(model, 8 inputs of token ids [1, 6]).
    One pre-softmax-masked attention block with a tied embedding, exported by torch (opset 17):
    Gather (token and position), Split (q, k, v), Reshape/Transpose heads, MatMul of activations,
    Where with finfo.min, Softmax, Concat of heads, Neg, Unsqueeze/Squeeze, Slice."""
    import torch

    vocab, width, heads, seq = 32, 16, 2, 6

    class Block(torch.nn.Module):
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.tok = torch.nn.Embedding(vocab, width)
            self.pos = torch.nn.Embedding(seq, width)
            self.qkv = torch.nn.Linear(width, 3 * width)
            self.register_buffer("mask", torch.tril(torch.ones(seq, seq, dtype=torch.bool)))

        def forward(self, ids):
            h = self.tok(ids) + self.pos(torch.arange(ids.shape[1]))
            q, k, v = self.qkv(h).split(width, dim=-1)
            split = lambda t: t.reshape(1, seq, heads, width // heads).transpose(1, 2)  # noqa: E731
            q, k, v = split(q), split(k), split(v)
            s = q @ k.transpose(-1, -2) * (width // heads) ** -0.5
            s = torch.where(self.mask[:seq, :seq], s, torch.finfo(torch.float32).min)
            a = torch.softmax(s, dim=-1) @ v
            o = torch.cat([a[:, i] for i in range(heads)], dim=-1)  # [1, seq, width]
            o = -(-o).unsqueeze(0).squeeze(0) + h
            return o[:, :, :] @ self.tok.weight.T

    path = folder / "lm.onnx"
    with torch.no_grad():
        torch.onnx.export(Block().eval(), (torch.zeros(1, seq, dtype=torch.int64),), str(path), dynamo=False,
                          opset_version=17, input_names=["ids"], output_names=["logits"])
    rng = np.random.default_rng(0)
    return Model.load(path, profile="exact", calibration=rng.integers(0, vocab, (16, seq))), \
        rng.integers(0, vocab, (8, 1, seq))


@functools.lru_cache(maxsize=1)
def tiny_lm_once():
    """build_tiny_lm once per test process (this module and the chain tests share it)."""
    folder = tempfile.TemporaryDirectory(prefix="tiny-lm-")
    _KEEP.append(folder)  # removed when the process ends
    return build_tiny_lm(Path(folder.name))


_KEEP: list = []


@pytest.fixture(scope="module")
def tiny_lm():
    return tiny_lm_once()


def test_tinyLm_exactTracksFast_perToken(tiny_lm, figure):
    m, xs = tiny_lm
    ops = {n.op for n in m.program((1, 6)).nodes}
    assert {"Gather", "MatMul", "SoftmaxExp", "SoftmaxNorm", "Concat"} <= ops
    agree, worst = [], 0.0
    for x in xs:
        want = m.run_fast(x)[0]
        r = m.run_exact(x)
        assert (r.outputs[0] == m.run_exact(x, backend="torch").outputs[0]).all()
        got = r.floats()[0]
        agree.append((got.argmax(-1) == want.argmax(-1)).mean())
        worst = max(worst, float(np.max(np.abs(got - want)) / np.max(np.abs(want))))
    figure("tiny causal LM: exact-fast top-1 agreement per token", float(np.mean(agree)))
    figure("tiny causal LM: largest logit error / largest logit", worst)
    assert np.mean(agree) >= 0.9 and worst < 0.1  # int16 activations, int8 weights, a 2-layer product chain


@pytest.mark.parametrize("side", ["defender", "challenger"])
def test_tinyLm_cheaterLosesDispute(tiny_lm, side):
    m, xs = tiny_lm
    x_q = m.quantize_input(xs[0])
    program = m.program(x_q.shape)
    r = dispute.run(program, x_q, "wrong-output", None, side)
    assert r.winner == ("challenger" if side == "defender" else "defender")
