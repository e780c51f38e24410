"""`tribunal models` and `tribunal run`: JSON fields and the exact output root."""
from __future__ import annotations

import json

import numpy as np
import pytest

from runtime.model import Model
from runtime.tensor_root import tensor_root
from verifiers.cli import main


def run_json(capsys, *args):
    assert main([*args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_models_listsZoo(capsys):
    models = {m["name"]: m for m in run_json(capsys, "models")["models"]}
    assert {"digits-mlp", "digits-cnn", "digits-resnet", "gpt2-tiny"} <= set(models)
    assert all("exact" in models[n]["profiles"] for n in ("digits-resnet", "gpt2-tiny"))


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_runExact_json_hasOutputsAndRoot(capsys, backend):
    r = run_json(capsys, "run", "digits-cnn", "--profile", "exact", "--backend", backend, "--sample", "5")
    assert {"model", "profile", "outputs", "output_root", "seconds"} <= set(r)
    m = Model.load("digits-cnn", profile="exact")
    from verifiers.inputs import sample_input

    want = m.run_exact(sample_input(m, 5))
    assert r["output_root"] == "0x" + tensor_root(want.outputs[0]).hex()
    assert np.allclose(r["outputs"][0], want.floats()[0])


def test_runFast_onnxFileWithInputFile(capsys, tmp_path):
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    from runtime import zoo

    path = zoo.folder("toy") / "model.onnx"
    r = run_json(capsys, "run", str(path), "--input", str(tmp_path / "x.npy"))
    assert np.allclose(r["outputs"][0], Model.load(path).run_fast(x)[0], atol=1e-6)
    assert len(r["top1"]) == 3


def test_runHumanReadable_printsTable(capsys):
    assert main(["run", "digits-mlp", "--profile", "exact"]) == 0
    assert "output_root" in capsys.readouterr().out
