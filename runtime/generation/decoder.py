"""The generation graph: prefill, then one decode step per new token, unrolled into one ONNX graph.

    net = Unrolled(hf_dir, prompt_len=8, new_tokens=32, cache_len=64)   # a torch module
    export(net, path)                                                   # input_ids [1, P] -> tokens [1, N]

Written here from the weights (GPT-2 and LLaMA families), not taken from transformers' modules, so
the graph holds only ops the exact profile covers: the default export's attention (`IsNaN` guards,
dynamic masks) never appears. The cache is static: per layer K and V of [1, heads, cache_len, head]
allocated at full length, zeros; prefill writes rows 0..P-1, decode step p writes row p (Concat of
the rows before, the new row and the rows after) and attends over rows 0..p only. Positions are
known when the graph is unrolled, so position embeddings, rotary tables and the prefill's causal
mask are constants. The next token is an `ArgMax` node of the graph (greedy), or the ArgMax of the
logits plus Gumbel noise fixed by the request's seed (sampling: same seed, same tokens, on every
honest machine); its id feeds the next step's embedding `Gather`. The output is the N chosen ids.
"""
from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np

from .hf import HFDirectory


def gumbel_noise(seed: int, steps: int, vocab: int) -> np.ndarray:
    """The sampling noise of a request: Gumbel(0, 1) draws from the seed, one row per new token."""
    u = np.random.default_rng(seed).random((steps, vocab))
    return -np.log(-np.log(np.clip(u, 1e-12, 1 - 1e-12))).astype(np.float32)


def _torch():
    import torch

    return torch


class Unrolled:
    """Built lazily as a torch.nn.Module subclass (torch is an optional dependency)."""

    def __new__(cls, d: HFDirectory, prompt_len: int, new_tokens: int, cache_len: int, seed: int | None = None):
        torch = _torch()
        return _make_module(torch)(d, prompt_len, new_tokens, cache_len, seed)


