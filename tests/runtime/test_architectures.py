"""Real architectures on the exact profile, end to end: ResNet (bottlenecks, BatchNorm), DenseNet,
Inception v1/v2, ShuffleNet (channel shuffle), SqueezeNet (fire modules, ceil-mode pools), AlexNet
(LRN), VGG as torch.nn modules; GPT-2, BERT, DistilBERT, ViT and LLaMA from `transformers` configs
through both torch exporters. Small sizes, seeded weights (tests/runtime/architectures.py), each
built once per machine into the zoo cache (runtime/zoo/cache.py).

For each: the exact program loads (every node lowered) and runs; numpy and torch kernels agree bit
for bit; figures: top-1 agreement with the fast profile (per token for the language models, per
image otherwise) and the largest logit error over the largest logit.
"""
from __future__ import annotations

import numpy as np
import pytest

from runtime.model import Model
from runtime.zoo.cache import built

from . import architectures as A

VERSION = 1  # bump when a builder changes, so cached builds are remade
CASES = ([(name, "torchscript") for name in A.CNNS]
         + [(name, exporter) for name in A.TRANSFORMERS for exporter in ("torchscript", "dynamo")])


def _folder(name: str, exporter: str):
    def build(out):
        if name in A.CNNS:
            A.build_cnn(name, out)
        else:
            A.build_transformer(name, exporter == "dynamo", out)
    return built(f"arch-{name}-{exporter}-v{VERSION}", build)


@pytest.mark.slow
@pytest.mark.parametrize("name,exporter", CASES, ids=[f"{n}-{e}" for n, e in CASES])
def test_architecture_exactLoadsAndRuns_tracksFast(name, exporter, figure):
    d = _folder(name, exporter)
    x = np.load(d / "data.npz")["x"]
    m = Model.load(d / "model.onnx", profile="exact")  # every node lowered, or a named UnsupportedOpError
    fast = m.run_fast(x)[0]
    r = m.run_exact(x)
    exact = r.floats()[0]
    assert exact.shape == fast.shape
    assert all((a == b).all() for a, b in zip(r.outputs, m.run_exact(x, backend="torch").outputs))
    agreement = float((exact.argmax(-1) == fast.argmax(-1)).mean())
    rel_err = float(np.max(np.abs(exact - fast)) / np.max(np.abs(fast)))
    figure(f"architecture {name} ({exporter}): exact-fast top-1 agreement", agreement)
    figure(f"architecture {name} ({exporter}): largest logit error / largest logit", rel_err)
    # seeded random weights give close logits; the bounds catch a broken op, not rounding
    assert agreement >= 0.9 and rel_err <= 0.05, (agreement, rel_err)



def test_digitsResnet_everyBatchNorm_foldedIntoItsConv_evenThroughIdentity():
    """The TorchScript exporter without constant folding hands a deduplicated weight through an
    Identity node: the fold still sees it as a constant, so no BatchNormalization is left as a step."""
    m = Model.load("digits-resnet", profile="exact")
    g = m.proto.graph
    inits = {i.name for i in g.initializer}
    assert any(n.op_type == "Identity" and n.input[0] in inits for n in g.node)
    assert sum(n.op_type == "BatchNormalization" for n in g.node) == 6
    ops = [n.op for n in m.program(m.default_shape()).nodes]
    # a Conv whose window is over the proof budget is ConvBlock steps ending in a Requantize (runtime/ops/conv.py)
    assert "BatchNormalization" not in ops and ops.count("Conv") + ops.count("Requantize") == 6
