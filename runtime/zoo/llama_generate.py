"""The generation graph of a `runtime.zoo.llama` model, written by hand: prefill, then one decode step
per new token, unrolled into one ONNX graph, every step reading the same int8 initializers.

    build(SHAPES["tiny"], folder, prompt_len=4, new_tokens=3)   # folder/weights.bin written if absent
    build(SHAPES["7b"], llama_7b_folder, 4, 3)                  # beside runtime.zoo.llama's weights.bin

input_ids [1, P] -> tokens [1, N] (int64), the semantics of runtime/generation/decoder.py: a static
cache per layer (K and V of [1, kv_heads, cache_len, head_dim], zeros at first); the prefill writes
rows 0..P-1 and attends causally among them; decode step n (n = 1..N-1, position p = P + n - 1) embeds
token n - 1, writes row p (Concat of the rows before, the new row, the rows after) and attends over
rows 0..p; each step's last hidden row goes through the final RMSNorm and lm_head, and an `ArgMax`
node (greedy) chooses the next token, whose id feeds the next step's embedding `Gather`.

Weights are created once, in `runtime.zoo.llama.build`'s order, so the seeding gives the same bytes,
offsets and scales as the forward-pass model of that shape and seed: the generation graph sits
beside that model's weights.bin in its folder, nothing copied (onnx's checker refuses external data
through a hard or symbolic link). Each step has its own `DequantizeLinear` of
the shared int8 initializer (lowering folds a dequantized weight into a float constant that lives
until its last reader; one node per step keeps one weight's floats alive at a time, not the model's),
and the exact program stores each weight once (`lower(share_constants=True)`).

The prefill's tensors carry the forward-pass graph's names (`l0.q`, `l0.probs`, `logits`, ...) and
decode step n's the same names prefixed `s{n}.`, so a calibration of the forward model serves the
generation graph too (`calibration_from_forward`): a 7B model's streamed calibration takes a quarter
of an hour per pass.
"""
from __future__ import annotations

import argparse
import math
import os
import re
import sys
from pathlib import Path

import numpy as np
from onnx import TensorProto, helper

from .llama import DATA_FILE, OPSET, SHAPES, Shape, _Graph, _tables, _Writer

FILE = "generate-p{P}-n{N}-c{L}.onnx"


