"""Models from both torch exporters, fixed and dynamic batch, load and run under both profiles."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
import torch

from runtime import zoo
from runtime.model import Model
from runtime.zoo.digits import network
from runtime.zoo.export import export_torch


@pytest.mark.parametrize("dynamo", [False, True], ids=["torchscript", "dynamo"])
@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_torchExport_loadsAndRunsExact(kind, dynamo, tmp_path):
    torch.manual_seed(1)
    net = network(kind).eval()
    shape = (1, 64) if kind == "mlp" else (1, 1, 8, 8)
    export_torch(net, shape, tmp_path / "m.onnx", dynamo=dynamo)
    x, _ = zoo.test_data(f"digits-{kind}")
    m = Model.load(tmp_path / "m.onnx", calibration=x[:256])
    with torch.no_grad():
        want = net(torch.from_numpy(x[:32])).numpy()
    assert np.allclose(m.run_fast(x[:32])[0], want, atol=1e-4)
    exact = m.run_exact(x[:32])
    assert (exact.outputs[0] == m.run_exact(x[:32], "torch").outputs[0]).all()
    assert (exact.floats()[0].argmax(1) == want.argmax(1)).mean() >= 0.9


def test_fixedBatchFile_runsBothProfiles(tmp_path):
    proto = Model.load("toy").proto
    proto.graph.input[0].type.tensor_type.shape.dim[0].dim_value = 1
    onnx.save(proto, tmp_path / "fixed.onnx")
    m = Model.load(tmp_path / "fixed.onnx", profile="exact")
    x = np.ones((1, 4), np.float32)
    assert m.run_fast(x)[0].shape == (1, 3)
    assert m.run_exact(x).outputs[0].shape == (1, 3)


def test_shapeOnlySubgraph_isFolded():
    prog = Model.load("toy", profile="exact").program((5, 4))
    ops = [n.op for n in prog.nodes]
    assert "Shape" not in ops and "Gather" not in ops and "Concat" not in ops and "Constant" not in ops
    assert prog.slots[prog.nodes[ops.index("Reshape")].outputs[0]].shape == (5, 2, 3)


def test_gpt2Tiny_fastProfile_runs():
    m = Model.load("gpt2-tiny")
    x, _ = zoo.test_data("gpt2-tiny")
    logits = m.run_fast(x[:2])[0]
    assert logits.shape == (2, x.shape[1], 256) and np.isfinite(logits).all()
