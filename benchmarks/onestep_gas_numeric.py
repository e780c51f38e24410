"""Gas of the numeric ops' one-step kernels at the sizes real networks use (a benchmark: prints only).

    python -m benchmarks.onestep_gas_numeric [--chain embedded|anvil] [--elements 3] [--json]

One single-node model per row, seeded weights, calibrated on seeded normal samples: GPT-2's widths
(LayerNormalization and ReduceMean over rows of 768, Gelu and Tanh at 3072, attention's Div by a
constant, Pow 2) and ResNet/AlexNet/Inception's (GlobalAveragePool over 2048 x 7 x 7, a standing
BatchNormalization at 64 x 56 x 56, AveragePool 3x3, LRN size 5 at 96 x 55 x 55). Columns as in
benchmarks.onestep_gas (gas used by IOneStep.element sent as its own transaction, max over elements).
"""
from __future__ import annotations

import math

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from runtime.model import Model

from .onestep_gas import COLUMNS, arguments, collect, show


def _f32(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def cases(rng):
    """(label, nodes, input shape, initializers, opset)."""
    n = helper.make_node
    bn = {"s": _f32(rng, 64), "b": _f32(rng, 64), "mu": _f32(rng, 64), "v": np.abs(_f32(rng, 64)) + 0.5}
    return [
        ("gpt2", [n("LayerNormalization", ["x", "g", "b"], ["y"], axis=-1)], (1, 4, 768),
         {"g": _f32(rng, 768), "b": _f32(rng, 768)}, 17),
        ("gpt2", [n("ReduceMean", ["x"], ["y"], axes=[-1])], (1, 4, 768), {}, 17),
        ("gpt2", [n("Gelu", ["x"], ["y"], approximate="tanh")], (1, 4, 3072), {}, 20),
        ("gpt2", [n("Tanh", ["x"], ["y"])], (1, 4, 3072), {}, 17),
        ("gpt2", [n("Div", ["x", "d"], ["y"])], (1, 12, 8, 8), {"d": np.array(math.sqrt(64), dtype=np.float32)}, 17),
        ("gpt2", [n("Pow", ["x", "e"], ["y"])], (1, 4, 768), {"e": np.array(2.0, dtype=np.float32)}, 17),
        ("gpt2", [n("Pow", ["x", "e"], ["y"])], (1, 4, 3072), {"e": np.array(3.0, dtype=np.float32)}, 17),
        ("bert", [n("Erf", ["x"], ["y"])], (1, 4, 3072), {}, 17),
        ("llama", [n("Sigmoid", ["x"], ["y"])], (1, 4, 1024), {}, 17),
        ("llama", [n("Reciprocal", ["x"], ["y"])], (1, 4, 1), {}, 17),
        ("llama", [n("Sqrt", ["x"], ["y"])], (1, 4, 1), {}, 17),
        ("resnet50", [n("GlobalAveragePool", ["x"], ["y"])], (1, 2048, 7, 7), {}, 17),
        ("resnet50", [n("BatchNormalization", ["x", "s", "b", "mu", "v"], ["y"])], (1, 64, 56, 56), bn, 17),
        ("inception", [n("AveragePool", ["x"], ["y"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1])],
         (1, 64, 28, 28), {}, 17),
        ("alexnet", [n("LRN", ["x"], ["y"], size=5, alpha=1e-4, beta=0.75, bias=1.0)], (1, 96, 55, 55), {}, 17),
    ]


def model(nodes, shape, inits, opset, rng):
    g = helper.make_graph(nodes, nodes[0].op_type, [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(shape))],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                          [numpy_helper.from_array(v, k) for k, v in inits.items()])
    proto = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    proto.ir_version = 8
    m = Model(proto, nodes[0].op_type)
    samples = np.abs(_f32(rng, 4 * shape[0], *shape[1:])) if nodes[0].op_type in ("Sqrt", "Reciprocal") \
        else _f32(rng, 4 * shape[0], *shape[1:])
    if nodes[0].op_type == "Reciprocal":
        samples += 1.0
    m.calibrate(samples)
    return m.program(shape), m.quantize_input(samples[:shape[0]])


def main(argv=None) -> int:
    args = arguments("benchmarks.onestep_gas_numeric", __doc__).parse_args(argv)
    rng = np.random.default_rng(0)
    built = ((label, *model(nodes, shape, inits, opset, rng), {"work": f"{list(shape)}"})
             for label, nodes, shape, inits, opset in cases(rng))
    rows = collect(args.chain, args.elements, built, rng)
    return show(rows, args.json, "One-step gas of the numeric kernels (max over elements; IOneStep.element as its "
                "own transaction)", [("model", "model", "<10"), ("op", "op", "<19"), ("input", "work", "<18"),
                                     *COLUMNS])


if __name__ == "__main__":
    raise SystemExit(main())
