"""code-lm: a small GPT-2 language model trained here, on Python's own standard library source.

No download: the corpus is the stdlib's .py files of the running interpreter (sorted, a fixed byte
budget), a byte-level BPE vocabulary is trained on it with `tokenizers`, and a 2-layer GPT-2 is
trained with fixed seeds for a fixed number of steps (a few minutes on 2 cores). The folder is a
Hugging Face model directory (config.json, model.safetensors, tokenizer.json), the same form a user
brings (runtime.generation.hf), plus prompts.json: held-out lines used as the fixed prompt set.
"""
from __future__ import annotations

import json
import sysconfig
from pathlib import Path

import numpy as np

from ..errors import ZooBuildError

SEED = 0
VOCAB = 512
CONFIG = dict(vocab_size=VOCAB, n_positions=128, n_embd=128, n_layer=2, n_head=4, n_inner=512,
              activation_function="gelu_new", resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
CORPUS_BYTES = 1_500_000
CONTEXT, BATCH, STEPS, LR = 64, 16, 700, 3e-3
PROMPTS = 12


def corpus() -> tuple[str, str]:
    """(training text, held-out text): stdlib sources in name order; the last file is held out."""
    files = sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py"))
    if len(files) < 20:
        raise ZooBuildError("building code-lm needs the Python standard library's sources")
    parts, size = [], 0
    for f in files[:-1]:
        text = f.read_text(encoding="utf-8", errors="replace")
        parts.append(text)
        size += len(text)
        if size >= CORPUS_BYTES:
            break
    return "".join(parts)[:CORPUS_BYTES], files[-1].read_text(encoding="utf-8", errors="replace")


def corpus_sample(limit: int = 20_000) -> str:
    """A fixed text for calibrating generation programs: the start of the held-out file."""
    return corpus()[1][:limit]


def train_tokenizer(text: str):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=VOCAB, special_tokens=["<|endoftext|>"], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator([text[i:i + 4096] for i in range(0, len(text), 4096)], trainer)
    return tok


def prompts(held_out: str) -> list[str]:
    """Lines of the held-out file that start a statement: the fixed prompt set."""
    lines = [ln.strip() for ln in held_out.splitlines()]
    picks = [ln for ln in lines if 12 <= len(ln) <= 40 and ln.split(" ")[0] in ("def", "return", "if", "for", "import")]
    step = max(1, len(picks) // PROMPTS)
    return picks[::step][:PROMPTS]


def build(out: Path) -> None:
    try:
        import torch
        from transformers import GPT2Config, GPT2LMHeadModel
    except ImportError:
        raise ZooBuildError("building code-lm needs torch and transformers (pip install 'tribunal-ml[models]')") from None

    torch.set_num_threads(1)  # faster than 2 on a shared 2-core machine, and one summation order
    text, held_out = corpus()
    tok = train_tokenizer(text)
    eos = tok.token_to_id("<|endoftext|>")
    ids = np.array(tok.encode(text).ids, dtype=np.int64)
    torch.manual_seed(SEED)
    config = GPT2Config(**CONFIG, bos_token_id=eos, eos_token_id=eos)
    net = GPT2LMHeadModel(config)
    net.train()
    opt = torch.optim.AdamW(net.parameters(), lr=LR, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=LR, total_steps=STEPS, pct_start=0.1)
    rng = np.random.default_rng(SEED)
    data = torch.from_numpy(ids)
    for _ in range(STEPS):
        starts = rng.integers(0, len(ids) - CONTEXT - 1, BATCH)
        batch = torch.stack([data[s:s + CONTEXT] for s in starts])
        loss = net(input_ids=batch, labels=batch).loss
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        sched.step()
    net.eval()
    net.save_pretrained(out, safe_serialization=True)
    tok.save(str(out / "tokenizer.json"))
    (out / "prompts.json").write_text(json.dumps(prompts(held_out), indent=1) + "\n")
    (out / "train.json").write_text(json.dumps({"tokens": int(len(ids)), "steps": STEPS, "final_loss": float(loss)}) + "\n")
