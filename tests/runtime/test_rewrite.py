"""The rewrites before lowering: written-out Gelu becomes one table op and BatchNormalization folds
into the Conv or Gemm before it, only where that is safe, and the result tracks the float model."""
from __future__ import annotations

import numpy as np
import pytest
from onnx import helper

from runtime.model import Model

from .graphs import f32, graph
from .graphs_numeric import bn_params, gelu_erf_subgraph, gelu_tanh_subgraph


def _model(proto, shape, seed=0):
    m = Model(proto, "rewrite")
    rng = np.random.default_rng(seed)
    samples = rng.standard_normal((8 * shape[0],) + shape[1:]).astype(np.float32)
    m.calibrate(samples)
    return m, samples[:shape[0]]


def _relative_error(m, x) -> float:
    want = m.run_fast(x)[0]
    got = m.run_exact(x).floats()[0]
    return float(np.max(np.abs(got - want)) / np.max(np.abs(want)))


def conv_bn(rng, extra_reader=False):
    inits = {"W": f32(rng, 4, 3, 3, 3), "B": f32(rng, 4, scale=0.1), **bn_params(rng, 4)}
    nodes = [helper.make_node("Conv", ["x", "W", "B"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
             helper.make_node("BatchNormalization", ["c", "s", "bb", "mu", "var"], ["bn"]),
             helper.make_node("Relu", ["bn"], ["y"] if not extra_reader else ["r"])]
    if extra_reader:  # the Conv output is read twice: folding would change the other reader's input
        nodes.append(helper.make_node("Add", ["r", "c"], ["y"]))
    return graph(nodes, (1, 3, 6, 6), inits)


def gemm_bn(rng, trans):
    w = f32(rng, 5, 8) if trans else f32(rng, 8, 5)
    inits = {"W": w, "C": f32(rng, 5), **bn_params(rng, 5)}
    nodes = [helper.make_node("Gemm", ["x", "W", "C"], ["g"], transB=trans, beta=0.5),
             helper.make_node("BatchNormalization", ["g", "s", "bb", "mu", "var"], ["y"])]
    return graph(nodes, (2, 8), inits)


@pytest.mark.parametrize("make", [gelu_erf_subgraph, gelu_tanh_subgraph])
def test_geluSubgraph_fusesToOneTable_andTracksFloat(make, figure):
    rng = np.random.default_rng(1)
    proto = make(rng, lambda lo, hi: hi)
    shape = tuple(d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim)
    m, x = _model(proto, shape)
    assert [n.op for n in m.program(shape).nodes] == ["Gelu"]
    err = _relative_error(m, x)
    figure(f"rewrite {make.__name__} relative error", err)
    assert err < 2e-3


def test_geluSubgraph_withIntermediateReadElsewhere_staysInParts():
    rng = np.random.default_rng(2)
    proto = gelu_erf_subgraph(rng, lambda lo, hi: lo)
    proto.graph.output.append(helper.make_tensor_value_info("e", 1, None))  # erf's output is a graph output
    m, _ = _model(proto, (1,))
    assert "Gelu" not in [n.op for n in m.program((1,)).nodes]


@pytest.mark.parametrize("trans", [0, 1])
def test_batchNorm_afterGemm_foldsAway(trans, figure):
    m, x = _model(gemm_bn(np.random.default_rng(3), trans), (2, 8))
    assert [n.op for n in m.program((2, 8)).nodes] == ["Gemm"]
    err = _relative_error(m, x)
    figure(f"rewrite gemm+bn transB={trans} relative error", err)
    assert err < 0.02


def test_batchNorm_afterConv_foldsAway(figure):
    m, x = _model(conv_bn(np.random.default_rng(4)), (1, 3, 6, 6))
    assert [n.op for n in m.program((1, 3, 6, 6)).nodes] == ["Conv", "Relu"]
    err = _relative_error(m, x)
    figure("rewrite conv+bn relative error", err)
    assert err < 0.02


def test_batchNorm_afterConvReadTwice_staysAnAffine():
    m, x = _model(conv_bn(np.random.default_rng(5), extra_reader=True), (1, 3, 6, 6))
    assert [n.op for n in m.program((1, 3, 6, 6)).nodes] == ["Conv", "BatchNormalization", "Relu", "Add"]
    assert _relative_error(m, x) < 0.03


@pytest.mark.parametrize("opset", [14, 17])
def test_torchExport_geluFormsFuse_layerNormRuns(opset, figure):
    """A block as torch's TorchScript exporter writes it: nn.GELU (erf form) and GPT-2's gelu_new
    (tanh form) each become one Gelu; LayerNorm is one node at opset 17, its parts at opset 14."""
    import io
    import math

    import onnx
    import torch

    class Block(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin, self.ln, self.gelu = torch.nn.Linear(16, 32), torch.nn.LayerNorm(32), torch.nn.GELU()

        def forward(self, x):
            h = self.lin(x)
            a = 0.5 * h * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (h + 0.044715 * torch.pow(h, 3.0))))
            return self.ln(self.gelu(a) + a)

    torch.manual_seed(0)
    f = io.BytesIO()
    torch.onnx.export(Block().eval(), (torch.randn(2, 16),), f, opset_version=opset, dynamo=False)
    m, x = _model(onnx.load_from_string(f.getvalue()), (2, 16))
    ops = [n.op for n in m.program((2, 16)).nodes]
    assert ops[:4] == ["Gemm", "Gelu", "Gelu", "Add"]
    assert ("LayerNormalization" in ops) == (opset >= 17)
    err = _relative_error(m, x)
    figure(f"rewrite torch export opset {opset} block relative error", err)
    assert err < 0.02
