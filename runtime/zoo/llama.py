"""LLaMA-architecture models of any size, seeded and written as int8 directly, tensor by tensor.

    python -m runtime.zoo.llama 7b /tmp/llama7b      # LLaMA-7B's shape: 6.7e9 int8 weights, 6.3 GiB
    build(SHAPES["1.1b"], folder)                     # TinyLlama-1.1B's shape (grouped-query attention)

A float32 export of a 7B model needs 28 GB; this writes the ONNX graph by hand instead, with every
weight matrix an int8 initializer in external data (`weights.bin`, written a block of rows at a time)
and a `DequantizeLinear` with per-output-column float32 scales in front of its MatMul. Nothing ever
holds a float copy of a weight, so building needs a few hundred MB whatever the size.

The graph is LLaMA's forward pass (token ids [batch, seq] -> logits [batch, seq, vocab]): embedding
lookup; per layer RMSNorm, q/k/v projections, rotary position embedding, grouped-query attention
(key/value heads repeated), causal mask, softmax, output projection, residual; RMSNorm, SwiGLU MLP
(gate, up, down), residual; final RMSNorm and lm_head. Sequence length is dynamic up to `max_pos`:
the rotary tables and the mask are sliced from constants by the input's shape (lowering folds this).

Weights: int8 uniform in [-127, 127] (every column reaches +-127, so requantizing per column gives
back the same integers), scales `std * sqrt(3) / 127` per column times a seeded factor in [0.5, 1.5]
(std 0.02, LLaMA's init); RMSNorm gains seeded around 1. Seeded per tensor: the same files on every
machine, whatever order they are written in.

The generation graph of the same weights (prefill and unrolled decode steps, static cache, greedy
ArgMax: input ids -> new token ids) is runtime.zoo.llama_generate, written beside this weights.bin.
"""
from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from onnx import TensorProto, helper, numpy_helper

OPSET = 19  # DequantizeLinear with per-axis scales in onnx's reference evaluator; ReduceMean takes axes as an input
DATA_FILE = "weights.bin"
STD = 0.02
ROWS_PER_WRITE = 1 << 24  # int8 elements generated and written at a time


@dataclass(frozen=True)
class Shape:
    hidden: int
    layers: int
    mlp: int
    vocab: int
    heads: int
    kv_heads: int
    max_pos: int = 2048
    eps: float = 1e-5
    theta: float = 10000.0

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads

    @property
    def params(self) -> int:
        d, kv = self.hidden, self.kv_heads * self.head_dim
        per_layer = d * d * 2 + d * kv * 2 + 3 * d * self.mlp + 2 * d
        return self.vocab * d * 2 + self.layers * per_layer + d


SHAPES = {
    "7b": Shape(hidden=4096, layers=32, mlp=11008, vocab=32000, heads=32, kv_heads=32),
    "1.1b": Shape(hidden=2048, layers=22, mlp=5632, vocab=32000, heads=32, kv_heads=4),
    "tiny": Shape(hidden=64, layers=2, mlp=128, vocab=256, heads=4, kv_heads=2, max_pos=64),
}


