"""Exact-vs-fast accuracy of any model, and where the exact profile's error comes from.

    python -m benchmarks.accuracy gpt2-tiny digits-mlp    # zoo models (their stored test inputs)
    python -m benchmarks.accuracy model.onnx --calib c.npy --test t.npy
    python -m benchmarks.accuracy ~/.cache/tribunal/zoo/code-lm-v1  # a Hugging Face GPT-2 folder
    ... --budget                                          # per-op error budget too

`measure` compares the exact profile's outputs with onnxruntime's on test inputs: cosine of each
output vector (the last axis; per position for a language model's [batch, seq, vocab] logits),
top-1 agreement of the same vectors, and the largest error relative to the output's largest
magnitude. `budget` attributes the error to the ops: for each program node it feeds the node the
float reference of its inputs (quantized at their slot scales) and compares the node's output with
the reference output, so each op's own loss shows apart from what it inherits; it also reports the
accumulated cosine of each value the program computes.
"""
from __future__ import annotations

import argparse
import collections
import json
from pathlib import Path

import numpy as np

from runtime.errors import TribunalError
from runtime.model import Model
from runtime.quant import MASK_SENTINEL, quantize


def _rows(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    return v.reshape(-1, v.shape[-1]) if v.ndim else v.reshape(1, 1)


def cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine of each last-axis vector of a and b (1.0 where both are zero). Entries where the
    reference b holds a mask sentinel (quant.MASK_SENTINEL) count as zero in both."""
    a, b = _unmasked(a, b)
    na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
    dot = (a * b).sum(axis=1)
    with np.errstate(all="ignore"):
        c = dot / (na * nb)
    return np.where((na == 0) & (nb == 0), 1.0, np.nan_to_num(c))


def _unmasked(a, b):
    a, b = _rows(a), _rows(b)
    keep = np.abs(b) < MASK_SENTINEL
    return np.where(keep, a, 0.0), np.where(keep, b, 0.0)


def rel_err(a, b) -> float:
    """max |a - b| / max |b| over the entries where b is not a mask sentinel."""
    a, b = _unmasked(a, b)
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))


def measure(model: Model, x: np.ndarray, backend: str = "numpy") -> dict:
    """{cosine_min, cosine_mean, top1, rel_err} of the first output, exact against fast."""
    fast = np.asarray(model.run_fast(x, device="cpu")[0], dtype=np.float64)
    exact = model.run_exact(x, backend=backend).floats()[0]
    cos = cosine_rows(exact, fast)
    top1 = float((_rows(exact).argmax(1) == _rows(fast).argmax(1)).mean())
    return {"cosine_min": float(cos.min()), "cosine_mean": float(cos.mean()), "top1": top1,
            "rel_err": rel_err(exact, fast)}


def _references(model: Model, x: np.ndarray) -> dict[str, np.ndarray]:
    """Every float tensor the graph computes, by name (onnxruntime on the CPU)."""
    from runtime.calibration import exposed_model
    from runtime.fast import session

    m, names = exposed_model(model.proto)
    sess = session(m.SerializeToString(), device="cpu")
    outs = sess.run(None, {model.spec.name: x})
    return {o.name: np.asarray(v) for o, v in zip(sess.get_outputs(), outs)}


def budget(model: Model, x: np.ndarray) -> dict:
    """{"ops": {op: [nodes, worst local rel err, worst local 1-cos]}, "values": [(step, op, name, 1-cos)]}."""
    from runtime.backend import get_backend
    from runtime.ops import get_op

    ref = _references(model, x)
    prog = model.program(x.shape)
    bk = get_backend("numpy")
    x_q = model.quantize_input(x)
    ops: dict[str, list] = collections.defaultdict(lambda: [0, 0.0, 0.0])
    values = []
    for k, written, state in prog.states(x_q, bk):
        node = prog.nodes[k - 1]
        out = prog.slots[node.outputs[0]]
        if out.name not in ref or ref[out.name].shape != out.shape:
            continue
        r = ref[out.name].astype(np.float64)
        got = state[node.outputs[0]].astype(np.float64) * out.scale
        values.append((k, node.op, out.name, float(1 - cosine_rows(got, r).min())))
        ins = []
        for i in node.inputs:
            s = prog.slots[i]
            if s.kind == "value" and s.name in ref and ref[s.name].shape == s.shape and s.dtype == "int16":
                ins.append(quantize(ref[s.name], s.scale))
            else:
                ins.append(state[i])
        local = get_op(node.op).run(bk, ins, node)[0].astype(np.float64) * out.scale
        e = ops[node.op]
        e[0] += 1
        e[1] = max(e[1], rel_err(local, r))
        e[2] = max(e[2], float(1 - cosine_rows(local, r).min()))
    return {"ops": dict(ops), "values": values}


def load_case(name: str, calib: str | None, test: str | None) -> tuple[Model, np.ndarray]:
    """A model (zoo name, .onnx path, or Hugging Face folder) calibrated as given, with its test inputs."""
    from runtime import zoo

    if Path(name).is_dir():  # a Hugging Face folder (the zoo's code-lm, say)
        from benchmarks.trained_lm import hf_lm

        path, c, t = hf_lm(Path(name))
        return Model.load(path, calibration=c), t
    m = Model.load(name, calibration=np.load(calib) if calib else None)
    if test:
        return m, np.load(test)
    if name in zoo.names():
        return m, zoo.test_data(name)[0]
    raise TribunalError(f"model '{name}' needs --test inputs (a .npy file)")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.accuracy", description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="+", help="zoo names, .onnx paths, or Hugging Face folders (benchmarks.trained_lm)")
    ap.add_argument("--calib", help="calibration inputs (.npy) for a model file")
    ap.add_argument("--test", help="test inputs (.npy) for a model file")
    ap.add_argument("--backend", default="numpy", choices=["numpy", "torch"])
    ap.add_argument("--budget", action="store_true", help="per-op error budget (worst local error per op type)")
    ap.add_argument("--headroom", type=float, help="override runtime.quant.HEADROOM (1 gives the scales before it)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    if a.headroom is not None:
        import runtime.quant

        runtime.quant.HEADROOM = a.headroom
    results = {}
    for name in a.models:
        try:
            m, x = load_case(name, a.calib, a.test)
        except (TribunalError, OSError, ValueError) as e:
            ap.exit(2, f"error: {e}\n")
        r = measure(m, x, a.backend)
        if a.budget:
            r["budget"] = budget(m, x)
        results[name] = r
        if not a.json:
            print(f"{name}: cosine min {r['cosine_min']:.6f} mean {r['cosine_mean']:.6f}  top-1 agreement "
                  f"{r['top1']:.4f}  max rel err {r['rel_err']:.4f}  ({len(_rows(x))} rows of input)")
            if a.budget:
                print("  op type              nodes  worst local rel err  worst local 1-cos")
                for op, (n, rel, cos) in sorted(r["budget"]["ops"].items(), key=lambda kv: -kv[1][2]):
                    print(f"  {op:20s} {n:5d}  {rel:19.2e}  {cos:17.2e}")
                worst = sorted(r["budget"]["values"], key=lambda v: -v[3])[:8]
                print("  worst accumulated values (step, op, tensor, 1-cos):")
                for k, op, t, c in worst:
                    print(f"    {k:4d} {op:18s} {t[:50]:50s} {c:.2e}")
    if a.json:
        print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
