"""Gas of the one-step kernels that transformers need, at GPT-2 (124M) sizes (a benchmark: prints only).

    python -m benchmarks.onestep_gas_gpt2 [--chain embedded|anvil] [--elements 2] [--seq 1024] [--json]

GPT-2: width 768, MLP width 3072, head dim 64, vocab 50257, context 1024. One single-op graph per
case (attention-shaped tensors with one head: the kernels' cost depends on the row and the inner
dimension, not on the head count), calibrated on one seeded sample; each row is the largest gas over
`--elements` output elements (first, last, random), measured as `benchmarks.onestep_gas` does
(IOneStep.element sent as its own transaction: 21000 intrinsic and the proof's calldata included).
"""
from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from benchmarks.onestep_gas import COLUMNS, arguments, collect, show
from runtime.model import Model

WIDTH, MLP, HEAD, VOCAB = 768, 3072, 64, 50257


def _model(name, nodes, shape, inits, ids=False) -> Model:
    kind = TensorProto.INT64 if ids else TensorProto.FLOAT
    g = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", kind, list(shape))],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                          [numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()])
    proto = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    proto.ir_version = 8
    return Model(proto, name)


def cases(seq: int):
    """(label, model, input shape) per kernel and size."""
    rng = np.random.default_rng(0)
    f32 = lambda *s: rng.standard_normal(s).astype(np.float32)  # noqa: E731
    i64 = lambda *v: np.array(v, np.int64)  # noqa: E731
    out = [("Gather embedding 50257x768", _model("gather", [helper.make_node("Gather", ["E", "x"], ["y"])], (1, seq),
                                                   {"E": f32(VOCAB, WIDTH) * 0.02}, ids=True), (1, seq))]
    for w in (WIDTH, MLP):
        act = (1, seq, w)
        out += [
            (f"Gather last token [1,{seq},{w}]", _model("g1", [helper.make_node("Gather", ["x", "i"], ["y"], axis=1)], act,
                                                         {"i": i64(-1)}), act),
            (f"Concat 2x[1,{seq},{w // 2}]", _model("concat", [helper.make_node("Slice", ["x", "s", "e", "a"], ["h"]),
                                                                helper.make_node("Concat", ["h", "h"], ["y"], axis=2)],
                                                     act, {"s": i64(0), "e": i64(w // 2), "a": i64(2)}), act),
            (f"Slice [1,{seq},{3 * w}] -> {w}", _model("slice", [helper.make_node("Slice", ["x", "s", "e", "a"], ["y"])],
                                                        (1, seq, 3 * w), {"s": i64(w), "e": i64(2 * w), "a": i64(2)}),
             (1, seq, 3 * w)),
            (f"Expand [1,1,{w}] -> [1,{seq},{w}]", _model("expand", [helper.make_node("Expand", ["x", "s"], ["y"])],
                                                           (1, 1, w), {"s": i64(1, seq, w)}), (1, 1, w)),
            (f"Unsqueeze [1,{seq},{w}]", _model("unsq", [helper.make_node("Unsqueeze", ["x", "a"], ["y"])], act,
                                                {"a": i64(0)}), act),
            (f"Squeeze [1,{seq},{w}]", _model("sq", [helper.make_node("Squeeze", ["x", "a"], ["y"])], act, {"a": i64(0)}), act),
            (f"Cast [1,{seq},{w}]", _model("cast", [helper.make_node("Cast", ["x"], ["y"], to=TensorProto.FLOAT)], act, {}), act),
            (f"Dropout [1,{seq},{w}]", _model("drop", [helper.make_node("Dropout", ["x"], ["y"])], act, {}), act),
            (f"Neg [1,{seq},{w}]", _model("neg", [helper.make_node("Neg", ["x"], ["y"])], act, {}), act),
            (f"Sum 3x[1,{seq},{w}]", _model("sum", [helper.make_node("Neg", ["x"], ["n"]),
                                                    helper.make_node("Sum", ["x", "n", "b"], ["y"])], act, {"b": f32(w)}), act),
        ]
    out += [(f"lm_head MatMul K={WIDTH} N={VOCAB}", _model("lm", [helper.make_node("MatMul", ["x", "W"], ["y"])],
                                                          (1, 4, WIDTH), {"W": f32(WIDTH, VOCAB) * 0.02}), (1, 4, WIDTH)),
            (f"MLP down MatMul K={MLP} (blocked)", _model("down", [helper.make_node("MatMul", ["x", "W"], ["y"])],
                                                          (1, 4, MLP), {"W": f32(MLP, WIDTH) * 0.02}), (1, 4, MLP))]
    scores = (1, 1, seq, seq)
    causal = np.tril(np.ones((seq, seq), bool)).reshape(1, 1, seq, seq)
    fill = np.array(np.finfo(np.float32).min, np.float32)
    out += [
        (f"MatMul QK^T K={HEAD}", _model("qk", [helper.make_node("Transpose", ["x"], ["t"], perm=[0, 1, 3, 2]),
                                                 helper.make_node("MatMul", ["x", "t"], ["y"])], (1, 1, seq, HEAD), {}),
         (1, 1, seq, HEAD)),
        (f"MatMul AV K={seq}", _model("av", [helper.make_node("Slice", ["x", "s", "e", "a"], ["v"]),
                                             helper.make_node("MatMul", ["x", "v"], ["y"])], scores,
                                      {"s": i64(0), "e": i64(HEAD), "a": i64(3)}), scores),
        (f"Where mask + Softmax row={seq}", _model("mask", [helper.make_node("Where", ["m", "x", "f"], ["w"]),
                                                            helper.make_node("Softmax", ["w"], ["y"], axis=-1)],
                                                   scores, {"m": causal, "f": fill}), scores),
    ]
    return out


def _calibrated(cases, rng):
    for label, m, shape in cases:
        if np.issubdtype(m.spec.dtype, np.integer):
            samples = rng.integers(0, m.id_limit(), shape)
        else:
            samples = rng.standard_normal(shape).astype(np.float32)
        m.calibrate(samples)
        yield label, m.program(shape), m.quantize_input(samples), {"case": label}


def main(argv=None) -> int:
    parser = arguments("benchmarks.onestep_gas_gpt2", __doc__, elements=2)
    parser.add_argument("--seq", type=int, default=1024)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    rows = collect(args.chain, args.elements, _calibrated(cases(args.seq), rng), rng)
    code = show(rows, args.json, "One-step gas at GPT-2 sizes (max over elements; IOneStep.element as its own "
                "transaction)", [("case", "case", "<34"), ("op", "op", "<10"), *COLUMNS])
    if not args.json:
        top = max(rows, key=lambda r: r["gas"])
        print(f"largest: {top['gas']:,} gas ({top['case']}, {top['op']}); largest proof {max(r['proof_bytes'] for r in rows):,} B")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
