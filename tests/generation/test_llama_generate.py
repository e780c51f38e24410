"""The hand-written generation graph of an int8 LLaMA (runtime.zoo.llama_generate), at the tiny shape:
it shares the forward model's weights byte for byte, its greedy tokens equal an argmax loop over the
forward-pass graph re-run per token (which checks the cache logic), and its exact program gives the
same tokens on numpy and torch, stores each weight once and agrees with onnxruntime."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import onnx
import pytest

from runtime.fast import session
from runtime.generation.generator import GenerationModel
from runtime.onnx_io import load_onnx
from runtime.weights import is_external
from runtime.zoo import llama, llama_generate

S = llama.SHAPES["tiny"]  # grouped-query attention: 4 heads, 2 key/value heads
P, N = 4, 6
PROMPTS = np.random.default_rng(3).integers(0, S.vocab, (3, 1, P))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """(forward model, generation graph) in one folder, one weights.bin."""
    d = tmp_path_factory.mktemp("llama-gen")
    fwd = llama.build(S, d)
    size = (d / llama.DATA_FILE).stat().st_size
    gen = llama_generate.build(S, d, P, N, cache_len=12)
    assert (d / llama.DATA_FILE).stat().st_size == size  # kept, not rewritten
    return fwd, gen


@pytest.fixture(scope="module")
def model(files):
    m = GenerationModel(load_onnx(files[1]), "tiny-gen", files[1], prompt_len=P, new_tokens=N)
    m.calibrate(np.random.default_rng(0).integers(0, S.vocab, (8, P)))
    return m


def forward_loop(path, ids: np.ndarray) -> list[int]:
    """Greedy tokens by re-running the forward-pass graph on the whole sequence per token."""
    sess, seq = session(str(path), "cpu"), list(ids[0])
    for _ in range(N):
        seq.append(int(sess.run(None, {"input_ids": np.array([seq])})[0][0, -1].argmax()))
    return seq[P:]


def test_weights_sameBytesAndScalesAsTheForwardModel_eachStoredOnce(files):
    fwd, gen = (onnx.load(str(p), load_external_data=False) for p in files)
    f = {t.name: t for t in fwd.graph.initializer}
    g = [t for t in gen.graph.initializer]
    def weight(t):
        return is_external(t) or t.name.endswith((".scale", ".weight"))  # int8 weights, scales, RMSNorm gains

    shared = [t for t in g if t.name in f and weight(t)]
    assert {t.name for t in shared} == {t.name for t in f.values() if weight(t)}
    for t in shared:
        assert t.SerializeToString() == f[t.name].SerializeToString(), t.name
    assert len([t for t in g if is_external(t)]) == len([t for t in f.values() if is_external(t)])
    dq = [n for n in gen.graph.node if n.op_type == "DequantizeLinear"]
    assert len(dq) == N * (2 + 7 * S.layers)  # one per step and weight: a weight's floats live one step


@pytest.mark.parametrize("k", range(len(PROMPTS)))
def test_fast_greedyTokens_equalAnArgmaxLoopOverTheForwardGraph(files, k):
    tokens = session(str(files[1]), "cpu").run(None, {"input_ids": PROMPTS[k]})[0]
    assert tokens.shape == (1, N)
    assert tokens[0].tolist() == forward_loop(files[0], PROMPTS[k])


def test_exact_identicalOnNumpyAndTorch_andAgreesWithFast(model):
    agree = []
    for ids in PROMPTS:
        exact = model.run_exact(ids, backend="numpy").outputs[0]
        assert np.array_equal(exact, model.run_exact(ids, backend="torch").outputs[0])
        agree.append(np.mean(exact.astype(np.int64) == model.run_fast(ids, "cpu")[0]))
    assert np.mean(agree) >= 0.75


def test_exact_program_storesEachWeightOnce_andChoosesEveryToken(model, files):
    prog = model.program((1, P))
    int8 = sum(v.nbytes for v in prog.constants.values() if v.dtype == np.int8)
    table = S.vocab * S.hidden  # the embedding: a Gather's int16 table, the only weight not int8
    assert int8 == (files[1].parent / llama.DATA_FILE).stat().st_size - table
    assert len([v for v in prog.constants.values() if v.shape == (S.vocab, S.hidden) and v.dtype == np.int16]) == 1
    assert len(model.token_steps(prog)) == N


def test_forwardCalibration_coversTheGenerationGraph(files):
    from runtime.model import Model

    fwd = Model.load(files[0], calibration=np.random.default_rng(0).integers(0, S.vocab, (8, P)))
    m = GenerationModel(load_onnx(files[1]), "tiny-gen", files[1], prompt_len=P, new_tokens=N)
    m.set_calibration(llama_generate.calibration_from_forward(fwd.max_abs, m.proto))
    ids = PROMPTS[0]
    exact = m.run_exact(ids, backend="torch").outputs[0]
    assert np.mean(exact.astype(np.int64) == m.run_fast(ids, "cpu")[0]) >= 0.5


@pytest.mark.parametrize("p,n,cache", [(0, 2, None), (4, 0, None), (4, 4, 5), (60, 8, None)])
def test_build_requestThatDoesNotFit_refused(tmp_path, p, n, cache):
    with pytest.raises(ValueError, match="cache"):
        llama_generate.build(S, tmp_path, p, n, cache)


def test_cli_badRequest_oneLineExit2(tmp_path):
    r = subprocess.run([sys.executable, "-m", "runtime.zoo.llama_generate", "tiny", str(tmp_path),
                        "--new-tokens", "99"], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "cache" in r.stderr
    assert not (tmp_path / llama.DATA_FILE).exists()


@pytest.mark.realsize
def test_realsize_7bGraph_besideTheZooWeights_sharesEveryWeight():
    """LLaMA-7B's shape: the generation graph written beside benchmarks.exact_real's int8 weights
    (6.3 GiB, written once into the build cache) reads the same bytes and scales, nothing copied."""
    from benchmarks.exact_real import llama_folder

    d = llama_folder("llama7b")
    size = (d / llama.DATA_FILE).stat().st_size
    gen = d / llama_generate.FILE.format(P=4, N=2, L=5)
    if not gen.exists():
        llama_generate.build(llama.SHAPES["7b"], d, 4, 2)
    assert (d / llama.DATA_FILE).stat().st_size == size
    f = {t.name: t for t in onnx.load(str(d / "model.onnx"), load_external_data=False).graph.initializer}
    g = onnx.load(str(gen), load_external_data=False).graph.initializer
    ext = [t for t in g if is_external(t)]
    assert len(ext) == 2 + 7 * 32 and all(t.SerializeToString() == f[t.name].SerializeToString() for t in ext)
    assert all(t.SerializeToString() == f[t.name].SerializeToString() for t in g if t.name.endswith(".scale"))
