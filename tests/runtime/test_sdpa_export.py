"""A transformers model exported the default way runs in the exact profile: GPT-2 (and BERT) built
from a config, its attention the default `sdpa` implementation, exported with `torch.onnx.export`
as a user would (the default exporter, and the TorchScript one), with `input_ids` and
`attention_mask`. The export guards Softmax with `Where(IsNaN(p), 0, p)`: an exact activation is
never NaN, so the guard's condition is a constant (runtime/ops/isnan.py). `tribunal run FILE
--profile exact` serves such a file from another directory."""
from __future__ import annotations

import json

import numpy as np
import onnx
import pytest

from runtime.model import Model
from verifiers.cli import main

VOCAB = 100


def export(path, family: str, dynamo: bool):
    torch = pytest.importorskip("torch")
    from transformers import BertConfig, BertModel, GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    if family == "gpt2":
        net = GPT2LMHeadModel(GPT2Config(vocab_size=VOCAB, n_positions=16, n_embd=16, n_layer=1, n_head=2,
                                         bos_token_id=0, eos_token_id=0)).eval()
    else:
        net = BertModel(BertConfig(vocab_size=VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                   num_attention_heads=4, max_position_embeddings=32)).eval()
    assert net.config._attn_implementation == "sdpa"  # transformers' default, what a user gets

    class Wrapped(torch.nn.Module):  # logits (or hidden states) only: the cache object is not a tensor
        def __init__(self):
            super().__init__()
            self.m = net

        def forward(self, input_ids, attention_mask):
            if family == "gpt2":
                return self.m(input_ids=input_ids, attention_mask=attention_mask, use_cache=False).logits
            return self.m(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    ids = torch.randint(0, VOCAB, (1, 8))
    kw = {} if dynamo else {"dynamo": False}
    torch.onnx.export(Wrapped().eval(), (ids, torch.ones_like(ids)), str(path),
                      input_names=["input_ids", "attention_mask"], **kw)
    assert any(n.op_type == "IsNaN" for n in onnx.load(str(path), load_external_data=False).graph.node)
    return path


@pytest.fixture(scope="module", params=[True, False], ids=["dynamo", "torchscript"])
def gpt2(request, tmp_path_factory):
    return export(tmp_path_factory.mktemp("sdpa") / "gpt2.onnx", "gpt2", request.param)


def test_gpt2SdpaExport_runsExact_bitIdenticalAcrossBackends_tracksFast(gpt2):
    m = Model.load(gpt2, profile="exact")
    ids = np.random.default_rng(1).integers(0, VOCAB, (1, 8))
    prog = m.program(ids.shape)
    assert "IsNaN" not in {n.op for n in prog.nodes}  # no step: a constant condition
    a, b = m.run_exact(ids, backend="numpy"), m.run_exact(ids, backend="torch")
    assert np.array_equal(a.outputs[0], b.outputs[0]) and a.output_root == b.output_root
    fast = m.run_fast(ids)[0]
    assert float(np.max(np.abs(a.floats()[0] - fast))) <= 0.03 * float(np.max(np.abs(fast)))


def test_cli_runExact_sdpaExport_fromAnotherDirectory(gpt2, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(gpt2), "--profile", "exact", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert np.asarray(out["outputs"][0]).shape == (1, 8, VOCAB)
    assert main(["run", str(gpt2), "--profile", "exact"]) == 0
    assert "exact" in capsys.readouterr().out


def test_bertSdpaExport_defaultExporter_externalData_runsExact(tmp_path):
    """The default exporter writes the weights beside the file and an opset-20 Gelu, which the
    node-at-a-time calibration hands to onnxruntime."""
    path = export(tmp_path / "bert.onnx", "bert", True)
    m = Model.load(path, profile="exact")
    ids = np.random.default_rng(2).integers(0, VOCAB, (1, 8))
    r = m.run_exact(ids)
    fast = m.run_fast(ids)[0]
    assert r.outputs[0].shape == (1, 8, 32)
    assert float(np.max(np.abs(r.floats()[0] - fast))) <= 0.03 * float(np.max(np.abs(fast)))
