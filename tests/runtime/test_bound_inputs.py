"""A transformers model exported the usual way, with `input_ids` and `attention_mask`, runs as a one-input
model: the mask of one unpadded sequence (all ones) is bound as a constant at load, in both profiles and
in `tribunal run`. Exported here from a config (random weights)."""
from __future__ import annotations

import json

import numpy as np
import onnxruntime as ort
import pytest

from runtime.model import Model
from verifiers.cli import main


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    torch = pytest.importorskip("torch")
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    net = GPT2LMHeadModel(GPT2Config(vocab_size=100, n_positions=16, n_embd=16, n_layer=1, n_head=2,
                                     bos_token_id=0, eos_token_id=0, attn_implementation="eager")).eval()

    class Logits(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.m = net

        def forward(self, input_ids, attention_mask):
            return self.m(input_ids=input_ids, attention_mask=attention_mask, use_cache=False).logits

    path = tmp_path_factory.mktemp("bound") / "gpt2-mask.onnx"
    ids = torch.randint(0, 100, (1, 8))
    torch.onnx.export(Logits().eval(), (ids, torch.ones_like(ids)), str(path), dynamo=False,
                      input_names=["input_ids", "attention_mask"], output_names=["logits"])
    return path, ids.numpy()


def test_attentionMask_boundAtLoad_oneInput_fastEqualsTheTwoInputModel(exported):
    path, ids = exported
    m = Model.load(path)
    assert m.spec.name == "input_ids" and set(m.bound) == {"attention_mask"}
    two = ort.InferenceSession(str(path)).run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0]
    np.testing.assert_array_equal(m.run_fast(ids)[0], two)


def test_attentionMask_bound_exactProfileRuns_andCommitsToTheMask(exported):
    path, ids = exported
    m = Model.load(path, profile="exact")
    r = m.run_exact(ids)
    assert r.outputs[0].shape == (1, 8, 100) and len(r.output_root) == 32


def test_cli_run_twoInputExport_fromAnotherDirectory(exported, tmp_path, monkeypatch, capsys):
    path, ids = exported
    np.save(tmp_path / "ids.npy", ids)
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(path), "--input", "ids.npy", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["input_shape"] == [1, 8] and np.asarray(out["outputs"][0]).shape == (1, 8, 100)


def test_twoInputsWithoutADefault_stillRefusedByName(tmp_path):
    from onnx import TensorProto, helper

    g = helper.make_graph([helper.make_node("Add", ["a", "b"], ["y"])], "two",
                          [helper.make_tensor_value_info(n, TensorProto.FLOAT, [1, 4]) for n in "ab"],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])])
    m = Model(helper.make_model(g), "two")
    assert m.bound == {}
    with pytest.raises(Exception, match="one input"):
        m.program((1, 4))