class _Writer:
    """Initializers in external data: int8 weights streamed to the data file, small tensors inline."""

    def __init__(self, folder: Path, seed: int, write: bool = True):
        self.folder, self.seed, self.write = folder, seed, write
        self.file = open(folder / DATA_FILE, "wb" if write else "rb")
        self.offset, self.count = 0, 0
        self.initializers: list[TensorProto] = []

    def rng(self):
        self.count += 1
        return np.random.default_rng([self.seed, self.count])

    def int8(self, name: str, shape: tuple[int, int]) -> None:
        rng, (rows, cols) = self.rng(), shape
        step = max(1, ROWS_PER_WRITE // cols)
        for r in range(0, rows if self.write else 0, step):  # (not writing: the offsets only)
            self.file.write(rng.integers(-127, 128, (min(step, rows - r), cols), dtype=np.int8).tobytes())
        t = TensorProto(name=name, data_type=TensorProto.INT8, dims=list(shape), data_location=TensorProto.EXTERNAL)
        length = rows * cols
        for k, v in (("location", DATA_FILE), ("offset", str(self.offset)), ("length", str(length))):
            t.external_data.add(key=k, value=v)
        self.offset += length
        self.initializers.append(t)

    def inline(self, name: str, value: np.ndarray) -> None:
        self.initializers.append(numpy_helper.from_array(np.asarray(value), name))

    def scales(self, name: str, n: int) -> None:
        self.inline(name, (STD * math.sqrt(3) / 127 * self.rng().uniform(0.5, 1.5, n)).astype(np.float32))

    def close(self):
        self.file.close()


class _Graph:
    def __init__(self, w: _Writer):
        self.w, self.nodes = w, []

    def op(self, op: str, inputs: list[str], out: str, **attrs) -> str:
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def const(self, name: str, value) -> str:
        self.w.inline(name, np.asarray(value))
        return name

    def weight(self, name: str, rows: int, cols: int, axis: int = 1) -> str:
        """An int8 [rows, cols] weight and its DequantizeLinear (scales along `axis`)."""
        self.w.int8(f"{name}.q", (rows, cols))
        self.w.scales(f"{name}.scale", cols if axis == 1 else rows)
        return self.op("DequantizeLinear", [f"{name}.q", f"{name}.scale"], name, axis=axis)

    def rmsnorm(self, x: str, name: str, shape: Shape) -> str:
        g = self.const(f"{name}.weight", (1 + 0.1 * self.w.rng().standard_normal(shape.hidden)).astype(np.float32))
        sq = self.op("Pow", [x, "two"], f"{name}.sq")
        ms = self.op("ReduceMean", [sq, "minus1"], f"{name}.ms", keepdims=1)
        sd = self.op("Sqrt", [self.op("Add", [ms, "eps"], f"{name}.ve")], f"{name}.sd")
        xn = self.op("Mul", [x, self.op("Reciprocal", [sd], f"{name}.rs")], f"{name}.xn")
        return self.op("Mul", [xn, g], f"{name}.out")

    def rope(self, x: str, name: str, half: int) -> str:
        lo = self.op("Slice", [x, "zero1", "half1", "three1"], f"{name}.lo")
        hi = self.op("Slice", [x, "half1", "big1", "three1"], f"{name}.hi")
        rot = self.op("Concat", [self.op("Neg", [hi], f"{name}.neg"), lo], f"{name}.rot", axis=-1)
        return self.op("Add", [self.op("Mul", [x, "cos"], f"{name}.xc"), self.op("Mul", [rot, "sin"], f"{name}.rs")],
                       f"{name}.out")

    def heads(self, x: str, name: str, n: int, hd: int) -> str:
        """[B, S, n * hd] -> [B, n, S, hd]"""
        r = self.op("Reshape", [x, self.const(f"{name}.shape", np.array([0, 0, n, hd], dtype=np.int64))], f"{name}.4d")
        return self.op("Transpose", [r], f"{name}.t", perm=[0, 2, 1, 3])

    def repeat_kv(self, x: str, name: str, s: Shape) -> str:
        rep = s.heads // s.kv_heads
        if rep == 1:
            return x
        u = self.op("Unsqueeze", [x, "two1"], f"{name}.u")
        e = self.op("Expand", [u, self.const(f"{name}.rep", np.array([1, 1, rep, 1, 1], dtype=np.int64))], f"{name}.e")
        return self.op("Reshape", [e, self.const(f"{name}.shape", np.array([0, s.heads, -1, s.head_dim], dtype=np.int64))],
                       f"{name}.r")

    def layer(self, x: str, i: int, s: Shape) -> str:
        p, d, kv, hd = f"l{i}", s.hidden, s.kv_heads * s.head_dim, s.head_dim
        h = self.rmsnorm(x, f"{p}.in_norm", s)
        q = self.rope(self.heads(self.op("MatMul", [h, self.weight(f"{p}.q_proj", d, d)], f"{p}.q"), f"{p}.q", s.heads, hd),
                      f"{p}.q_rope", hd // 2)
        k = self.rope(self.heads(self.op("MatMul", [h, self.weight(f"{p}.k_proj", d, kv)], f"{p}.k"), f"{p}.k",
                                 s.kv_heads, hd), f"{p}.k_rope", hd // 2)
        v = self.heads(self.op("MatMul", [h, self.weight(f"{p}.v_proj", d, kv)], f"{p}.v"), f"{p}.v", s.kv_heads, hd)
        k, v = self.repeat_kv(k, f"{p}.k_rep", s), self.repeat_kv(v, f"{p}.v_rep", s)
        kt = self.op("Transpose", [k], f"{p}.kt", perm=[0, 1, 3, 2])
        sc = self.op("Mul", [self.op("MatMul", [q, kt], f"{p}.qk"), "inv_sqrt_hd"], f"{p}.scores")
        pr = self.op("Softmax", [self.op("Add", [sc, "mask"], f"{p}.masked")], f"{p}.probs", axis=-1)
        o = self.op("Transpose", [self.op("MatMul", [pr, v], f"{p}.pv")], f"{p}.pv.t", perm=[0, 2, 1, 3])
        o = self.op("Reshape", [o, "merge_shape"], f"{p}.merged")
        x = self.op("Add", [x, self.op("MatMul", [o, self.weight(f"{p}.o_proj", d, d)], f"{p}.attn")], f"{p}.res1")
        h = self.rmsnorm(x, f"{p}.post_norm", s)
        g = self.op("MatMul", [h, self.weight(f"{p}.gate_proj", d, s.mlp)], f"{p}.gate")
        u = self.op("MatMul", [h, self.weight(f"{p}.up_proj", d, s.mlp)], f"{p}.up")
        act = self.op("Mul", [g, self.op("Sigmoid", [g], f"{p}.gate.sig")], f"{p}.silu")
        m = self.op("MatMul", [self.op("Mul", [act, u], f"{p}.gated"), self.weight(f"{p}.down_proj", s.mlp, d)], f"{p}.mlp")
        return self.op("Add", [x, m], f"{p}.res2")


def _tables(s: Shape) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """cos, sin [max_pos, head_dim] (HF's rotate-half layout) and the causal mask [max_pos, max_pos]."""
    inv = 1.0 / (s.theta ** (np.arange(0, s.head_dim, 2, dtype=np.float64) / s.head_dim))
    freqs = np.outer(np.arange(s.max_pos, dtype=np.float64), inv)
    emb = np.concatenate([freqs, freqs], axis=1)
    mask = np.triu(np.full((s.max_pos, s.max_pos), np.finfo(np.float32).min, dtype=np.float32), k=1)
    return np.cos(emb).astype(np.float32), np.sin(emb).astype(np.float32), mask


def build(s: Shape, folder: Path, seed: int = 0, graph_only: bool = False) -> Path:
    """Write `folder`/model.onnx and `folder`/weights.bin; returns the model's path. `graph_only`
    rewrites model.onnx beside an existing weights.bin of the same shape and seed (which it keeps)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    w = _Writer(folder, seed, write=not graph_only)
    g = _Graph(w)
    cos, sin, mask = _tables(s)
    for name, v in (("two", np.float32(2)), ("eps", np.float32(s.eps)), ("inv_sqrt_hd", np.float32(1 / math.sqrt(s.head_dim))),
                    ("zero1", [0]), ("half1", [s.head_dim // 2]), ("big1", [s.head_dim]), ("three1", [3]), ("two1", [2]),
                    ("cos_table", cos), ("sin_table", sin), ("mask_table", mask), ("merge_shape", [0, 0, s.hidden]),
                    ("axes01", [0, 1]), ("zeros2", [0, 0]), ("minus1", [-1])):
        g.const(name, np.asarray(v, dtype=np.int64) if isinstance(v, list) else v)
    seq = g.op("Shape", ["input_ids"], "seq_len", start=1, end=2)
    g.op("Slice", ["cos_table", "zero1", seq, "zero1"], "cos")
    g.op("Slice", ["sin_table", "zero1", seq, "zero1"], "sin")
    g.op("Slice", ["mask_table", "zeros2", g.op("Concat", [seq, seq], "seq2", axis=0), "axes01"], "mask")
    x = g.op("Gather", [g.weight("embed", s.vocab, s.hidden, axis=0), "input_ids"], "embedded", axis=0)
    for i in range(s.layers):
        x = g.layer(x, i, s)
    x = g.rmsnorm(x, "final_norm", s)
    g.op("MatMul", [x, g.weight("lm_head", s.hidden, s.vocab)], "logits")
    w.close()
    if graph_only and (folder / DATA_FILE).stat().st_size != w.offset:
        raise ValueError(f"{folder / DATA_FILE} does not hold this shape's weights ({w.offset} bytes expected)")
    graph = helper.make_graph(
        g.nodes, "llama", [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "seq", s.vocab])], w.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="tribunal.zoo.llama")
    model.ir_version = 8
    path = folder / "model.onnx"
    path.write_bytes(model.SerializeToString())  # the weights are already in weights.bin
    return path


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Write a seeded int8 LLaMA-architecture model (ONNX + external data).")
    p.add_argument("shape", choices=sorted(SHAPES))
    p.add_argument("folder", type=Path)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--graph-only", action="store_true", help="rewrite model.onnx, keep an existing weights.bin")
    a = p.parse_args(argv)
    s = SHAPES[a.shape]
    path = build(s, a.folder, a.seed, a.graph_only)
    print(f"{path}: {s.params / 1e9:.2f}e9 parameters, {(a.folder / DATA_FILE).stat().st_size / 2**30:.2f} GiB of int8 weights")
    return 0


if __name__ == "__main__":
    sys.exit(main())
