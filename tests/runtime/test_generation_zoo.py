"""code-lm, the zoo's locally trained language model: greedy 32-token completions of its fixed prompt
set (held-out stdlib lines, each cut to its first 8 tokens: one program) agree between the exact and
the fast profile on at least 90% of positions, and the exact tokens are the same on numpy and torch."""
from __future__ import annotations

import json

import numpy as np
import pytest

from runtime.generation.generator import Generator

PROMPT_TOKENS, NEW_TOKENS = 8, 32


@pytest.mark.slow
def test_codeLm_greedy32_exactAgreesWithFast_onAtLeast90pct_andAcrossBackends(figure):
    g = Generator.load("code-lm")
    prompts = json.loads((g.hf.path / "prompts.json").read_text())
    reqs = [g.request(ids=g.hf.encode(p)[:PROMPT_TOKENS], max_new_tokens=NEW_TOKENS) for p in prompts]
    reqs = [r for r in reqs if len(r.ids) == PROMPT_TOKENS]
    assert len(reqs) >= 8
    agree = []
    for i, r in enumerate(reqs):
        exact = g.generate(r, "exact")
        agree.append(np.mean(exact.tokens == g.generate(r, "fast").tokens))
        if i < 2:
            assert g.generate(r, "exact", "torch").tokens.tolist() == exact.tokens.tolist()
    figure("code-lm exact/fast greedy agreement", round(float(np.mean(agree)), 3))
    assert np.mean(agree) >= 0.9, agree