class _Steps(_Graph):
    """`_Graph` whose weights and RMSNorm gains are made once and read by every step."""

    def __init__(self, w: _Writer):
        super().__init__(w)
        self.made: set[str] = set()
        self.pre = ""  # the step's prefix: "" for the prefill, "s{n}." for decode step n

    def n(self, name: str) -> str:
        return self.pre + name

    def weight(self, name: str, rows: int, cols: int, axis: int = 1) -> str:
        if name not in self.made:
            self.made.add(name)
            self.w.int8(f"{name}.q", (rows, cols))
            self.w.scales(f"{name}.scale", cols if axis == 1 else rows)
        return self.op("DequantizeLinear", [f"{name}.q", f"{name}.scale"], self.n(name), axis=axis)

    def rmsnorm(self, x: str, name: str, shape: Shape) -> str:
        g = f"{name}.weight"
        if g not in self.made:
            self.made.add(g)
            self.const(g, (1 + 0.1 * self.w.rng().standard_normal(shape.hidden)).astype(np.float32))
        name = self.n(name)
        sq = self.op("Pow", [x, "two"], f"{name}.sq")
        ms = self.op("ReduceMean", [sq, "minus1"], f"{name}.ms", keepdims=1)
        sd = self.op("Sqrt", [self.op("Add", [ms, "eps"], f"{name}.ve")], f"{name}.sd")
        xn = self.op("Mul", [x, self.op("Reciprocal", [sd], f"{name}.rs")], f"{name}.xn")
        return self.op("Mul", [xn, g], f"{name}.out")

    def rope_at(self, x: str, name: str, cos: str, sin: str) -> str:
        lo = self.op("Slice", [x, "zero1", "half1", "three1"], f"{name}.lo")
        hi = self.op("Slice", [x, "half1", "big1", "three1"], f"{name}.hi")
        rot = self.op("Concat", [self.op("Neg", [hi], f"{name}.neg"), lo], f"{name}.rot", axis=-1)
        return self.op("Add", [self.op("Mul", [x, cos], f"{name}.xc"), self.op("Mul", [rot, sin], f"{name}.rs")],
                       f"{name}.out")

    def heads_of(self, x: str, name: str, n: int, hd: int) -> str:
        r = self.op("Reshape", [x, self.const(f"{name}.shape", np.array([0, 0, n, hd], dtype=np.int64))], f"{name}.4d")
        return self.op("Transpose", [r], f"{name}.t", perm=[0, 2, 1, 3])

    def rows(self, x: str, start: int, end: int, name: str) -> str:
        """x[:, :, start:end] (cache rows)."""
        return self.op("Slice", [x, self.const(f"{name}.starts", np.array([start], dtype=np.int64)),
                                 self.const(f"{name}.ends", np.array([end], dtype=np.int64)), "two1"], name)

    def write(self, cache: str, row: int, new: str, rows: int, L: int, name: str) -> str:
        """The cache with rows row..row+rows-1 replaced by `new`: the rows before, new, the rows after."""
        parts = ([self.rows(cache, 0, row, f"{name}.before")] if row else []) + [new] + (
            [self.rows(cache, row + rows, L, f"{name}.after")] if row + rows < L else [])
        return self.op("Concat", parts, name, axis=2) if len(parts) > 1 else new

    def step(self, x: str, i: int, s: Shape, start: int, T: int, L: int, caches: list[str]) -> str:
        """Layer i on rows start..start+T-1 (names as runtime.zoo.llama's layer, prefixed)."""
        p, d, kv, hd = f"l{i}", s.hidden, s.kv_heads * s.head_dim, s.head_dim
        q_ = self.n(p)
        cos, sin = self.n("cos"), self.n("sin")
        h = self.rmsnorm(x, f"{p}.in_norm", s)
        q = self.rope_at(self.heads_of(self.op("MatMul", [h, self.weight(f"{p}.q_proj", d, d)], f"{q_}.q"), f"{q_}.q",
                                       s.heads, hd), f"{q_}.q_rope", cos, sin)
        k = self.rope_at(self.heads_of(self.op("MatMul", [h, self.weight(f"{p}.k_proj", d, kv)], f"{q_}.k"), f"{q_}.k",
                                       s.kv_heads, hd), f"{q_}.k_rope", cos, sin)
        v = self.heads_of(self.op("MatMul", [h, self.weight(f"{p}.v_proj", d, kv)], f"{q_}.v"), f"{q_}.v",
                          s.kv_heads, hd)
        K = caches[2 * i] = self.write(caches[2 * i], start, k, T, L, f"{q_}.cache_k")
        V = caches[2 * i + 1] = self.write(caches[2 * i + 1], start, v, T, L, f"{q_}.cache_v")
        if start:  # a decode step attends over the cache's rows 0..start
            k, v = self.rows(K, 0, start + T, f"{q_}.cache_k.read"), self.rows(V, 0, start + T, f"{q_}.cache_v.read")
        k, v = self.repeat_kv(k, f"{q_}.k_rep", s), self.repeat_kv(v, f"{q_}.v_rep", s)
        kt = self.op("Transpose", [k], f"{q_}.kt", perm=[0, 1, 3, 2])
        sc = self.op("Mul", [self.op("MatMul", [q, kt], f"{q_}.qk"), "inv_sqrt_hd"], f"{q_}.scores")
        if T > 1:  # the prefill: causal among its own rows
            sc = self.op("Add", [sc, self.n("mask")], f"{q_}.masked")
        pr = self.op("Softmax", [sc], f"{q_}.probs", axis=-1)
        o = self.op("Transpose", [self.op("MatMul", [pr, v], f"{q_}.pv")], f"{q_}.pv.t", perm=[0, 2, 1, 3])
        o = self.op("Reshape", [o, "merge_shape"], f"{q_}.merged")
        x = self.op("Add", [x, self.op("MatMul", [o, self.weight(f"{p}.o_proj", d, d)], f"{q_}.attn")], f"{q_}.res1")
        h = self.rmsnorm(x, f"{p}.post_norm", s)
        g = self.op("MatMul", [h, self.weight(f"{p}.gate_proj", d, s.mlp)], f"{q_}.gate")
        u = self.op("MatMul", [h, self.weight(f"{p}.up_proj", d, s.mlp)], f"{q_}.up")
        act = self.op("Mul", [g, self.op("Sigmoid", [g], f"{q_}.gate.sig")], f"{q_}.silu")
        m = self.op("MatMul", [self.op("Mul", [act, u], f"{q_}.gated"), self.weight(f"{p}.down_proj", s.mlp, d)],
                    f"{q_}.mlp")
        return self.op("Add", [x, m], f"{q_}.res2")


