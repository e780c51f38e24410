"""Weights read tensor by tensor: external data found beside the model from any directory, the
int8 LLaMA builder's graph is LLaMA's, lowering and streaming calibration keep exact outputs."""
from __future__ import annotations

import json

import numpy as np
import onnx
import pytest

from runtime.errors import ModelFormatError
from runtime.model import Model
from runtime.zoo import llama
from verifiers.cli import main


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return llama.build(llama.SHAPES["tiny"], tmp_path_factory.mktemp("llama-tiny"))


def ids(n=1, seq=6, seed=1):
    return np.random.default_rng(seed).integers(0, llama.SHAPES["tiny"].vocab, (n, seq))


def test_externalData_loadsFromAnyDirectory(tiny, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing of the model here
    m = Model.load(tiny)
    assert m.external
    assert m.run_fast(ids())[0].shape == (1, 6, llama.SHAPES["tiny"].vocab)
    m.set_calibration(ids(4, 6, seed=2))
    r = m.run_exact(ids())
    assert r.outputs[0].dtype == np.int16 and r.outputs[0].shape == (1, 6, llama.SHAPES["tiny"].vocab)


def test_cliRun_externalModel_fromAnotherDirectory(tiny, tmp_path, monkeypatch, capsys):
    np.save(tmp_path / "ids.npy", ids())
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(tiny), "--input", "ids.npy", "--profile", "exact", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["output_root"].startswith("0x")


def test_missingExternalFile_isOneClearError(tiny, tmp_path):
    (tmp_path / "model.onnx").write_bytes(tiny.read_bytes())  # the graph without its weights.bin
    with pytest.raises(ModelFormatError, match="weights.bin"):
        Model.load(tmp_path / "model.onnx")


def test_externalCopy_givesTheSameExactBits(tmp_path):
    """A float model saved with external data runs exact to the same bits as the inline file, given
    the same scales (lowering reads the weights memory-mapped, a tensor at a time)."""
    inline = Model.load("gpt2-tiny")
    x = np.zeros(inline.default_shape(), dtype=inline.spec.dtype)
    inline.program(x.shape)  # calibrated as the zoo does
    proto = onnx.load(inline.source)
    ext = tmp_path / "sub" / "model.onnx"
    ext.parent.mkdir()
    onnx.save(proto, ext, save_as_external_data=True, all_tensors_to_one_file=True, location="w.bin", size_threshold=0)
    m = Model.load(ext)
    assert m.external
    m.set_calibration(inline.max_abs)
    assert m.run_exact(x).output_root == inline.run_exact(x).output_root


def test_streamingCalibration_matchesOnnxruntime(tiny):
    """The node-by-node calibration finds the ranges a float session finds (float32 rounding apart)."""
    from runtime import calibration

    proto = onnx.load(tiny)  # data loaded: an in-memory model onnxruntime can take
    samples = ids(3, 5, seed=3)
    ort = calibration.calibrate(proto, "input_ids", samples)
    streamed = calibration.calibrate_streaming(onnx.load(tiny, load_external_data=False), "input_ids", samples,
                                               tiny.parent, batch=2)
    for name, v in streamed.items():
        assert name in ort and abs(v - ort[name]) <= 1e-4 * max(1.0, abs(ort[name])), name
    activations = {n.output[0] for n in proto.graph.node if n.op_type in ("MatMul", "Softmax", "Mul", "Add")}
    assert activations - {"cos", "sin", "mask"} <= set(streamed) | {n for n in activations if n not in ort}


def test_llamaGraph_equalsTransformersLlama(tiny):
    """The hand-written graph is LLaMA: it computes what transformers' LlamaForCausalLM computes with
    the dequantized weights."""
    import torch
    import transformers as t

    s = llama.SHAPES["tiny"]
    proto = onnx.load(tiny)
    w = {i.name: onnx.numpy_helper.to_array(i) for i in proto.graph.initializer}
    deq = lambda n, axis=1: w[f"{n}.q"].astype(np.float32) * (w[f"{n}.scale"] if axis == 1 else w[f"{n}.scale"][:, None])  # noqa: E731
    cfg = t.LlamaConfig(vocab_size=s.vocab, hidden_size=s.hidden, intermediate_size=s.mlp, num_hidden_layers=s.layers,
                        num_attention_heads=s.heads, num_key_value_heads=s.kv_heads, max_position_embeddings=s.max_pos,
                        rms_norm_eps=s.eps, rope_theta=s.theta, tie_word_embeddings=False, attn_implementation="eager")
    net = t.LlamaForCausalLM(cfg).eval()
    sd = {"model.embed_tokens.weight": deq("embed", axis=0), "lm_head.weight": deq("lm_head").T,
          "model.norm.weight": w["final_norm.weight"]}
    for i in range(s.layers):
        for proj in ("q_proj", "k_proj", "v_proj", "o_proj"):
            sd[f"model.layers.{i}.self_attn.{proj}.weight"] = deq(f"l{i}.{proj}").T
        for proj in ("gate_proj", "up_proj", "down_proj"):
            sd[f"model.layers.{i}.mlp.{proj}.weight"] = deq(f"l{i}.{proj}").T
        sd[f"model.layers.{i}.input_layernorm.weight"] = w[f"l{i}.in_norm.weight"]
        sd[f"model.layers.{i}.post_attention_layernorm.weight"] = w[f"l{i}.post_norm.weight"]
    net.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in sd.items()})
    x = ids(2, 7)
    with torch.no_grad():
        want = net(input_ids=torch.from_numpy(x)).logits.numpy()
    from onnx.reference import ReferenceEvaluator

    # onnx's reference evaluator: onnxruntime fuses DequantizeLinear + MatMul into integer kernels
    # that quantize the activations too (about 0.3% off float32 here)
    got = ReferenceEvaluator(proto).run(None, {"input_ids": x})[0]
    assert np.abs(got - want).max() <= 1e-4 * np.abs(want).max()


def test_graphOnly_rewritesTheSameModel(tiny, tmp_path):
    import shutil

    shutil.copy(tiny.parent / llama.DATA_FILE, tmp_path / llama.DATA_FILE)
    again = llama.build(llama.SHAPES["tiny"], tmp_path, graph_only=True)
    assert again.read_bytes() == tiny.read_bytes()
    with pytest.raises(ValueError, match="weights"):
        llama.build(llama.Shape(hidden=64, layers=3, mlp=128, vocab=256, heads=4, kv_heads=2, max_pos=64), tmp_path,
                    graph_only=True)


@pytest.mark.realsize
@pytest.mark.parametrize("name", ["llama1b", "gpt2"])
def test_realsize_exactPeakMemory_withinTarget(name):
    """Peak resident memory of an exact run (load, calibrate, lower, run; a child process) is at most
    1.3 x the program's constant bytes + 1 GiB."""
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "benchmarks.exact_real", "--models", name, "--profiles", "exact-torch",
                        "--repeat", "0", "--seq", "16", "--json"], capture_output=True, text=True, check=True)
    run = json.loads(r.stdout)[0]["runs"]["exact-torch"]
    assert run["peak_gib"] <= 1.3 * run["weight_bytes"] / 2**30 + 1, run


def test_floatProgram_externalModel_fromAnotherDirectory(tiny, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    m = Model.load(tiny)
    x = ids(1, 4)
    out = m.float_program((1, 4)).run(x)[0]
    assert np.allclose(out, m.run_fast(x)[0], rtol=0, atol=0.02 * np.abs(out).max())