def _make_module(torch):
    F = torch.nn.functional

    def t(a):
        return torch.nn.Parameter(torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)), requires_grad=False)

    class Net(torch.nn.Module):
        def __init__(self, d, prompt_len, new_tokens, cache_len, seed):
            super().__init__()
            self.family, self.P, self.N, self.L = d.family, prompt_len, new_tokens, cache_len
            c = d.config
            if d.family == "gpt2":
                self.D, self.H = c["n_embd"], c["n_head"]
                self.Hkv, self.layers = self.H, c["n_layer"]
                self.eps = c.get("layer_norm_epsilon", 1e-5)
                pre = "transformer." if "transformer.wte.weight" in d.weights else ""
                self.wte = t(d.weight(pre + "wte.weight"))
                self.wpe = d.weight(pre + "wpe.weight")  # numpy: positions are constants, rows picked here
                head = d.weights.get("lm_head.weight", d.weight(pre + "wte.weight"))
                p = [pre + f"h.{i}." for i in range(self.layers)]
                self.w = torch.nn.ParameterList([t(d.weight(q + n)) for q in p for n in (
                    "ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight",
                    "attn.c_proj.bias", "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias",
                    "mlp.c_proj.weight", "mlp.c_proj.bias")])
                self.lnf = torch.nn.ParameterList([t(d.weight(pre + "ln_f.weight")), t(d.weight(pre + "ln_f.bias"))])
            else:
                self.D, self.H = c["hidden_size"], c["num_attention_heads"]
                self.Hkv, self.layers = c.get("num_key_value_heads") or self.H, c["num_hidden_layers"]
                self.eps = c.get("rms_norm_eps", 1e-6)
                self.wte = t(d.weight("model.embed_tokens.weight"))
                head = d.weights.get("lm_head.weight", d.weight("model.embed_tokens.weight"))
                p = [f"model.layers.{i}." for i in range(self.layers)]
                self.w = torch.nn.ParameterList([t(d.weight(q + n).T if n.endswith("proj.weight") else d.weight(q + n))
                                                 for q in p for n in (
                    "input_layernorm.weight", "self_attn.q_proj.weight", "self_attn.k_proj.weight",
                    "self_attn.v_proj.weight", "self_attn.o_proj.weight", "post_attention_layernorm.weight",
                    "mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight")])
                self.lnf = torch.nn.ParameterList([t(d.weight("model.norm.weight"))])
                hd = c.get("head_dim") or self.D // self.H
                theta = c.get("rope_theta", 10000.0)
                inv = 1.0 / (theta ** (np.arange(0, hd, 2, dtype=np.float64) / hd))
                self.freqs = np.arange(cache_len, dtype=np.float64)[:, None] * inv[None]  # [L, hd/2]
            self.hd = c.get("head_dim") or self.D // self.H
            self.head = t(np.asarray(head).T)  # [D, V]: one initializer, read by every step's logits
            self.noise = None if seed is None else t(gumbel_noise(seed, new_tokens, head.shape[0]))

        # ---- pieces
        def norm(self, x, i):
            if self.family == "gpt2":
                return F.layer_norm(x, (self.D,), self.w[i], self.w[i + 1], self.eps)
            var = x.pow(2).mean(-1, keepdim=True)
            return x / torch.sqrt(var + self.eps) * self.w[i]

        def heads(self, x, n):  # [1, T, n*hd] -> [1, n, T, hd]
            return x.reshape(1, x.shape[1], n, self.hd).transpose(1, 2)

        def rope(self, x, start):
            T = x.shape[2]
            f = self.freqs[start:start + T]
            cos = torch.from_numpy(np.concatenate([np.cos(f), np.cos(f)], -1).astype(np.float32))
            sin = torch.from_numpy(np.concatenate([np.sin(f), np.sin(f)], -1).astype(np.float32))
            h = self.hd // 2
            rot = torch.cat([-x[..., h:], x[..., :h]], dim=-1)
            return x * cos + rot * sin

        def qkv(self, x, layer, start):
            if self.family == "gpt2":
                b = 12 * layer
                y = x @ self.w[b + 2] + self.w[b + 3]
                q, k, v = y.split(self.D, dim=-1)
                return self.heads(q, self.H), self.heads(k, self.H), self.heads(v, self.H)
            b = 9 * layer
            q = self.heads(x @ self.w[b + 1], self.H)
            k = self.heads(x @ self.w[b + 2], self.Hkv)
            v = self.heads(x @ self.w[b + 3], self.Hkv)
            return self.rope(q, start), self.rope(k, start), v

        def expand_kv(self, k):
            if self.Hkv == self.H:
                return k
            r = self.H // self.Hkv
            T = k.shape[2]
            return k.unsqueeze(2).expand(1, self.Hkv, r, T, self.hd).reshape(1, self.H, T, self.hd)

        def attend(self, q, k, v, causal):
            s = (q @ self.expand_kv(k).transpose(2, 3)) * (1.0 / math.sqrt(self.hd))
            if causal:
                T = q.shape[2]
                mask = torch.from_numpy(np.triu(np.ones((T, T), dtype=bool), 1))
                s = s.masked_fill(mask, torch.finfo(torch.float32).min)
            a = torch.softmax(s, dim=-1) @ self.expand_kv(v)
            return a.transpose(1, 2).reshape(1, q.shape[2], self.H * self.hd)

        def block_out(self, x, a, layer):
            if self.family == "gpt2":
                b = 12 * layer
                x = x + (a @ self.w[b + 4] + self.w[b + 5])
                h = self.norm(x, b + 6) @ self.w[b + 8] + self.w[b + 9]
                h = 0.5 * h * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (h + 0.044715 * torch.pow(h, 3.0))))
                return x + (h @ self.w[b + 10] + self.w[b + 11])
            b = 9 * layer
            x = x + a @ self.w[b + 4]
            h = self.norm(x, b + 5)
            g = h @ self.w[b + 6]
            return x + (g * torch.sigmoid(g) * (h @ self.w[b + 7])) @ self.w[b + 8]

        def write(self, cache, row, new):
            """The cache with rows row..row+T-1 replaced by `new`: the rows before, new, the rows after."""
            T = new.shape[2]
            parts = ([cache[:, :, :row]] if row else []) + [new] + ([cache[:, :, row + T:]] if row + T < self.L else [])
            return torch.cat(parts, dim=2) if len(parts) > 1 else new

        def embed(self, ids, start):
            x = F.embedding(ids, self.wte)
            if self.family == "gpt2":
                x = x + torch.from_numpy(self.wpe[start:start + ids.shape[1]].astype(np.float32))
            return x

        def forward_tokens(self, x, start, caches):
            """Rows start..start+T-1 through every layer: x [1, T, D] -> the last row's hidden state."""
            T = x.shape[1]
            stride = 12 if self.family == "gpt2" else 9
            for layer in range(self.layers):
                q, k, v = self.qkv(self.norm(x, stride * layer), layer, start)
                K, V = caches[2 * layer], caches[2 * layer + 1]
                K, V = self.write(K, start, k), self.write(V, start, v)
                caches[2 * layer], caches[2 * layer + 1] = K, V
                if start == 0:  # prefill: the new rows are all rows
                    a = self.attend(q, k, v, causal=T > 1)
                else:
                    a = self.attend(q, K[:, :, :start + T], V[:, :, :start + T], causal=False)
                x = self.block_out(x, a, layer)
            if self.family == "gpt2":
                return F.layer_norm(x[:, T - 1:], (self.D,), self.lnf[0], self.lnf[1], self.eps)
            x = x[:, T - 1:]
            return x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.lnf[0]

        def choose(self, h, n):
            logits = h @ self.head  # [1, 1, V]
            if self.noise is not None:
                logits = logits + self.noise[n]
            return torch.argmax(logits, dim=-1)  # [1, 1] int64

        def forward(self, input_ids):
            zeros = torch.zeros(1, self.Hkv, self.L, self.hd)
            caches = [zeros] * (2 * self.layers)
            tok = self.choose(self.forward_tokens(self.embed(input_ids, 0), 0, caches), 0)
            out = [tok]
            for n in range(1, self.N):
                pos = self.P + n - 1
                tok = self.choose(self.forward_tokens(self.embed(tok, pos), pos, caches), n)
                out.append(tok)
            return torch.cat(out, dim=1) if len(out) > 1 else out[0]

    return Net


def export(net, path: Path) -> None:
    """The unrolled module as ONNX (TorchScript exporter, opset 17): input_ids [1, P] -> tokens [1, N]."""
    torch = _torch()
    ids = torch.zeros((1, net.P), dtype=torch.int64)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(net.eval(), (ids,), str(path), dynamo=False, opset_version=17, input_names=["input_ids"],
                          output_names=["tokens"], do_constant_folding=True)