def build(s: Shape, folder: Path, prompt_len: int, new_tokens: int, cache_len: int | None = None, seed: int = 0
          ) -> Path:
    """Write `folder`/generate-p{P}-n{N}-c{L}.onnx; its weights are `folder`/weights.bin: written here
    when absent, else kept as they are (those of runtime.zoo.llama.build of this shape and seed;
    checked by size). Returns the graph's path."""
    P, N = int(prompt_len), int(new_tokens)
    L = int(cache_len or P + N - 1)
    if P < 1 or N < 1 or P + N - 1 > L or L > s.max_pos:
        raise ValueError(f"prompt {P} and {N} new tokens need a cache of at least {P + N - 1} positions "
                         f"(cache {L}, at most {s.max_pos})")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / DATA_FILE
    write = not data.exists()
    w = _Writer(folder, seed, write=write)
    g = _Steps(w)
    cos, sin, mask = _tables(s)
    for name, v in (("two", np.float32(2)), ("eps", np.float32(s.eps)),
                    ("inv_sqrt_hd", np.float32(1 / math.sqrt(s.head_dim))), ("zero1", [0]),
                    ("half1", [s.head_dim // 2]), ("big1", [s.head_dim]), ("three1", [3]), ("two1", [2]),
                    ("merge_shape", [0, 0, s.hidden]), ("minus1", [-1])):
        g.const(name, np.asarray(v, dtype=np.int64) if isinstance(v, list) else v)
    zeros = g.const("cache_zeros", np.zeros((1, s.kv_heads, L, s.head_dim), dtype=np.float32))
    caches = [zeros] * (2 * s.layers)
    tokens, ids, start = [], "input_ids", 0
    for n in range(N):
        T = P if n == 0 else 1
        g.pre = "" if n == 0 else f"s{n}."
        g.const(g.n("cos"), cos[start:start + T])
        g.const(g.n("sin"), sin[start:start + T])
        if T > 1:
            g.const(g.n("mask"), mask[:T, :T])
        x = g.op("Gather", [g.weight("embed", s.vocab, s.hidden, axis=0), ids], g.n("embedded"), axis=0)
        for i in range(s.layers):
            x = g.step(x, i, s, start, T, L, caches)
        if T > 1:
            x = g.op("Slice", [x, g.const("last.starts", np.array([T - 1], dtype=np.int64)),
                               g.const("last.ends", np.array([T], dtype=np.int64)),
                               g.const("one1", np.array([1], dtype=np.int64))], "last")  # the prompt's last row
        x = g.rmsnorm(x, "final_norm", s)
        logits = g.op("MatMul", [x, g.weight("lm_head", s.hidden, s.vocab)], g.n("logits"))
        ids = g.op("ArgMax", [logits], "tokens" if N == 1 else g.n("token"), axis=-1, keepdims=0)
        tokens.append(ids)
        start += T
    if N > 1:
        g.op("Concat", tokens, "tokens", axis=1)
    w.close()
    if not write and data.stat().st_size != w.offset:
        raise ValueError(f"{data} does not hold this shape's weights ({w.offset} bytes expected)")
    graph = helper.make_graph(
        g.nodes, "llama-generate", [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, P])],
        [helper.make_tensor_value_info("tokens", TensorProto.INT64, [1, N])], w.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="tribunal.zoo.llama")
    model.ir_version = 8
    path = folder / FILE.format(P=P, N=N, L=L)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(model.SerializeToString())
    os.replace(tmp, path)  # whole or absent (the folder may be a shared cache's)
    return path


_STEP = re.compile(r"^s\d+\.")
_CACHE = {".cache_k": ".k_rope.out", ".cache_v": ".v.t"}  # a cache holds a step's keys (after rope) / values


def calibration_from_forward(forward: dict[str, float], model) -> dict[str, float]:
    """The forward-pass model's calibration ({tensor: max |value|}) as the generation graph's: each
    tensor takes the range of its prefill namesake (decode step n's `s{n}.` prefix dropped; a cache
    write or read takes the range of the keys or values written into it). A fixed choice of scales,
    so the generation's tokens stay a deterministic function of the model files."""
    out = {}
    for node in model.graph.node:
        for name in node.output:
            base = _STEP.sub("", name)
            for tail, src in _CACHE.items():
                if tail in base:
                    base = base.split(tail)[0] + src
            if base in forward:
                out[name] = forward[base]
    out.update({k: v for k, v in forward.items() if k in ("input_ids",)})
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Write a seeded int8 LLaMA-architecture generation graph "
                                            "(ONNX + external data).")
    p.add_argument("shape", choices=sorted(SHAPES))
    p.add_argument("folder", type=Path)
    p.add_argument("--prompt-len", type=int, default=4)
    p.add_argument("--new-tokens", type=int, default=4)
    p.add_argument("--cache-len", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    try:
        path = build(SHAPES[a.shape], a.folder, a.prompt_len, a.new_tokens, a.cache_len, a.seed)
    except (ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
