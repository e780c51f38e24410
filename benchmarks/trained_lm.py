"""Trained language models for accuracy checks, as a user brings them: a Hugging Face folder of a
GPT-2-family causal LM (config.json, weights, tokenizer.json; the zoo's code-lm, trained on Python's
own standard-library source, is one), exported to ONNX once with the TorchScript exporter, with
calibration and test sequences of its own tokens from held-out stdlib text (disjoint halves).

    path, calib, test = hf_lm(folder)          # cached under $TRIBUNAL_CACHE (or ~/.cache/tribunal)
"""
from __future__ import annotations

import os
import sysconfig
import warnings
from pathlib import Path

import numpy as np

SEQUENCE = 64


def corpus(limit: int = 4_000_000) -> np.ndarray:
    """The stdlib's source bytes (sorted files), at most `limit` bytes, as uint8."""
    root = Path(sysconfig.get_paths()["stdlib"])
    chunks, n = [], 0
    for p in sorted(root.glob("*.py")):
        b = p.read_bytes()
        chunks.append(b)
        n += len(b)
        if n >= limit:
            break
    return np.frombuffer(b"".join(chunks)[:limit], dtype=np.uint8)


def _cache() -> Path:
    d = Path(os.environ.get("TRIBUNAL_CACHE", Path.home() / ".cache" / "tribunal")) / "accuracy"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _sequences(ids: np.ndarray, count: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, len(ids) - SEQUENCE, count)
    return np.stack([ids[s:s + SEQUENCE] for s in starts]).astype(np.int64)


def hf_lm(folder: Path, calib_count: int = 32, test_count: int = 32) -> tuple[Path, np.ndarray, np.ndarray]:
    """(model.onnx path, calibration sequences, test sequences) for a Hugging Face folder; the held-out
    text is the last 10% of `corpus()` (the zoo's code-lm trains on less than its first 40%)."""
    import torch
    from tokenizers import Tokenizer
    from transformers import AutoModelForCausalLM

    folder = Path(folder)
    out = _cache() / f"hf-{folder.name}"
    out.mkdir(parents=True, exist_ok=True)
    path = out / "model.onnx"
    if not path.exists():
        net = AutoModelForCausalLM.from_pretrained(folder, attn_implementation="eager").eval()

        class Logits(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.net = net

            def forward(self, input_ids):  # an explicit mask: without one transformers traces aten::diff
                return self.net(input_ids=input_ids, attention_mask=torch.ones_like(input_ids), use_cache=False).logits

        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(Logits(), (torch.zeros((1, SEQUENCE), dtype=torch.int64),), str(out / "tmp.onnx"),
                              dynamo=False, opset_version=17, input_names=["input_ids"], output_names=["logits"],
                              dynamic_axes={"input_ids": {0: "batch"}, "logits": {0: "batch"}})
        (out / "tmp.onnx").replace(path)
    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    text = corpus()
    held = bytes(text[int(0.9 * len(text)):]).decode("utf-8", errors="replace")
    ids = np.array(tok.encode(held).ids, dtype=np.int64)
    half = len(ids) // 2
    return path, _sequences(ids[:half], calib_count, 1), _sequences(ids[half:], test_count, 2)
