"""Example 1: a dispute game, in memory, on an ONNX model of one's own, against a strategy of one's own.

Builds a small classifier with `onnx.helper` (no download, no training), loads it in the exact integer
profile, writes a cheating strategy (a `bisection.Honest` subclass with a step rewrite), and plays it
as the defender against an honest challenger and then as the challenger against an honest defender.
The liar loses both games; the typed `DisputeResult` says how.

    .venv/bin/python docs/examples/own_model_in_memory.py
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from bisection import Honest, Side, dispute
from runtime.model import Model


def build_model(path: Path) -> Path:
    """A 16-8-4 MLP (Gemm, Relu, Gemm) with seeded weights, saved as ONNX with a dynamic batch."""
    rng = np.random.default_rng(7)
    w1, b1 = rng.normal(0, 0.5, (16, 8)).astype(np.float32), rng.normal(0, 0.1, 8).astype(np.float32)
    w2, b2 = rng.normal(0, 0.5, (8, 4)).astype(np.float32), rng.normal(0, 0.1, 4).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["x", "w1", "b1"], ["h"]), helper.make_node("Relu", ["h"], ["r"]),
         helper.make_node("Gemm", ["r", "w2", "b2"], ["logits"])],
        "tiny-mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 16])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 4])],
        [numpy_helper.from_array(a, n) for a, n in ((w1, "w1"), (b1, "b1"), (w2, "w2"), (b2, "b2"))])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


class ShiftLogit(Honest):
    """Adds 100 (in the integer profile's units) to the first element of step K's output: a wrong
    intermediate value that flows on to the final logits, as a faulty or malicious node's would."""

    name = "shift-logit"

    def rewrite(self, program, k, seed):
        def step(j, written, state):  # (k, written, state) -> (written, extra): see bisection.strategy
            if j != k:
                return written, {}
            slot, value = next(iter(written.items()))
            value = value.copy()
            value.flat[0] = value.flat[0] + 100 if value.flat[0] < 0 else value.flat[0] - 100
            return {slot: value}, {}
        return step


def main() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        model = Model.load(build_model(Path(tmp) / "tiny-mlp.onnx"), profile="exact")
    x = np.random.default_rng(0).normal(size=(1, 16)).astype(np.float32)
    x_q = model.quantize_input(x)
    program = model.program(x_q.shape)
    print(f"{model.name}: {program.steps} steps, output root {model.run_exact(x).output_root.hex()[:16]}…")

    lie = dispute.run(program, x_q, ShiftLogit(), at_step=1)                 # the defender lies at step 1
    assert lie.winner is Side.CHALLENGER and lie.cheater is Side.DEFENDER, lie.reason
    assert lie.claim_status == "rejected" and lie.disputed_step == 1
    print(f"defender plays {lie.strategy}: {lie.winner.value} wins in {lie.moves} moves "
          f"(bound {lie.max_moves}): {lie.reason}")

    griefer = dispute.run(program, x_q, ShiftLogit(), at_step=2, cheater=Side.CHALLENGER)
    assert griefer.winner is Side.DEFENDER and griefer.claim_status == "pending", griefer.reason
    print(f"challenger plays {griefer.strategy}: {griefer.winner.value} wins: {griefer.reason}")
    for move in griefer.transcript:
        print(f"  move {move.number} {move.side.value:<10} {move.kind}")
    return {"defender_lies": lie, "challenger_lies": griefer}


if __name__ == "__main__":
    main()
