"""gpt2-tiny: a GPT-2 from a transformers config with seeded weights, exported with torch.

No hub download: the config is written here and the weights come from the seeded initializer, so
the model computes a fixed (meaningless but deterministic) function of its tokens. Input
`input_ids` int64 [batch, sequence] (both dynamic), output logits [batch, sequence, vocab].
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from ..errors import ZooBuildError

SEED = 0
CONFIG = dict(vocab_size=256, n_positions=64, n_embd=64, n_layer=2, n_head=2, bos_token_id=0, eos_token_id=0)
SEQUENCE = 16


def build(out: Path) -> None:
    try:
        import torch
        from transformers import GPT2Config, GPT2LMHeadModel
    except ImportError:
        raise ZooBuildError("building gpt2-tiny needs torch and transformers (pip install 'tribunal-ml[models]')") from None

    torch.manual_seed(SEED)
    net = GPT2LMHeadModel(GPT2Config(**CONFIG, use_cache=False, attn_implementation="eager")).eval()

    class Logits(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.net = net

        def forward(self, input_ids):
            return self.net(input_ids=input_ids, use_cache=False).logits

    ids = torch.randint(0, CONFIG["vocab_size"], (2, SEQUENCE), generator=torch.Generator().manual_seed(SEED))
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        seq = torch.export.Dim("sequence", min=2, max=CONFIG["n_positions"])
        batch = torch.export.Dim("batch", min=1, max=1024)
        prog = torch.onnx.export(Logits().eval(), (ids,), dynamo=True, input_names=["input_ids"], output_names=["logits"],
                                 dynamic_shapes={"input_ids": {0: batch, 1: seq}}, verbose=False)
        prog.save(str(out / "model.onnx"))
    rng = np.random.default_rng(SEED)
    np.savez(out / "data.npz", x_test=rng.integers(0, CONFIG["vocab_size"], (32, SEQUENCE)).astype(np.int64))
