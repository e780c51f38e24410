"""Hugging Face directories as users bring them, built from configs with seeded random weights: a
GPT-2 with a byte-level BPE tokenizer, a LLaMA (grouped-query attention) with one, and a GPT-2
without a tokenizer. Session scope: each is written once per worker. Their weights are seeded, so
their generation programs are exported once per machine into the zoo cache (keyed by the weights'
digest; concurrent workers wait on its lock)."""
from __future__ import annotations

import pytest

TEXT = "def add(a, b):\n    return a + b\n\nclass Point:\n    def __init__(self, x, y):\n        self.x = x\n" * 20


def tokenizer(vocab: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator([TEXT], trainers.BpeTrainer(vocab_size=vocab, special_tokens=["<|endoftext|>"],
                                                        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                                        show_progress=False))
    return tok


def write(path, family: str, with_tokenizer: bool = True, vocab: int = 300):
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

    torch.manual_seed(1)
    if family == "gpt2":
        net = GPT2LMHeadModel(GPT2Config(vocab_size=vocab, n_positions=32, n_embd=32, n_layer=2, n_head=2,
                                         eos_token_id=0, bos_token_id=0))
    else:
        net = LlamaForCausalLM(LlamaConfig(vocab_size=300, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                           num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=32,
                                           eos_token_id=0, bos_token_id=0))
    with torch.no_grad():  # seeded weights at a larger spread than the initializer's, so greedy tokens vary
        for p in net.parameters():
            if p.dim() == 2:
                p.normal_(0, 0.2)
    net.eval().save_pretrained(path)
    if with_tokenizer:
        tokenizer(300).save(str(path / "tokenizer.json"))
    return path


@pytest.fixture(scope="session")
def hf_dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("hf")
    return {"gpt2": write(root / "gpt2", "gpt2"), "llama": write(root / "llama", "llama"),
            "bare": write(root / "bare", "gpt2", with_tokenizer=False)}


@pytest.fixture(scope="session")
def wide_dir(tmp_path_factory):
    """A GPT-2 with GPT-2's own vocabulary size (50257, no tokenizer): its next-token choice is an
    ArgMaxBlock and an ArgMaxMerge step (runtime/ops/argmax.py)."""
    return write(tmp_path_factory.mktemp("hf") / "wide", "gpt2", with_tokenizer=False, vocab=50257)
