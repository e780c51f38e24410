"""Gas of the on-chain one-step check, per op kernel with its input sizes (a benchmark: prints only).

    python -m benchmarks.onestep_gas [--chain embedded|anvil] [--elements 4] [--json]

For every step of the zoo models with an exact program (toy, digits-mlp, digits-cnn), on the first
test sample: the one-step verifier's gas (gas used by IOneStep.element sent as its own transaction,
so 21000 intrinsic gas and the proof's calldata are included; execution = the rest), the calldata part
(16 gas per non-zero byte, 4 per zero byte), what the element reads (the op's work size: Gemm and
MatMul K, Conv C/g*kh*kw, MaxPool window, Softmax row length) and the proof's size. Each row is the
maximum over `--elements` output elements (first, last and random ones). Then synthetic Gemm and
Softmax nodes of larger sizes show how the kernels scale.
"""
from __future__ import annotations

import argparse
import json

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from bisection.commitments import commit
from contracts.chain import connect
from contracts.onestep import OneStep, deploy_onestep, encode_bundle, prestates, proof_parts, state_tree
from runtime import zoo
from runtime.model import Model

MODELS = ("toy", "digits-mlp", "digits-cnn")


def calldata_gas(data: bytes) -> int:
    zeros = data.count(0)
    return 16 * (len(data) - zeros) + 4 * zeros


def work(program, node) -> str:
    """The size that drives a kernel's cost, as a short label."""
    shape = lambda i: program.slots[node.inputs[i]].shape  # noqa: E731
    if node.op == "Gemm":
        return f"K={shape(0)[1]}"
    if node.op == "MatMul":
        return f"K={shape(0)[-1]}"
    if node.op == "Conv":
        w = shape(1)
        return f"C/g*kh*kw={w[1]}*{w[2]}*{w[3]}={w[1] * w[2] * w[3]}"
    if node.op == "MaxPool":
        k = node.attrs["kernel"]
        return f"window={k[0]}x{k[1]}"
    if node.op == "Softmax":
        return f"row={shape(0)[node.attrs['axis']]}"
    return "1 element"


def measure(onestep: OneStep, program, x_q, label: str, elements: int, rng) -> list[dict]:
    rows = []
    p_root = commit(program).program_root
    for step, state in enumerate(prestates(program, x_q), start=1):
        node = program.nodes[step - 1]
        size = program.slots[node.outputs[0]].size
        s_root = state_tree(state).root
        best = None
        for element in sorted({0, size - 1, *rng.integers(0, size, max(0, elements - 2)).tolist()}):
            bundle, info = proof_parts(program, state, step, element)
            proof = encode_bundle(bundle)
            gas = onestep.gas_used(p_root, s_root, step, element, proof)
            row = {"model": label, "step": step, "op": node.op, "work": work(program, node),
                   "inputs": [list(program.slots[i].shape) for i in node.inputs],
                   "read": info.elements, "chunks": sum(len(c) for c in info.chunks), "proof_bytes": len(proof),
                   "gas": gas, "calldata_gas": calldata_gas(proof)}
            if best is None or gas > best["gas"]:
                best = row
        rows.append(best)
    return rows


def synthetic(kind: str, n: int):
    """A one-node model: Gemm with K = n, or Softmax over a row of n."""
    rng = np.random.default_rng(n)
    if kind == "Gemm":
        shape = (1, n)
        node = helper.make_node("Gemm", ["x", "W", "C"], ["y"], transB=1)
        inits = {"W": rng.standard_normal((4, n)).astype(np.float32), "C": rng.standard_normal(4).astype(np.float32)}
    else:
        shape = (1, n)
        node = helper.make_node("Softmax", ["x"], ["y"], axis=-1)
        inits = {}
    g = helper.make_graph([node], kind, [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(shape))],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                          [numpy_helper.from_array(v, k) for k, v in inits.items()])
    proto = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    proto.ir_version = 8
    m = Model(proto, f"{kind}-{n}")
    samples = (rng.standard_normal((16,) + shape[1:]) * 3).astype(np.float32)
    m.calibrate(samples)
    program = m.program(shape)
    x_q = m.quantize_input(samples[:1])
    return program, x_q


def arguments(prog: str, doc: str, elements: int = 3) -> argparse.ArgumentParser:
    """The options every one-step gas benchmark takes."""
    parser = argparse.ArgumentParser(prog=f"python -m {prog}", description=doc.splitlines()[0])
    parser.add_argument("--chain", default="embedded", choices=("embedded", "anvil"))
    parser.add_argument("--elements", type=int, default=elements)
    parser.add_argument("--json", action="store_true")
    return parser


def collect(chain_name: str, elements: int, cases, rng) -> list[dict]:
    """Deploys the verifier and measures each case: `cases` yields (label, program, x_q, extra fields)."""
    chain = connect(chain_name)
    rows = []
    try:
        onestep = OneStep(chain, deploy_onestep(chain))
        for label, program, x_q, extra in cases:
            rows += [dict(r, **extra) for r in measure(onestep, program, x_q, label, elements, rng)]
    finally:
        chain.close()
    return rows


def show(rows: list[dict], as_json: bool, title: str, columns: list[tuple[str, str, str]]) -> int:
    """Prints rows as JSON or as a table; columns: (header, row key, format spec such as '<11' or '>9')."""
    if as_json:
        print(json.dumps(rows, indent=1))
        return 0
    head = " ".join(f"{h:{spec}}" for h, _, spec in columns)
    print(title)
    print(head)
    print("-" * len(head))
    for r in rows:
        print(" ".join(f"{str(r[key]):{spec}}" for _, key, spec in columns))
    return 0


COLUMNS = [("read", "read", ">14"), ("chunks", "chunks", ">6"), ("proof B", "proof_bytes", ">8"), ("gas", "gas", ">9"),
           ("calldata", "calldata_gas", ">9")]


def _cases():
    for name in MODELS:
        m = Model.load(name, profile="exact")
        x, _ = zoo.test_data(name)
        x_q = m.quantize_input(np.asarray(x[:1]))
        yield name, m.program(x_q.shape), x_q, {}
    for kind, sizes in (("Gemm", (256, 1024)), ("Softmax", (64, 256))):
        for n in sizes:
            program, x_q = synthetic(kind, n)
            yield "synthetic", program, x_q, {}


def main(argv=None) -> int:
    args = arguments("benchmarks.onestep_gas", __doc__).parse_args(argv)
    rows = collect(args.chain, args.elements, _cases(), np.random.default_rng(0))
    for r in rows:
        r["execution"] = r["gas"] - 21000 - r["calldata_gas"]
    return show(rows, args.json, "One-step gas per kernel (max over elements; gas used by IOneStep.element as its own "
                "transaction)", [("model", "model", "<11"), ("step", "step", ">4"), ("op", "op", "<9"),
                                 ("work", "work", "<26"), ("read", "read", ">16"), *COLUMNS[1:],
                                 ("execution", "execution", ">9")])


if __name__ == "__main__":
    raise SystemExit(main())
