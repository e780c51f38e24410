"""A small trained language model for accuracy checks: a byte-level GPT-2 trained here on Python's
own standard-library source (no download), exported to ONNX as a user would.

    path, calib, test = trained_lm()          # cached under $TRIBUNAL_CACHE (or ~/.cache/tribunal)

The text is the stdlib's .py files in sorted order; training reads the first 90%, calibration and
test sequences come from the last 10% (calibration and test disjoint). Weights are trained for a
fixed number of steps with fixed seeds, so a rebuild is the same model up to torch's float
non-determinism across machines. Run `python -m benchmarks.trained_lm` to (re)build and print the
model's held-out loss.
"""
from __future__ import annotations

import os
import sysconfig
import time
import warnings
from pathlib import Path

import numpy as np

CONFIG = dict(vocab_size=256, n_positions=64, n_embd=128, n_layer=4, n_head=4, bos_token_id=0, eos_token_id=0)
SEQUENCE = 64
STEPS = 400
BATCH = 16
VERSION = 1


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
    d = Path(os.environ.get("TRIBUNAL_CACHE", Path.home() / ".cache" / "tribunal")) / f"trained-lm-v{VERSION}"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _sequences(text: np.ndarray, count: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, len(text) - SEQUENCE, count)
    return np.stack([text[s:s + SEQUENCE] for s in starts]).astype(np.int64)


def trained_lm(calib_count: int = 32, test_count: int = 32) -> tuple[Path, np.ndarray, np.ndarray]:
    """(model.onnx path, calibration sequences, test sequences), int64 [count, SEQUENCE]."""
    out = _cache()
    path = out / "model.onnx"
    if not path.exists():
        _train_and_export(out)
    text = corpus()
    held = text[int(0.9 * len(text)):]
    half = len(held) // 2
    return path, _sequences(held[:half], calib_count, 1), _sequences(held[half:], test_count, 2)


def _train_and_export(out: Path) -> None:
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    text = corpus()
    train = torch.from_numpy(text[:int(0.9 * len(text))].astype(np.int64))
    net = GPT2LMHeadModel(GPT2Config(**CONFIG, use_cache=False, attn_implementation="eager"))
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=STEPS, pct_start=0.1)
    g = torch.Generator().manual_seed(0)
    t0 = time.time()
    net.train()
    for step in range(STEPS):
        starts = torch.randint(0, len(train) - CONFIG["n_positions"] - 1, (BATCH,), generator=g)
        x = torch.stack([train[s:s + CONFIG["n_positions"]] for s in starts])
        loss = net(input_ids=x, labels=x).loss
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % 100 == 0 or step == STEPS - 1:
            print(f"step {step}: loss {loss.item():.3f} ({time.time() - t0:.0f} s)", flush=True)
    net.eval()

    class Logits(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.net = net

        def forward(self, input_ids):
            return self.net(input_ids=input_ids, use_cache=False).logits

    ids = torch.zeros((1, SEQUENCE), dtype=torch.int64)
    tmp = out / "model.onnx.tmp"
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(Logits(), (ids,), str(tmp), dynamo=False, opset_version=17, input_names=["input_ids"],
                          output_names=["logits"], dynamic_axes={"input_ids": {0: "batch"}, "logits": {0: "batch"}})
    tmp.replace(out / "model.onnx")


def main() -> None:
    import onnxruntime as ort

    path, _, test = trained_lm()
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    logits = sess.run(None, {"input_ids": test})[0]
    lp = logits[:, :-1] - np.log(np.exp(logits[:, :-1] - logits[:, :-1].max(-1, keepdims=True)).sum(-1, keepdims=True)) \
        - logits[:, :-1].max(-1, keepdims=True)
    nll = -np.take_along_axis(lp, test[:, 1:, None], -1).mean()
    print(f"{path}: held-out loss {nll:.3f} nats/byte, top-1 next-byte accuracy "
          f"{(logits[:, :-1].argmax(-1) == test[:, 1:]).mean():.3f}")


if __name__ == "__main__":
    main()
